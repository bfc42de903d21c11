//! Shared by the sandbox tests: engine companions that record their events and wait for one,
//! and a client of the sandbox's admin API whose waits poll what an account's phone saw. Every
//! wait gives up after [`EVENT_TIMEOUT`] saying what it waited for and what it saw.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use wacore::iq::usync::IsOnWhatsAppResult;
use wacore::pair_code::PairCodeOptions;
use wacore::proto_helpers::MessageExt;
use wacore::stanza::groups::GroupNotificationAction;
use wacore::store::InMemoryBackend;
use wacore::store::traits::Backend;
use wacore::types::events::{Event, InboundMessage};
use wacore_binary::Jid;
use waras::sandbox::engine::{SandboxHttpClient, WsTransportFactory};
use waras::sandbox::{SandboxConfig, SandboxHandle};
use whatsapp_rust::TokioRuntime;
use whatsapp_rust::bot::{Bot, BotHandle};

pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Companion {
    pub bot: BotHandle,
    pub events: mpsc::UnboundedReceiver<Arc<Event>>,
    /// Events already received that no wait has consumed yet (they can come in any order).
    backlog: Vec<Arc<Event>>,
    /// The companion's store, so a test can bring the same device back after a shutdown.
    pub store: Arc<dyn Backend>,
}

impl Companion {
    pub async fn connect(sandbox: &SandboxHandle) -> Companion {
        Self::connect_with(sandbox, Arc::new(InMemoryBackend::new())).await
    }

    pub async fn connect_with(sandbox: &SandboxHandle, store: Arc<dyn Backend>) -> Companion {
        Self::build(sandbox, store, None).await
    }

    /// A fresh companion that asks to be linked to `phone` with a pairing code.
    pub async fn connect_for_code(sandbox: &SandboxHandle, phone: &str) -> Companion {
        let options = PairCodeOptions {
            phone_number: phone.to_string(),
            ..Default::default()
        };
        Self::build(sandbox, Arc::new(InMemoryBackend::new()), Some(options)).await
    }

    async fn build(
        sandbox: &SandboxHandle,
        store: Arc<dyn Backend>,
        code: Option<PairCodeOptions>,
    ) -> Companion {
        let (tx, events) = mpsc::unbounded_channel();
        let mut builder = Bot::builder()
            .with_backend_arc(store.clone())
            .with_transport_factory(WsTransportFactory::new(sandbox.ws_url()))
            .with_http_client(SandboxHttpClient::new(sandbox.media_ca_pem()).expect("media CA"))
            .with_runtime(TokioRuntime)
            .with_version((2, 3000, 0))
            .skip_history_sync()
            .with_wanted_pre_key_count(30)
            .on_event(move |event, _client| {
                let _ = tx.send(event);
                async {}
            });
        if let Some(options) = code {
            builder = builder.with_pair_code(options);
        }
        let bot = builder.build().await.expect("build companion");
        Companion {
            bot: bot.spawn(),
            events,
            backlog: Vec::new(),
            store,
        }
    }

