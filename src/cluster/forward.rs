//! Instance-to-instance calls: an [`Order`] for a session owned elsewhere goes to the owner's
//! advertise URL under `/internal/`, signed with the cluster secret (HMAC-SHA256 over the path,
//! a timestamp and the body); the owner checks the signature and the timestamp's freshness.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::{Answer, CommandError, Order};

/// The route every instance serves for the others (never under the public `/api/`).
pub const ORDER_PATH: &str = "/internal/v1/sessions/{session_id}/orders";
pub const SIGNATURE_HEADER: &str = "x-waras-cluster-signature";
pub const TIMESTAMP_HEADER: &str = "x-waras-cluster-timestamp";
/// How far a signed call's timestamp may be from the receiver's clock.
const MAX_SKEW_SECS: i64 = 30;
/// Longer than the longest order (a live command may take 30 s, a delete's unlink 20 s).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(45);

fn order_path(session_id: &str) -> String {
    ORDER_PATH.replace("{session_id}", session_id)
}

fn mac(secret: &[u8; 32], path: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

/// Whether a call to `path` carries a valid, fresh signature.
pub fn verify(
    secret: &[u8; 32],
    path: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else {
        return false;
    };
    if (crate::db::now_ms() / 1000 - ts).abs() > MAX_SKEW_SECS {
        return false;
    }
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    mac(secret, path, ts, body).verify_slice(&given).is_ok()
}

/// Sends the order to the instance at `base_url` and returns its answer.
pub async fn forward(
    secret: &[u8; 32],
    base_url: &str,
    session_id: &str,
    order: &Order,
) -> Result<Answer, CommandError> {
    let path = order_path(session_id);
    let body = serde_json::to_vec(order).map_err(CommandError::internal)?;
    let ts = crate::db::now_ms() / 1000;
    let signature = hex::encode(mac(secret, &path, ts, &body).finalize().into_bytes());
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let client = awc::Client::builder().timeout(FORWARD_TIMEOUT).finish();
    let mut res = client
        .post(&url)
        .insert_header(("content-type", "application/json"))
        .insert_header((SIGNATURE_HEADER, signature))
        .insert_header((TIMESTAMP_HEADER, ts.to_string()))
        .send_body(body)
        .await
        .map_err(|e| CommandError::Unreachable(e.to_string()))?;
    if !res.status().is_success() {
        return Err(CommandError::Unreachable(format!(
            "the owner answered HTTP {}",
            res.status()
        )));
    }
    let answer: Result<Answer, CommandError> = res
        .json()
        .limit(256 * 1024 * 1024)
        .await
        .map_err(|e| CommandError::Unreachable(format!("unreadable answer: {e}")))?;
    answer
}
