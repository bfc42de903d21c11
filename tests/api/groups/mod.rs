//! Groups, contacts and the own profile through the REST API: bad input is refused before
//! anything reaches WhatsApp (no sandbox needed), and with the sandbox every operation is checked
//! against what the simulated WhatsApp network itself holds.

#[cfg(feature = "sandbox")]
mod live;

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

/// Phone numbers `+49152000…` for the long-list checks.
fn phones(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+49152{i:07}")).collect()
}

async fn groups_refuse_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "idle", false).await;
    let base = format!("/api/v1/sessions/{sid}");
    let at = |rest: &str| format!("{base}{rest}");
    let group = "120363000000000001@g.us";
    let (one, members) = (
        format!("/groups/{group}"),
        format!("/groups/{group}/participants"),
    );
    let ok_person = "+4915100000001";
    let team = |participants: Value| json!({"subject": "Team", "participants": participants});

    let bad_posts: Vec<(&str, Value)> = vec![
        (
            "/groups",
            json!({"subject": "", "participants": [ok_person]}),
        ),
        (
            "/groups",
            json!({"subject": "   ", "participants": [ok_person]}),
        ),
        (
            "/groups",
            json!({"subject": "x".repeat(101), "participants": [ok_person]}),
        ),
        ("/groups", team(json!([]))),
        ("/groups", team(json!(["12"]))),
        ("/groups", team(json!([group]))),
        ("/groups", team(json!(["4915100000001:3@s.whatsapp.net"]))),
        ("/groups", team(json!(phones(257)))),
        ("/groups", json!({"subject": "Team"})),
        (
            "/groups",
            json!({"subject": "Team", "participants": [ok_person], "extra": 1}),
        ),
        (
            members.as_str(),
            json!({"action": "kick", "participants": [ok_person]}),
        ),
        (
            members.as_str(),
            json!({"action": "add", "participants": []}),
        ),
        (
            members.as_str(),
            json!({"action": "add", "participants": ["+0049"]}),
        ),
        (
            "/groups/not-a-group/participants",
            json!({"action": "add", "participants": [ok_person]}),
        ),
        ("/groups/4915100000001@s.whatsapp.net/leave", json!({})),
        ("/groups/join", json!({})),
        ("/groups/join", json!({"code": "a b"})),
        ("/groups/join", json!({"code": ""})),
        (
            "/groups/join",
            json!({"code": "AbC", "url": "https://chat.whatsapp.com/AbC"}),
        ),
        ("/groups/join", json!({"url": "https://example.com/AbC"})),
        ("/contacts/check", json!({"phones": []})),
        ("/contacts/check", json!({"phones": ["abc"]})),
        ("/contacts/check", json!({"phones": [group]})),
        ("/contacts/check", json!({"phones": phones(101)})),
    ];
    for (path, body) in bad_posts {
        let r = app.post(&at(path), &key, body.clone()).await;
        let code = r.problem(400);
        assert_eq!(code, "invalid_request", "POST {path} {body}: {}", r.text);
    }

    let bad_patches: Vec<(&str, Value)> = vec![
        (one.as_str(), json!({})),
        (one.as_str(), json!({"subject": ""})),
        (one.as_str(), json!({"subject": "y".repeat(101)})),
        (one.as_str(), json!({"description": "d".repeat(2049)})),
        (one.as_str(), json!({"announce": "yes"})),
        ("/groups/abc", json!({"subject": "ok"})),
        ("/profile", json!({})),
        ("/profile", json!({"name": ""})),
        ("/profile", json!({"name": "n".repeat(26)})),
        ("/profile", json!({"about": "a".repeat(140)})),
    ];
    for (path, body) in bad_patches {
        let code = app.patch(&at(path), &key, body.clone()).await.problem(400);
        assert_eq!(code, "invalid_request", "PATCH {path} {body}");
    }

    for path in [
        "/groups/abc",
        "/groups/120363-@g.us",
        "/groups/abc/invite",
        "/contacts/abc/picture",
        "/contacts/120363000000000001@g.us/about",
        "/contacts/+12/about",
    ] {
        let r = app.get(&at(path), &key).await;
        assert_eq!(r.problem(400), "invalid_request", "GET {path}: {}", r.text);
    }

    // Well-formed requests reach the session check: it is not WORKING.
    let well_formed = team(json!([ok_person, "4915100000002@s.whatsapp.net"]));
    let r = app.post(&at("/groups"), &key, well_formed).await;
    assert_eq!(r.problem(409), "session_not_working");
    for path in [
        "/groups",
        one.as_str(),
        "/groups/120363000000000001/invite",
        "/profile",
        "/contacts/+4915100000001/picture",
        "/contacts/4915100000001@s.whatsapp.net/about",
    ] {
        let r = app.get(&at(path), &key).await;
        assert_eq!(r.problem(409), "session_not_working", "GET {path}");
    }
    let r = app
        .post(&at("/contacts/check"), &key, json!({"phones": phones(100)}))
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    let join = json!({"url": "https://chat.whatsapp.com/AbC123"});
    let r = app.post(&at("/groups/join"), &key, join).await;
    assert_eq!(r.problem(409), "session_not_working");

    // The own picture: only JPEG or PNG, not empty, at most 2 MiB, and what the type says.
    let picture = at("/profile/picture");
    let put = async |key: &str, content_type: &str, body: &[u8]| {
        (app.send_bytes(Method::PUT, &picture, key, content_type, body.to_vec())).await
    };
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(2 * 1024 * 1024 + 1, 0);
    for (content_type, body, status, code) in [
        ("text/plain", &b"hi"[..], 415, "unsupported_media_type"),
        ("image/gif", &b"GIF89a"[..], 415, "unsupported_media_type"),
        ("image/jpeg", &b""[..], 400, "invalid_request"),
        (
            "image/png",
            &[0xFF, 0xD8, 0xFF, 0][..],
            400,
            "invalid_request",
        ),
        ("image/jpeg", &big[..], 413, "payload_too_large"),
        (
            "image/jpeg",
            &[0xFF, 0xD8, 0xFF, 0xE0][..],
            409,
            "session_not_working",
        ),
    ] {
        let r = put(&key, content_type, body).await;
        assert_eq!(
            r.problem(status),
            code,
            "PUT {content_type} of {} bytes",
            body.len()
        );
    }
    let r = app.delete(&picture, &key).await;
    assert_eq!(r.problem(409), "session_not_working");

    // Scopes: reading needs `read`, changing needs `manage`; another tenant sees nothing.
    let reader = app.scoped_key(&key, &["read"]).await;
    let r = app
        .post(&at("/groups"), &reader, team(json!([ok_person])))
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let revoke = at(&format!("{one}/invite/revoke"));
    assert_eq!(
        app.post(&revoke, &reader, json!({})).await.problem(403),
        "forbidden"
    );
    let r = app
        .patch(&at("/profile"), &reader, json!({"name": "x"}))
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = put(&reader, "image/jpeg", &[0xFF, 0xD8, 0xFF]).await;
    assert_eq!(r.problem(403), "forbidden");
    let r = app.get(&at("/groups"), &reader).await;
    assert_eq!(r.problem(409), "session_not_working");
    let r = app
        .post(
            &at("/contacts/check"),
            &reader,
            json!({"phones": [ok_person]}),
        )
        .await;
    assert_eq!(
        r.problem(409),
        "session_not_working",
        "check needs only read"
    );
    let (_, other) = app.tenant("other").await;
    assert_eq!(
        app.get(&at("/groups"), &other).await.problem(404),
        "not_found"
    );
    let r = app.get("/api/v1/sessions/nope/profile", &key).await;
    assert_eq!(r.problem(404), "not_found");
}

