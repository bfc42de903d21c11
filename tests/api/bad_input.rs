use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::common::{ADMIN_KEY, Backend, TestApp};
use crate::on_both_backends;

/// Malformed JSON, unknown fields, wrong types, oversized bodies, empty and overlong names and bad
/// ids on every endpoint that takes them: always a 4xx problem, never a 5xx, and nothing stored.
async fn bad_input_gets_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "main", false).await;

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
    for (path, body) in [
        ("/api/v1/keys", json!({"name": "k", "scopes": []})),
        ("/api/v1/keys", json!({"name": "k", "scopes": ["root"]})),
        (
            "/api/v1/keys",
            json!({"name": "k", "scopes": ["read"], "expires_at": "tomorrow"}),
        ),
        (
            "/api/v1/keys",
            json!({"name": "k", "scopes": ["read"], "session_id": "nope"}),
        ),
        ("/api/v1/sessions", json!({"name": "c", "config": [1]})),
        ("/api/v1/sessions", json!({"name": "c", "start": "yes"})),
    ] {
        let r = app.post(path, &key, body.clone()).await;
        assert!(!r.problem(400).is_empty(), "POST {path} {body}");
    }

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
    for query in [
        "/api/v1/sessions?limit=0",
        "/api/v1/sessions?limit=abc",
        "/api/v1/sessions?cursor=zzz",
        "/api/v1/sessions?bogus=1",
        "/api/v1/events?after=-1",
        "/api/v1/events?session_id=x",
    ] {
        app.get(query, &key).await.problem(400);
    }
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

/// A send whose form is wrong is refused before anything else is looked at (even for a session
/// that is not running), with a problem naming the field; nothing is stored.
async fn bad_sends_get_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "main", false).await;
    let path = format!("/api/v1/sessions/{sid}/messages");
    let to = "+4915100000001";
    let cases = vec![
        (
            "unknown type",
            json!({"to": to, "type": "hologram"}),
            "type",
        ),
        (
            "bad recipient",
            json!({"to": "12", "type": "text", "text": "x"}),
            "to",
        ),
        (
            "empty text",
            json!({"to": to, "type": "text", "text": " "}),
            "text",
        ),
        (
            "part of another type",
            json!({"to": to, "type": "text", "text": "x", "location": {"latitude": 1.0, "longitude": 2.0}}),
            "location",
        ),
        (
            "missing part",
            json!({"to": to, "type": "location"}),
            "location",
        ),
        (
            "latitude out of range",
            json!({"to": to, "type": "location", "location": {"latitude": 91.0, "longitude": 0.0}}),
            "location",
        ),
        (
            "caption on a sticker",
            json!({"to": to, "type": "sticker", "caption": "no", "sticker": {"data": "AAAA"}}),
            "caption",
        ),
        (
            "voice on an image",
            json!({"to": to, "type": "image", "image": {"data": "AAAA", "voice": true}}),
            "image.voice",
        ),
        (
            "one poll option",
            json!({"to": to, "type": "poll", "poll": {"name": "Q", "options": ["only"]}}),
            "poll.options",
        ),
        (
            "duplicate poll options",
            json!({"to": to, "type": "poll", "poll": {"name": "Q", "options": ["a", "a"]}}),
            "poll.options",
        ),
        (
            "selectable beyond options",
            json!({"to": to, "type": "poll", "poll": {"name": "Q", "options": ["a", "b"], "selectable_count": 3}}),
            "poll.selectable_count",
        ),
        (
            "contact with neither phone nor vcard",
            json!({"to": to, "type": "contact", "contact": {"name": "C"}}),
            "contact",
        ),
        (
            "contact with a bad vcard",
            json!({"to": to, "type": "contact", "contact": {"name": "C", "vcard": "hello"}}),
            "contact.vcard",
        ),
        (
            "bad mention",
            json!({"to": to, "type": "text", "text": "x", "mentions": ["nobody"]}),
            "mentions",
        ),
        (
            "unknown media field",
            json!({"to": to, "type": "image", "image": {"data": "AAAA", "size": 3}}),
            "invalid JSON",
        ),
        (
            "reply on a reaction",
            json!({"to": to, "type": "reaction", "reply_to": "msg_x", "reaction": {"message_id": "msg_x", "emoji": "x"}}),
            "reply_to",
        ),
        (
            "edit with top-level text",
            json!({"to": to, "type": "edit", "text": "x", "edit": {"message_id": "msg_x", "text": "y"}}),
            "text",
        ),
    ];
    for (what, body, field) in cases {
        let r = app.post(&path, &key, body).await;
        assert_eq!(r.problem(400), "invalid_request", "{what}");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{what}: the problem names {field}: {}",
            r.text
        );
    }
    let r = app
        .raw(Method::POST, &path, Some(&key), Some("{\"to\": ".into()))
        .await;
    assert_eq!(r.problem(400), "invalid_request");
    let listed = app.get(&path, &key).await;
    assert_eq!(
        listed.body["data"],
        json!([]),
        "nothing stored: {}",
        listed.text
    );
    // A valid send to a session that is not running: 409, not stored either.
    let r = app
        .post(&path, &key, json!({"to": to, "type": "text", "text": "hi"}))
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    // `curl -d` labels a JSON body `application/x-www-form-urlencoded`: read as JSON, like on
    // every other endpoint (the README's examples send no Content-Type of their own).
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .insert_header(("X-Api-Key", key.as_str()))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(json!({"to": to, "type": "text", "text": "hi"}).to_string())
        .await
        .expect("request sent");
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "parsed as JSON, then refused"
    );
}

on_both_backends!(bad_input_gets_problems, bad_sends_get_problems);
