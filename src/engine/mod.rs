//! Adapters that let the `whatsapp-rust` engine run inside WARAS: its runtime, transport, HTTP
//! client and persistent store (with key material sealed at rest), and the translation of its
//! events. WARAS never reimplements the protocol.

pub mod compose;
pub mod decode;
pub mod history;
pub mod http;
pub mod inbound;
pub mod jid;
pub mod live;
pub mod notices;
pub mod proxy;
pub mod rekey;
pub mod runtime;
pub mod sandbox_media;
pub mod sealing;
pub mod store;
pub mod stores;
pub mod transport;
pub mod version;

use std::sync::Arc;

use actix::ArbiterHandle;

use crate::domain::proxy::ProxyUrl;
use wacore::store::traits::Backend;

pub use runtime::EngineRuntime;
pub use sealing::{KEY_LEN, Sealer, check_master_key, rotate_data_key};
pub use store::DieselStore;
pub use stores::DieselStores;

/// Where each session's engine state lives.
#[async_trait::async_trait]
pub trait SessionStores: Send + Sync {
    /// The store of one session (created empty for a new session). With a `fence`, every call
    /// fails once this process no longer owns the session.
    async fn open(
        &self,
        session_id: &str,
        fence: Option<Arc<crate::db::cluster::Fence>>,
    ) -> anyhow::Result<Arc<dyn Backend>>;
    /// Deletes all key material of a session (logout, unlink); with a `fence`, only while this
    /// process owns the session.
    async fn wipe(
        &self,
        session_id: &str,
        fence: Option<Arc<crate::db::cluster::Fence>>,
    ) -> anyhow::Result<()>;
}

/// What every SessionActor needs to run an engine client.
#[derive(Clone)]
pub struct EngineDeps {
    pub runtime: EngineRuntime,
    /// The actix arbiter that owns every WebSocket and HTTP connection (awc is not `Send`).
    pub network: ArbiterHandle,
    pub wa_url: String,
    /// The WhatsApp Web version sessions announce (pinned, fetched, or built in).
    pub version: version::WaVersion,
    pub stores: Arc<dyn SessionStores>,
    /// A CA the media HTTP client trusts besides the system's: the sandbox media host's, read
    /// from the sandbox in sandbox builds; always `None` otherwise.
    pub media_ca: Option<Arc<str>>,
    /// Whether presence and typing notices go to the event log (`store_presence_events`).
    pub store_presence_events: bool,
    /// How long after its time a scheduled send may still go out (`schedule_max_lateness_secs`).
    pub schedule_max_lateness_ms: i64,
    /// Counts presence and typing events dropped because a session's engine queue was full.
    pub events_dropped: prometheus::IntCounter,
    /// Which hosts the engine's HTTP client may call and how much it may read back.
    pub http_policy: Arc<http::HttpPolicy>,
    /// Opens sessions' sealed proxy URLs.
    pub proxies: crate::crypto::Sealer,
    /// How many engines may open their stores and build at once: at a restart with thousands of
    /// sessions, the others wait their turn here instead of timing out on the database pool
    /// (as many as its connections).
    pub starts: Arc<tokio::sync::Semaphore>,
}

impl EngineDeps {
    /// A session's proxy from its sealed URL; `None` (connect directly) when it has none. A URL
    /// that does not open is an error: connecting directly instead would bypass the proxy.
    pub fn open_proxy(
        &self,
        session_id: &str,
        sealed: Option<&str>,
    ) -> anyhow::Result<Option<ProxyUrl>> {
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self
            .proxies
            .open(sealed, session_id.as_bytes())
            .map_err(|_| anyhow::anyhow!("the session's proxy URL does not open"))?;
        let url = String::from_utf8(plain)?;
        Ok(Some(ProxyUrl::parse(&url)?))
    }
}
