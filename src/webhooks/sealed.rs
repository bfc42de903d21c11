//! What a webhook keeps sealed under the master key, and its formats at rest:
//!
//! * `secret_sealed`: the current signing secret (`whsec_…`), AAD = the webhook id.
//! * `previous_secret_sealed`: the rotated-out secrets still in their grace period, AAD = the
//!   webhook id. Its plaintext is a JSON list `[{"secret","until"}]`; rows written before that
//!   hold one bare `whsec_…` whose end is `previous_secret_expires_at`. The column keeps the
//!   latest `until`.
//! * `headers`: the custom headers, AAD = `<webhook id>:headers`, plaintext a JSON object. A value
//!   starting with `{` is a plaintext object (rows from before sealing, or no headers at all).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::crypto::{OpenError, Sealer};
use crate::db::webhooks::{self, WebhookRow};
use crate::db::{DbPool, DbResult};

/// Shown instead of a custom header's value: values are secrets (tokens, passwords).
pub const REDACTED: &str = "[REDACTED]";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Retired {
    secret: String,
    until: i64,
}

pub fn headers_aad(webhook_id: &str) -> Vec<u8> {
    format!("{webhook_id}:headers").into_bytes()
}

/// The stored form of `headers`: sealed unless there are none.
pub fn seal_headers(
    sealer: &Sealer,
    webhook_id: &str,
    headers: &BTreeMap<String, String>,
) -> String {
    if headers.is_empty() {
        return "{}".into();
    }
    let json = serde_json::to_vec(headers).unwrap_or_default();
    sealer.seal(&json, &headers_aad(webhook_id))
}

/// The custom headers with their values, from either stored form.
pub fn open_headers(
    sealer: &Sealer,
    row: &WebhookRow,
) -> Result<BTreeMap<String, String>, OpenError> {
    let plain = if row.headers.trim_start().starts_with('{') {
        row.headers.as_bytes().to_vec()
    } else {
        sealer.open(&row.headers, &headers_aad(&row.id))?
    };
    serde_json::from_slice(&plain).map_err(|_| OpenError)
}

/// Seals the custom headers of rows stored before values were sealed; returns how many. Runs at
/// startup, so no header value stays readable in the database after an upgrade.
pub fn seal_plaintext_rows(pool: &DbPool, sealer: &Sealer) -> DbResult<usize> {
    let mut sealed = 0;
    for row in webhooks::with_plaintext_headers(pool)? {
        let Ok(headers) = open_headers(sealer, &row) else {
            log::error!("webhook {}: stored headers are not a JSON object", row.id);
            continue;
        };
        let new = seal_headers(sealer, &row.id, &headers);
        if webhooks::replace_headers(pool, &row.id, &row.headers, &new)? {
            sealed += 1;
        }
    }
    Ok(sealed)
}

/// The header names with every value replaced by [`REDACTED`].
pub fn redacted_headers(sealer: &Sealer, row: &WebhookRow) -> BTreeMap<String, String> {
    match open_headers(sealer, row) {
        Ok(h) => h.into_keys().map(|k| (k, REDACTED.to_string())).collect(),
        Err(e) => {
            log::error!("webhook {}: headers: {e}", row.id);
            BTreeMap::new()
        }
    }
}

fn open_retired(sealer: &Sealer, row: &WebhookRow) -> Vec<Retired> {
    let Some(sealed) = &row.previous_secret_sealed else {
        return Vec::new();
    };
    let plain = match sealer.open(sealed, row.id.as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            log::error!("webhook {}: previous secrets: {e}", row.id);
            return Vec::new();
        }
    };
    match serde_json::from_slice::<Vec<Retired>>(&plain) {
        Ok(list) => list,
        // The format of rows rotated before lists: one secret, its end in its own column.
        Err(_) => vec![Retired {
            secret: String::from_utf8_lossy(&plain).into_owned(),
            until: row.previous_secret_expires_at.unwrap_or(0),
        }],
    }
}

/// The current secret first, then every rotated-out one still in its grace period at `now`.
pub fn signing_secrets(sealer: &Sealer, row: &WebhookRow, now: i64) -> Vec<String> {
    let mut out = Vec::new();
    match sealer.open(&row.secret_sealed, row.id.as_bytes()) {
        Ok(s) => out.push(String::from_utf8_lossy(&s).into_owned()),
        Err(e) => log::error!("webhook {}: {e}", row.id),
    }
    out.extend(
        open_retired(sealer, row)
            .into_iter()
            .filter(|r| r.until > now)
            .map(|r| r.secret),
    );
    out
}

