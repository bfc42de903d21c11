use actix_web::http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::common::{ADMIN_KEY, Backend, TestApp, eventually};
use crate::on_both_backends;

async fn key_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_tenant, owner) = app.tenant("acme").await;

    // Shape: waras_ + at least 32 base62 characters, shown once.
    let created = app
        .key(&owner, json!({"name": "reader", "scopes": ["read"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["key"].as_str().unwrap().to_string();
    let random = secret.strip_prefix("waras_").expect("waras_ prefix");
    assert!(
        random.len() >= 32 && random.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{secret}"
    );
    assert_eq!(created.body["scopes"], json!(["read"]));
    assert!(secret.starts_with(created.body["prefix"].as_str().unwrap()));
    let key_id = created.body["id"].as_str().unwrap().to_string();

    // Listing and reading never show the secret.
    let list = app.get("/api/v1/keys", &owner).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains(&secret));
    let listed = list.data();
    assert!(
        listed.iter().all(|k| k.get("key").is_none()),
        "{}",
        list.text
    );
    assert!(
        listed.iter().any(|k| k["id"] == json!(key_id)),
        "{}",
        list.text
    );

    // Stored as SHA-256 only.
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    let stored = app
        .running()
        .db
        .run(move |pool| waras::db::keys::find_by_hash_with_suspension(pool, &hash))
        .await
        .unwrap()
        .map(|(row, _)| row);
    assert_eq!(stored.expect("row by hash").id, key_id);

    // Both header forms work; last use is recorded.
    assert_eq!(
        app.get("/api/v1/sessions", &secret).await.status,
        StatusCode::OK
    );
    let bearer = app
        .client
        .get(format!("{}/api/v1/sessions", app.base))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let path = format!("/api/v1/keys/{key_id}");
    eventually(5, "last_used_at", || async {
        let k = app.get(&path, &owner).await;
        k.body["last_used_at"].as_str().map(|_| ())
    })
    .await;

    // Revocation takes effect at once.
    assert_eq!(
        app.delete(&path, &owner).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/sessions", &secret).await.problem(401),
        "unauthorized"
    );
    app.get(&path, &owner).await.problem(404);
    app.delete(&path, &owner).await.problem(404);

    // Expiry.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let expiring = app
        .key(
            &owner,
            json!({"name": "short", "scopes": ["read"], "expires_at": soon}),
        )
        .await;
    assert_eq!(expiring.status, StatusCode::CREATED, "{}", expiring.text);
    let short = expiring.body["key"].as_str().unwrap().to_string();
    assert_eq!(
        app.get("/api/v1/sessions", &short).await.status,
        StatusCode::OK
    );
    eventually(5, "expiry", || async {
        (app.get("/api/v1/sessions", &short).await.status == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
    let past = (chrono::Utc::now() - chrono::Duration::seconds(10)).to_rfc3339();
    app.key(
        &owner,
        json!({"name": "past", "scopes": ["read"], "expires_at": past}),
    )
    .await
    .problem(400);
}

async fn scopes_are_enforced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_tenant, owner) = app.tenant("acme").await;
    let session = app.session(&owner, "main", false).await;
    let sid = session["id"].as_str().unwrap();
    let reader = app
        .new_key(&owner, json!({"name": "r", "scopes": ["read"]}))
        .await;
    let sender = app
        .new_key(&owner, json!({"name": "s", "scopes": ["send"]}))
        .await;

    assert_eq!(
        app.get("/api/v1/sessions", &reader).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{sid}"), &reader)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/v1/sessions", &reader, json!({"name": "x"}))
            .await
            .problem(403),
        "forbidden"
    );
    app.post(&format!("/api/v1/sessions/{sid}/start"), &reader, json!({}))
        .await
        .problem(403);
    app.delete(&format!("/api/v1/sessions/{sid}"), &reader)
        .await
        .problem(403);
    app.key(&reader, json!({"name": "x", "scopes": ["read"]}))
        .await
        .problem(403);
    app.get("/api/v1/sessions", &sender).await.problem(403);
    app.get("/api/v1/events", &sender).await.problem(403);

    // A key never grants more than it has.
    let manager = app
        .new_key(&owner, json!({"name": "m", "scopes": ["read", "manage"]}))
        .await;
    app.key(&manager, json!({"name": "x", "scopes": ["send"]}))
        .await
        .problem(403);
    assert_eq!(
        app.key(&manager, json!({"name": "x", "scopes": ["read"]}))
            .await
            .status,
        StatusCode::CREATED
    );

    // Admin and tenant keys stay in their lanes; missing and bogus keys are 401.
    app.get("/api/v1/sessions", ADMIN_KEY).await.problem(403);
    app.get("/api/v1/tenants", &owner).await.problem(403);
    app.raw(Method::GET, "/api/v1/sessions", None, None)
        .await
        .problem(401);
    app.get(
        "/api/v1/sessions",
        "waras_notakeyatall000000000000000000000000",
    )
    .await
    .problem(401);
    app.get("/api/v1/sessions", "garbage").await.problem(401);
}

async fn session_scoped_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_tenant, owner) = app.tenant("acme").await;
    let a = app.session_id(&owner, "a", false).await;
    let b = app.session_id(&owner, "b", false).await;
    let scoped = app
        .key(
            &owner,
            json!({"name": "only-a", "scopes": ["read", "manage"], "session_id": a}),
        )
        .await;
    assert_eq!(scoped.status, StatusCode::CREATED, "{}", scoped.text);
    assert_eq!(scoped.body["session_id"], json!(a));
    let k = scoped.body["key"].as_str().unwrap().to_string();

    assert_eq!(
        app.get(&format!("/api/v1/sessions/{a}"), &k).await.status,
        StatusCode::OK
    );
    app.get(&format!("/api/v1/sessions/{b}"), &k)
        .await
        .problem(403);
    app.post(&format!("/api/v1/sessions/{b}/start"), &k, json!({}))
        .await
        .problem(403);
    let list = app.get("/api/v1/sessions", &k).await;
    let ids: Vec<_> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(a)]);
    app.post("/api/v1/sessions", &k, json!({"name": "c"}))
        .await
        .problem(403);
    assert_eq!(
        app.post(&format!("/api/v1/sessions/{a}/start"), &k, json!({}))
            .await
            .status,
        StatusCode::OK
    );

    // Keys it creates inherit its restriction and cannot escape it.
    let child = app
        .key(&k, json!({"name": "child", "scopes": ["read"]}))
        .await;
    assert_eq!(child.body["session_id"], json!(a), "{}", child.text);
    app.key(
        &k,
        json!({"name": "escape", "scopes": ["read"], "session_id": b}),
    )
    .await
    .problem(403);
    // Events are narrowed to its session.
    app.get(&format!("/api/v1/events?session_id={b}"), &k)
        .await
        .problem(403);
    let events = app.get("/api/v1/events", &k).await;
    let seen = events.data();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|e| e["session_id"] == json!(a)),
        "{}",
        events.text
    );
    // It sees only keys of its own session.
    let keys = app.get("/api/v1/keys", &k).await;
    assert!(
        keys.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["session_id"] == json!(a))
    );
}

on_both_backends!(key_lifecycle, scopes_are_enforced, session_scoped_keys);
