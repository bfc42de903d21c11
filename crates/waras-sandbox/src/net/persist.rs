//! The network's state in the data dir (`sandbox-state.json`), so accounts and linked devices
//! survive a restart. It holds the simulated accounts' private keys: it is test data, written
//! with owner-only permissions. Offline queues are kept too (still encrypted end to end).
//! The phones' own Signal sessions are not kept; after a restart
//! they re-establish sessions through the clients' normal retry path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use wacore_binary::Node;
use wacore_libsignal::protocol::{KeyPair, PrivateKey};

use super::core::Core;
use super::group::Group;
use super::network::{
    Account, DeviceRecord, Network, Picture, Profile, ReceivedMessage, SignedPreKey,
};

const STATE_FILE: &str = "sandbox-state.json";
/// The layout `snapshot::encode` writes and `load` reads.
pub(crate) const STATE_VERSION: u32 = 1;
/// How often a changed state is written.
const SAVE_INTERVAL: Duration = Duration::from_millis(500);
/// The saver rests this many times as long as its last write took: a state that changes all the
/// time (a send load fills the inboxes) costs at most a twenty-first of a core to keep saved,
/// not a sixth (it was 5); an orderly stop writes the last state anyway.
const SAVE_BACKOFF: u32 = 20;
/// The size of the last state written: the next encoding starts with room for it, instead of
/// growing its buffer through every power of two on the way.
static LAST_LEN: AtomicUsize = AtomicUsize::new(0);

#[derive(Deserialize)]
struct Snapshot {
    version: u32,
    accounts: Vec<AccountSnap>,
    #[serde(default)]
    groups: Vec<Group>,
    /// Stanzas waiting for offline devices (and those sent but never acknowledged), encoded.
    #[serde(default)]
    offline: Vec<OfflineSnap>,
    #[serde(default)]
    profiles: Vec<ProfileSnap>,
}

#[derive(Deserialize)]
struct ProfileSnap {
    phone: String,
    #[serde(default)]
    business: bool,
    about: String,
    about_set_at: i64,
    /// Picture id, base64 bytes and the path the media host serves it at.
    picture: Option<(u64, String, String)>,
}

#[derive(Deserialize)]
struct OfflineSnap {
    phone: String,
    device: u16,
    nodes: Vec<String>,
}

#[derive(Deserialize)]
struct AccountSnap {
    phone: String,
    lid: String,
    name: String,
    identity_private: String,
    phone_noise_private: String,
    next_device: u16,
    devices: Vec<DeviceSnap>,
    inbox: Vec<ReceivedMessage>,
}

#[derive(Deserialize)]
struct DeviceSnap {
    id: u16,
    noise_pub: String,
    identity_pub: String,
    key_index: u32,
    platform: String,
    signed_identity: Option<String>,
    linked: bool,
    registration_id: Option<u32>,
    signed_prekey: Option<(u32, String, String)>,
    prekeys: Vec<(u32, String)>,
    linked_at: i64,
}

fn key_from(b64: &str) -> Result<KeyPair> {
    let bytes = B64.decode(b64).context("key is not base64")?;
    let private = PrivateKey::deserialize(&bytes).map_err(|e| anyhow!("bad private key: {e}"))?;
    KeyPair::try_from(private).map_err(|e| anyhow!("bad private key: {e}"))
}

fn bytes32(b64: &str) -> Result<[u8; 32]> {
    let bytes = B64.decode(b64).context("not base64")?;
    bytes.try_into().map_err(|_| anyhow!("expected 32 bytes"))
}

fn restore_account(snap: AccountSnap) -> Result<Account> {
    let mut devices = BTreeMap::new();
    for d in snap.devices {
        let signed_prekey = match d.signed_prekey {
            Some((id, public, signature)) => Some(SignedPreKey {
                id,
                public: B64.decode(public)?,
                signature: B64.decode(signature)?,
            }),
            None => None,
        };
        let prekeys = d
            .prekeys
            .into_iter()
            .map(|(id, k)| Ok((id, B64.decode(k)?)))
            .collect::<Result<_>>()?;
        devices.insert(
            d.id,
            DeviceRecord {
                id: d.id,
                noise_pub: bytes32(&d.noise_pub)?,
                identity_pub: bytes32(&d.identity_pub)?,
                key_index: d.key_index,
                platform: d.platform,
                signed_identity: d.signed_identity.map(|b| B64.decode(b)).transpose()?,
                linked: d.linked,
                registration_id: d.registration_id,
                signed_prekey,
                prekeys,
                needs_key_share: false,
                linked_at: d.linked_at,
            },
        );
    }
    Ok(Account {
        phone: snap.phone,
        lid: snap.lid,
        name: snap.name,
        identity: key_from(&snap.identity_private)?,
        phone_noise: key_from(&snap.phone_noise_private)?,
        devices,
        next_device: snap.next_device,
        inbox: super::inbox::Inbox::new(snap.inbox),
    })
}

