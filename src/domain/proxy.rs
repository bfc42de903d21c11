//! A session's proxy: where its WhatsApp connection and media go through. Parsed from the URL a
//! user gives (`socks5://user:pass@host:port` or `http://user:pass@host:port`, an HTTP CONNECT
//! proxy); shown back with the password hidden.

use url::Url;

use super::InvalidInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Socks5,
    /// An HTTP proxy that tunnels with `CONNECT`.
    Http,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn bad(reason: impl Into<String>) -> InvalidInput {
    InvalidInput {
        field: "proxy",
        reason: reason.into(),
    }
}

impl ProxyUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let url = Url::parse(raw.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
        let kind = match url.scheme() {
            "socks5" | "socks5h" => ProxyKind::Socks5,
            "http" => ProxyKind::Http,
            other => {
                return Err(bad(format!(
                    "`{other}` proxies are not supported: use socks5:// or http://"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url
            .port()
            .or(match kind {
                ProxyKind::Socks5 => Some(1080),
                ProxyKind::Http => Some(8080),
            })
            .unwrap_or(1080);
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(bad(
                "must be scheme://[user:password@]host:port and nothing more",
            ));
        }
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| bad("the user name or password is not valid UTF-8"))
        };
        let username = (!url.username().is_empty())
            .then(|| decode(url.username()))
            .transpose()?;
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && username.is_none() {
            return Err(bad("a password needs a user name"));
        }
        if username.as_ref().is_some_and(|u| u.len() > 255)
            || password.as_ref().is_some_and(|p| p.len() > 255)
        {
            return Err(bad("the user name and password are at most 255 bytes each"));
        }
        Ok(Self {
            kind,
            host,
            port,
            username,
            password,
        })
    }

    /// The URL as given, password included: what is sealed at rest.
    pub fn to_url(&self) -> String {
        self.render(self.password.as_deref())
    }

    /// The URL with the password replaced by `***`: what the API shows.
    pub fn redacted(&self) -> String {
        self.render(self.password.as_ref().map(|_| "***"))
    }

    fn render(&self, password: Option<&str>) -> String {
        let scheme = match self.kind {
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Http => "http",
        };
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let auth = match (&self.username, password) {
            (Some(u), Some(p)) => format!("{}:{}@", enc(u), enc(p)),
            (Some(u), None) => format!("{}@", enc(u)),
            _ => String::new(),
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{auth}{host}:{}", self.port)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_parse_and_hide_their_password() {
        let p = ProxyUrl::parse("socks5://ana:s%40cret@127.0.0.1:1081").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 1081));
        assert_eq!(p.username.as_deref(), Some("ana"));
        assert_eq!(p.password.as_deref(), Some("s@cret"));
        assert_eq!(p.redacted(), "socks5://ana:***@127.0.0.1:1081");
        assert_eq!(ProxyUrl::parse(&p.to_url()).unwrap(), p);
        let h = ProxyUrl::parse("http://proxy.example:3128").unwrap();
        assert_eq!(h.kind, ProxyKind::Http);
        assert_eq!(h.redacted(), "http://proxy.example:3128");
    }

    #[test]
    fn other_things_are_refused() {
        for raw in [
            "ftp://h:1",
            "socks5://",
            "http://h:1/path",
            "not a url",
            "socks5://:pw@h:1",
        ] {
            assert!(ProxyUrl::parse(raw).is_err(), "{raw}");
        }
    }
}
