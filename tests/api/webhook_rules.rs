//! Webhook rules from the hardening review: header values are secrets (sealed at rest, shown only
//! once), two rotations keep both graces, re-enabling does not flood stale deliveries unless asked,
//! and one tenant's hanging endpoint does not starve another's.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, eventually};
use crate::on_both_backends;
use crate::receiver::{Answer, Captured, Receiver};
use crate::webhooks::{make_events, verify_independently};

/// Rows written before header values were sealed hold them in clear; a start seals them.
async fn headers_stored_in_clear_are_sealed_on_start(backend: Backend) {
    use diesel::prelude::*;
    use waras::db::schema::webhooks;
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, _) = app.webhook(&key, rx.subscribe(&["*"])).await;
    let legacy = r#"{"Authorization":"Bearer 0ld-t0ken"}"#;
    let target = id.clone();
    app.running()
        .db
        .run(move |pool| {
            waras::with_conn!(pool, |conn| {
                diesel::update(webhooks::table.find(&target))
                    .set(webhooks::headers.eq(legacy))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
        .unwrap();
    let app = app.restart().await;
    let at_rest = stored_headers(&app, &id).await;
    assert!(!at_rest.contains("0ld-t0ken"), "still in clear: {at_rest}");
    let shown = app.get(&format!("/api/v1/webhooks/{id}"), &key).await;
    let redacted = json!({"Authorization": "[REDACTED]"});
    assert_eq!(shown.body["headers"], redacted);
    app.session(&key, "s", true).await;
    let got = rx.received(1, 10).await;
    assert_eq!(got[0].header("authorization"), Some("Bearer 0ld-t0ken"));
}

async fn two_rotations_keep_both_graces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, first) = app.webhook(&key, rx.subscribe(&["*"])).await;
    let second = app.rotate_secret(&key, &id).await;
    let third = app.rotate_secret(&key, &id).await;
    let sid = app.session_id(&key, "s", true).await;
    let got = rx.received_matching(1, 10, |c| c.body.contains(&sid)).await;
    assert_eq!(
        got[0].signature.split(' ').count(),
        3,
        "{}",
        got[0].signature
    );
    for secret in [&third, &second, &first] {
        assert!(
            verify_independently(&got, secret),
            "every secret in its grace period signs"
        );
    }
}

async fn patch(app: &TestApp, key: &str, id: &str, body: Value) -> Value {
    let path = format!("/api/v1/webhooks/{id}");
    app.patch(&path, key, body).await.success(200)
}

/// The webhook's deliveries with this status.
async fn deliveries(app: &TestApp, key: &str, id: &str, status: &str) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{id}/deliveries?status={status}");
    app.get(&path, key).await.data()
}

/// An endpoint fails, is disabled with deliveries pending, then its receiver recovers.
async fn disabled_with_backlog(app: &TestApp, key: &str, rx: &Receiver) -> (String, usize) {
    rx.answer(Answer::Status(500));
    let (id, _) = app.webhook(key, rx.subscribe(&["*"])).await;
    make_events(app, key, "old", 3).await;
    rx.received(3, 10).await;
    patch(app, key, &id, json!({"enabled": false})).await;
    rx.answer(Answer::Ok);
    // Past every retry time: all of it would be due at once.
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    let pending = deliveries(app, key, &id, "pending").await;
    assert!(pending.len() >= 3, "{pending:?}");
    (id, rx.captured().len())
}

async fn last_event_id(app: &TestApp, key: &str) -> i64 {
    let mut last = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/events?limit=200{cursor}"), key)
            .await;
        for e in page.body["data"].as_array().unwrap() {
            last = last.max(e["id"].as_str().unwrap().parse::<i64>().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return last,
        }
    }
}

async fn reenabling_does_not_flood_stale_deliveries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, before) = disabled_with_backlog(&app, &key, &rx).await;
    let last_old = last_event_id(&app, &key).await;
    let enabled = patch(&app, &key, &id, json!({"enabled": true})).await;
    assert_eq!(enabled["enabled"], json!(true));
    let fresh = app.session_id(&key, "fresh", true).await;
    rx.received_matching(1, 10, |c| c.body.contains(&fresh))
        .await;
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    let stale: Vec<Captured> = rx.captured()[before..]
        .iter()
        .filter(|c| c.webhook_id.parse::<i64>().unwrap() <= last_old)
        .cloned()
        .collect();
    assert!(
        stale.is_empty(),
        "{} stale deliveries sent on re-enable",
        stale.len()
    );
    let skipped = deliveries(&app, &key, &id, "failed").await;
    assert!(skipped.len() >= 3, "{skipped:?}");
}

