//! End to end through the sandbox: two engine clients link to two simulated accounts by QR, reach
//! Connected quickly, and exchange end-to-end encrypted texts and receipts with each other and with
//! the accounts' phones.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use wacore::proto_helpers::MessageExt;
use wacore::store::InMemoryBackend;
use wacore::types::events::Event;
use wacore_binary::Jid;
use waras::sandbox::engine::{NoHttpClient, WsTransportFactory};
use waras::sandbox::{self, SandboxConfig, SandboxHandle};
use whatsapp_rust::TokioRuntime;
use whatsapp_rust::bot::{Bot, BotHandle};

const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

struct Companion {
    bot: BotHandle,
    events: mpsc::UnboundedReceiver<Arc<Event>>,
}

impl Companion {
    async fn connect(sandbox: &SandboxHandle) -> Companion {
        let (tx, events) = mpsc::unbounded_channel();
        let bot = Bot::builder()
            .with_backend(InMemoryBackend::new())
            .with_transport_factory(WsTransportFactory::new(sandbox.ws_url()))
            .with_http_client(NoHttpClient)
            .with_runtime(TokioRuntime)
            .with_version((2, 3000, 0))
            .skip_history_sync()
            .with_wanted_pre_key_count(30)
            .on_event(move |event, _client| {
                let _ = tx.send(event);
                async {}
            })
            .build()
            .await
            .expect("build companion");
        Companion { bot: bot.spawn(), events }
    }

    /// Waits for the first event `pick` accepts.
    async fn wait_for<T>(&mut self, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap_or_else(|| panic!("event stream ended waiting for {what}"));
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    }

    async fn qr(&mut self) -> String {
        self.wait_for("a QR code", |e| match e {
            Event::PairingQrCode(qr) => Some(qr.code.clone()),
            _ => None,
        })
        .await
    }

    async fn connected(&mut self) {
        self.wait_for("Connected", |e| matches!(e, Event::Connected(_)).then_some(())).await
    }

    async fn text(&mut self, expected: &str) -> (String, Jid) {
        self.wait_for(&format!("message {expected:?}"), |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.message.text_content() == Some(expected))
                .map(|m| (m.info.id.clone(), m.info.source.sender.clone())),
            _ => None,
        })
        .await
    }

    async fn receipt_for(&mut self, id: &str) {
        self.wait_for(&format!("a receipt for {id}"), |e| match e {
            Event::Receipt(r) if r.message_ids.iter().any(|m| m == id) => Some(()),
            _ => None,
        })
        .await
    }
}

struct Admin {
    http: awc::Client,
    base: String,
}

