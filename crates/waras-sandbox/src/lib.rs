//! The sandbox: a WhatsApp Web server simulator on loopback (DESIGN.md, "The sandbox").
//!
//! Real WhatsApp Web clients connect to `ws://…/ws/chat`, complete the Noise handshake (XX, IK,
//! XXfallback) against a certificate chain signed by the sandbox's root key, link to simulated
//! accounts by QR or pairing code, log in, and exchange end-to-end encrypted messages, receipts,
//! presence and typing with each other and with the accounts' phones. Each account's phone
//! (device 0) is an engine client running in-process, so it really encrypts and decrypts.
//!
//! Admin API (`admin_scope`, mounted at `/sandbox` on the sandbox's own port):
//! - `GET /sandbox/info` → `{"ws_url","root_public_key","media_host","media_ca_pem"}`
//! - `POST /sandbox/accounts {"phone"?,"name"?}` → 201 `{"phone","lid","name"}`; `GET /sandbox/accounts`
//! - `POST /sandbox/accounts/{phone}/scan {"qr"}` → `{"device","jid"}`
//! - `POST /sandbox/accounts/{phone}/link-code {"code"}` → 202
//! - `GET /sandbox/accounts/{phone}/devices`; `DELETE /sandbox/accounts/{phone}/devices/{device}` → 204
//! - `POST /sandbox/accounts/{phone}/messages` → 202 `{"id","to"}`; the body names `to` (phone,
//!   JID or group JID) and exactly one of `text`, `image|video|audio|document|sticker`
//!   (`{"data":base64,"mimetype"?,"filename"?,"voice"?,"forge"?}`, with `caption`; `forge`
//!   `{"url"?,"static_url"?,"direct_path"?,"file_length"?}` overwrites the uploaded file's
//!   fields as a hostile sender could), `location`,
//!   `contact`, `reaction`, `poll`, `poll_vote`, `edit`, `revoke`; `reply_to` and `mentions` go
//!   with text, media, location and contact (see `admin/messages.rs`)
//! - `GET /sandbox/accounts/{phone}/messages` → typed inbox (`records::ReceivedMessage`);
//!   `GET …/receipts`, `GET …/chatstates`, `GET …/presences` (a phone hears the presence of
//!   the accounts it knows: those it exchanged messages with, looked up or shares a group with,
//!   and those it subscribed to)
//! - `POST /sandbox/accounts/{phone}/groups {"subject","participants":[phone…]}` → 201
//!   `{"id","subject","creator","participants"}`; `GET /sandbox/accounts/{phone}/groups`
//! - `GET /sandbox/groups/{group}` → `GroupView`; by the account's phone:
//!   `POST …/accounts/{phone}/groups/{group}/participants {"action","participants"}`,
//!   `POST …/accounts/{phone}/groups/join {"code"}`, `POST …/accounts/{phone}/groups/{group}/leave`,
//!   `PUT …/accounts/{phone}/groups/{group} {"subject"?,"description"?,"announce"?,"locked"?}`
//! - `GET /sandbox/accounts/{phone}/profile` → `{"phone","lid","name","about","picture"}`;
//!   `PUT` the same with `{"name"?,"about"?,"picture"?}` (done by the phone)
//! - `POST /sandbox/faults {"kind":"drop"|"refuse"|"delay","phone"?,"seconds"?}` → 202
//!
//! Groups: create, metadata, participating list, add/remove/promote/demote, leave, subject,
//! description, announcement and locked settings, invite links (get, revoke, join by code),
//! sender-key group messages with receipts, and `w:gp2` notifications to members.
//!
//! Media: an HTTPS host (own CA, `SandboxHandle::media_ca_pem`) that stores the clients'
//! encrypted uploads in memory and serves them back, plus profile pictures;
//! `engine::SandboxHttpClient` trusts it.
//!
//! Profiles: about text (`status` IQ, usync `status`), pictures (`w:profile:picture`, usync
//! `picture`), push names (`<presence name>`, shown as `notify` on messages), with `status` and
//! `picture` notifications to contacts.
//!
//! Faults: `drop` closes live connections now (clients reconnect); `refuse` answers logins with
//! `<failure reason="503">` until it expires; `delay` holds new connections (or, with `phone`,
//! that account's logins) until it expires. `seconds` defaults to 30.
//!
//! State (accounts, keys, linked devices, prekeys, groups, inboxes, offline queues) and the keys
//! (Noise root, server static, media CA) and profiles persist in `data_dir` when one is given;
//! receipts, chat states, presences and uploaded media live in memory only.
//!
//! Not simulated yet: group pictures, app-state content (collections are always empty at
//! version 0), calls, newsletters, communities, status broadcasts.
//!
//! Engine clients only accept the sandbox's certificate chain with the engine's
//! `danger-skip-cert-chain-verify` feature, which this crate turns on. WARAS depends on this crate
//! only through its optional `sandbox` feature (which re-exports it as `waras::sandbox`), so a
//! default WARAS build contains neither the crate nor the feature.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "unit tests: a panic is the failure report"
    )
)]

