//! The harness of sandbox-backed API tests: a WARAS instance wired to an in-process sandbox (a
//! WhatsApp network whose people are real protocol clients), driven through REST and the
//! sandbox's admin API only.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use waras::sandbox::{self, SandboxConfig, SandboxHandle};

use crate::common::{Reply, TestApp, TestDatabase, wait_until};

pub struct Live {
    pub app: TestApp,
    pub sandbox: SandboxHandle,
    pub key: String,
}

pub async fn start_sandbox() -> SandboxHandle {
    sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts")
}

pub async fn live_on(db: TestDatabase, sandbox: SandboxHandle, key: Option<String>) -> Live {
    live_with(db, sandbox, key, |_| {}).await
}

/// Like [`live_on`], with settings adjusted.
pub async fn live_with(
    db: TestDatabase,
    sandbox: SandboxHandle,
    key: Option<String>,
    adjust: impl FnOnce(&mut waras::config::Settings),
) -> Live {
    let ws = sandbox.ws_url().to_string();
    let app = TestApp::spawn_configured(db, move |s| {
        s.wa_url = ws;
        s.wa_version = "2.3000.1".into();
        adjust(s);
    })
    .await;
    let key = match key {
        Some(k) => k,
        None => app.tenant("acme").await.1,
    };
    Live { app, sandbox, key }
}

impl Live {
    pub async fn sandbox_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!(
            "{}{path}",
            self.sandbox
                .admin_url()
                .trim_end_matches("/sandbox")
                .trim_end_matches('/')
        );
        let req = self.app.client.request(method.parse().unwrap(), url);
        let res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        let reply = Reply::read(res.expect("sandbox request")).await;
        (reply.status, reply.body)
    }

    pub async fn account(&self, phone: &str, name: &str) -> Value {
        let (s, b) = self
            .sandbox_call(
                "POST",
                "/sandbox/accounts",
                Some(json!({"phone": phone, "name": name})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }

    pub async fn session(&self, sid: &str) -> Value {
        self.app
            .get(&format!("/api/v1/sessions/{sid}"), &self.key)
            .await
            .body
    }

    /// Waits until session `sid` has status `want`; the session.
    pub async fn wait_status(&self, sid: &str, want: &str, secs: u64) -> Value {
        let what = format!("session {sid} to become {want}");
        wait_until(secs, &what, || async {
            let s = self.session(sid).await;
            if s["status"] == json!(want) {
                Ok(s)
            } else {
                Err(s)
            }
        })
        .await
    }

    /// The session's current QR as JSON (`{"code","expires_at"}`).
    pub async fn qr_json(&self, sid: &str) -> Value {
        self.app
            .client
            .get(format!("{}/api/v1/sessions/{sid}/qr", self.app.base))
            .insert_header(("X-Api-Key", self.key.as_str()))
            .insert_header(("Accept", "application/json"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    }

    /// Creates a session and links it to `phone` by QR; returns the session id.
    pub async fn link_by_qr(&self, name: &str, phone: &str) -> String {
        let sid = self.app.session_id(&self.key, name, true).await;
        self.wait_status(&sid, "SCAN_QR", 20).await;
        let qr = self
            .app
            .raw(
                actix_web::http::Method::GET,
                &format!("/api/v1/sessions/{sid}/qr"),
                Some(&self.key),
                None,
            )
            .await;
        assert_eq!(qr.content_type, "image/png");
        let json = self.qr_json(&sid).await;
        let code = json["code"].as_str().expect("qr code").to_string();
        let (s, b) = self
            .sandbox_call(
                "POST",
                &format!("/sandbox/accounts/{phone}/scan"),
                Some(json!({"qr": code})),
            )
            .await;
        assert!(s.is_success(), "scan: {b}");
        let linked_at = std::time::Instant::now();
        let s = self.wait_status(&sid, "WORKING", 20).await;
        assert!(
            linked_at.elapsed() < Duration::from_secs(5),
            "linking took {:?}",
            linked_at.elapsed()
        );
        assert_eq!(
            s["me"]["phone_jid"],
            json!(format!("{phone}@s.whatsapp.net"))
        );
        assert!(s["me"]["lid"].as_str().unwrap().ends_with("@lid"));
        sid
    }

    /// Waits until `phone` received a message with this text; the sandbox's record of it.
    pub async fn inbox_has(&self, phone: &str, text: &str, secs: u64) -> Value {
        let what = format!("message {text:?}");
        self.phone_seen(phone, "messages", &what, |m| m["text"] == json!(text), secs)
            .await
    }

    /// Waits for an event of `kind` on session `sid` that `pred` accepts.
    pub async fn event(
        &self,
        sid: &str,
        kind: &str,
        pred: impl Fn(&Value) -> bool,
        secs: u64,
    ) -> Value {
        let path = format!("/api/v1/events?session_id={sid}&types={kind}&limit=200");
        wait_until(secs, &format!("a matching {kind} event"), || async {
            let r = self.app.get(&path, &self.key).await;
            r.data().into_iter().find(|e| pred(e)).ok_or(r.text)
        })
        .await
    }

    /// Sends as a sandbox account (`body` per the sandbox admin API); returns its answer.
    pub async fn phone_send(&self, phone: &str, body: Value) -> Value {
        let path = format!("/sandbox/accounts/{phone}/messages");
        let (s, b) = self.sandbox_call("POST", &path, Some(body)).await;
        assert!(s.is_success(), "sandbox send: {s} {b}");
        b
    }

    /// Waits for an entry of a sandbox account's list (`messages`, `receipts`, `chatstates`)
    /// that matches `pred`.
    pub async fn phone_seen(
        &self,
        phone: &str,
        list: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
        secs: u64,
    ) -> Value {
        let waited = format!("{phone} to see {what} in {list}");
        wait_until(secs, &waited, || async {
            let all = self.phone_list(phone, list).await;
            all.iter()
                .find(|m| pred(m))
                .cloned()
                .ok_or(Value::from(all))
        })
        .await
    }

    /// The sandbox account's list (`messages`, `devices`, …) as it is now.
    pub async fn phone_list(&self, phone: &str, list: &str) -> Vec<Value> {
        let path = format!("/sandbox/accounts/{phone}/{list}");
        let (_, all) = self.sandbox_call("GET", &path, None).await;
        all.as_array().cloned().unwrap_or_default()
    }
}
