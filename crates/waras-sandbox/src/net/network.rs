//! The simulated network's state: accounts, their devices and keys, live connections and the
//! pairings waiting for a phone. One lock guards it all; nothing awaits while holding it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use tokio::sync::mpsc;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::KeyPair;

/// What the network asks a live connection to do.
#[derive(Debug)]
pub(crate) enum ConnCommand {
    Send(Node),
    /// Send the node (a stream error or failure), then close.
    Close(Option<Node>),
}

#[derive(Clone)]
pub(crate) struct ConnHandle {
    pub id: u64,
    pub tx: mpsc::UnboundedSender<ConnCommand>,
}

/// The signed prekey a device uploaded.
#[derive(Clone, Debug)]
pub(crate) struct SignedPreKey {
    pub id: u32,
    pub public: Vec<u8>,
    pub signature: Vec<u8>,
}

#[derive(Clone, Debug)]
pub(crate) struct DeviceRecord {
    pub id: u16,
    pub noise_pub: [u8; 32],
    pub identity_pub: [u8; 32],
    pub key_index: u32,
    pub platform: String,
    /// `ADVSignedDeviceIdentity` as the companion countersigned it in pair-device-sign.
    pub signed_identity: Option<Vec<u8>>,
    /// False until the companion answers pair-success with its signature.
    pub linked: bool,
    pub registration_id: Option<u32>,
    pub signed_prekey: Option<SignedPreKey>,
    /// One-time prekeys; each is handed out once.
    pub prekeys: VecDeque<(u32, Vec<u8>)>,
    /// Set at pairing: the phone owes this companion the app-state key share.
    pub needs_key_share: bool,
    pub linked_at: i64,
}

pub(crate) struct Account {
    pub phone: String,
    pub lid: String,
    pub name: String,
    /// The primary device's identity key; also the account key that signs companions (ADV).
    pub identity: KeyPair,
    /// The phone's Noise static key, by which the sandbox recognises its logins.
    pub phone_noise: KeyPair,
    pub devices: BTreeMap<u16, DeviceRecord>,
    pub next_device: u16,
    pub inbox: super::inbox::Inbox,
}

pub use super::records::ReceivedMessage;

impl Account {
    pub fn pn_jid(&self) -> Jid {
        Jid::pn(self.phone.as_str())
    }
    pub fn lid_jid(&self) -> Jid {
        Jid::lid(self.lid.as_str())
    }
    /// WA's ADV `raw_id` names the account's identity epoch; any stable value works for clients,
    /// as long as device identities and key-index lists agree on it.
    pub fn raw_id(&self) -> u32 {
        self.phone
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
    }
}

/// A companion showing a QR code: what the phone needs to link it.
pub(crate) struct PendingPairing {
    pub conn: ConnHandle,
    pub noise_pub: [u8; 32],
}

/// A companion showing a pairing code for an account's number.
pub(crate) struct CodeRequest {
    pub conn: ConnHandle,
    pub noise_pub: [u8; 32],
    pub wrapped_companion_ephemeral: Vec<u8>,
    pub pairing_ref: String,
}

/// A code the phone accepted; waiting for the companion's key bundle.
pub(crate) struct CodeFlow {
    pub phone: String,
    pub conn: ConnHandle,
    pub noise_pub: [u8; 32],
    pub primary_ephemeral: KeyPair,
    pub companion_ephemeral_pub: [u8; 32],
}

/// An outstanding pair-success: the companion's answer completes the link.
pub(crate) struct PairingInFlight {
    pub phone: String,
    pub device: u16,
}

/// An account's about text and picture.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    /// A WhatsApp Business account.
    pub business: bool,
    pub about: String,
    pub about_set_at: i64,
    pub picture: Option<Picture>,
}

/// A published profile picture.
#[derive(Clone, Debug)]
pub(crate) struct Picture {
    pub id: u64,
    pub bytes: Vec<u8>,
    pub direct_path: String,
}

