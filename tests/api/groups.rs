//! Groups, contacts and the own profile through the REST API: bad input is refused before
//! anything reaches WhatsApp (no sandbox needed), and with the sandbox every operation is checked
//! against what the simulated WhatsApp network itself holds.

use serde_json::{Value, json};

use crate::common::{Backend, Reply, TestApp};
use crate::on_both_backends;

/// A request with any body and Content-Type (the helpers in `common` send JSON only).
async fn send_bytes(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let mut res = app
        .client
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .insert_header(("X-Api-Key", key))
        .insert_header(("Content-Type", content_type))
        .send_body(body)
        .await
        .expect("request sent");
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = res.body().limit(1 << 20).await.expect("body");
    Reply {
        status,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).to_string(),
    }
}

/// Phone numbers `+49152000…` for the long-list checks.
fn phones(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("+49152{i:07}")).collect()
}

async fn groups_refuse_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, key) = app.tenant("acme").await;
    let sid = app.session(&key, "idle", false).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/api/v1/sessions/{sid}");
    let group = "120363000000000001@g.us";
    let ok_person = "+4915100000001";

    let bad_posts: Vec<(String, Value)> = vec![
        (
            "/groups".into(),
            json!({"subject": "", "participants": [ok_person]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "   ", "participants": [ok_person]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "x".repeat(101), "participants": [ok_person]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": []}),
        ),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": ["12"]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": [group]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": ["4915100000001:3@s.whatsapp.net"]}),
        ),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": phones(257)}),
        ),
        ("/groups".into(), json!({"subject": "Team"})),
        (
            "/groups".into(),
            json!({"subject": "Team", "participants": [ok_person], "extra": 1}),
        ),
        (
            format!("/groups/{group}/participants"),
            json!({"action": "kick", "participants": [ok_person]}),
        ),
        (
            format!("/groups/{group}/participants"),
            json!({"action": "add", "participants": []}),
        ),
        (
            format!("/groups/{group}/participants"),
            json!({"action": "add", "participants": ["+0049"]}),
        ),
        (
            "/groups/not-a-group/participants".into(),
            json!({"action": "add", "participants": [ok_person]}),
        ),
        (
            "/groups/4915100000001@s.whatsapp.net/leave".into(),
            json!({}),
        ),
        ("/groups/join".into(), json!({})),
        ("/groups/join".into(), json!({"code": "a b"})),
        ("/groups/join".into(), json!({"code": ""})),
        (
            "/groups/join".into(),
            json!({"code": "AbC", "url": "https://chat.whatsapp.com/AbC"}),
        ),
        (
            "/groups/join".into(),
            json!({"url": "https://example.com/AbC"}),
        ),
        ("/contacts/check".into(), json!({"phones": []})),
        ("/contacts/check".into(), json!({"phones": ["abc"]})),
        ("/contacts/check".into(), json!({"phones": [group]})),
        ("/contacts/check".into(), json!({"phones": phones(101)})),
    ];
    for (path, body) in bad_posts {
        let r = app.post(&format!("{base}{path}"), &key, body.clone()).await;
        assert_eq!(
            r.problem(400),
            "invalid_request",
            "POST {path} {body}: {}",
            r.text
        );
    }

    let bad_patches: Vec<(String, Value)> = vec![
        (format!("/groups/{group}"), json!({})),
        (format!("/groups/{group}"), json!({"subject": ""})),
        (
            format!("/groups/{group}"),
            json!({"subject": "y".repeat(101)}),
        ),
        (
            format!("/groups/{group}"),
            json!({"description": "d".repeat(2049)}),
        ),
        (format!("/groups/{group}"), json!({"announce": "yes"})),
        ("/groups/abc".into(), json!({"subject": "ok"})),
        ("/profile".into(), json!({})),
        ("/profile".into(), json!({"name": ""})),
        ("/profile".into(), json!({"name": "n".repeat(26)})),
        ("/profile".into(), json!({"about": "a".repeat(140)})),
    ];
    for (path, body) in bad_patches {
        let r = app
            .call(
                actix_web::http::Method::PATCH,
                &format!("{base}{path}"),
                &key,
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            r.problem(400),
            "invalid_request",
            "PATCH {path} {body}: {}",
            r.text
        );
    }

    for path in [
        "/groups/abc",
        "/groups/120363-@g.us",
        "/groups/abc/invite",
        "/contacts/abc/picture",
        "/contacts/120363000000000001@g.us/about",
        "/contacts/+12/about",
    ] {
        let r = app.get(&format!("{base}{path}"), &key).await;
        assert_eq!(r.problem(400), "invalid_request", "GET {path}: {}", r.text);
    }

    // Well-formed requests reach the session check: it is not WORKING.
    let r = app
        .post(
            &format!("{base}/groups"),
            &key,
            json!({"subject": "Team", "participants": [ok_person, "4915100000002@s.whatsapp.net"]}),
        )
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    for path in [
        "/groups".to_string(),
        format!("/groups/{group}"),
        "/groups/120363000000000001/invite".to_string(),
        "/profile".to_string(),
        "/contacts/+4915100000001/picture".to_string(),
        "/contacts/4915100000001@s.whatsapp.net/about".to_string(),
    ] {
        let r = app.get(&format!("{base}{path}"), &key).await;
        assert_eq!(r.problem(409), "session_not_working", "GET {path}");
    }
    let r = app
        .post(
            &format!("{base}/contacts/check"),
            &key,
            json!({"phones": phones(100)}),
        )
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    let r = app
        .post(
            &format!("{base}/groups/join"),
            &key,
            json!({"url": "https://chat.whatsapp.com/AbC123"}),
        )
        .await;
    assert_eq!(r.problem(409), "session_not_working");

    // The own picture: only JPEG or PNG, not empty, at most 2 MiB, and what the type says.
    let picture = format!("{base}/profile/picture");
    let r = send_bytes(&app, "PUT", &picture, &key, "text/plain", b"hi".to_vec()).await;
    assert_eq!(r.problem(415), "unsupported_media_type");
    let r = send_bytes(&app, "PUT", &picture, &key, "image/gif", b"GIF89a".to_vec()).await;
    assert_eq!(r.problem(415), "unsupported_media_type");
    let r = send_bytes(&app, "PUT", &picture, &key, "image/jpeg", Vec::new()).await;
    assert_eq!(r.problem(400), "invalid_request");
    let r = send_bytes(
        &app,
        "PUT",
        &picture,
        &key,
        "image/png",
        vec![0xFF, 0xD8, 0xFF, 0],
    )
    .await;
    assert_eq!(r.problem(400), "invalid_request");
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(2 * 1024 * 1024 + 1, 0);
    let r = send_bytes(&app, "PUT", &picture, &key, "image/jpeg", big).await;
    assert_eq!(r.problem(413), "payload_too_large");
    let r = send_bytes(
        &app,
        "PUT",
        &picture,
        &key,
        "image/jpeg",
        vec![0xFF, 0xD8, 0xFF, 0xE0],
    )
    .await;
    assert_eq!(r.problem(409), "session_not_working");
    assert_eq!(
        app.delete(&picture, &key).await.problem(409),
        "session_not_working"
    );

    // Scopes: reading needs `read`, changing needs `manage`; another tenant sees nothing.
    let reader = app
        .key(&key, json!({"name": "reader", "scopes": ["read"]}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("{base}/groups"),
            &reader,
            json!({"subject": "Team", "participants": [ok_person]}),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = app
        .post(
            &format!("{base}/groups/{group}/invite/revoke"),
            &reader,
            json!({}),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = app
        .call(
            actix_web::http::Method::PATCH,
            &format!("{base}/profile"),
            &reader,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(r.problem(403), "forbidden");
    let r = send_bytes(
        &app,
        "PUT",
        &picture,
        &reader,
        "image/jpeg",
        vec![0xFF, 0xD8, 0xFF],
    )
    .await;
    assert_eq!(r.problem(403), "forbidden");
    assert_eq!(
        app.get(&format!("{base}/groups"), &reader)
            .await
            .problem(409),
        "session_not_working"
    );
    let r = app
        .post(
            &format!("{base}/contacts/check"),
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
        app.get(&format!("{base}/groups"), &other)
            .await
            .problem(404),
        "not_found"
    );
    assert_eq!(
        app.get("/api/v1/sessions/nope/profile", &key)
            .await
            .problem(404),
        "not_found"
    );
}

/// Every groups, contacts and profile operation is in the OpenAPI document with its problems.
async fn groups_openapi_documents_endpoints(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app
        .raw(actix_web::http::Method::GET, "/openapi.json", None, None)
        .await;
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
            assert!(
                op["responses"].get(status).is_some(),
                "{method} {path} lacks {status}"
            );
        }
    }
    let put = &paths[&format!("{s}/profile/picture")]["put"];
    assert!(put["responses"].get("415").is_some());
    assert!(put["responses"].get("413").is_some());
}

on_both_backends!(groups_refuse_bad_input, groups_openapi_documents_endpoints);

/// Against the in-process sandbox: a WARAS session and three sandbox accounts.
#[cfg(feature = "sandbox")]
mod live {
    use std::time::Duration;

    use actix_web::http::{Method, StatusCode};
    use base64::Engine as _;
    use serde_json::{Value, json};
    use waras::sandbox::{self, SandboxConfig, SandboxHandle};

    use super::send_bytes;
    use crate::common::{Backend, Reply, TestApp, TestDatabase};
    use crate::on_both_backends;

    const ME: &str = "4915200000001";
    const ALICE: &str = "4915200000002";
    const BOB: &str = "4915200000003";
    const CAROL: &str = "4915200000004";
    const NOBODY: &str = "4915299999999";

    struct World {
        app: TestApp,
        sandbox: SandboxHandle,
        key: String,
        sid: String,
        /// LID user parts of the sandbox accounts, by phone.
        lids: Vec<(String, String)>,
    }

    impl World {
        /// The sandbox with ME, ALICE, BOB and CAROL, and a session linked to ME.
        async fn new(backend: Backend) -> Self {
            let sandbox = sandbox::start(SandboxConfig::default())
                .await
                .expect("sandbox starts");
            let ws = sandbox.ws_url().to_string();
            let app = TestApp::spawn_configured(TestDatabase::create(backend), move |s| {
                s.wa_url = ws;
                s.wa_version = "2.3000.1".into();
            })
            .await;
            let key = app.tenant("acme").await.1;
            let mut world = Self {
                app,
                sandbox,
                key,
                sid: String::new(),
                lids: Vec::new(),
            };
            for (phone, name) in [(ME, "Me"), (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")] {
                let (s, b) = world
                    .sandbox(
                        "POST",
                        "/sandbox/accounts",
                        Some(json!({"phone": phone, "name": name})),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{b}");
                world
                    .lids
                    .push((phone.to_string(), b["lid"].as_str().unwrap().to_string()));
            }
            world.sid = world.link(ME).await;
            world
        }

        fn lid(&self, phone: &str) -> String {
            let user = &self.lids.iter().find(|(p, _)| p == phone).unwrap().1;
            format!("{user}@lid")
        }

        async fn sandbox(
            &self,
            method: &str,
            path: &str,
            body: Option<Value>,
        ) -> (StatusCode, Value) {
            let root = self.sandbox.admin_url().trim_end_matches('/').to_string();
            let root = root.trim_end_matches("/sandbox");
            let req = self
                .app
                .client
                .request(method.parse().unwrap(), format!("{root}{path}"));
            let mut res = match body {
                Some(b) => req.send_json(&b).await.unwrap(),
                None => req.send().await.unwrap(),
            };
            let status = res.status();
            let body = res
                .json::<Value>()
                .limit(16 << 20)
                .await
                .unwrap_or(Value::Null);
            (status, body)
        }

        async fn status(&self, want: &str) -> Value {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            loop {
                let s = self
                    .app
                    .get(&format!("/api/v1/sessions/{}", self.sid), &self.key)
                    .await
                    .body;
                if s["status"] == json!(want) {
                    return s;
                }
                assert!(std::time::Instant::now() < deadline, "never {want}: {s}");
                actix_rt::time::sleep(Duration::from_millis(50)).await;
            }
        }

        /// A session linked by QR to `phone`.
        async fn link(&mut self, phone: &str) -> String {
            self.sid = self.app.session(&self.key, "main", true).await["id"]
                .as_str()
                .unwrap()
                .to_string();
            self.status("SCAN_QR").await;
            let qr = self
                .app
                .client
                .get(format!("{}/api/v1/sessions/{}/qr", self.app.base, self.sid))
                .insert_header(("X-Api-Key", self.key.as_str()))
                .insert_header(("Accept", "application/json"))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap();
            let (s, b) = self
                .sandbox(
                    "POST",
                    &format!("/sandbox/accounts/{phone}/scan"),
                    Some(json!({"qr": qr["code"]})),
                )
                .await;
            assert!(s.is_success(), "scan: {b}");
            self.status("WORKING").await;
            self.sid.clone()
        }

        fn path(&self, rest: &str) -> String {
            format!("/api/v1/sessions/{}{rest}", self.sid)
        }

        async fn get(&self, rest: &str) -> Reply {
            self.app.get(&self.path(rest), &self.key).await
        }

        async fn post(&self, rest: &str, body: Value) -> Reply {
            self.app.post(&self.path(rest), &self.key, body).await
        }

        async fn patch(&self, rest: &str, body: Value) -> Reply {
            self.app
                .call(Method::PATCH, &self.path(rest), &self.key, Some(body))
                .await
        }

        /// The group as the sandbox holds it.
        async fn truth(&self, id: &str) -> Value {
            let (s, b) = self
                .sandbox("GET", &format!("/sandbox/groups/{id}"), None)
                .await;
            assert_eq!(s, StatusCode::OK, "sandbox group {id}: {b}");
            b
        }

        async fn change(&self, id: &str, action: &str, who: &[&str]) -> Value {
            let r = self
                .post(
                    &format!("/groups/{id}/participants"),
                    json!({"action": action, "participants": who}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
            r.body
        }
    }

    fn jid(phone: &str) -> String {
        format!("{phone}@s.whatsapp.net")
    }

    /// The participant with this phone, from a WARAS group answer.
    fn member<'a>(group: &'a Value, phone: &str) -> Option<&'a Value> {
        group["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["phone"] == json!(format!("+{phone}")))
    }

    /// Phones of a sandbox group's participants, sorted.
    fn truth_phones(truth: &Value) -> Vec<String> {
        let mut v: Vec<String> = truth["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p["phone"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches('+')
                    .to_string()
            })
            .collect();
        v.sort();
        v
    }

    fn truth_admin(truth: &Value, phone: &str) -> bool {
        truth["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["phone"].as_str().unwrap().trim_start_matches('+') == phone)
            .map(|p| p["admin"] == json!(true))
            .unwrap_or(false)
    }

    fn sorted(v: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    async fn groups_full_lifecycle(backend: Backend) {
        let w = World::new(backend).await;

        // Create with two sandbox accounts, one as a phone number and one as a JID.
        let r = w
            .post(
                "/groups",
                json!({"subject": "Team", "participants": [format!("+{ALICE}"), jid(BOB)]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = r.body["id"].as_str().unwrap().to_string();
        assert!(id.ends_with("@g.us"), "{id}");
        assert_eq!(r.body["subject"], json!("Team"));
        let me = member(&r.body, ME).expect("the creator is a participant");
        assert_eq!(me["super_admin"], json!(true));
        assert_eq!(me["admin"], json!(true));
        let alice = member(&r.body, ALICE).expect("alice");
        assert_eq!(alice["admin"], json!(false));
        assert_eq!(alice["lid"], json!(w.lid(ALICE)));
        assert!(member(&r.body, BOB).is_some());
        let truth = w.truth(&id).await;
        assert_eq!(truth["subject"], json!("Team"));
        assert_eq!(truth_phones(&truth), sorted(&[ME, ALICE, BOB]));

        // Listed, and readable by its id with or without `@g.us`.
        let list = w.get("/groups").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        assert_eq!(list.body["next_cursor"], json!(null));
        assert!(
            list.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["id"] == json!(id)),
            "{}",
            list.text
        );
        let short = id.trim_end_matches("@g.us");
        let info = w.get(&format!("/groups/{short}")).await;
        assert_eq!(info.status, StatusCode::OK, "{}", info.text);
        assert_eq!(info.body["id"], json!(id));
        assert_eq!(info.body["owner"], json!(jid(ME)));
        assert!(info.body["created_at"].is_string(), "{}", info.text);
        assert_eq!(info.body["announce"], json!(false));
        assert_eq!(info.body["locked"], json!(false));
        assert_eq!(info.body["participants"].as_array().unwrap().len(), 3);

        // Add the third account.
        let added = w.change(&id, "add", &[&format!("+{CAROL}")]).await;
        assert_eq!(added["data"][0]["status"], json!("ok"), "{added}");
        assert_eq!(
            truth_phones(&w.truth(&id).await),
            sorted(&[ME, ALICE, BOB, CAROL])
        );
        let info = w.get(&format!("/groups/{id}")).await;
        assert!(member(&info.body, CAROL).is_some(), "{}", info.text);

        // Promote and demote.
        let promoted = w.change(&id, "promote", &[&jid(ALICE)]).await;
        assert_eq!(promoted["data"][0]["status"], json!("ok"), "{promoted}");
        assert!(truth_admin(&w.truth(&id).await, ALICE));
        let info = w.get(&format!("/groups/{id}")).await;
        assert_eq!(member(&info.body, ALICE).unwrap()["admin"], json!(true));
        assert_eq!(
            member(&info.body, ALICE).unwrap()["super_admin"],
            json!(false)
        );
        let demoted = w.change(&id, "demote", &[&jid(ALICE)]).await;
        assert_eq!(demoted["data"][0]["status"], json!("ok"), "{demoted}");
        assert!(!truth_admin(&w.truth(&id).await, ALICE));
        let info = w.get(&format!("/groups/{id}")).await;
        assert_eq!(member(&info.body, ALICE).unwrap()["admin"], json!(false));

        // Remove; removing someone who is not in the group is a per-participant error.
        let removed = w.change(&id, "remove", &[&format!("+{BOB}")]).await;
        assert_eq!(removed["data"][0]["status"], json!("ok"), "{removed}");
        assert_eq!(
            truth_phones(&w.truth(&id).await),
            sorted(&[ME, ALICE, CAROL])
        );
        let again = w.change(&id, "remove", &[&format!("+{BOB}")]).await;
        assert_ne!(again["data"][0]["status"], json!("ok"), "{again}");

        // Subject, description and settings.
        let r = w
            .patch(
                &format!("/groups/{id}"),
                json!({"subject": "Team 2", "description": "What we do", "announce": true, "locked": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["subject"], json!("Team 2"));
        assert_eq!(r.body["description"], json!("What we do"));
        assert_eq!(r.body["announce"], json!(true));
        assert_eq!(r.body["locked"], json!(true));
        let truth = w.truth(&id).await;
        assert_eq!(truth["subject"], json!("Team 2"));
        assert_eq!(truth["description"], json!("What we do"));
        assert_eq!(truth["announce"], json!(true));
        assert_eq!(truth["locked"], json!(true));
        let r = w
            .patch(
                &format!("/groups/{id}"),
                json!({"description": "Changed", "announce": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["description"], json!("Changed"));
        assert_eq!(r.body["announce"], json!(false));
        assert_eq!(r.body["locked"], json!(true));
        assert_eq!(w.truth(&id).await["description"], json!("Changed"));

        // Invite link: read, revoke, and a sandbox account joins with the new one.
        let invite = w.get(&format!("/groups/{id}/invite")).await;
        assert_eq!(invite.status, StatusCode::OK, "{}", invite.text);
        let code = invite.body["code"].as_str().unwrap().to_string();
        assert!(!code.is_empty());
        assert_eq!(
            invite.body["url"],
            json!(format!("https://chat.whatsapp.com/{code}"))
        );
        assert_eq!(w.truth(&id).await["invite_code"], json!(code));
        let revoked = w
            .post(&format!("/groups/{id}/invite/revoke"), json!({}))
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
        let fresh = revoked.body["code"].as_str().unwrap().to_string();
        assert_ne!(fresh, code);
        assert_eq!(w.truth(&id).await["invite_code"], json!(fresh));
        let (s, b) = w
            .sandbox(
                "POST",
                &format!("/sandbox/accounts/{BOB}/groups/join"),
                Some(json!({"code": code})),
            )
            .await;
        assert!(
            s.is_client_error(),
            "the revoked code no longer works: {s} {b}"
        );
        let (s, b) = w
            .sandbox(
                "POST",
                &format!("/sandbox/accounts/{BOB}/groups/join"),
                Some(json!({"code": fresh})),
            )
            .await;
        assert!(s.is_success(), "join: {b}");
        crate::common::eventually(10, "bob back in the group", || async {
            let info = w.get(&format!("/groups/{id}")).await;
            member(&info.body, BOB).map(|_| ())
        })
        .await;

        // The session joins another group by link.
        let (s, other) = w
            .sandbox(
                "POST",
                &format!("/sandbox/accounts/{ALICE}/groups"),
                Some(json!({"subject": "Alice's", "participants": [CAROL]})),
            )
            .await;
        assert!(s.is_success(), "{other}");
        let other_id = other["id"].as_str().unwrap().to_string();
        let other_code = w.truth(&other_id).await["invite_code"]
            .as_str()
            .expect("a new group has an invite code")
            .to_string();
        let joined = w
            .post(
                "/groups/join",
                json!({"url": format!("https://chat.whatsapp.com/{other_code}")}),
            )
            .await;
        assert_eq!(joined.status, StatusCode::OK, "{}", joined.text);
        assert_eq!(joined.body["id"], json!(other_id));
        assert_eq!(joined.body["status"], json!("joined"));
        assert!(truth_phones(&w.truth(&other_id).await).contains(&ME.to_string()));

        // Leave: gone from the list and from the group.
        let left = w.post(&format!("/groups/{id}/leave"), json!({})).await;
        assert_eq!(left.status, StatusCode::OK, "{}", left.text);
        assert!(!truth_phones(&w.truth(&id).await).contains(&ME.to_string()));
        let list = w.get("/groups").await;
        let ids: Vec<&Value> = list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| &g["id"])
            .collect();
        assert!(!ids.contains(&&json!(id)), "{}", list.text);
        assert!(ids.contains(&&json!(other_id)), "{}", list.text);
        let r = w.get(&format!("/groups/{id}")).await;
        assert!(r.status.is_client_error(), "{}", r.text);

        // A group that does not exist.
        let r = w.get("/groups/120363999999999999").await;
        assert_eq!(r.problem(404), "not_found");
        let r = w
            .post("/groups/join", json!({"code": "NoSuchInviteCode0001"}))
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
    }

    async fn groups_contacts_and_profiles(backend: Backend) {
        let w = World::new(backend).await;

        // Who is on WhatsApp: one call, answers in request order.
        let r = w
            .post(
                "/contacts/check",
                json!({"phones": [format!("+{ALICE}"), format!("+{NOBODY}"), format!("+{ALICE}")]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let data = r.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 3, "{}", r.text);
        assert_eq!(data[0]["phone"], json!(format!("+{ALICE}")));
        assert_eq!(data[0]["on_whatsapp"], json!(true));
        assert_eq!(data[0]["jid"], json!(jid(ALICE)));
        assert_eq!(data[0]["lid"], json!(w.lid(ALICE)));
        assert_eq!(data[1]["phone"], json!(format!("+{NOBODY}")));
        assert_eq!(data[1]["on_whatsapp"], json!(false));
        assert_eq!(data[1]["jid"], json!(null));
        assert_eq!(data[2], data[0]);

        // Another account's picture and about text, as its phone set them.
        let picture = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8];
        let (s, b) = w
            .sandbox(
                "PUT",
                &format!("/sandbox/accounts/{ALICE}/profile"),
                Some(json!({
                    "about": "Hello from Alice",
                    "picture": base64::engine::general_purpose::STANDARD.encode(picture),
                })),
            )
            .await;
        assert!(s.is_success(), "{b}");
        let about = w.get(&format!("/contacts/+{ALICE}/about")).await;
        assert_eq!(about.status, StatusCode::OK, "{}", about.text);
        assert_eq!(about.body["about"], json!("Hello from Alice"));
        let pic = w.get(&format!("/contacts/{}/picture", jid(ALICE))).await;
        assert_eq!(pic.status, StatusCode::OK, "{}", pic.text);
        assert!(
            pic.body["url"].as_str().is_some_and(|u| !u.is_empty()),
            "{}",
            pic.text
        );
        assert!(
            pic.body["id"].as_str().is_some_and(|i| !i.is_empty()),
            "{}",
            pic.text
        );
        let none = w.get(&format!("/contacts/+{BOB}/picture")).await;
        assert_eq!(none.problem(404), "not_found");

        // The own profile: name and about set through WARAS are what the network shows.
        let r = w
            .patch(
                "/profile",
                json!({"name": "Waras Bot", "about": "Automated"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["name"], json!("Waras Bot"));
        assert_eq!(r.body["about"], json!("Automated"));
        assert_eq!(r.body["jid"], json!(jid(ME)));
        assert_eq!(r.body["lid"], json!(w.lid(ME)));
        crate::common::eventually(10, "the network shows the new profile", || async {
            let (_, p) = w
                .sandbox("GET", &format!("/sandbox/accounts/{ME}/profile"), None)
                .await;
            (p["name"] == json!("Waras Bot") && p["about"] == json!("Automated")).then_some(())
        })
        .await;
        let session = w.app.get(&w.path(""), &w.key).await;
        assert_eq!(
            session.body["me"]["push_name"],
            json!("Waras Bot"),
            "{}",
            session.text
        );
        let about = w.get(&format!("/contacts/+{ME}/about")).await;
        assert_eq!(about.body["about"], json!("Automated"), "{}", about.text);

        // The own picture: set, seen by the network and in the profile, then removed.
        let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 9, 8, 7, 6, 5, 4, 3, 2, 1];
        let r = send_bytes(
            &w.app,
            "PUT",
            &w.path("/profile/picture"),
            &w.key,
            "image/jpeg",
            jpeg.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let (_, p) = w
            .sandbox("GET", &format!("/sandbox/accounts/{ME}/profile"), None)
            .await;
        assert_eq!(
            p["picture"],
            json!(base64::engine::general_purpose::STANDARD.encode(&jpeg))
        );
        let profile = w.get("/profile").await;
        assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
        assert!(profile.body["picture_url"].is_string(), "{}", profile.text);
        assert_eq!(profile.body["name"], json!("Waras Bot"));
        let r = w.app.delete(&w.path("/profile/picture"), &w.key).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let (_, p) = w
            .sandbox("GET", &format!("/sandbox/accounts/{ME}/profile"), None)
            .await;
        assert_eq!(p["picture"], json!(null), "{p}");
        assert_eq!(w.get("/profile").await.body["picture_url"], json!(null));
    }

    on_both_backends!(groups_full_lifecycle, groups_contacts_and_profiles);
}
