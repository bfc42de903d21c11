use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, eventually, wait_until};
use crate::on_both_backends;
use crate::receiver::{Answer, Captured, Receiver};

/// Creates `n` sessions; each start appends one `session.status` event.
pub(crate) async fn make_events(app: &TestApp, key: &str, prefix: &str, n: usize) {
    for i in 0..n {
        app.session(key, &format!("{prefix}{i}"), true).await;
    }
}

/// The webhook's deliveries (`query` filters them, e.g. `status=failed`).
async fn deliveries(app: &TestApp, key: &str, id: &str, query: &str) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{id}/deliveries?limit=200&{query}");
    app.get(&path, key).await.data()
}

/// Waits until the webhook is disabled; the webhook.
async fn disabled(app: &TestApp, key: &str, id: &str, secs: u64) -> Value {
    let path = format!("/api/v1/webhooks/{id}");
    wait_until(secs, &format!("webhook {id} disabled"), || async {
        let w = app.get(&path, key).await.body;
        if w["enabled"] == json!(false) {
            Ok(w)
        } else {
            Err(w)
        }
    })
    .await
}

async fn event_ids(app: &TestApp, key: &str) -> BTreeSet<String> {
    app.event_ids(key).await.into_iter().collect()
}

fn ids(captured: &[Captured]) -> Vec<String> {
    captured.iter().map(|c| c.webhook_id.clone()).collect()
}

/// Verifies captured deliveries with the `standardwebhooks` package from PyPI (an implementation
/// we did not write). Returns whether every one verified under `secret`.
pub(crate) fn verify_independently(captured: &[Captured], secret: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("captured.json");
    let items: Vec<Value> = captured
        .iter()
        .map(|c| json!({"id": c.webhook_id, "ts": c.timestamp, "sig": c.signature, "body": c.body}))
        .collect();
    std::fs::write(&file, serde_json::to_string(&items).unwrap()).unwrap();
    let script = "import json, sys\nfrom standardwebhooks import Webhook\n\
        wh = Webhook(sys.argv[2])\n\
        for it in json.load(open(sys.argv[1])):\n    \
            wh.verify(it['body'], {'webhook-id': it['id'], 'webhook-timestamp': it['ts'], 'webhook-signature': it['sig']})\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, file.to_str().unwrap(), secret])
        .output()
        .expect("python3 runs (pip install standardwebhooks; .ci/run does)");
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("ModuleNotFoundError"),
            "standardwebhooks is not installed: {err}"
        );
    }
    out.status.success()
}

async fn crud_and_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let team = json!({"url": rx.url(), "events": ["session.*"], "headers": {"X-Team": "ops"}});
    let (id, secret) = app.webhook(&key, team).await;
    let secret = secret.as_str();
    assert!(secret.starts_with("whsec_"));
    let path = format!("/api/v1/webhooks/{id}");
    let got = app.get(&path, &key).await;
    assert!(got.body.get("secret").is_none() && !got.text.contains(secret));
    assert!(
        !app.get("/api/v1/webhooks", &key)
            .await
            .text
            .contains(secret)
    );
    assert_eq!(got.body["headers"], json!({"X-Team": "[REDACTED]"}));

    let patched = app
        .patch(&path, &key, json!({"events": ["*"], "ordered": true}))
        .await;
    assert_eq!(patched.body["events"], json!(["*"]));
    assert_eq!(patched.body["ordered"], json!(true));

    for bad in [
        json!({"url": "ftp://x", "events": ["*"]}),
        rx.subscribe(&[]),
        rx.subscribe(&["Bad Type"]),
        json!({"url": rx.url(), "events": ["*"], "headers": {"webhook-id": "x"}}),
        json!({"url": rx.url(), "events": ["*"], "headers": {"Content-Type": "text/plain"}}),
        json!({"url": rx.url(), "events": ["*"], "session_id": "ses_00000000000000000000000000000000"}),
        json!({"url": rx.url(), "events": ["*"], "extra": 1}),
    ] {
        app.post("/api/v1/webhooks", &key, bad).await.problem(400);
    }
    let (_t2, other) = app.tenant("other").await;
    app.get(&path, &other).await.problem(404);
    app.delete(&path, &other).await.problem(404);
    assert_eq!(app.delete(&path, &key).await.status, StatusCode::NO_CONTENT);
    app.get(&path, &key).await.problem(404);
}