impl Admin {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut resp = self
            .http
            .post(format!("{}{path}", self.base))
            .send_json(&body)
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let json = resp.json::<Value>().limit(1 << 20).await.unwrap_or(Value::Null);
        (resp.status().as_u16(), json)
    }

    async fn get(&self, path: &str) -> Value {
        let mut resp = self.http.get(format!("{}{path}", self.base)).send().await.expect("GET");
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json::<Value>().limit(1 << 20).await.expect("json body")
    }

    async fn create_account(&self, phone: &str, name: &str) -> Value {
        let (status, body) = self.post("/accounts", json!({ "phone": phone, "name": name })).await;
        assert_eq!(status, 201, "create account: {body}");
        body
    }

    /// Links a fresh companion to `phone` by QR; returns it once Connected.
    async fn link(&self, sandbox: &SandboxHandle, phone: &str) -> Companion {
        let mut companion = Companion::connect(sandbox).await;
        let qr = companion.qr().await;
        let (status, body) = self.post(&format!("/accounts/{phone}/scan"), json!({ "qr": qr })).await;
        assert_eq!(status, 200, "scan: {body}");
        let scanned = Instant::now();
        companion.connected().await;
        let took = scanned.elapsed();
        assert!(took < Duration::from_secs(2), "linking {phone} took {took:?} after the scan");
        companion
    }

    /// Polls what the account's phone received until `text` is there (the admin API has no push).
    async fn phone_received(&self, phone: &str, text: &str) -> Value {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        loop {
            let inbox = self.get(&format!("/accounts/{phone}/messages")).await;
            if let Some(m) = inbox.as_array().and_then(|a| a.iter().find(|m| m["text"] == text)) {
                return m.clone();
            }
            assert!(Instant::now() < deadline, "phone {phone} never received {text:?}; inbox: {inbox}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[actix_web::test]
async fn two_companions_link_and_exchange_messages() {
    let _ = env_logger::builder().is_test(true).try_init();
    let sandbox = sandbox::start(SandboxConfig::default()).await.expect("start sandbox");
    let admin = Admin { http: awc::Client::default(), base: sandbox.admin_url() };

    let info = admin.get("/info").await;
    assert_eq!(info["ws_url"], sandbox.ws_url());
    assert_eq!(info["root_public_key"], sandbox.root_public_key_base64());

    let alice = admin.create_account("15550000001", "Alice").await;
    let bob = admin.create_account("+1 555 000 0002", "Bob").await;
    assert_eq!(bob["phone"], "15550000002");
    assert!(bob["lid"].as_str().is_some_and(|l| !l.is_empty()));
    let accounts = admin.get("/accounts").await;
    assert_eq!(accounts.as_array().map(Vec::len), Some(2));

    let mut a = admin.link(&sandbox, "15550000001").await;
    let mut b = admin.link(&sandbox, "15550000002").await;

    let devices = admin.get("/accounts/15550000002/devices").await;
    let linked: Vec<&Value> = devices.as_array().expect("devices").iter().filter(|d| d["device"] != 0).collect();
    assert_eq!(linked.len(), 1, "{devices}");
    assert_eq!(linked[0]["linked"], true);
    assert_eq!(linked[0]["online"], true);

    // Companion A → account B: B's companion and B's phone both decrypt it.
    let sent = a
        .bot
        .client()
        .send_text(Jid::pn("15550000002"), "hello from A's companion")
        .await
        .expect("send from A");
    let (_, sender) = b.text("hello from A's companion").await;
    assert_eq!(sender.user_base(), alice["lid"].as_str().filter(|_| sender.is_lid()).unwrap_or("15550000001"));
    let on_phone = admin.phone_received("15550000002", "hello from A's companion").await;
    assert_eq!(on_phone["id"], sent.message_id.as_str());
    assert_eq!(on_phone["from"], "15550000001@s.whatsapp.net");
    // The receivers' delivery receipts come back to the sending companion.
    a.receipt_for(&sent.message_id).await;

    // Account B's phone (admin API) → account A: A's companion decrypts it.
    let (status, body) =
        admin.post("/accounts/15550000002/messages", json!({ "to": "+15550000001", "text": "hi from B's phone" })).await;
    assert_eq!(status, 202, "send as B: {body}");
    let (id, _) = a.text("hi from B's phone").await;
    assert_eq!(body["id"], id.as_str());

    // And back from companion B to account A's phone.
    let sent = b.bot.client().send_text(Jid::pn("15550000001"), "reply from B").await.expect("send from B");
    admin.phone_received("15550000001", "reply from B").await;
    b.receipt_for(&sent.message_id).await;

    sandbox.stop().await;
}

#[actix_web::test]
async fn scanning_an_unknown_qr_is_a_client_error() {
    let sandbox = sandbox::start(SandboxConfig::default()).await.expect("start sandbox");
    let admin = Admin { http: awc::Client::default(), base: sandbox.admin_url() };
    admin.create_account("15550000009", "Carol").await;
    let (status, body) = admin.post("/accounts/15550000009/scan", json!({ "qr": "not,a,real,qr" })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_request");
    let (status, _) = admin.post("/accounts/19999999999/scan", json!({ "qr": "x" })).await;
    assert_eq!(status, 404);
    sandbox.stop().await;
}
