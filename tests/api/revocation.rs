//! Revocation reaches open event streams: a revoked or expired key, or a deleted tenant, closes
//! them within seconds with a reason; a ticket dies with the key that minted it.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use awc::ws::Frame;
use futures_util::StreamExt;
use serde_json::json;

use crate::common::{ADMIN_KEY, Backend, Socket, TestApp};
use crate::on_both_backends;

/// Waits up to `secs` for the server's close frame; returns its reason and when it came.
async fn closed_with(socket: &mut Socket, secs: u64) -> (String, Instant) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = actix_rt::time::timeout(left, socket.next())
            .await
            .unwrap_or_else(|_| panic!("the stream stayed open for {secs} s"));
        match frame {
            Some(Ok(Frame::Close(reason))) => {
                let reason = reason.and_then(|r| r.description).unwrap_or_default();
                return (reason, Instant::now());
            }
            Some(Ok(_)) => {}
            other => panic!("stream ended without a close frame: {other:?}"),
        }
    }
}

/// Opens a stream and checks it is live (the key works) before the test withdraws the key.
async fn live_stream(app: &TestApp, key: &str) -> Socket {
    let mut socket = app.event_stream("", Some(key)).await.expect("stream opens");
    let quiet = actix_rt::time::timeout(Duration::from_millis(1500), socket.next()).await;
    assert!(
        !matches!(quiet, Ok(Some(Ok(Frame::Close(_))))),
        "a valid key keeps its stream open"
    );
    socket
}

async fn child_key(app: &TestApp, owner: &str, body: serde_json::Value) -> (String, String) {
    let r = app.key(owner, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["key"].as_str().unwrap().to_string(),
    )
}

/// Waits for the stream to close; asserts it closed within 3 s of `since`, for a reason that
/// names `why`.
async fn closed_soon(socket: &mut Socket, since: Instant, why: &str) {
    let (reason, at) = closed_with(socket, 5).await;
    assert!(
        at - since <= Duration::from_secs(3),
        "closed after {:?}",
        at - since
    );
    assert!(reason.contains(why), "reason: {reason:?}");
}

async fn revoked_key_closes_its_streams(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, owner) = app.tenant("acme").await;
    let (id, key) = child_key(&app, &owner, json!({"name": "ro", "scopes": ["read"]})).await;
    let mut socket = live_stream(&app, &key).await;
    let mut other = live_stream(&app, &owner).await;
    let revoked_at = Instant::now();
    app.delete(&format!("/api/v1/keys/{id}"), &owner)
        .await
        .success(204);
    closed_soon(&mut socket, revoked_at, "revoked").await;
    // Another key's stream is untouched.
    let quiet = actix_rt::time::timeout(Duration::from_millis(1500), other.next()).await;
    assert!(!matches!(quiet, Ok(Some(Ok(Frame::Close(_))))));
}

async fn deleted_tenant_closes_its_streams(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, owner) = app.tenant("acme").await;
    let mut socket = live_stream(&app, &owner).await;
    let deleted_at = Instant::now();
    let path = format!("/api/v1/tenants/{tenant}");
    app.delete(&path, ADMIN_KEY).await.success(204);
    closed_soon(&mut socket, deleted_at, "tenant").await;
}

async fn expiring_key_closes_its_stream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, owner) = app.tenant("acme").await;
    let expires = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    let (_id, key) = child_key(
        &app,
        &owner,
        json!({"name": "brief", "scopes": ["read"], "expires_at": expires.to_rfc3339()}),
    )
    .await;
    let mut socket = live_stream(&app, &key).await;
    let (reason, _) = closed_with(&mut socket, 6).await;
    let late = chrono::Utc::now() - expires;
    assert!(
        late <= chrono::Duration::seconds(3),
        "closed {late} after the expiry"
    );
    assert!(reason.contains("expired"), "reason: {reason:?}");
}

async fn ticket_dies_with_its_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, owner) = app.tenant("acme").await;
    let (id, key) = child_key(&app, &owner, json!({"name": "ro", "scopes": ["read"]})).await;
    let ticket = |key: String| {
        let app = &app;
        async move {
            let t = app.post("/api/v1/events/ws-ticket", &key, json!({})).await;
            assert_eq!(t.status, StatusCode::OK, "{}", t.text);
            t.body["ticket"].as_str().unwrap().to_string()
        }
    };
    let unused = ticket(key.clone()).await;
    let used = ticket(key.clone()).await;
    let mut socket = app
        .event_stream(&format!("?ticket={used}"), None)
        .await
        .expect("a fresh ticket opens the stream");
    app.delete(&format!("/api/v1/keys/{id}"), &owner).await;
    assert_eq!(
        app.stream_refused(&format!("?ticket={unused}"), None).await,
        StatusCode::UNAUTHORIZED,
        "a ticket minted by a key revoked since is refused"
    );
    let (reason, _) = closed_with(&mut socket, 5).await;
    assert!(reason.contains("revoked"), "reason: {reason:?}");
}

on_both_backends!(
    revoked_key_closes_its_streams,
    deleted_tenant_closes_its_streams,
    expiring_key_closes_its_stream,
    ticket_dies_with_its_key,
);
