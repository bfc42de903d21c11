//! What a key may do: no child key outlives its creator; linking a phone needs `manage`.

use actix_web::http::StatusCode;
use chrono::{Duration as Span, Utc};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

fn in_secs(secs: i64) -> String {
    (Utc::now() + Span::seconds(secs)).to_rfc3339()
}

async fn key_body(app: &TestApp, owner: &str, body: Value) -> Value {
    let r = app.key(owner, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.body
}

async fn keys_cannot_outlive_their_creator(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, owner) = app.tenant("acme").await;
    let parent = key_body(
        &app,
        &owner,
        json!({"name": "p", "scopes": ["read", "manage"], "expires_at": in_secs(3600)}),
    )
    .await;
    let parent = parent["key"].as_str().unwrap();

    let forever = app
        .key(parent, json!({"name": "forever", "scopes": ["read"]}))
        .await;
    assert_eq!(forever.problem(403), "key_outlives_creator");
    let later = app
        .key(
            parent,
            json!({"name": "later", "scopes": ["read"], "expires_at": in_secs(7200)}),
        )
        .await;
    assert_eq!(later.problem(403), "key_outlives_creator");

    let sooner = key_body(
        &app,
        parent,
        json!({"name": "sooner", "scopes": ["read"], "expires_at": in_secs(1800)}),
    )
    .await;
    assert!(sooner["expires_at"].is_string());
    // A key without expiry may still mint either kind.
    key_body(&app, &owner, json!({"name": "a", "scopes": ["read"]})).await;
    key_body(
        &app,
        &owner,
        json!({"name": "b", "scopes": ["read"], "expires_at": in_secs(60)}),
    )
    .await;
}

async fn linking_needs_manage(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, owner) = app.tenant("acme").await;
    let sid = app.session_id(&owner, "main", false).await;
    let reader = key_body(
        &app,
        &owner,
        json!({"name": "r", "scopes": ["read", "send"]}),
    )
    .await;
    let reader = reader["key"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{sid}/qr"), reader)
            .await
            .problem(403),
        "forbidden"
    );
    app.post(
        &format!("/api/v1/sessions/{sid}/pair-code"),
        reader,
        json!({"phone": "+4915100000002"}),
    )
    .await
    .problem(403);
    // The owner gets past the scope check (the stopped session shows no QR).
    app.get(&format!("/api/v1/sessions/{sid}/qr"), &owner)
        .await
        .problem(409);
}

on_both_backends!(keys_cannot_outlive_their_creator, linking_needs_manage,);
