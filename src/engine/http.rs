//! The engine's `HttpClient` over awc (media, version checks), run on the network arbiter because
//! awc futures are not `Send`.
//!
//! The engine builds some URLs from what a contact sent (a received message's `staticUrl` and
//! `directPath`), so this client is the SSRF boundary for received media: it calls only
//! WhatsApp's own hosts over HTTPS on the default port (in sandbox builds also the sandbox's
//! media host, exactly), follows no redirects, dials only public addresses, and reads no more
//! than a media file may weigh. Its errors name no URL: they reach logs and, through the
//! engine, could reach API clients.

use std::sync::Arc;
use std::time::Duration;

use actix::ArbiterHandle;
use anyhow::{Result, anyhow};
use tokio::sync::oneshot;
use url::{Host, Url};
use wacore::net::{HttpClient, HttpRequest, HttpResponse};

use crate::domain::proxy::ProxyUrl;
use crate::webhooks::guarded;

const TIMEOUT: Duration = Duration::from_secs(60);
/// An encrypted media file is its plaintext plus up to 16 bytes of padding and a 10-byte MAC.
const ENCRYPTION_OVERHEAD: usize = 32;
/// What a response that is not a media file may weigh (the version check's script, JSON).
const OTHER_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// The WhatsApp domains the engine talks to: media hosts (mmg.whatsapp.net and the hosts the
/// server names in its media connection answer), static.whatsapp.net, web.whatsapp.com.
const WHATSAPP_DOMAINS: [&str; 2] = ["whatsapp.net", "whatsapp.com"];

/// Why the engine's HTTP client refused or failed a call; typed so that callers can tell a
/// file that is too large from a media host that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineHttpError {
    #[error("the engine may only call WhatsApp's hosts over HTTPS")]
    HostRefused,
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the HTTP request failed: {0}")]
    Failed(String),
}

/// Where the engine may send HTTP requests, and how much it may read back.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// `host:port` of the sandbox's media host (sandbox builds only).
    pub sandbox_media_host: Option<String>,
    /// The largest media file a session downloads (`media_max_bytes`).
    pub media_max_bytes: usize,
}

impl HttpPolicy {
    /// Checks a URL the engine wants to call; answers how many body bytes it may read.
    pub fn check(&self, raw: &str) -> Result<usize, EngineHttpError> {
        let url = Url::parse(raw).map_err(|_| EngineHttpError::HostRefused)?;
        if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
            return Err(EngineHttpError::HostRefused);
        }
        let media_limit = self.media_max_bytes.saturating_add(ENCRYPTION_OVERHEAD);
        if let Some(Host::Domain(domain)) = url.host()
            && url.port().is_none()
            && WHATSAPP_DOMAINS.iter().any(|d| {
                domain
                    .strip_suffix(d)
                    .is_some_and(|rest| rest.ends_with('.'))
            })
        {
            // The version check is the one call that is not media.
            return Ok(if domain == "web.whatsapp.com" {
                OTHER_BODY_LIMIT
            } else {
                media_limit
            });
        }
        let authority = url
            .host_str()
            .zip(url.port_or_known_default())
            .map(|(h, p)| format!("{h}:{p}"));
        match (&self.sandbox_media_host, authority) {
            (Some(sandbox), Some(authority)) if *sandbox == authority => Ok(media_limit),
            _ => Err(EngineHttpError::HostRefused),
        }
    }
}

pub struct AwcHttpClient {
    arbiter: ArbiterHandle,
    /// A CA to trust besides the system's (the sandbox's media host; `None` in real use).
    extra_ca: Option<Arc<str>>,
    policy: Arc<HttpPolicy>,
    /// The session's proxy, which its media requests go through.
    proxy: Option<Arc<ProxyUrl>>,
}

impl AwcHttpClient {
    pub fn new(
        arbiter: ArbiterHandle,
        extra_ca: Option<Arc<str>>,
        policy: Arc<HttpPolicy>,
    ) -> Self {
        Self {
            arbiter,
            extra_ca,
            policy,
            proxy: None,
        }
    }

