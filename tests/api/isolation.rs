use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

/// Every tenant endpoint, called with another tenant's key on this tenant's resources,
/// answers 404 or 403 and reveals nothing.
async fn tenants_are_isolated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t1, k1) = app.tenant("first").await;
    let (_t2, k2) = app.tenant("second").await;
    let session = app.session(&k1, "secret-session-name", true).await;
    let sid = session["id"].as_str().unwrap().to_string();
    let key = app
        .key(&k1, json!({"name": "secret-key-name", "scopes": ["read"]}))
        .await;
    let kid = key.body["id"].as_str().unwrap().to_string();

    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/sessions/{sid}"), None),
        (
            Method::PATCH,
            format!("/api/v1/sessions/{sid}"),
            Some(json!({"name": "stolen"})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{sid}/start"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{sid}/stop"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{sid}/restart"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/api/v1/sessions/{sid}"), None),
        (Method::GET, format!("/api/v1/keys/{kid}"), None),
        (Method::DELETE, format!("/api/v1/keys/{kid}"), None),
        (
            Method::POST,
            "/api/v1/keys".to_string(),
            Some(json!({"name": "x", "scopes": ["read"], "session_id": sid})),
        ),
    ];
    for (method, path, body) in calls {
        let r = app.call(method.clone(), &path, &k2, body).await;
        assert!(
            matches!(r.status.as_u16(), 400 | 403 | 404),
            "{method} {path} gave {} {}",
            r.status,
            r.text
        );
        assert_eq!(r.content_type, "application/problem+json");
        assert!(
            !r.text.contains("secret-"),
            "{method} {path} leaked: {}",
            r.text
        );
    }
    // Lists and the event log show nothing of the first tenant.
    for path in [
        "/api/v1/sessions",
        "/api/v1/keys",
        "/api/v1/events",
        &format!("/api/v1/events?session_id={sid}"),
    ] {
        let r = app.get(path, &k2).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(
            !r.text.contains(&sid) && !r.text.contains("secret-"),
            "{path} leaked: {}",
            r.text
        );
    }
    // And the first tenant's resources are untouched.
    let own = app.get(&format!("/api/v1/sessions/{sid}"), &k1).await;
    assert_eq!(own.body["name"], json!("secret-session-name"));
    assert_eq!(own.body["desired_state"], json!("running"));
    assert_eq!(
        app.get(&format!("/api/v1/keys/{kid}"), &k1).await.status,
        StatusCode::OK
    );
}

/// Names are unique per tenant, not across tenants.
async fn session_names_are_per_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t1, k1) = app.tenant("first").await;
    let (_t2, k2) = app.tenant("second").await;
    app.session(&k1, "support", false).await;
    app.session(&k2, "support", false).await;
    assert_eq!(
        app.post("/api/v1/sessions", &k1, json!({"name": "support"}))
            .await
            .problem(409),
        "conflict"
    );
}

on_both_backends!(tenants_are_isolated, session_names_are_per_tenant);
