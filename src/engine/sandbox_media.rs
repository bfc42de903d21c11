//! Where a sandbox build finds the sandbox's media host (for uploads and downloads).

use std::sync::Arc;

/// The sandbox's HTTPS media host (`host:port`) and its CA.
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
pub struct SandboxMedia {
    pub host: String,
    pub ca: Arc<str>,
}

/// In a sandbox build, the sandbox's media host and CA, read from its `/sandbox/info` next to
/// the configured (loopback) WebSocket URL, so media can be uploaded and downloaded.
#[cfg(feature = "sandbox")]
pub async fn discover(wa_url: &str) -> Option<SandboxMedia> {
    let mut info = url::Url::parse(wa_url).ok()?;
    info.set_scheme(if info.scheme() == "wss" {
        "https"
    } else {
        "http"
    })
    .ok()?;
    info.set_path("/sandbox/info");
    let answer: Result<serde_json::Value, String> = async {
        let mut res = awc::Client::new()
            .get(info.as_str())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        res.json().await.map_err(|e| e.to_string())
    }
    .await;
    let text = |v: &serde_json::Value, key: &str| v.get(key)?.as_str().map(str::to_string);
    match answer {
        Ok(v) => Some(SandboxMedia {
            host: text(&v, "media_host")?,
            ca: Arc::from(text(&v, "media_ca_pem")?),
        }),
        Err(e) => {
            log::warn!("sandbox media host unavailable at {info}: {e}; media will fail");
            None
        }
    }
}

#[cfg(not(feature = "sandbox"))]
pub async fn discover(_wa_url: &str) -> Option<SandboxMedia> {
    None
}