async fn private_targets_are_refused_by_default(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = false).await;
    let (_t, key) = app.tenant("acme").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/x",
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://[::1]/",
    ] {
        let r = app
            .post(
                "/api/v1/webhooks",
                &key,
                json!({"url": url, "events": ["*"]}),
            )
            .await;
        assert_eq!(r.problem(400), "invalid_request", "{url}");
    }
    let public = json!({"url": "https://93.184.216.34/hook", "events": ["*"]});
    app.webhook(&key, public).await;
}

/// Signatures verify with an independent Standard Webhooks verifier, before and after rotation.
async fn deliveries_are_signed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, secret) = app
        .webhook(
            &key,
            json!({"url": rx.url(), "events": ["*"], "headers": {"X-Team": "ops"}}),
        )
        .await;
    make_events(&app, &key, "s", 3).await;
    let first = rx.received(3, 10).await;
    assert!(
        verify_independently(&first, &secret),
        "signatures must verify"
    );
    assert!(
        !verify_independently(&first, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        "a wrong secret must not verify"
    );
    let c = &first[0];
    assert!(c.headers.iter().any(|(k, v)| k == "x-team" && v == "ops"));
    let body: Value = serde_json::from_str(&c.body).unwrap();
    assert_eq!(
        body["id"].as_str().unwrap(),
        c.webhook_id,
        "webhook-id is the event id"
    );
    for field in [
        "id",
        "type",
        "tenant_id",
        "session_id",
        "created_at",
        "data",
    ] {
        assert!(body.get(field).is_some(), "envelope lacks {field}");
    }

    let new_secret = app.rotate_secret(&key, &id).await;
    make_events(&app, &key, "t", 2).await;
    let all = rx.received(5, 10).await;
    let after: Vec<Captured> = all[3..].to_vec();
    assert!(
        after.iter().all(|c| c.signature.split(' ').count() == 2),
        "both secrets sign during the grace period"
    );
    assert!(verify_independently(&after, &new_secret));
    assert!(verify_independently(&after, &secret));
}

/// The receiver is down for a while; when it comes back every event arrives exactly once.
async fn receiver_down_then_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let mut rx = Receiver::start().await;
    rx.down().await;
    let (id, _) = app.webhook(&key, rx.subscribe(&["session.status"])).await;
    make_events(&app, &key, "s", 12).await;
    let expected = event_ids(&app, &key).await;
    assert_eq!(expected.len(), 12);
    // Let every delivery fail at least once against the closed port.
    eventually(10, "failed attempts", || async {
        let all = deliveries(&app, &key, &id, "").await;
        let tried = |x: &Value| x["attempts"].as_i64().unwrap() >= 1 && x["last_error"].is_string();
        all.iter().all(tried).then_some(())
    })
    .await;
    assert!(rx.captured().is_empty());
    rx.up();
    let got = eventually(20, "all events after recovery", || async {
        let got: BTreeSet<String> = ids(&rx.captured()).into_iter().collect();
        (got == expected).then_some(got)
    })
    .await;
    assert_eq!(got, expected);
    actix_rt::time::sleep(Duration::from_millis(1500)).await;
    let all = ids(&rx.captured());
    assert_eq!(all.len(), expected.len(), "each event once: {all:?}");
    assert_eq!(
        deliveries(&app, &key, &id, "status=succeeded").await.len(),
        12
    );
}