/// Who sent a message, so receipts for it can find their way back.
#[derive(Clone)]
pub(crate) struct SentBy {
    pub phone: String,
    pub device: u16,
}

#[derive(Default)]
pub(crate) struct Network {
    pub accounts: BTreeMap<String, Account>,
    pub lid_to_phone: HashMap<String, String>,
    pub conns: HashMap<(String, u16), ConnHandle>,
    /// By pairing ref.
    pub pending_pairings: HashMap<String, PendingPairing>,
    /// Companions showing a pairing code, by the account number they asked for.
    pub code_requests: HashMap<String, CodeRequest>,
    /// Codes the phone accepted, by pairing ref.
    pub code_flows: HashMap<String, CodeFlow>,
    /// By pair-success IQ id.
    pub pairings_in_flight: HashMap<String, PairingInFlight>,
    /// Messages for devices that were offline, delivered at their next login.
    pub offline: HashMap<(String, u16), VecDeque<Node>>,
    /// Messages handed to a live connection that its device has not yet acknowledged (with a
    /// receipt or an ack); they go back to the offline queue if the connection drops first.
    pub unacked: HashMap<(String, u16), Vec<(String, Node)>>,
    sent: HashMap<String, SentBy>,
    /// Insertion order of `sent`, to forget the oldest senders first.
    sent_order: VecDeque<String>,
    pub next_conn_id: u64,
    /// Groups by the user part of their JID.
    pub groups: BTreeMap<String, super::group::Group>,
    /// Accounts whose devices last said they are available.
    pub available: HashSet<String>,
    /// Devices subscribed to an account's presence, by the account watched.
    pub presence_subscribers: HashMap<String, HashSet<(String, u16)>>,
    /// Receipts, chat states and presences each account's phone received.
    pub activity: HashMap<String, super::records::Activity>,
    /// About text and picture, by account.
    pub profiles: HashMap<String, Profile>,
    /// Polls the phones know the secrets of, by poll message id.
    pub polls: HashMap<String, super::records::KnownPoll>,
    /// Calls by call id (signalling only).
    pub calls: BTreeMap<String, super::calls::Call>,
    /// By account: the accounts it blocked, with when (unix seconds).
    pub blocked: HashMap<String, BTreeMap<String, i64>>,
    /// Who sees an account's status posts: the devices it distributed its status key to.
    pub status_audience: HashMap<String, std::collections::BTreeSet<(String, u16)>>,
    /// Channels (newsletters) by the user part of their JID.
    pub channels: super::channels::Channels,
    /// App state patches by account and collection.
    pub syncd: super::syncd::Syncd,
    /// By account: the accounts whose devices looked its device list up (usync) since the
    /// sandbox started; they are told when it changes. Not saved: after a restart, message
    /// history and groups still say who knows whom.
    pub device_watchers: HashMap<String, HashSet<String>>,
}

/// How many message senders the network remembers for routing receipts.
const MAX_REMEMBERED_SENDERS: usize = 100_000;
/// Messages kept per offline device; the oldest go first beyond this.
const MAX_OFFLINE_PER_DEVICE: usize = 10_000;

impl Network {
    pub fn remember_sender(&mut self, id: String, sender: SentBy) {
        if self.sent.insert(id.clone(), sender).is_none() {
            self.sent_order.push_back(id);
        }
        while self.sent_order.len() > MAX_REMEMBERED_SENDERS {
            if let Some(old) = self.sent_order.pop_front() {
                self.sent.remove(&old);
            }
        }
    }

    pub fn sender_of(&self, id: &str) -> Option<&SentBy> {
        self.sent.get(id)
    }

    /// The account a JID (phone number or LID, with or without device) belongs to.
    pub fn phone_of(&self, jid: &Jid) -> Option<String> {
        if jid.is_lid() {
            self.lid_to_phone.get(jid.user.as_str()).cloned()
        } else if self.accounts.contains_key(jid.user.as_str()) {
            Some(jid.user.to_string())
        } else {
            None
        }
    }

