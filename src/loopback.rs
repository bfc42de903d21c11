//! Whether a URL names this machine's loopback: the sandbox build's WhatsApp URL, the version
//! fetch it skips, and the PostgreSQL server WARAS dials without TLS.

/// `localhost`, `127.x.x.x` or `::1`. An IPv4 address is also recognised where a URL of a
/// non-special scheme (`postgres://`) leaves it a domain.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Whether `url` parses and its host is on loopback.
pub fn url_on_loopback(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .is_some_and(|u| u.host().is_some_and(|h| is_loopback_host(&h)))
}
