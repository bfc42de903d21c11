//! Shared by the sandbox tests: engine companions that record their events, and an admin API
//! client.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use wacore::pair_code::PairCodeOptions;
use wacore::proto_helpers::MessageExt;
use wacore::store::InMemoryBackend;
use wacore::store::traits::Backend;
use wacore::types::events::Event;
use wacore_binary::Jid;
use waras::sandbox::SandboxHandle;
use waras::sandbox::engine::{SandboxHttpClient, WsTransportFactory};
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
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
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
}

pub struct Admin {
    pub http: awc::Client,
    pub base: String,
}

impl Admin {
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let mut resp = self
            .http
            .post(format!("{}{path}", self.base))
            .send_json(&body)
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let json = resp
            .json::<Value>()
            .limit(1 << 20)
            .await
            .unwrap_or(Value::Null);
        (resp.status().as_u16(), json)
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
            .limit(1 << 20)
            .await
            .expect("json body")
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
        let deadline = Instant::now() + EVENT_TIMEOUT;
        loop {
            let inbox = self.get(&format!("/accounts/{phone}/messages")).await;
            if let Some(m) = inbox
                .as_array()
                .and_then(|a| a.iter().find(|m| m["text"] == text))
            {
                return m.clone();
            }
            assert!(
                Instant::now() < deadline,
                "phone {phone} never received {text:?}; inbox: {inbox}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
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
        let deadline = Instant::now() + EVENT_TIMEOUT;
        loop {
            let devices = self.get(&format!("/accounts/{phone}/devices")).await;
            let found = devices
                .as_array()
                .and_then(|d| d.iter().find(|d| d["device"] == device))
                .cloned();
            if found.is_some_and(|d| d["online"] == online) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{phone}:{device} never became online={online}: {devices}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