    /// Waits for the first event `pick` accepts, including events that arrived earlier.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        if let Some((i, found)) = self
            .backlog
            .iter()
            .enumerate()
            .find_map(|(i, e)| pick(e).map(|f| (i, f)))
        {
            self.backlog.remove(i);
            return found;
        }
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let seen = || self.backlog.iter().map(|e| e.kind()).collect::<Vec<_>>();
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("timed out waiting for {what}; other events: {:?}", seen())
                })
                .unwrap_or_else(|| panic!("event stream ended waiting for {what}"));
            if let Some(found) = pick(&event) {
                return found;
            }
            self.backlog.push(event);
        }
    }

    pub async fn qr(&mut self) -> String {
        self.wait_for("a QR code", |e| match e {
            Event::PairingQrCode(qr) => Some(qr.code.clone()),
            _ => None,
        })
        .await
    }

    pub async fn connected(&mut self) {
        self.wait_for("Connected", |e| {
            matches!(e, Event::Connected(_)).then_some(())
        })
        .await
    }

    pub async fn text(&mut self, expected: &str) -> (String, Jid) {
        self.wait_for(&format!("message {expected:?}"), |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.message.text_content() == Some(expected))
                .map(|m| (m.info.id.clone(), m.info.source.sender.clone())),
            _ => None,
        })
        .await
    }

    pub async fn receipt_for(&mut self, id: &str) {
        self.wait_for(&format!("a receipt for {id}"), |e| match e {
            Event::Receipt(r) if r.message_ids.iter().any(|m| m == id) => Some(()),
            _ => None,
        })
        .await
    }

    /// Waits for an event `is` accepts.
    pub async fn event(&mut self, what: &str, is: impl Fn(&Event) -> bool) {
        self.wait_for(what, |e| is(e).then_some(())).await
    }

    /// Sends `text` to `other`'s account `phone`: waits until `other` has it and this companion
    /// has the receipt.
    pub async fn says_to(&mut self, other: &mut Companion, phone: &str, text: &str) {
        let sent = self.send_text(phone, text).await;
        other.text(text).await;
        self.receipt_for(&sent).await;
    }

    /// Sends an engine message to the account `phone`; the message id.
    pub async fn send_message(&self, phone: &str, message: waproto::whatsapp::Message) -> String {
        let sent = self
            .bot
            .client()
            .send_message(Jid::pn(phone), message)
            .await;
        sent.unwrap_or_else(|e| panic!("send to {phone}: {e}"))
            .message_id
    }

    /// Sends `text` to the account (or group) `to`; the message id.
    pub async fn send_text(&self, to: &str, text: &str) -> String {
        let to = if to.contains('@') {
            to.parse().expect("JID")
        } else {
            Jid::pn(to)
        };
        let sent = self.bot.client().send_text(to, text).await;
        sent.unwrap_or_else(|e| panic!("send {text:?}: {e}"))
            .message_id
    }

    /// Creates a group with these phones as members; its JID.
    pub async fn create_group(&self, subject: &str, phones: &[&str]) -> Jid {
        self.create_group_answer(subject, phones).await.id
    }

    /// Creates a group with these phones as members; the group as the server answered.
    pub async fn create_group_answer(
        &self,
        subject: &str,
        phones: &[&str],
    ) -> whatsapp_rust::GroupMetadata {
        use wacore::iq::groups::{GroupCreateOptions, GroupParticipantOptions};
        let members = phones
            .iter()
            .map(|p| GroupParticipantOptions::from_phone(Jid::pn(*p)));
        let options = GroupCreateOptions::builder()
            .subject(subject)
            .participants(members.collect())
            .build();
        let client = self.bot.client();
        let created = client
            .groups()
            .create_group(options)
            .await
            .expect("create group");
        created.metadata
    }

    /// Asks who of `known` and `stranger` is on WhatsApp: asserts the stranger is not registered;
    /// the answer for `known`.
    pub async fn on_whatsapp(&self, known: &str, stranger: &str) -> IsOnWhatsAppResult {
        let client = self.bot.client();
        let asked = [Jid::pn(known), Jid::pn(stranger)];
        let found = client
            .contacts()
            .is_on_whatsapp(&asked)
            .await
            .expect("is_on_whatsapp");
        let unknown = found
            .iter()
            .all(|r| r.jid.user != stranger || !r.is_registered);
        assert!(unknown, "{stranger} is no account: {found:?}");
        let known = found.iter().find(|r| r.jid.user == known);
        known
            .cloned()
            .unwrap_or_else(|| panic!("no answer for {known:?}: {found:?}"))
    }

    /// Waits for the incoming message with WhatsApp id `id`.
    pub async fn message(&mut self, id: &str) -> InboundMessage {
        self.wait_for(&format!("message {id}"), |e| match e {
            Event::Messages(batch) => batch.iter().find(|m| m.info.id == id).cloned(),
            _ => None,
        })
        .await
    }

    /// Waits for a group notification whose action `pick` accepts.
    pub async fn group_update<T>(
        &mut self,
        what: &str,
        pick: impl Fn(&GroupNotificationAction) -> Option<T>,
    ) -> T {
        self.wait_for(what, |e| match e {
            Event::GroupUpdate(u) => pick(&u.action),
            _ => None,
        })
        .await
    }
}

/// A fresh sandbox with these accounts (phone, name), the first one linked to a companion.
pub async fn linked(accounts: &[(&str, &str)]) -> (SandboxHandle, Admin, Companion) {
    let (sandbox, admin) = start().await;
    for (phone, name) in accounts {
        admin.create_account(phone, name).await;
    }
    let companion = admin.link(&sandbox, accounts[0].0).await;
    (sandbox, admin, companion)
}

/// A fresh sandbox with two accounts (phone, name), each linked to a companion.
pub async fn two_linked(
    first: (&str, &str),
    second: (&str, &str),
) -> (SandboxHandle, Admin, Companion, Companion) {
    let (sandbox, admin, a) = linked(&[first, second]).await;
    let b = admin.link(&sandbox, second.0).await;
    (sandbox, admin, a, b)
}

/// A sandbox configuration that keeps its state in `dir`, across a stop and a start.
pub fn persistent(dir: &tempfile::TempDir) -> SandboxConfig {
    SandboxConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..SandboxConfig::default()
    }
}