/// 410 disables the endpoint (with a `webhook.disabled` event); a spent schedule leaves the
/// delivery failed, listed, and retriable through the API.
async fn gone_spent_and_retry(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_retry_schedule_secs = vec![1]).await;
    let (_t, key) = app.tenant("acme").await;
    let gone = Receiver::start().await;
    gone.answer(Answer::Status(410));
    let (gone_id, _) = app.webhook(&key, gone.subscribe(&["session.status"])).await;
    let flaky = Receiver::start().await;
    flaky.answer(Answer::Status(500));
    let (flaky_id, _) = app
        .webhook(&key, flaky.subscribe(&["session.status"]))
        .await;
    make_events(&app, &key, "s", 1).await;

    let w = disabled(&app, &key, &gone_id, 10).await;
    assert!(
        w["disabled_reason"].as_str().unwrap().contains("410"),
        "{w}"
    );
    let ev = eventually(10, "webhook.disabled event", || async {
        let r = app.get("/api/v1/events?types=webhook.disabled", &key).await;
        r.body["data"].as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(ev["data"]["webhook_id"], json!(gone_id));
    assert_eq!(
        gone.captured().len(),
        1,
        "a disabled endpoint is not called again"
    );

    // Two attempts (first + one retry), then failed.
    let failed = eventually(10, "delivery failed", || async {
        let failed = deliveries(&app, &key, &flaky_id, "status=failed").await;
        failed.first().cloned()
    })
    .await;
    assert_eq!(failed["attempts"], json!(2));
    assert_eq!(failed["last_status_code"], json!(500));
    assert_eq!(flaky.captured().len(), 2);

    flaky.answer(Answer::Ok);
    let did = failed["id"].as_str().unwrap();
    let retry = |did: &str| format!("/api/v1/webhooks/{flaky_id}/deliveries/{did}/retry");
    app.post(&retry(did), &key, json!({})).await.success(202);
    eventually(10, "retried delivery succeeds", || async {
        let done = deliveries(&app, &key, &flaky_id, "status=succeeded").await;
        (!done.is_empty()).then_some(())
    })
    .await;
    assert_eq!(flaky.captured().len(), 3);
    app.post(&retry("dlv_nope"), &key, json!({}))
        .await
        .problem(404);
}

async fn retry_after_is_honoured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    rx.answer(Answer::RetryAfter(429, 3));
    app.webhook(&key, rx.subscribe(&["*"])).await;
    make_events(&app, &key, "s", 1).await;
    rx.received(1, 10).await;
    rx.answer(Answer::Ok);
    let both = rx.received(2, 15).await;
    let gap = both[1].at - both[0].at;
    assert!(
        gap >= Duration::from_millis(2900),
        "Retry-After 3 s honoured, waited {gap:?}"
    );
}

/// An ordered endpoint gets one session's events strictly in order even when one fails for a while.
async fn ordered_delivery(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    rx.answer(Answer::FailFirst(2));
    app.webhook(
        &key,
        json!({"url": rx.url(), "events": ["*"], "ordered": true}),
    )
    .await;
    let sid = app.session_id(&key, "main", true).await;
    for _ in 0..3 {
        app.post(&format!("/api/v1/sessions/{sid}/stop"), &key, json!({}))
            .await;
        app.post(&format!("/api/v1/sessions/{sid}/start"), &key, json!({}))
            .await;
    }
    let expected: Vec<String> = event_ids(&app, &key).await.into_iter().collect();
    assert_eq!(expected.len(), 7);
    let delivered = eventually(40, "all delivered in order", || async {
        let mut firsts: Vec<String> = Vec::new();
        let mut seen = BTreeMap::new();
        for c in rx.captured() {
            let n = seen.entry(c.webhook_id.clone()).or_insert(0);
            *n += 1;
            if *n == 3 {
                firsts.push(c.webhook_id.clone());
            }
        }
        (firsts.len() == expected.len()).then_some(firsts)
    })
    .await;
    let mut sorted = delivered.clone();
    sorted.sort_by_key(|id| id.parse::<i64>().unwrap());
    assert_eq!(
        delivered, sorted,
        "successful deliveries follow event order"
    );
    // No event was even attempted before its predecessor succeeded.
    let attempts: Vec<i64> = ids(&rx.captured())
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    assert!(attempts.windows(2).all(|w| w[0] <= w[1]), "{attempts:?}");
}

async fn prolonged_failure_disables(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhook_disable_after_secs = 2;
        s.webhook_retry_schedule_secs = vec![1; 10];
    })
    .await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    rx.answer(Answer::Status(503));
    let (id, _) = app.webhook(&key, rx.subscribe(&["session.status"])).await;
    make_events(&app, &key, "s", 1).await;
    let w = disabled(&app, &key, &id, 15).await;
    assert!(
        w["disabled_reason"].as_str().unwrap().contains("failing"),
        "{w}"
    );
    let ev = app.get("/api/v1/events?types=webhook.disabled", &key).await;
    assert_eq!(ev.body["data"].as_array().unwrap().len(), 1);
    // Re-enabling clears the failure state.
    let re = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            &key,
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(re.body["enabled"], json!(true));
    assert_eq!(re.body["failing_since"], json!(null));
}

on_both_backends!(
    crud_and_validation,
    private_targets_are_refused_by_default,
    deliveries_are_signed,
    receiver_down_then_up,
    gone_spent_and_retry,
    retry_after_is_honoured,
    ordered_delivery,
    prolonged_failure_disables,
);