// Layers, each calling only the ones listed before it:
// - `certs`, `nodes`, `media`, `engine`: keys and certificates, the stanza vocabulary, the HTTPS
//   media host, and the engine glue for in-process phones;
// - `net`: the simulated network's state (accounts, devices, groups, profiles, pending pairings)
//   and its persistence, with no connection in it;
// - `server`: the WhatsApp Web server side, one task per client connection (Noise, login,
//   pairing, IQs, message relay);
// - `phones`: each account's phone, an engine client connected through `server`;
// - `admin`: the HTTP admin API that drives the phones and reads the network.
mod admin;
mod certs;
pub mod engine;
mod media;
mod net;
mod nodes;
mod phones;
mod server;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpServer, web};
use anyhow::{Context, Result};
use base64::Engine as _;

pub use admin::AdminError;
pub use net::group_views::{GroupInfo, GroupView, MemberView};
pub use net::profile::ProfileView;
pub use net::records::{
    ChatStateRecord, ContactRecord, EditRecord, LocationRecord, MediaRecord, PollRecord,
    PollVoteRecord, PresenceRecord, ReactionRecord, ReceiptRecord, ReceivedMessage, RevokeRecord,
};

pub use phones::accounts::{AccountInfo, DeviceInfo};
pub use phones::actions::ParticipantOutcome;

use self::net::core::{Core, Faults};
use self::net::persist;
use self::phones::phone;
use self::server::ws;

/// Threads of the sandbox's own runtime (connections and phones).
const SANDBOX_THREADS: usize = 2;

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port (see `SandboxHandle::addr`).
    pub listen: SocketAddr,
    /// Keeps the root and server keys (so clients' cached chains stay valid across restarts).
    /// `None`: fresh keys for every start.
    pub data_dir: Option<PathBuf>,
    /// Where the HTTPS media host listens (clients hard-code `https://` for media).
    pub media_listen: SocketAddr,
    /// QR refs offered to an unpaired client (WhatsApp offers 6; a client shows one per ~20 s and
    /// gives up when they run out). Fewer make QR exhaustion quick to reach in tests.
    pub pairing_refs: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            media_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            pairing_refs: 6,
        }
    }
}

/// A running sandbox. Dropping it without `stop()` leaves the HTTP server running until the
/// actix System ends, but shuts the sandbox's own runtime down. Clones share one sandbox (the
/// service can keep one to mount `admin_scope` in each worker); the runtime goes when the last
/// clone does, or at `stop()`.
#[derive(Clone)]
pub struct SandboxHandle {
    addr: SocketAddr,
    core: Arc<Core>,
    server: actix_web::dev::ServerHandle,
    media_server: actix_web::dev::ServerHandle,
    runtime: Arc<RuntimeGuard>,
}

/// Owns the sandbox runtime; shutting it down on drop.
struct RuntimeGuard(Mutex<Option<tokio::runtime::Runtime>>);

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        shutdown_runtime(&self.0);
    }
}

impl SandboxHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The WebSocket URL clients dial (`ws://host:port/ws/chat`).
    pub fn ws_url(&self) -> &str {
        &self.core.ws_url
    }

    /// The root public key that signs the certificate chain (32 bytes, Curve25519).
    pub fn root_public_key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.core.root.public_key.public_key_bytes());
        key
    }

    pub fn root_public_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.root_public_key())
    }

    /// `host:port` of the HTTPS media host (what `media_conn` hands out).
    pub fn media_host(&self) -> &str {
        &self.core.media_host
    }

    /// PEM of the CA that signs the media host's certificate: trust it to upload and download.
    pub fn media_ca_pem(&self) -> &str {
        &self.core.media_ca_pem
    }

    /// What the media host serves at `direct_path` (uploads are the clients' encrypted blobs).
    pub fn media_object(&self, direct_path: &str) -> Option<Vec<u8>> {
        self.core.media.get(direct_path).map(|b| b.to_vec())
    }

    /// The admin API's base URL on the sandbox's own port.
    pub fn admin_url(&self) -> String {
        format!("http://{}/sandbox", self.addr)
    }

    /// Stops the HTTP server, every connection and every phone.
    pub async fn stop(self) {
        // Connections first: the HTTP server's graceful stop would otherwise wait for every open
        // WebSocket to close by itself.
        if let Err(e) = persist::save(&self.core, None) {
            log::warn!("sandbox: saving state at stop failed: {e:#}");
        }
        self.core.lock_phones().clear();
        shutdown_runtime(&self.runtime.0);
        self.server.stop(true).await;
        self.media_server.stop(true).await;
    }
}

fn shutdown_runtime(runtime: &Mutex<Option<tokio::runtime::Runtime>>) {
    // `shutdown_background`: dropping a runtime from inside async code would panic.
    if let Some(rt) = runtime.lock().unwrap_or_else(|p| p.into_inner()).take() {
        rt.shutdown_background();
    }
}

