//! The SSRF guard: outbound calls (webhooks, media URLs) to loopback, private, link-local and other
//! non-public addresses are refused unless configuration allows private targets.

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

/// Resolves the URL's host and checks every address it names (done right before each call).
pub async fn resolve_and_check(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    if allow_private {
        return Ok(());
    }
    let host = url.host_str().ok_or(TargetError::NotHttp)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| TargetError::Unresolvable(host.to_string()))?;
    let mut any = false;
    for addr in addrs {
        any = true;
        check_ip(addr.ip())?;
    }
    if any {
        Ok(())
    } else {
        Err(TargetError::Unresolvable(host.to_string()))
    }
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
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
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
}
