//! The WhatsApp Web version sessions announce. Pinned by configuration; otherwise fetched from
//! WhatsApp at most once a day for the whole process; and when it cannot be fetched (no internet,
//! a sandbox on loopback) a built-in one, so a session never waits on the fetch. Without this the
//! engine retries the fetch before every connect and a session stays STARTING forever offline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use wacore::net::{HttpClient, HttpRequest};

/// The version the engine itself starts from before its first fetch (whatsapp-rust 0.7).
pub const BUILT_IN: (u32, u32, u32) = (2, 3000, 1_042_742_319);

const SW_URL: &str = "https://web.whatsapp.com/sw.js";
const FETCH_TIMEOUT: Duration = Duration::from_secs(8);
/// How long a fetched version is used before it is fetched again.
const FRESH_FOR: Duration = Duration::from_secs(24 * 3600);
/// After a failed fetch, the built-in version is used this long before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub struct WaVersion {
    inner: Arc<Inner>,
}

struct Inner {
    pinned: Option<(u32, u32, u32)>,
    /// Fetching makes no sense against an endpoint on loopback (the sandbox): use the built-in.
    offline: bool,
    cached: Mutex<Option<Cached>>,
}

#[derive(Clone, Copy)]
struct Cached {
    version: (u32, u32, u32),
    until: Instant,
}

impl WaVersion {
    pub fn new(pinned: Option<(u32, u32, u32)>, wa_url: &str) -> Self {
        let offline = crate::loopback::url_on_loopback(wa_url);
        Self {
            inner: Arc::new(Inner {
                pinned,
                offline,
                cached: Mutex::new(None),
            }),
        }
    }

    /// The version to announce now; fetches (once for every session waiting) when due.
    pub async fn resolve(&self, http: &dyn HttpClient) -> (u32, u32, u32) {
        if let Some(v) = self.inner.pinned {
            return v;
        }
        if self.inner.offline {
            return BUILT_IN;
        }
        let mut cached = self.inner.cached.lock().await;
        if let Some(c) = *cached
            && Instant::now() < c.until
        {
            return c.version;
        }
        let fresh = match tokio::time::timeout(FETCH_TIMEOUT, fetch(http)).await {
            Ok(Ok(v)) => Cached {
                version: v,
                until: Instant::now() + FRESH_FOR,
            },
            failed => {
                let why = match failed {
                    Ok(Err(e)) => format!("{e:#}"),
                    _ => "timed out".into(),
                };
                log::warn!(
                    "cannot fetch the current WhatsApp Web version ({why}); using the built-in {}.{}.{}",
                    BUILT_IN.0,
                    BUILT_IN.1,
                    BUILT_IN.2
                );
                Cached {
                    version: BUILT_IN,
                    until: Instant::now() + RETRY_AFTER,
                }
            }
        };
        *cached = Some(fresh);
        fresh.version
    }
}

async fn fetch(http: &dyn HttpClient) -> anyhow::Result<(u32, u32, u32)> {
    let response = http.execute(HttpRequest::get(SW_URL)).await?;
    if response.status_code != 200 {
        anyhow::bail!("status {}", response.status_code);
    }
    let body = String::from_utf8_lossy(&response.body);
    wacore::version::parse_sw_js(&body).ok_or_else(|| anyhow::anyhow!("no client_revision"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wacore::net::HttpResponse;

    /// An HTTP client that fails (no internet) and counts its calls.
    #[derive(Default)]
    struct Offline(AtomicUsize);

    #[async_trait::async_trait]
    impl HttpClient for Offline {
        async fn execute(&self, _: HttpRequest) -> anyhow::Result<HttpResponse> {
            self.0.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("no route to host")
        }
    }

    struct Serves(&'static str);

    #[async_trait::async_trait]
    impl HttpClient for Serves {
        async fn execute(&self, _: HttpRequest) -> anyhow::Result<HttpResponse> {
            Ok(HttpResponse {
                status_code: 200,
                body: self.0.as_bytes().to_vec(),
            })
        }
    }

    #[tokio::test]
    async fn falls_back_to_the_built_in_version_and_retries_later() {
        let http = Offline::default();
        let v = WaVersion::new(None, "wss://web.whatsapp.com/ws/chat");
        assert_eq!(v.resolve(&http).await, BUILT_IN);
        assert_eq!(v.resolve(&http).await, BUILT_IN);
        assert_eq!(
            http.0.load(Ordering::SeqCst),
            1,
            "one failed fetch is cached"
        );
    }

    #[tokio::test]
    async fn pinned_and_loopback_never_fetch() {
        let http = Offline::default();
        let pinned = WaVersion::new(Some((2, 3000, 7)), "wss://web.whatsapp.com/ws/chat");
        assert_eq!(pinned.resolve(&http).await, (2, 3000, 7));
        let sandbox = WaVersion::new(None, "ws://127.0.0.1:9090/ws/chat");
        assert_eq!(sandbox.resolve(&http).await, BUILT_IN);
        assert_eq!(http.0.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_fetched_version_is_used() {
        let http = Serves(r#"self.__swData=JSON.parse("{\"client_revision\":1029496320,"#);
        let v = WaVersion::new(None, "wss://web.whatsapp.com/ws/chat");
        let got = v.resolve(&http).await;
        assert_eq!(got.2, 1029496320, "{got:?}");
    }
}