/// Every groups, contacts and profile operation is in the OpenAPI document with its problems.
async fn groups_openapi_documents_endpoints(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.raw(Method::GET, "/openapi.json", None, None).await;
    let paths = doc.body["paths"].as_object().expect("paths");
    let s = "/api/v1/sessions/{session_id}";
    let g = "/api/v1/sessions/{session_id}/groups/{group_id}";
    let c = "/api/v1/sessions/{session_id}/contacts/{contact}";
    let expected = [
        ("get", format!("{s}/groups"), false),
        ("post", format!("{s}/groups"), true),
        ("post", format!("{s}/groups/join"), true),
        ("get", g.to_string(), true),
        ("patch", g.to_string(), true),
        ("post", format!("{g}/participants"), true),
        ("get", format!("{g}/invite"), true),
        ("post", format!("{g}/invite/revoke"), true),
        ("post", format!("{g}/leave"), true),
        ("post", format!("{s}/contacts/check"), true),
        ("get", format!("{c}/picture"), true),
        ("get", format!("{c}/about"), true),
        ("get", format!("{s}/profile"), false),
        ("patch", format!("{s}/profile"), true),
        ("put", format!("{s}/profile/picture"), true),
        ("delete", format!("{s}/profile/picture"), false),
    ];
    for (method, path, takes_input) in expected {
        let op = &paths.get(&path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        let mut statuses = vec!["401", "403", "404", "409", "502"];
        if takes_input {
            statuses.push("400");
        }
        for status in statuses {
            let documented = op["responses"].get(status).is_some();
            assert!(documented, "{method} {path} lacks {status}");
        }
    }
    let put = &paths[&format!("{s}/profile/picture")]["put"];
    assert!(put["responses"].get("415").is_some());
    assert!(put["responses"].get("413").is_some());
}

on_both_backends!(groups_refuse_bad_input, groups_openapi_documents_endpoints);
