//! The SSRF guard: outbound calls (webhooks, media URLs) to loopback, private, link-local and other
//! non-public addresses are refused unless configuration allows private targets. Host names are
//! checked where they are resolved, in the connector of [`super::guarded`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("must be an absolute http(s) URL")]
    NotHttp,
    #[error("must not carry credentials")]
    Credentials,
    #[error("cannot resolve {0}")]
    Unresolvable(String),
    #[error(
        "{0} is a private, loopback or link-local address; set webhook_allow_private to allow it"
    )]
    Private(IpAddr),
}

/// Parses and checks the form of a target URL (no DNS).
pub fn parse(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw).map_err(|_| TargetError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(TargetError::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if !allow_private {
        match url.host() {
            Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip))?,
            Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip))?,
            Some(Host::Domain(d))
                if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
            {
                return Err(TargetError::Private(IpAddr::V4(Ipv4Addr::LOCALHOST)));
            }
            _ => {}
        }
    }
    Ok(url)
}

fn check_ip(ip: IpAddr) -> Result<(), TargetError> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(TargetError::Private(ip))
    }
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Embedded::V4(v4) => is_public_v4(v4),
            Embedded::Refused => false,
            Embedded::None => is_public_v6(v6),
        },
    }
}

enum Embedded {
    /// An IPv6 address that reaches this IPv4 host: it is only as public as that host.
    V4(Ipv4Addr),
    /// A transition form whose IPv4 host cannot be told (or that nobody needs to call).
    Refused,
    None,
}

/// The IPv4 host behind the IPv6 forms that tunnel or translate to IPv4, so that a private
/// IPv4 address cannot be reached by spelling it as IPv6.
fn embedded_v4(ip: Ipv6Addr) -> Embedded {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Embedded::V4(v4);
    }
    match s {
        // ::a.b.c.d, IPv4-compatible (deprecated), and :: and ::1 with it.
        [0, 0, 0, 0, 0, 0, _, _] => Embedded::Refused,
        // 64:ff9b::/96, the well-known NAT64 prefix: the gateway calls the embedded host.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Embedded::V4(low),
        // 64:ff9b:1::/48, local-use NAT64 prefixes with operator-chosen layouts.
        [0x64, 0xff9b, 1, ..] => Embedded::Refused,
        // 2002::/16, 6to4: the relay forwards to the IPv4 host in bits 16..48.
        [0x2002, hi, lo, ..] => Embedded::V4(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        // 2001::/32, Teredo: the client address is obfuscated and the relay is anyone's.
        [0x2001, 0, ..] => Embedded::Refused,
        _ => Embedded::None,
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments (DS-Lite, NAT64 discovery)
        || (o[0] == 192 && o[1] == 88 && o[2] == 99) // 6to4 relay anycast
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed on some networks)
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_targets_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1/x",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://localhost:8080/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                matches!(parse(bad, false), Err(TargetError::Private(_))),
                "{bad}"
            );
            assert!(parse(bad, true).is_ok(), "{bad}");
        }
        assert!(parse("https://93.184.216.34/hook", false).is_ok());
        assert!(parse("https://hooks.example.com/a?b=c", false).is_ok());
        assert_eq!(
            parse("ftp://example.com/", false),
            Err(TargetError::NotHttp)
        );
        assert_eq!(parse("not a url", false), Err(TargetError::NotHttp));
        assert_eq!(
            parse("https://u:p@example.com/", false),
            Err(TargetError::Credentials)
        );
    }

    #[test]
    fn ipv6_spellings_of_private_ipv4_hosts_are_refused() {
        let refused = [
            "64:ff9b::7f00:1",     // NAT64 of 127.0.0.1
            "64:ff9b::a9fe:a9fe",  // NAT64 of 169.254.169.254
            "64:ff9b::a00:1",      // NAT64 of 10.0.0.1
            "64:ff9b:1::a00:1",    // local-use NAT64
            "::127.0.0.1",         // IPv4-compatible
            "::8.8.8.8",           // IPv4-compatible, even of a public host
            "2002:7f00:1::",       // 6to4 of 127.0.0.1
            "2002:c0a8:101::1",    // 6to4 of 192.168.1.1
            "2002:a9fe:a9fe::1",   // 6to4 of 169.254.169.254
            "2001:0:4136:e378::1", // Teredo
            "fec0::1",             // site-local
            "100::1",              // discard-only
            "::ffff:10.0.0.1",     // IPv4-mapped
        ];
        for ip in refused {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} must be refused");
            let url = format!("http://[{ip}]/hook");
            assert!(
                matches!(parse(&url, false), Err(TargetError::Private(_))),
                "{url}"
            );
        }
        for ip in ["192.0.0.1", "192.0.0.170", "192.88.99.1"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} must be refused");
        }
        // The same forms of a public IPv4 host, and ordinary public addresses, stay allowed.
        for ip in [
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "2a03:2880:f205:c5:face:b00c:0:167",
            "93.184.216.34",
            "192.0.1.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} must be allowed");
        }
    }
}
