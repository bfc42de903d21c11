//! Fetching a media file named by URL: only http(s), only public addresses (unless private
//! targets are allowed), no redirects, a timeout, and at most the configured size.

use std::time::Duration;

use super::MediaError;
use crate::webhooks::{guarded, target};

const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Fetched {
    pub data: Vec<u8>,
    /// The server's Content-Type, a hint only: the bytes are sniffed again.
    pub content_type: Option<String>,
    /// The last path segment of the URL, if it looks like a file name.
    pub filename: Option<String>,
}

pub async fn fetch(raw: &str, allow_private: bool, limit: usize) -> Result<Fetched, MediaError> {
    let url =
        target::parse(raw, allow_private).map_err(|e| MediaError::Invalid(format!("url: {e}")))?;
    // The connector resolves the host once and dials only addresses the guard allowed.
    let client = awc::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .disable_redirects()
        .connector(guarded::connector(allow_private))
        .finish();
    let mut res =
        client
            .get(url.as_str())
            .send()
            .await
            .map_err(|e| match guarded::refusal(&e) {
                Some(refused) => MediaError::Invalid(format!("url: {refused}")),
                None => MediaError::Unreachable(format!("url: fetching {url} failed: {e}")),
            })?;
    if !res.status().is_success() {
        return Err(MediaError::Unreachable(format!(
            "url: {url} answered {}",
            res.status()
        )));
    }
    let body = res.body().limit(limit + 1).await.map_err(|e| match e {
        awc::error::PayloadError::Overflow => MediaError::TooLarge {
            size: limit + 1,
            limit,
        },
        other => MediaError::Unreachable(format!("url: reading {url} failed: {other}")),
    })?;
    if body.len() > limit {
        return Err(MediaError::TooLarge {
            size: body.len(),
            limit,
        });
    }
    let content_type = res
        .headers()
        .get(awc::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let filename = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|s| !s.is_empty() && s.contains('.'))
        .map(str::to_string);
    Ok(Fetched {
        data: body.to_vec(),
        content_type,
        filename,
    })
}