    /// The accounts that know `phone`'s device list and are told when it changes, as WhatsApp
    /// tells an account's contacts (not the whole network): the account itself, those that
    /// looked it up, those it exchanged messages with, its groups' members and its presence
    /// subscribers.
    pub fn acquaintances(&self, phone: &str) -> BTreeSet<String> {
        let account_of = |m: &ReceivedMessage| -> Option<String> {
            let jid = m.participant.as_deref().unwrap_or(&m.from);
            let user = jid.split(['@', ':']).next()?;
            if self.accounts.contains_key(user) {
                Some(user.to_string())
            } else {
                self.lid_to_phone.get(user).cloned()
            }
        };
        let mut out: BTreeSet<String> = self
            .device_watchers
            .get(phone)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        out.insert(phone.to_string());
        if let Some(acc) = self.accounts.get(phone) {
            out.extend(acc.inbox.iter().filter_map(account_of));
        }
        for acc in self.accounts.values() {
            if acc
                .inbox
                .iter()
                .any(|m| account_of(m).as_deref() == Some(phone))
            {
                out.insert(acc.phone.clone());
            }
        }
        for group in self.groups.values() {
            if group.members.iter().any(|m| m == phone) {
                out.extend(group.members.iter().cloned());
            }
        }
        if let Some(subs) = self.presence_subscribers.get(phone) {
            out.extend(subs.iter().map(|(p, _)| p.clone()));
        }
        out
    }

    /// Finds the device that owns a Noise static key.
    pub fn device_by_noise(&self, noise_pub: &[u8; 32]) -> Option<(String, u16)> {
        self.accounts.values().find_map(|acc| {
            acc.devices
                .values()
                .find(|d| &d.noise_pub == noise_pub)
                .map(|d| (acc.phone.clone(), d.id))
        })
    }

    /// Queues a node for a device: straight to its connection, or to its offline queue.
    pub fn deliver(&mut self, phone: &str, device: u16, node: Node) {
        let key = (phone.to_string(), device);
        if let Some(conn) = self.conns.get(&key)
            && conn.tx.send(ConnCommand::Send(node.clone())).is_ok()
        {
            self.track(key, node);
            return;
        }
        let queue = self.offline.entry(key).or_default();
        queue.push_back(node);
        if queue.len() > MAX_OFFLINE_PER_DEVICE {
            queue.pop_front();
        }
    }

    /// Sends a node only if the device is online: presence and typing are not worth queueing.
    pub fn deliver_live(&self, phone: &str, device: u16, node: Node) {
        if let Some(conn) = self.conns.get(&(phone.to_string(), device)) {
            let _ = conn.tx.send(ConnCommand::Send(node));
        }
    }

    /// Remembers a message sent to a device until the device acknowledges it.
    pub fn track(&mut self, key: (String, u16), node: Node) {
        if node.tag != "message" {
            return;
        }
        if let Some(id) = node.attrs.get("id").map(|v| v.as_str().into_owned()) {
            self.unacked.entry(key).or_default().push((id, node));
        }
    }

    /// The device acknowledged these message ids.
    pub fn acknowledged(&mut self, key: &(String, u16), ids: &[String]) {
        if let Some(pending) = self.unacked.get_mut(key) {
            pending.retain(|(id, _)| !ids.contains(id));
        }
    }

    /// The device's connection is gone: what it never acknowledged is delivered again next time.
    pub fn requeue_unacked(&mut self, key: &(String, u16)) {
        let Some(pending) = self.unacked.remove(key) else {
            return;
        };
        let queue = self.offline.entry(key.clone()).or_default();
        for (_, node) in pending.into_iter().rev() {
            queue.push_front(node);
        }
    }
}