async fn reenabling_with_replay_delivers_the_backlog(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, _) = disabled_with_backlog(&app, &key, &rx).await;
    patch(&app, &key, &id, json!({"enabled": true, "replay": true})).await;
    eventually(10, "the backlog", || async {
        let left = deliveries(&app, &key, &id, "pending").await;
        left.is_empty().then_some(())
    })
    .await;
}

async fn a_hanging_tenant_does_not_starve_another(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhook_concurrency = 4;
        s.webhook_tenant_concurrency = 2;
        s.webhook_timeout_secs = 10;
    })
    .await;
    let (_a, key_a) = app.tenant("slow").await;
    let (_b, key_b) = app.tenant("fast").await;
    let hanging = Receiver::start().await;
    hanging.delay(Duration::from_secs(30));
    let prompt = Receiver::start().await;
    let (slow, _) = app.webhook(&key_a, hanging.subscribe(&["*"])).await;
    app.webhook(&key_b, prompt.subscribe(&["*"])).await;
    make_events(&app, &key_a, "a", 8).await;
    eventually(10, "tenant A's calls hanging", || async {
        (deliveries(&app, &key_a, &slow, "delivering").await.len() >= 2).then_some(())
    })
    .await;
    let started = Instant::now();
    app.session(&key_b, "b", true).await;
    prompt.received(1, 10).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "tenant B waited {:?} behind tenant A",
        started.elapsed()
    );
}

/// The `headers` column of a webhook, as stored.
async fn stored_headers(app: &TestApp, id: &str) -> String {
    use diesel::prelude::*;
    use waras::db::schema::webhooks;
    let id = id.to_string();
    app.running()
        .db
        .run(move |pool| {
            waras::with_conn!(pool, |conn| {
                Ok(webhooks::table
                    .find(&id)
                    .select(webhooks::headers)
                    .first::<String>(conn)?)
            })
        })
        .await
        .unwrap()
}

async fn webhook_header_values_are_secrets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let token = "Bearer s3cr3t-t0ken";
    let headers = json!({"Authorization": token, "X-Team": "ops"});
    let hook = json!({"url": rx.url(), "events": ["*"], "headers": headers});
    let created = app.post("/api/v1/webhooks", &key, hook).await.success(201);
    assert_eq!(created["headers"]["Authorization"], json!(token));
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/webhooks/{id}");

    let redacted = json!({"Authorization": "[REDACTED]", "X-Team": "[REDACTED]"});
    assert_eq!(app.get(&path, &key).await.body["headers"], redacted);
    let listed = app.get("/api/v1/webhooks", &key).await;
    assert!(!listed.text.contains("s3cr3t"), "{}", listed.text);
    assert_eq!(listed.body["data"][0]["headers"], redacted);
    let at_rest = stored_headers(&app, &id).await;
    assert!(
        !at_rest.contains("s3cr3t") && !at_rest.contains("ops"),
        "stored in clear: {at_rest}"
    );

    // Deliveries carry the real values.
    app.session(&key, "s", true).await;
    let got = rx.received(1, 10).await;
    assert_eq!(got[0].header("authorization"), Some(token));

    // What GET shows can be sent back: `[REDACTED]` keeps the value, a new value replaces it.
    let kept = json!({"headers": {"Authorization": "[REDACTED]", "X-Team": "dev"}});
    let patched = app.patch(&path, &key, kept).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["headers"], redacted);
    assert!(!patched.text.contains("dev"));
    let later = app.session_id(&key, "t", true).await;
    let second = rx
        .received_matching(1, 10, |c| c.body.contains(&later))
        .await;
    assert_eq!(second[0].header("authorization"), Some(token));
    assert_eq!(second[0].header("x-team"), Some("dev"));
    let unknown = json!({"headers": {"X-New": "[REDACTED]"}});
    app.patch(&path, &key, unknown).await.problem(400);
}

on_both_backends!(
    webhook_header_values_are_secrets,
    headers_stored_in_clear_are_sealed_on_start,
    two_rotations_keep_both_graces,
    reenabling_does_not_flood_stale_deliveries,
    reenabling_with_replay_delivers_the_backlog,
    a_hanging_tenant_does_not_starve_another,
);
