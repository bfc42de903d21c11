//! The sandbox's shared core: keys, certificate chain, network state, phones and faults.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use wacore_libsignal::protocol::KeyPair;
use whatsapp_rust::bot::BotHandle;
use whatsapp_rust::client::Client;

use super::network::Network;

/// An account's phone (device 0): an engine client running in-process.
pub(crate) struct PhoneClient {
    pub client: std::sync::Arc<Client>,
    /// Held so the phone runs for as long as it is registered.
    pub _bot: BotHandle,
}

/// What the network asks of an account's phone; the phones do it (`phones::phone::run_tasks`).
#[derive(Debug)]
pub(crate) enum PhoneTask {
    /// A new companion is online with keys: push it the account's app-state keys.
    ShareAppStateKeys { phone: String },
}

pub(crate) struct Core {
    pub net: Mutex<Network>,
    /// Bumped whenever the network is locked for writing: the saver writes the state only when
    /// it moved (an idle network costs nothing to keep saved).
    pub net_changes: AtomicU64,
    pub root: KeyPair,
    pub server_static: KeyPair,
    pub cert_chain: Vec<u8>,
    /// The sandbox's own multi-thread runtime: connections and phones run here, never on an
    /// actix arbiter.
    pub rt: tokio::runtime::Handle,
    pub phones: Mutex<HashMap<String, PhoneClient>>,
    pub phone_tasks: mpsc::UnboundedSender<PhoneTask>,
    pub faults: Faults,
    pub ws_url: String,
    /// `host:port` of the HTTPS media host.
    pub media_host: String,
    pub media_ca_pem: String,
    /// The phones' HTTP client (media only), shared: building a TLS client reads and parses a
    /// trust store, which per phone took most of an account's creation time.
    pub phone_http: crate::engine::SandboxHttpClient,
    /// What the media host serves: encrypted uploads and published profile pictures.
    pub media: std::sync::Arc<crate::media::MediaStore>,
    pub data_dir: Option<PathBuf>,
    /// QR refs offered per pairing attempt.
    pub pairing_refs: usize,
}

impl Core {
    /// The network lock. A poisoned lock means a panic mid-update; the state is still the best
    /// there is, so carry on with it rather than wedge the whole sandbox.
    pub fn lock_net(&self) -> MutexGuard<'_, Network> {
        let guard = self.net.lock().unwrap_or_else(|p| p.into_inner());
        self.net_changes.fetch_add(1, Ordering::Relaxed);
        guard
    }

    /// The network lock for state that is not saved (who looked whom up): no change to save.
    pub fn lock_watchers(&self) -> MutexGuard<'_, Network> {
        self.net.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The network lock for reading only: it does not count as a change to save.
    pub fn read_net(&self) -> NetRead<'_> {
        NetRead(self.net.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// How many times the network was locked for writing so far.
    pub fn net_generation(&self) -> u64 {
        self.net_changes.load(Ordering::Relaxed)
    }

    pub fn lock_phones(&self) -> MutexGuard<'_, HashMap<String, PhoneClient>> {
        self.phones.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new companion needs the account's app-state keys, which a real phone pushes right after
    /// linking (the companion otherwise waits for them before it reports itself connected). The
    /// share is due once the companion is online and has keys others can encrypt to.
    pub fn key_share_if_due(&self, phone: &str, device: u16) {
        let due = {
            let mut net = self.lock_net();
            let online = net.conns.contains_key(&(phone.to_string(), device));
            match net
                .accounts
                .get_mut(phone)
                .and_then(|a| a.devices.get_mut(&device))
            {
                Some(d) if d.needs_key_share && d.signed_prekey.is_some() && online => {
                    d.needs_key_share = false;
                    true
                }
                _ => false,
            }
        };
        if due {
            let _ = self.phone_tasks.send(PhoneTask::ShareAppStateKeys {
                phone: phone.to_string(),
            });
        }
    }
}

/// The network, held for reading (no `DerefMut`: a change must go through `Core::lock_net`).
pub(crate) struct NetRead<'a>(MutexGuard<'a, Network>);

impl Deref for NetRead<'_> {
    type Target = Network;

    fn deref(&self) -> &Network {
        &self.0
    }
}

/// An injected fault, active until `until`.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub kind: FaultKind,
    pub phone: Option<String>,
    pub until: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// Refuse logins.
    Refuse,
    /// Delay new connections before the handshake.
    Delay,
    /// Answer device and key lookups (usync, prekeys) with WhatsApp's rate-limit error (429
    /// rate-overlimit), as it does for an account that contacts too many new numbers.
    RateLimit,
}

#[derive(Default)]
pub(crate) struct Faults {
    active: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        active.retain(|f| f.until > now);
        active.push(fault);
    }

    fn matching(&self, kind: FaultKind, phone: Option<&str>) -> Option<Fault> {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        active
            .iter()
            .find(|f| {
                f.kind == kind
                    && f.until > now
                    && (f.phone.is_none() || f.phone.as_deref() == phone)
            })
            .cloned()
    }

    pub fn refuses(&self, phone: &str) -> bool {
        self.matching(FaultKind::Refuse, Some(phone)).is_some()
    }

    pub fn rate_limits(&self, phone: &str) -> bool {
        self.matching(FaultKind::RateLimit, Some(phone)).is_some()
    }

    /// Delay faults that name no phone hold every new connection before its handshake until the
    /// fault ends (the phone is not known before the handshake).
    pub fn connect_delay(&self) -> Option<Duration> {
        self.matching(FaultKind::Delay, None)
            .map(|f| f.until.saturating_duration_since(Instant::now()))
    }

    /// A delay fault naming `phone` holds that account's logins until the fault ends.
    pub fn login_delay(&self, phone: &str) -> Option<Duration> {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        active
            .iter()
            .find(|f| {
                f.kind == FaultKind::Delay && f.until > now && f.phone.as_deref() == Some(phone)
            })
            .map(|f| f.until.saturating_duration_since(now))
    }
}
