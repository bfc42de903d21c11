//! The audit log: every mutating call is recorded with who made it (the admin, a key, or nobody
//! a key vouched for), the route, the path, the address and the status; reads are not. A tenant
//! reads its own entries, the admin everyone's, filtered by action and paged.

use serde_json::{Value, json};

use crate::common::{ADMIN_KEY, Backend, TestApp, eventually};
use crate::on_both_backends;

async fn audit(app: &TestApp, key: &str, query: &str) -> Value {
    app.get(&format!("/api/v1/audit{query}"), key)
        .await
        .success(200)
}

async fn mutating_calls_are_recorded_with_who_what_and_how_it_ended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("globex").await;
    let sid = app.session_id(&key, "desk", false).await;
    app.session_id(&other, "theirs", false).await;
    app.get("/api/v1/sessions", &key).await.success(200);
    let refused = app
        .post("/api/v1/sessions", "waras_not_a_key", json!({"name": "x"}))
        .await;
    assert_eq!(refused.status.as_u16(), 401);
    let conflict = app
        .post("/api/v1/sessions", &key, json!({"name": "desk"}))
        .await;
    assert_eq!(conflict.status.as_u16(), 409);

    // The tenant's own: its session created (201) and refused (409), nobody else's, no reads.
    let create = "POST /api/v1/sessions";
    let mine = eventually(10, "the tenant's entries", || async {
        let page = audit(&app, &key, "").await;
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        (rows.iter().filter(|e| e["action"] == json!(create)).count() == 2).then_some(rows)
    })
    .await;
    assert!(
        mine.iter().all(|e| e["tenant_id"] == json!(tenant)),
        "{mine:?}"
    );
    assert!(
        mine.iter()
            .all(|e| e["action"].as_str().unwrap().starts_with("POST "))
    );
    let created = mine
        .iter()
        .find(|e| e["action"] == json!(create) && e["status"] == json!(201))
        .unwrap();
    assert_eq!(created["actor"]["kind"], json!("key"), "{created}");
    assert!(
        created["actor"]["key_id"]
            .as_str()
            .unwrap()
            .starts_with("key_")
    );
    assert_eq!(created["target"], json!("/api/v1/sessions"));
    assert_eq!(created["ip"], json!("127.0.0.1"));
    assert!(
        mine.iter()
            .any(|e| e["action"] == json!(create) && e["status"] == json!(409))
    );
    // What the admin did for the tenant (its first key) is the tenant's to see too.
    assert!(mine.iter().any(|e| e["actor"] == json!({"kind": "admin"})));

    // The admin sees everyone's: its own tenant creations, the refused anonymous call.
    let all = audit(&app, ADMIN_KEY, "?limit=200").await;
    let rows = all["data"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|e| e["action"] == json!("POST /api/v1/tenants")
                && e["actor"] == json!({"kind": "admin"}))
    );
    assert!(
        rows.iter()
            .any(|e| e["actor"]["kind"] == json!("anonymous") && e["status"] == json!(401))
    );
    let admins_view = audit(&app, ADMIN_KEY, &format!("?tenant_id={tenant}&limit=200")).await;
    // The admin's key creation for the tenant counts as the tenant's too.
    assert!(
        admins_view["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == json!("POST /api/v1/tenants/{tenant_id}/keys")),
        "{admins_view}"
    );

    // Filtered by action, paged.
    let start = format!("/api/v1/sessions/{sid}/stop");
    app.post(&start, &key, json!({})).await.success(200);
    let stops = "POST /api/v1/sessions/{session_id}/stop";
    let only = eventually(10, "the stop entry", || async {
        let page = audit(&app, &key, &format!("?action={}", urlencode(stops))).await;
        let rows = page["data"].as_array().cloned().unwrap_or_default();
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["target"], json!(start));
    let first = audit(&app, &key, "?limit=1").await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = audit(&app, &key, &format!("?limit=1&after={cursor}")).await;
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);

    let reader = app.scoped_key(&key, &["read"]).await;
    assert_eq!(
        app.get("/api/v1/audit", &reader).await.problem(403),
        "forbidden"
    );
    let bad = app.get("/api/v1/audit?limit=0", &key).await;
    assert_eq!(bad.problem(400), "invalid_request");
}

fn urlencode(s: &str) -> String {
    s.replace(' ', "%20")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace('/', "%2F")
}

on_both_backends!(mutating_calls_are_recorded_with_who_what_and_how_it_ended);