/// A fresh in-process sandbox and its admin API client.
pub async fn start() -> (SandboxHandle, Admin) {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> (SandboxHandle, Admin) {
    let sandbox = waras::sandbox::start(config).await.expect("start sandbox");
    let admin = Admin::new(&sandbox);
    (sandbox, admin)
}

/// Polls `check` every 50 ms until it answers `Ok`, or panics after [`EVENT_TIMEOUT`] naming
/// `what` it waited for and the last thing `check` saw (its `Err`).
pub async fn wait_until<T, S, F, Fut>(what: &str, mut check: F) -> T
where
    S: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S>>,
{
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(seen) => assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last saw: {seen}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A JSON value for a failure message, cut to 4000 characters.
pub fn truncate(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(4000) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

pub struct Admin {
    pub http: awc::Client,
    pub base: String,
}

impl Admin {
    /// A call with a JSON body: status and answer (up to 64 MiB).
    async fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        let mut resp = req
            .send_json(&body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let json = resp
            .json::<Value>()
            .limit(64 << 20)
            .await
            .unwrap_or(Value::Null);
        (resp.status().as_u16(), json)
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PUT", path, body).await
    }

    /// POST that must answer `status`; the answer.
    pub async fn post_ok(&self, path: &str, body: Value, status: u16) -> Value {
        let (got, answer) = self.post(path, body).await;
        assert_eq!(got, status, "POST {path}: {answer}");
        answer
    }

    /// PUT that must answer 200; the answer.
    pub async fn put_ok(&self, path: &str, body: Value) -> Value {
        let (got, answer) = self.put(path, body).await;
        assert_eq!(got, 200, "PUT {path}: {answer}");
        answer
    }

    pub async fn get(&self, path: &str) -> Value {
        let mut resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json::<Value>()
            .limit(64 << 20)
            .await
            .expect("json body")
    }

    /// Polls the list at `path` until an entry satisfies `pick`; the entry.
    pub async fn wait_entry(&self, path: &str, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        wait_until(&format!("{path} to show {what}"), || async {
            let list = self.get(path).await;
            let found = list.as_array().and_then(|a| a.iter().find(|e| pick(e)));
            found.cloned().ok_or_else(|| truncate(&list))
        })
        .await
    }

    /// Waits until `phone` has the message with WhatsApp id `id`; the phone's record of it.
    pub async fn inbox_entry(&self, phone: &str, id: &str) -> Value {
        let path = format!("/accounts/{phone}/messages");
        self.wait_entry(&path, &format!("message {id}"), |m| m["id"] == id)
            .await
    }

    /// Sends `body` as `phone` (accepted); the message's WhatsApp id.
    pub async fn send_as(&self, phone: &str, body: Value) -> String {
        let path = format!("/accounts/{phone}/messages");
        let answer = self.post_ok(&path, body, 202).await;
        answer["id"].as_str().expect("message id").to_string()
    }

    pub async fn create_account(&self, phone: &str, name: &str) -> Value {
        let (status, body) = self
            .post("/accounts", json!({ "phone": phone, "name": name }))
            .await;
        assert_eq!(status, 201, "create account: {body}");
        body
    }

    /// Links a fresh companion to `phone` by QR; returns it once Connected.
    pub async fn link(&self, sandbox: &SandboxHandle, phone: &str) -> Companion {
        let mut companion = Companion::connect(sandbox).await;
        let qr = companion.qr().await;
        let (status, body) = self
            .post(&format!("/accounts/{phone}/scan"), json!({ "qr": qr }))
            .await;
        assert_eq!(status, 200, "scan: {body}");
        let scanned = Instant::now();
        companion.connected().await;
        let took = scanned.elapsed();
        eprintln!("linked a companion to {phone} in {took:?} after the scan");
        assert!(
            took < Duration::from_secs(2),
            "linking {phone} took {took:?} after the scan"
        );
        companion
    }

    /// Polls what the account's phone received until `text` is there (the admin API has no push).
    pub async fn phone_received(&self, phone: &str, text: &str) -> Value {
        let path = format!("/accounts/{phone}/messages");
        self.wait_entry(&path, &format!("{text:?}"), |m| m["text"] == text)
            .await
    }
}

impl Admin {
    pub fn new(sandbox: &SandboxHandle) -> Admin {
        let _ = env_logger::builder().is_test(true).try_init();
        Admin {
            // Entering a pairing code runs PBKDF2 twice, slow in a debug build on a busy machine.
            http: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .finish(),
            base: sandbox.admin_url(),
        }
    }

    /// Polls the device list until `device` of `phone` is (or is not) online.
    pub async fn wait_online(&self, phone: &str, device: u16, online: bool) {
        let path = format!("/accounts/{phone}/devices");
        let what = format!("{phone}:{device} online={online}");
        self.wait_entry(&path, &what, |d| {
            d["device"] == device && d["online"] == online
        })
        .await;
    }

    /// Injects a network fault (`body` as the admin API takes it); it must be accepted.
    pub async fn fault(&self, body: Value) {
        self.post_ok("/faults", body, 202).await;
    }

    pub async fn delete(&self, path: &str) -> u16 {
        let resp = self
            .http
            .delete(format!("{}{path}", self.base))
            .send()
            .await
            .expect("DELETE");
        resp.status().as_u16()
    }
}