    /// A session's client: the shared network arbiter, policy and extra CA, and its proxy.
    pub fn for_session(deps: &super::EngineDeps, proxy: Option<ProxyUrl>) -> Self {
        Self::new(
            deps.network.clone(),
            deps.media_ca.clone(),
            deps.http_policy.clone(),
        )
        .with_proxy(proxy)
    }

    /// Sends every request through `proxy` (none: directly).
    pub fn with_proxy(mut self, proxy: Option<ProxyUrl>) -> Self {
        self.proxy = proxy.map(Arc::new);
        self
    }
}

fn builder() -> awc::ClientBuilder<actix_tls::connect::ConnectorService> {
    awc::Client::builder()
        .timeout(TIMEOUT)
        // A redirect would lead to a host nobody checked.
        .disable_redirects()
        .connector(guarded::connector(false))
}

fn client(extra_ca: Option<&str>) -> Result<awc::Client> {
    let Some(pem) = extra_ca else {
        return Ok(CLIENT.with(|c| c.clone()));
    };
    // The extra CA is the same for the whole process: build its client once per thread too.
    if let Some(c) = CA_CLIENT.with(|c| c.get().cloned()) {
        return Ok(c);
    }
    let built = awc::Client::builder()
        .timeout(TIMEOUT)
        .disable_redirects()
        .connector(guarded::connector(false).openssl(trusting(pem)?))
        .finish();
    CA_CLIENT.with(|c| {
        let _ = c.set(built.clone());
    });
    Ok(built)
}

#[async_trait::async_trait]
impl HttpClient for AwcHttpClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        let limit = self.policy.check(&request.url)?;
        let (done, answer) = oneshot::channel();
        // awc futures are not Send: start them from a closure on the arbiter's own thread.
        let (extra_ca, proxy) = (self.extra_ca.clone(), self.proxy.clone());
        let spawned = self.arbiter.spawn_fn(move || {
            actix_web::rt::spawn(async move {
                let client = match &proxy {
                    None => client(extra_ca.as_deref()),
                    Some(p) => proxied(extra_ca.as_deref(), p),
                };
                let answer = match client {
                    Ok(client) => run(&client, request, limit).await,
                    Err(e) => Err(e),
                };
                let _ = done.send(answer);
            });
        });
        if !spawned {
            return Err(anyhow!("the network arbiter has stopped"));
        }
        answer
            .await
            .map_err(|_| anyhow!("HTTP request abandoned"))?
    }
}

thread_local! {
    /// One client per network arbiter thread for every session: building one parses the system's
    /// CA bundle (see the WebSocket client in `transport.rs`).
    static CLIENT: awc::Client = builder().finish();
    /// The same, trusting the extra CA (sandbox builds).
    static CA_CLIENT: std::cell::OnceCell<awc::Client> = const { std::cell::OnceCell::new() };
}

/// A client of its own for a proxied session (its connections go through the proxy).
fn proxied(extra_ca: Option<&str>, proxy: &ProxyUrl) -> Result<awc::Client> {
    let connector = super::proxy::connector(proxy);
    let connector = match extra_ca {
        None => connector,
        Some(pem) => connector.openssl(trusting(pem)?),
    };
    Ok(awc::Client::builder()
        .timeout(TIMEOUT)
        .disable_redirects()
        .connector(connector)
        .finish())
}

/// A TLS connector that trusts `pem` besides the system's CAs.
fn trusting(pem: &str) -> Result<openssl::ssl::SslConnector> {
    let mut tls = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    tls.cert_store_mut()
        .add_cert(openssl::x509::X509::from_pem(pem.as_bytes())?)?;
    Ok(tls.build())
}

