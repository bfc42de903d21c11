use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

async fn health_ready_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.raw(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    let expected = if cfg!(feature = "sandbox") {
        "off"
    } else {
        "on"
    };
    assert_eq!(health.body["cert_verification"], json!(expected));
    let ready = app.raw(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    let expected = if backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    assert_eq!(ready.body["database"], json!(expected));

    let (_t, key) = app.tenant("acme").await;
    app.session(&key, "main", true).await;
    app.get("/api/v1/sessions/nope", &key).await;
    let metrics = app.raw(Method::GET, "/metrics", None, None).await;
    assert!(metrics.content_type.starts_with("text/plain"));
    let text = metrics.text;
    assert!(
        text.contains(
            r#"waras_http_requests_total{method="POST",route="/api/v1/sessions",status="201"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/v1/sessions/{session_id}",status="404""#),
        "{text}"
    );
    assert!(
        text.contains(r#"waras_sessions{status="STARTING"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"waras_sessions{status="WORKING"} 0"#),
        "{text}"
    );
    assert!(!text.contains(&key));
}

/// The OpenAPI document lists every route of the route table with every status it can return.
async fn openapi_documents_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().expect("paths");
    let expected = [
        ("post", "/api/v1/tenants"),
        ("get", "/api/v1/tenants"),
        ("get", "/api/v1/tenants/{tenant_id}"),
        ("delete", "/api/v1/tenants/{tenant_id}"),
        ("post", "/api/v1/tenants/{tenant_id}/keys"),
        ("post", "/api/v1/keys"),
        ("get", "/api/v1/keys"),
        ("get", "/api/v1/keys/{key_id}"),
        ("delete", "/api/v1/keys/{key_id}"),
        ("post", "/api/v1/sessions"),
        ("get", "/api/v1/sessions"),
        ("get", "/api/v1/sessions/{session_id}"),
        ("patch", "/api/v1/sessions/{session_id}"),
        ("delete", "/api/v1/sessions/{session_id}"),
        ("post", "/api/v1/sessions/{session_id}/start"),
        ("post", "/api/v1/sessions/{session_id}/stop"),
        ("post", "/api/v1/sessions/{session_id}/restart"),
        (
            "patch",
            "/api/v1/sessions/{session_id}/messages/{message_id}",
        ),
        (
            "post",
            "/api/v1/sessions/{session_id}/messages/{message_id}/cancel",
        ),
        ("post", "/api/v1/templates"),
        ("get", "/api/v1/templates"),
        ("get", "/api/v1/templates/{template_id}"),
        ("patch", "/api/v1/templates/{template_id}"),
        ("delete", "/api/v1/templates/{template_id}"),
        ("post", "/api/v1/campaigns"),
        ("get", "/api/v1/campaigns"),
        ("get", "/api/v1/campaigns/{campaign_id}"),
        ("get", "/api/v1/campaigns/{campaign_id}/recipients"),
        ("post", "/api/v1/campaigns/{campaign_id}/pause"),
        ("post", "/api/v1/campaigns/{campaign_id}/resume"),
        ("post", "/api/v1/campaigns/{campaign_id}/cancel"),
        ("post", "/api/v1/rules"),
        ("get", "/api/v1/rules"),
        ("get", "/api/v1/rules/{rule_id}"),
        ("patch", "/api/v1/rules/{rule_id}"),
        ("delete", "/api/v1/rules/{rule_id}"),
        ("get", "/api/v1/events"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
    ];
    for (method, path) in expected {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        if path.starts_with("/api/") {
            for status in ["401", "403"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
    let docs = app.raw(Method::GET, "/docs/", None, None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
    // The page's scripts and stylesheet are served by this binary (nothing from elsewhere).
    for (file, needle) in [
        ("/docs/swagger-ui-bundle.js", "SwaggerUIBundle"),
        ("/docs/swagger-ui.css", ".swagger-ui"),
        ("/docs/start.js", "/openapi.json"),
    ] {
        assert!(docs.text.contains(file), "the page does not load {file}");
        let r = app.raw(Method::GET, file, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{file}");
        assert!(r.text.contains(needle), "{file} lacks {needle}");
    }
    let missing = app.raw(Method::GET, "/docs/nope.js", None, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.content_type, "application/problem+json");
}

on_both_backends!(health_ready_metrics, openapi_documents_every_endpoint);