/// The `/sandbox` admin routes, for mounting in any actix-web app (the sandbox's own server, or
/// the service's under `waras serve --sandbox`).
pub fn admin_scope(sandbox: &SandboxHandle) -> actix_web::Scope {
    admin::scope_for(sandbox.core.clone())
}

/// Starts a sandbox inside the current actix System: WebSocket `/ws/chat` and the admin API under
/// `/sandbox` on `cfg.listen`.
pub async fn start(cfg: SandboxConfig) -> Result<SandboxHandle> {
    let data_dir = cfg.data_dir.clone();
    let root = certs::load_or_create_key(data_dir.as_deref(), "sandbox-root.key")?;
    let server_static =
        certs::load_or_create_key(data_dir.as_deref(), "sandbox-server-static.key")?;
    let cert_chain = certs::build_cert_chain(&root, server_static.public_key.public_key_bytes())?;
    let runtime = new_runtime()?;
    let (listener, addr) = bind(cfg.listen, "the bound address")?;
    let (media_listener, media_addr) = bind(cfg.media_listen, "the media address")?;
    let media_ca = media::load_or_create_ca(data_dir.as_deref())?;
    let net = match data_dir.as_deref() {
        Some(dir) => persist::load(dir)?,
        None => Default::default(),
    };
    let saved_phones: Vec<String> = net.accounts.keys().cloned().collect();
    let (phone_tasks, tasks) = tokio::sync::mpsc::unbounded_channel();
    let media_ca_pem = media_ca.cert_pem()?;
    let media_host = media_addr.to_string();
    let core = Arc::new(Core {
        net: std::sync::Mutex::new(net),
        net_changes: Default::default(),
        root,
        server_static,
        cert_chain,
        rt: runtime.handle().clone(),
        phones: Default::default(),
        phone_tasks,
        faults: Faults::default(),
        ws_url: format!("ws://{addr}/ws/chat"),
        phone_http: engine::SandboxHttpClient::new(&media_ca_pem)?.only(&media_host),
        media_host,
        media_ca_pem,
        media: Default::default(),
        data_dir,
        pairing_refs: cfg.pairing_refs.max(1),
    });
    restore(&core, &runtime, tasks, saved_phones).await?;
    let runtime = Arc::new(RuntimeGuard(Mutex::new(Some(runtime))));
    let server = serve_chat(&core, listener)?;
    let media_server = serve_media(&core, media_listener, &media_ca)?;
    log::info!("sandbox listening on {addr}");
    Ok(SandboxHandle {
        addr,
        core,
        server,
        media_server,
        runtime,
    })
}

/// The sandbox's own runtime, where connections and phones run.
fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(SANDBOX_THREADS)
        .thread_name("sandbox")
        .enable_all()
        .build()
        .context("building the sandbox runtime")
}

/// A listener on `addr` and the address it got (`what` names it in errors).
fn bind(addr: SocketAddr, what: &str) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("reading {what}"))?;
    Ok((listener, bound))
}

/// Brings restored state back to life on `runtime`: profile pictures on the media host, the phone
/// task loop, the restored accounts' phones (before anyone can talk to them), and the periodic
/// saver when there is a data directory.
async fn restore(
    core: &Arc<Core>,
    runtime: &tokio::runtime::Runtime,
    tasks: tokio::sync::mpsc::UnboundedReceiver<net::core::PhoneTask>,
    saved_phones: Vec<String>,
) -> Result<()> {
    for picture in core
        .read_net()
        .profiles
        .values()
        .filter_map(|p| p.picture.as_ref())
    {
        core.media.put(&picture.direct_path, picture.bytes.clone());
    }
    runtime.spawn(phone::run_tasks(Arc::downgrade(core), tasks));
    for phone in saved_phones {
        let started = runtime
            .spawn(phone::start(core.clone(), phone.clone()))
            .await;
        started
            .map_err(|e| anyhow::anyhow!("phone task failed: {e}"))
            .and_then(|r| r)
            .with_context(|| format!("restarting the phone of {phone}"))?;
    }
    if core.data_dir.is_some() {
        runtime.spawn(persist::run_saver(Arc::downgrade(core)));
    }
    Ok(())
}

/// Serves WebSocket `/ws/chat` and the admin API on `listener`, in the current actix System.
fn serve_chat(core: &Arc<Core>, listener: TcpListener) -> Result<actix_web::dev::ServerHandle> {
    let scope_core = core.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(scope_core.clone()))
            .route("/ws/chat", web::get().to(ws::chat))
            .service(admin::scope_for(scope_core.clone()))
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .listen(listener)
    .context("serving the sandbox")?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(handle)
}

/// Serves the HTTPS media host on `listener`, with a certificate signed by `ca`.
fn serve_media(
    core: &Core,
    listener: TcpListener,
    ca: &media::MediaCa,
) -> Result<actix_web::dev::ServerHandle> {
    let media_state = web::Data::new(media::MediaState {
        store: core.media.clone(),
        host: core.media_host.clone(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(media_state.clone())
            .configure(media::configure)
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .listen_openssl(listener, media::tls_acceptor(ca)?)
    .context("serving sandbox media")?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(handle)
}
