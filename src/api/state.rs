use std::sync::Arc;

use actix::Addr;
use secrecy::SecretString;

use crate::actors::EventHub;
use crate::cluster::Sessions;
use crate::crypto::Sealer;
use crate::db::Db;
use crate::metrics::Metrics;

/// What every handler may reach: storage, the one door to sessions and the process-wide
/// settings.
pub struct AppState {
    pub db: Db,
    pub sessions: Sessions,
    /// When this process started (ms), for the cluster view.
    pub started_at: i64,
    pub metrics: Arc<Metrics>,
    pub admin_key: SecretString,
    /// Seals webhook signing secrets at rest.
    pub webhook_secrets: Sealer,
    /// Seals sessions' proxy URLs at rest.
    pub session_proxies: Sealer,
    /// Seals event sinks' broker URLs and signing secrets at rest.
    pub event_sinks: Sealer,
    /// Whether webhooks and media URLs may target private addresses.
    pub allow_private: bool,
    /// The largest media file a send accepts (inline, uploaded or fetched), in bytes.
    pub media_max_bytes: usize,
    /// Request rate limits per key and per tenant.
    pub rate_limits: std::sync::Arc<super::rate_limit::RateLimits>,
    /// Where mutating calls are recorded.
    pub audit: crate::audit::AuditLog,
    /// Quotas of tenants that have none of their own.
    pub default_quotas: crate::domain::Quotas,
    /// How long a rotated-out webhook secret keeps signing.
    pub secret_grace_ms: i64,
    pub hub: Addr<EventHub>,
    pub tickets: super::stream::TicketBook,
    /// Capacity of a WebSocket subscriber's queue, in events.
    pub ws_queue: usize,
    /// How long one frame may wait for a client that does not read.
    pub ws_send_timeout: std::time::Duration,
}
