use actix_web::http::Method;
use serde_json::json;

use crate::common::{ADMIN_KEY, Backend, TestApp};
use crate::on_both_backends;

/// Malformed JSON, unknown fields, wrong types, oversized bodies, empty and overlong names and bad
/// ids on every endpoint that takes them: always a 4xx problem, never a 5xx, and nothing stored.
async fn bad_input_gets_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session(&key, "main", false).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let bodies: Vec<(&str, String, u16)> = vec![
        ("malformed", "{\"name\": ".to_string(), 400),
        ("not an object", "[1,2]".to_string(), 400),
        (
            "unknown field",
            json!({"name": "x", "nmae": "y", "scopes": ["read"]}).to_string(),
            400,
        ),
        (
            "wrong type",
            json!({"name": 5, "scopes": "read"}).to_string(),
            400,
        ),
        (
            "empty name",
            json!({"name": "  ", "scopes": ["read"]}).to_string(),
            400,
        ),
        (
            "overlong name",
            json!({"name": "x".repeat(101), "scopes": ["read"]}).to_string(),
            400,
        ),
        (
            "oversized",
            json!({"name": "x".repeat(70 * 1024), "scopes": ["read"]}).to_string(),
            413,
        ),
        ("empty body", String::new(), 400),
    ];
    let targets: Vec<(Method, String, &str)> = vec![
        (Method::POST, "/api/v1/tenants".into(), ADMIN_KEY),
        (
            Method::POST,
            format!("/api/v1/tenants/{tenant}/keys"),
            ADMIN_KEY,
        ),
        (Method::POST, "/api/v1/keys".into(), &key),
        (Method::POST, "/api/v1/sessions".into(), &key),
        (Method::PATCH, format!("/api/v1/sessions/{sid}"), &key),
    ];
    for (method, path, k) in &targets {
        for (what, body, status) in &bodies {
            // PATCH has no required field: an empty object is fine, and `{"name":5}` is still wrong.
            if *method == Method::PATCH && *what == "empty body" {
                continue;
            }
            let r = app
                .raw(method.clone(), path, Some(k), Some(body.clone()))
                .await;
            let code = r.problem(*status);
            assert!(!code.is_empty(), "{method} {path} {what}");
        }
    }
    // Field-level rules.
    app.post("/api/v1/keys", &key, json!({"name": "k", "scopes": []}))
        .await
        .problem(400);
    app.post(
        "/api/v1/keys",
        &key,
        json!({"name": "k", "scopes": ["root"]}),
    )
    .await
    .problem(400);
    app.post(
        "/api/v1/keys",
        &key,
        json!({"name": "k", "scopes": ["read"], "expires_at": "tomorrow"}),
    )
    .await
    .problem(400);
    app.post(
        "/api/v1/keys",
        &key,
        json!({"name": "k", "scopes": ["read"], "session_id": "nope"}),
    )
    .await
    .problem(400);
    app.post(
        "/api/v1/sessions",
        &key,
        json!({"name": "c", "config": [1]}),
    )
    .await
    .problem(400);
    app.post(
        "/api/v1/sessions",
        &key,
        json!({"name": "c", "start": "yes"}),
    )
    .await
    .problem(400);

    // Bad ids in paths and queries.
    for path in [
        "/api/v1/sessions/nope".to_string(),
        format!("/api/v1/sessions/{}", sid.replace("ses_", "tnt_")),
        "/api/v1/sessions/ses_00000000000000000000000000000000".to_string(),
        "/api/v1/keys/%00".to_string(),
        "/api/v1/sessions/nope/start".to_string(),
    ] {
        let method = if path.ends_with("start") {
            Method::POST
        } else {
            Method::GET
        };
        app.raw(method, &path, Some(&key), None).await.problem(404);
    }
    app.raw(Method::GET, "/api/v1/tenants/bad", Some(ADMIN_KEY), None)
        .await
        .problem(404);
    app.raw(Method::DELETE, "/api/v1/tenants/bad", Some(ADMIN_KEY), None)
        .await
        .problem(404);
    app.get("/api/v1/sessions?limit=0", &key).await.problem(400);
    app.get("/api/v1/sessions?limit=abc", &key)
        .await
        .problem(400);
    app.get("/api/v1/sessions?cursor=zzz", &key)
        .await
        .problem(400);
    app.get("/api/v1/sessions?bogus=1", &key).await.problem(400);
    app.get("/api/v1/events?after=-1", &key).await.problem(400);
    app.get("/api/v1/events?session_id=x", &key)
        .await
        .problem(400);
    app.get("/api/v1/nothing-here", &key).await.problem(404);

    // Nothing was stored by any of it: still one tenant, one session, one key.
    let tenants = app.get("/api/v1/tenants", ADMIN_KEY).await;
    assert_eq!(
        tenants.body["data"].as_array().unwrap().len(),
        1,
        "{}",
        tenants.text
    );
    let sessions = app.get("/api/v1/sessions", &key).await;
    assert_eq!(sessions.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(sessions.body["data"][0]["name"], json!("main"));
    let keys = app.get("/api/v1/keys", &key).await;
    assert_eq!(keys.body["data"].as_array().unwrap().len(), 1);
}

on_both_backends!(bad_input_gets_problems);