async fn run(client: &awc::Client, request: HttpRequest, limit: usize) -> Result<HttpResponse> {
    let method = awc::http::Method::from_bytes(request.method.as_bytes())
        .map_err(|e| anyhow!("bad method: {e}"))?;
    let mut req = client.request(method, request.url.as_str());
    for (name, value) in &request.headers {
        req = req.insert_header((name.as_str(), value.as_str()));
    }
    let sent = match request.body {
        Some(body) => req.send_body(body).await,
        None => req.send().await,
    };
    // The URL carries the media token: name neither it nor the request in the error.
    let mut res = sent.map_err(|e| EngineHttpError::Failed(e.to_string()))?;
    let body = res.body().limit(limit).await.map_err(|e| match e {
        awc::error::PayloadError::Overflow => EngineHttpError::TooLarge { limit },
        other => EngineHttpError::Failed(format!("reading the response: {other}")),
    })?;
    Ok(HttpResponse {
        status_code: res.status().as_u16(),
        body: body.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(sandbox: Option<&str>) -> HttpPolicy {
        HttpPolicy {
            sandbox_media_host: sandbox.map(str::to_string),
            media_max_bytes: 1000,
        }
    }

    #[test]
    fn only_whatsapp_hosts_are_called() {
        let real = policy(None);
        for ok in [
            "https://mmg.whatsapp.net/v/t62.7118-24/1_2_3.enc?ccb=11-4&oh=x&oe=y",
            "https://media-fra3-1.cdn.whatsapp.net/v/t62/abc.enc",
            "https://static.whatsapp.net/sticker?lottie=1&cat=x&id=1&lg=en",
            "https://MMG.WhatsApp.NET/x",
        ] {
            assert_eq!(real.check(ok), Ok(1032), "{ok}");
        }
        assert_eq!(
            real.check("https://web.whatsapp.com/sw.js"),
            Ok(OTHER_BODY_LIMIT)
        );
        for bad in [
            "http://mmg.whatsapp.net/x",
            "https://mmg.whatsapp.net:8443/x",
            "https://whatsapp.net.evil.example/x",
            "https://evilwhatsapp.net/x",
            "https://whatsapp.net/x",
            "https://mmg.whatsapp.net@169.254.169.254/latest/meta-data",
            "https://user@mmg.whatsapp.net/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert_eq!(real.check(bad), Err(EngineHttpError::HostRefused), "{bad}");
        }
    }

    #[test]
    fn a_sandbox_build_adds_exactly_its_media_host() {
        let sandbox = policy(Some("127.0.0.1:40001"));
        assert_eq!(
            sandbox.check("https://127.0.0.1:40001/mms/image/abc"),
            Ok(1032)
        );
        assert!(sandbox.check("https://mmg.whatsapp.net/x").is_ok());
        for bad in [
            "https://127.0.0.1:40002/mms/image/abc",
            "http://127.0.0.1:40001/mms/image/abc",
            "https://localhost:40001/x",
            "https://127.0.0.2:40001/x",
        ] {
            assert_eq!(
                sandbox.check(bad),
                Err(EngineHttpError::HostRefused),
                "{bad}"
            );
        }
    }

    /// A one-shot loopback HTTP server answering `reply` to every request; counts requests.
    fn server(reply: &'static [u8]) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut stream = stream.unwrap();
                let _ = stream.read(&mut [0u8; 4096]);
                let _ = stream.write_all(reply);
            }
        });
        (format!("http://{addr}"), hits)
    }

    #[actix_rt::test]
    async fn redirects_are_not_followed_and_bodies_are_capped() {
        let (inside, inside_hits) = server(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret");
        let redirect: &'static [u8] = Box::leak(
            format!("HTTP/1.1 302 Found\r\nlocation: {inside}/\r\ncontent-length: 0\r\n\r\n")
                .into_bytes()
                .into_boxed_slice(),
        );
        let (outside, _) = server(redirect);
        let res = run(
            &client(None).unwrap(),
            HttpRequest::get(format!("{outside}/media")),
            1000,
        )
        .await
        .unwrap();
        assert_eq!(
            res.status_code, 302,
            "the redirect is handed back, not followed"
        );
        assert_eq!(inside_hits.load(std::sync::atomic::Ordering::SeqCst), 0);

        let (big, _) = server(b"HTTP/1.1 200 OK\r\ncontent-length: 2000\r\n\r\n");
        let err = run(
            &client(None).unwrap(),
            HttpRequest::get(format!("{big}/media")),
            1000,
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.downcast_ref::<EngineHttpError>(),
            Some(&EngineHttpError::TooLarge { limit: 1000 })
        );
        assert!(!err.to_string().contains("127.0.0.1"), "{err}");
    }
}
