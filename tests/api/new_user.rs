//! What a new user meets first: a session against an endpoint that cannot be reached says so in
//! `status_reason`, and with no version pinned a session still gets through (no internet needed).

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Backend, TestApp, TestDatabase};
use crate::on_both_backends;

async fn wait_for(
    app: &TestApp,
    key: &str,
    sid: &str,
    secs: u64,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = app.get(&format!("/api/v1/sessions/{sid}"), key).await.body;
        if want(&s) {
            return s;
        }
        assert!(std::time::Instant::now() < deadline, "never got there: {s}");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Nothing listens at the test settings' `wa_url`.
async fn unreachable_whatsapp_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("acme").await;
    let sid = app.session(&key, "main", true).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let s = wait_for(&app, &key, &sid, 60, |s| !s["status_reason"].is_null()).await;
    assert_eq!(s["status"], json!("STARTING"), "{s}");
    assert_eq!(s["status_reason"], json!("connection_failed"), "{s}");
    let r = app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=session.status"),
            &key,
        )
        .await;
    // Shown on the session, not raised as a transition: the status did not change.
    assert!(
        r.body["data"]
            .as_array()
            .is_some_and(|a| a.iter().all(|e| e["data"]["reason"].is_null())),
        "{}",
        r.text
    );
}

#[cfg(feature = "sandbox")]
async fn unpinned_version_reaches_the_sandbox(backend: Backend) {
    let sandbox = crate::sandboxed::start_sandbox().await;
    let live = crate::sandboxed::live_with(TestDatabase::create(backend), sandbox, None, |s| {
        s.wa_version = String::new();
    })
    .await;
    let sid = live.app.session(&live.key, "main", true).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    live.wait_status(&sid, "SCAN_QR", 30).await;
}

on_both_backends!(unreachable_whatsapp_is_explained);

#[cfg(feature = "sandbox")]
mod with_sandbox {
    use super::*;
    on_both_backends!(unpinned_version_reaches_the_sandbox);
}
