//! The sandbox's shared core: keys, certificate chain, network state, phones and faults.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use wacore_libsignal::protocol::KeyPair;

use super::phone::PhoneClient;
use super::state::Network;

pub(crate) struct Core {
    pub net: Mutex<Network>,
    pub root: KeyPair,
    pub server_static: KeyPair,
    pub cert_chain: Vec<u8>,
    /// The sandbox's own multi-thread runtime: connections and phones run here, never on an
    /// actix arbiter.
    pub rt: tokio::runtime::Handle,
    pub phones: Mutex<HashMap<String, PhoneClient>>,
    pub faults: Faults,
    pub ws_url: String,
    /// `host:port` of the HTTPS media host.
    pub media_host: String,
    pub media_ca_pem: String,
    /// What the media host serves: encrypted uploads and published profile pictures.
    pub media: std::sync::Arc<super::media::MediaStore>,
    pub data_dir: Option<PathBuf>,
    /// QR refs offered per pairing attempt.
    pub pairing_refs: usize,
}

impl Core {
    /// The network lock. A poisoned lock means a panic mid-update; the state is still the best
    /// there is, so carry on with it rather than wedge the whole sandbox.
    pub fn lock_net(&self) -> MutexGuard<'_, Network> {
        self.net.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn lock_phones(&self) -> MutexGuard<'_, HashMap<String, PhoneClient>> {
        self.phones.lock().unwrap_or_else(|p| p.into_inner())
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