/// Reads the saved network, if there is one.
pub(crate) fn load(dir: &Path) -> Result<Network> {
    let path = dir.join(STATE_FILE);
    let mut net = Network::default();
    if !path.exists() {
        return Ok(net);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let snap: Snapshot =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    if snap.version != STATE_VERSION {
        return Err(anyhow!(
            "{} is of version {}; this sandbox reads version {STATE_VERSION}",
            path.display(),
            snap.version
        ));
    }
    for acc in snap.accounts {
        let acc = restore_account(acc).with_context(|| format!("restoring {}", path.display()))?;
        net.lid_to_phone.insert(acc.lid.clone(), acc.phone.clone());
        net.accounts.insert(acc.phone.clone(), acc);
    }
    for group in snap.groups {
        net.groups.insert(group.id.clone(), group);
    }
    for p in snap.profiles {
        let picture = match p.picture {
            Some((id, bytes, direct_path)) => Some(Picture {
                id,
                bytes: B64.decode(bytes).context("a stored profile picture")?,
                direct_path,
            }),
            None => None,
        };
        net.profiles.insert(
            p.phone,
            Profile {
                business: p.business,
                about: p.about,
                about_set_at: p.about_set_at,
                picture,
            },
        );
    }
    for queue in snap.offline {
        let nodes = queue
            .nodes
            .iter()
            .map(|b64| decode_node(b64))
            .collect::<Result<Vec<_>>>()
            .with_context(|| format!("restoring the offline queue of {}", queue.phone))?;
        net.offline
            .insert((queue.phone, queue.device), nodes.into());
    }
    Ok(net)
}

fn decode_node(b64: &str) -> Result<Node> {
    let bytes = B64.decode(b64).context("queued stanza is not base64")?;
    let plain =
        wacore_binary::util::unpack(&bytes).map_err(|e| anyhow!("unpacking queued stanza: {e}"))?;
    let node = wacore_binary::marshal::unmarshal_ref(&plain)
        .map_err(|e| anyhow!("decoding queued stanza: {e}"))?;
    Ok(node.to_owned())
}

fn write_atomic(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

/// Writes the state now unless it is still the one of generation `saved` (`None`: write it
/// anyway); returns the generation written. The lock is held while the network is encoded (no
/// copy of it is made first), not while the file is written.
pub(crate) fn save(core: &Core, saved: Option<u64>) -> Result<Option<u64>> {
    let Some(dir) = core.data_dir.as_ref() else {
        return Ok(saved);
    };
    // Read before the snapshot: a change made meanwhile is in it, or is saved next time.
    let generation = core.net_generation();
    if saved == Some(generation) {
        return Ok(saved);
    }
    let mut bytes = Vec::with_capacity(LAST_LEN.load(Ordering::Relaxed) * 9 / 8);
    super::snapshot::encode(&core.read_net(), &mut bytes).context("encoding sandbox state")?;
    LAST_LEN.store(bytes.len(), Ordering::Relaxed);
    write_atomic(&dir.join(STATE_FILE), &bytes)?;
    Ok(Some(generation))
}

/// Keeps the saved state current while the sandbox runs. A write of a large network takes a
/// while: the saver then waits a few times as long before the next one, so it never takes more
/// than a fraction of a core however busy the network is.
pub(crate) async fn run_saver(core: std::sync::Weak<Core>) {
    let mut saved = None;
    let mut wait = SAVE_INTERVAL;
    loop {
        tokio::time::sleep(wait).await;
        let Some(core) = core.upgrade() else {
            return;
        };
        let started = std::time::Instant::now();
        match save(&core, saved) {
            Ok(generation) => saved = generation,
            Err(e) => log::warn!("sandbox: saving state failed: {e:#}"),
        }
        wait = SAVE_INTERVAL.max(started.elapsed() * SAVE_BACKOFF);
    }
}
