//! Webhook rules from the hardening review: header values are secrets (sealed at rest, shown only
//! once), two rotations keep both graces, re-enabling does not flood stale deliveries unless asked,
//! and one tenant's hanging endpoint does not starve another's.

use std::time::{Duration, Instant};

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, eventually};
use crate::on_both_backends;
use crate::receiver::{Answer, Captured, Receiver};
use crate::webhooks::{make_events, verify_independently, webhook};

/// Rows written before header values were sealed hold them in clear; a start seals them.
async fn headers_stored_in_clear_are_sealed_on_start(backend: Backend) {
    use diesel::prelude::*;
    use waras::db::schema::webhooks;
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, _) = webhook(&app, &key, json!({"url": rx.url(), "events": ["*"]})).await;
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
    assert_eq!(
        shown.body["headers"],
        json!({"Authorization": "[REDACTED]"})
    );
    app.session(&key, "s", true).await;
    let got = eventually(10, "a delivery", || async {
        rx.captured().first().cloned()
    })
    .await;
    assert!(
        got.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer 0ld-t0ken")
    );
}

async fn rotate(app: &TestApp, key: &str, id: &str) -> String {
    let r = app
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["secret"].as_str().unwrap().to_string()
}

async fn two_rotations_keep_both_graces(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, first) = webhook(&app, &key, json!({"url": rx.url(), "events": ["*"]})).await;
    let second = rotate(&app, &key, &id).await;
    let third = rotate(&app, &key, &id).await;
    let sid = app.session(&key, "s", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let got: Vec<Captured> = eventually(10, "a delivery", || async {
        let c: Vec<Captured> = rx
            .captured()
            .into_iter()
            .filter(|c| c.body.contains(&sid))
            .collect();
        (!c.is_empty()).then_some(c)
    })
    .await;
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
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            key,
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// An endpoint fails, is disabled with deliveries pending, then its receiver recovers.
async fn disabled_with_backlog(app: &TestApp, key: &str, rx: &Receiver) -> (String, usize) {
    rx.answer(Answer::Status(500));
    let (id, _) = webhook(app, key, json!({"url": rx.url(), "events": ["*"]})).await;
    make_events(app, key, "old", 3).await;
    eventually(10, "failed first attempts", || async {
        (rx.captured().len() >= 3).then_some(())
    })
    .await;
    patch(app, key, &id, json!({"enabled": false})).await;
    rx.answer(Answer::Ok);
    // Past every retry time: all of it would be due at once.
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    let pending = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries?status=pending"),
            key,
        )
        .await;
    let n = pending.body["data"].as_array().unwrap().len();
    assert!(n >= 3, "{}", pending.text);
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
    let fresh = app.session(&key, "fresh", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    eventually(10, "the new event", || async {
        rx.captured()
            .iter()
            .any(|c| c.body.contains(&fresh))
            .then_some(())
    })
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
    let skipped = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries?status=failed"),
            &key,
        )
        .await;
    assert!(
        skipped.body["data"].as_array().unwrap().len() >= 3,
        "{}",
        skipped.text
    );
}

async fn reenabling_with_replay_delivers_the_backlog(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let rx = Receiver::start().await;
    let (id, _) = disabled_with_backlog(&app, &key, &rx).await;
    patch(&app, &key, &id, json!({"enabled": true, "replay": true})).await;
    eventually(10, "the backlog", || async {
        let left = app
            .get(
                &format!("/api/v1/webhooks/{id}/deliveries?status=pending"),
                &key,
            )
            .await;
        left.body["data"]
            .as_array()
            .is_some_and(|a| a.is_empty())
            .then_some(())
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
    let (slow, _) = webhook(&app, &key_a, json!({"url": hanging.url(), "events": ["*"]})).await;
    webhook(&app, &key_b, json!({"url": prompt.url(), "events": ["*"]})).await;
    make_events(&app, &key_a, "a", 8).await;
    let in_flight = format!("/api/v1/webhooks/{slow}/deliveries?status=delivering");
    eventually(10, "tenant A's calls hanging", || async {
        let r = app.get(&in_flight, &key_a).await;
        (r.body["data"].as_array().map_or(0, Vec::len) >= 2).then_some(())
    })
    .await;
    let started = Instant::now();
    app.session(&key_b, "b", true).await;
    eventually(10, "tenant B's delivery", || async {
        (!prompt.captured().is_empty()).then_some(())
    })
    .await;
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
    let created = app
        .post(
            "/api/v1/webhooks",
            &key,
            json!({"url": rx.url(), "events": ["*"], "headers": {"Authorization": token, "X-Team": "ops"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["headers"]["Authorization"], json!(token));
    let id = created.body["id"].as_str().unwrap().to_string();
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
    let got = eventually(10, "a delivery", || async {
        rx.captured().first().cloned()
    })
    .await;
    assert!(
        got.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == token)
    );

    // What GET shows can be sent back: `[REDACTED]` keeps the value, a new value replaces it.
    let patched = app
        .call(
            Method::PATCH,
            &path,
            &key,
            Some(json!({"headers": {"Authorization": "[REDACTED]", "X-Team": "dev"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["headers"], redacted);
    assert!(!patched.text.contains("dev"));
    let later = app.session(&key, "t", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = eventually(10, "a delivery after the change", || async {
        rx.captured().into_iter().find(|c| c.body.contains(&later))
    })
    .await;
    let header = |n: &str| {
        second
            .headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("authorization").as_deref(), Some(token));
    assert_eq!(header("x-team").as_deref(), Some("dev"));
    app.call(
        Method::PATCH,
        &path,
        &key,
        Some(json!({"headers": {"X-New": "[REDACTED]"}})),
    )
    .await
    .problem(400);
}

on_both_backends!(
    webhook_header_values_are_secrets,
    headers_stored_in_clear_are_sealed_on_start,
    two_rotations_keep_both_graces,
    reenabling_does_not_flood_stale_deliveries,
    reenabling_with_replay_delivers_the_backlog,
    a_hanging_tenant_does_not_starve_another,
);
