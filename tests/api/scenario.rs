//! Scenario steps for sandbox-backed API tests, one line each in a test: a tenant's session linked
//! to a sandbox account, sends and their receipts, the events they raise, and what the sandbox
//! phones saw. Every wait gives up after [`WAIT_SECS`] saying what it waited for and what it saw.

use std::ops::Deref;

use serde_json::{Value, json};

use crate::common::{Backend, Reply, TestDatabase, wait_until};
use crate::sandboxed::{Live, live_with, start_sandbox};

/// How long a scenario step waits for WhatsApp traffic to show.
pub const WAIT_SECS: u64 = 20;

/// A WARAS instance with a tenant key ([`Live`]) and one session, `sid`, linked by QR to the
/// sandbox account `me`. Network-wide steps (the sandbox's admin API, other sessions) are
/// [`Live`]'s, reached through `Deref`.
pub struct Scenario {
    pub live: Live,
    pub sid: String,
    pub me: String,
    /// The LID user part of every account the scenario created, by phone.
    lids: Vec<(String, String)>,
}

impl Deref for Scenario {
    type Target = Live;

    fn deref(&self) -> &Live {
        &self.live
    }
}

impl Scenario {
    /// A fresh database and sandbox; the accounts `me` (named "Me") and `others` (phone, name);
    /// a session "main" linked to `me`.
    pub async fn linked(backend: Backend, me: &str, others: &[(&str, &str)]) -> Self {
        Self::linked_with(backend, me, others, |_| {}).await
    }

    /// Like [`Scenario::linked`], with the instance's settings adjusted.
    pub async fn linked_with(
        backend: Backend,
        me: &str,
        others: &[(&str, &str)],
        adjust: impl FnOnce(&mut waras::config::Settings),
    ) -> Self {
        let db = TestDatabase::create(backend);
        let live = live_with(db, start_sandbox().await, None, adjust).await;
        Self::link(live, me, others).await
    }

    /// On a running instance: creates the accounts and links a session "main" to `me`.
    pub async fn link(live: Live, me: &str, others: &[(&str, &str)]) -> Self {
        let mut lids = Vec::new();
        for (phone, name) in std::iter::once(&(me, "Me")).chain(others) {
            let account = live.account(phone, name).await;
            let lid = account["lid"].as_str().expect("account lid").to_string();
            lids.push((phone.to_string(), lid));
        }
        let sid = live.link_by_qr("main", me).await;
        Self {
            live,
            sid,
            me: me.to_string(),
            lids,
        }
    }

    /// Stops the instance, runs `offline` on its database, and starts a new instance on it with
    /// `adjust`ed settings: the same session, WORKING again without a new link.
    pub async fn restarted(
        self,
        offline: impl FnOnce(&TestDatabase),
        adjust: impl FnOnce(&mut waras::config::Settings),
    ) -> Self {
        let Live { app, sandbox, key } = self.live;
        let db = app.into_db().await;
        offline(&db);
        let live = live_with(db, sandbox, Some(key), adjust).await;
        live.wait_status(&self.sid, "WORKING", 30).await;
        Self { live, ..self }
    }

    /// The account's LID JID (`…@lid`).
    pub fn lid(&self, phone: &str) -> String {
        let (_, user) = self
            .lids
            .iter()
            .find(|(p, _)| p == phone)
            .unwrap_or_else(|| panic!("{phone} is no account of this scenario"));
        format!("{user}@lid")
    }

    /// `/api/v1/sessions/{sid}` followed by `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/v1/sessions/{}{rest}", self.sid)
    }

    pub async fn get(&self, rest: &str) -> Reply {
        self.app.get(&self.path(rest), &self.key).await
    }

    pub async fn post(&self, rest: &str, body: Value) -> Reply {
        self.app.post(&self.path(rest), &self.key, body).await
    }

    pub async fn patch(&self, rest: &str, body: Value) -> Reply {
        self.app.patch(&self.path(rest), &self.key, body).await
    }

    pub async fn delete(&self, rest: &str) -> Reply {
        self.app.delete(&self.path(rest), &self.key).await
    }

    /// Sends a message body; asserts it is accepted and returns the queued message.
    pub async fn send(&self, body: Value) -> Value {
        self.post("/messages", body).await.success(202)
    }

    /// Sends a text to `to` (a phone with `+`, a JID or a group); the queued message.
    pub async fn send_text(&self, to: &str, text: &str) -> Value {
        self.send(json!({"to": to, "type": "text", "text": text}))
            .await
    }

    /// The stored message with this id (a JSON string).
    pub async fn message(&self, id: &Value) -> Value {
        let id = id.as_str().expect("message id");
        self.get(&format!("/messages/{id}")).await.success(200)
    }

    /// The session's stored messages, newest first (up to 200).
    pub async fn messages(&self) -> Vec<Value> {
        self.get("/messages?limit=200").await.data()
    }

    /// Waits until a sent message's stored status is `want` or a later one
    /// (queued < sent < delivered < read); the stored message.
    pub async fn wait_receipt(&self, sent: &Value, want: &str) -> Value {
        const ORDER: [&str; 4] = ["queued", "sent", "delivered", "read"];
        let rank = |s: &str| ORDER.iter().position(|o| *o == s);
        let wanted = rank(want).unwrap_or_else(|| panic!("no message status {want}"));
        let what = format!("message {} to become {want}", sent["id"]);
        wait_until(WAIT_SECS, &what, || async {
            let stored = self.message(&sent["id"]).await;
            let status = stored["status"].as_str().and_then(rank);
            if status.is_some_and(|s| s >= wanted) {
                Ok(stored)
            } else {
                Err(stored)
            }
        })
        .await
    }

    /// Waits for an event of `kind` on the session that `pred` accepts.
    pub async fn expect_event(&self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.event(&self.sid, kind, pred, WAIT_SECS).await
    }

    /// Waits until `phone` has the message the session sent (by its WhatsApp id); the sandbox's
    /// record of it.
    pub async fn phone_got(&self, phone: &str, sent: &Value) -> Value {
        let what = format!("message {}", sent["wa_id"]);
        let wa_id = &sent["wa_id"];
        self.phone_seen(phone, "messages", &what, |m| m["id"] == *wa_id, WAIT_SECS)
            .await
    }

    /// `phone` sends `body` (the sandbox admin API's message, with its `to`); waits for the
    /// session's `message.received` of it and returns that event.
    pub async fn receive(&self, phone: &str, body: Value) -> Value {
        let sent = self.phone_send(phone, body).await;
        self.expect_event("message.received", |e| e["data"]["wa_id"] == sent["id"])
            .await
    }

    /// `phone` sends `text` to the scenario's account; the session's `message.received`.
    pub async fn receive_text(&self, phone: &str, text: &str) -> Value {
        self.receive(phone, json!({"to": self.me, "text": text}))
            .await
    }
}