/// Makes `new_secret` current; the outgoing one signs along until `until`, and so do the ones
/// retired earlier until their own ends (a second rotation must not cut the first one's grace).
pub fn rotate(
    sealer: &Sealer,
    row: &mut WebhookRow,
    new_secret: &str,
    now: i64,
    until: i64,
) -> Result<(), OpenError> {
    let current = sealer.open(&row.secret_sealed, row.id.as_bytes())?;
    let mut retired: Vec<Retired> = open_retired(sealer, row)
        .into_iter()
        .filter(|r| r.until > now)
        .collect();
    retired.insert(
        0,
        Retired {
            secret: String::from_utf8_lossy(&current).into_owned(),
            until,
        },
    );
    let json = serde_json::to_vec(&retired).map_err(|_| OpenError)?;
    row.previous_secret_sealed = Some(sealer.seal(&json, row.id.as_bytes()));
    row.previous_secret_expires_at = retired.iter().map(|r| r.until).max();
    row.secret_sealed = sealer.seal(new_secret.as_bytes(), row.id.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sealer: &Sealer, secret: &str) -> WebhookRow {
        WebhookRow {
            id: "whk_1".into(),
            tenant_id: "ten_1".into(),
            session_id: None,
            url: "https://example.com/".into(),
            event_types: "[\"*\"]".into(),
            headers: "{}".into(),
            secret_sealed: sealer.seal(secret.as_bytes(), b"whk_1"),
            previous_secret_sealed: None,
            previous_secret_expires_at: None,
            ordered: false,
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn two_rotations_keep_both_graces() {
        let s = Sealer::new(&[1u8; 32], "webhook-secret");
        let mut w = row(&s, "whsec_a");
        rotate(&s, &mut w, "whsec_b", 1_000, 11_000).unwrap();
        rotate(&s, &mut w, "whsec_c", 2_000, 12_000).unwrap();
        assert_eq!(
            signing_secrets(&s, &w, 3_000),
            ["whsec_c", "whsec_b", "whsec_a"]
        );
        assert_eq!(signing_secrets(&s, &w, 11_500), ["whsec_c", "whsec_b"]);
        assert_eq!(signing_secrets(&s, &w, 12_000), ["whsec_c"]);
        assert_eq!(w.previous_secret_expires_at, Some(12_000));
    }

    #[test]
    fn rows_rotated_before_lists_still_sign() {
        let s = Sealer::new(&[1u8; 32], "webhook-secret");
        let mut w = row(&s, "whsec_b");
        w.previous_secret_sealed = Some(s.seal(b"whsec_a", b"whk_1"));
        w.previous_secret_expires_at = Some(5_000);
        assert_eq!(signing_secrets(&s, &w, 4_000), ["whsec_b", "whsec_a"]);
        assert_eq!(signing_secrets(&s, &w, 5_000), ["whsec_b"]);
        rotate(&s, &mut w, "whsec_c", 4_000, 9_000).unwrap();
        assert_eq!(
            signing_secrets(&s, &w, 4_500),
            ["whsec_c", "whsec_b", "whsec_a"]
        );
    }

    #[test]
    fn headers_are_sealed_and_plaintext_rows_still_read() {
        let s = Sealer::new(&[1u8; 32], "webhook-secret");
        let mut w = row(&s, "whsec_a");
        let h = BTreeMap::from([("Authorization".to_string(), "Bearer t0ps3cret".to_string())]);
        w.headers = seal_headers(&s, &w.id, &h);
        assert!(!w.headers.contains("t0ps3cret") && !w.headers.contains("Authorization"));
        assert_eq!(open_headers(&s, &w).unwrap(), h);
        assert_eq!(redacted_headers(&s, &w)["Authorization"], REDACTED);
        w.headers = r#"{"X-Team":"ops"}"#.into();
        assert_eq!(open_headers(&s, &w).unwrap()["X-Team"], "ops");
        w.id = "whk_2".into();
        w.headers = seal_headers(&s, "whk_1", &h);
        assert!(open_headers(&s, &w).is_err(), "bound to its webhook");
    }
}
