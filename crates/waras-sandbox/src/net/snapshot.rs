//! The network encoded as `sandbox-state.json` straight from the live state: every field is
//! borrowed or encoded as it is written, so a save allocates the output and little else. (Copying
//! the network first made millions of short-lived strings per save at 10,000 accounts — every
//! linked device carries hundreds of prekeys — and the allocator kept the peaks.) The layout is
//! the one `persist::load` reads.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::display::Base64Display;
use base64::engine::general_purpose::STANDARD as B64;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use wacore_binary::Node;

use super::network::{Account, DeviceRecord, Network, Profile};

/// Encodes `net` as the state file's JSON into `out`.
pub(crate) fn encode(net: &Network, out: &mut Vec<u8>) -> serde_json::Result<()> {
    serde_json::to_writer(out, &State(net))
}

struct State<'a>(&'a Network);

/// Bytes written as base64 text, without a string in between.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Base64Display::new(self.0, &B64))
    }
}

/// A sequence written from an iterator as it is walked.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// A key pair's private half as base64 (a short string per account).
fn private_b64(key: &wacore_libsignal::protocol::KeyPair) -> String {
    B64.encode(key.private_key.serialize())
}

impl Serialize for State<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let net = self.0;
        let mut st = s.serialize_struct("Snapshot", 5)?;
        st.serialize_field("version", &super::persist::STATE_VERSION)?;
        st.serialize_field("accounts", &Seq(|| net.accounts.values().map(AccountOut)))?;
        st.serialize_field("groups", &Seq(|| net.groups.values()))?;
        st.serialize_field("offline", &Seq(|| pending(net).into_iter().map(QueueOut)))?;
        st.serialize_field("profiles", &Seq(|| net.profiles.iter().map(ProfileOut)))?;
        st.end()
    }
}

struct AccountOut<'a>(&'a Account);

impl Serialize for AccountOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut st = s.serialize_struct("AccountSnap", 8)?;
        st.serialize_field("phone", &a.phone)?;
        st.serialize_field("lid", &a.lid)?;
        st.serialize_field("name", &a.name)?;
        st.serialize_field("identity_private", &private_b64(&a.identity))?;
        st.serialize_field("phone_noise_private", &private_b64(&a.phone_noise))?;
        st.serialize_field("next_device", &a.next_device)?;
        // A device still mid-pairing is not worth keeping: its companion must start over.
        let linked = || a.devices.values().filter(|d| d.linked).map(DeviceOut);
        st.serialize_field("devices", &Seq(linked))?;
        st.serialize_field("inbox", &a.inbox)?;
        st.end()
    }
}

struct DeviceOut<'a>(&'a DeviceRecord);

impl Serialize for DeviceOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut st = s.serialize_struct("DeviceSnap", 11)?;
        st.serialize_field("id", &d.id)?;
        st.serialize_field("noise_pub", &Base64(&d.noise_pub))?;
        st.serialize_field("identity_pub", &Base64(&d.identity_pub))?;
        st.serialize_field("key_index", &d.key_index)?;
        st.serialize_field("platform", &d.platform)?;
        st.serialize_field("signed_identity", &d.signed_identity.as_deref().map(Base64))?;
        st.serialize_field("linked", &d.linked)?;
        st.serialize_field("registration_id", &d.registration_id)?;
        let signed = d
            .signed_prekey
            .as_ref()
            .map(|k| (k.id, Base64(&k.public), Base64(&k.signature)));
        st.serialize_field("signed_prekey", &signed)?;
        let prekeys = || d.prekeys.iter().map(|(id, key)| (*id, Base64(key)));
        st.serialize_field("prekeys", &Seq(prekeys))?;
        st.serialize_field("linked_at", &d.linked_at)?;
        st.end()
    }
}

struct ProfileOut<'a>((&'a String, &'a Profile));

impl Serialize for ProfileOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (phone, p) = self.0;
        let mut st = s.serialize_struct("ProfileSnap", 5)?;
        st.serialize_field("phone", phone)?;
        st.serialize_field("business", &p.business)?;
        st.serialize_field("about", &p.about)?;
        st.serialize_field("about_set_at", &p.about_set_at)?;
        let picture = p
            .picture
            .as_ref()
            .map(|pic| (pic.id, Base64(&pic.bytes), &pic.direct_path));
        st.serialize_field("picture", &picture)?;
        st.end()
    }
}

/// Stanzas waiting for offline devices, and those sent but never acknowledged, by device.
fn pending(net: &Network) -> BTreeMap<(&str, u16), Vec<&Node>> {
    let mut pending: BTreeMap<(&str, u16), Vec<&Node>> = BTreeMap::new();
    for ((phone, device), nodes) in &net.unacked {
        let entry = pending.entry((phone.as_str(), *device)).or_default();
        entry.extend(nodes.iter().map(|(_, n)| n));
    }
    for ((phone, device), nodes) in &net.offline {
        let entry = pending.entry((phone.as_str(), *device)).or_default();
        entry.extend(nodes.iter());
    }
    pending.retain(|_, nodes| !nodes.is_empty());
    pending
}

struct QueueOut<'a>(((&'a str, u16), Vec<&'a Node>));

impl Serialize for QueueOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ((phone, device), nodes) = &self.0;
        let mut st = s.serialize_struct("OfflineSnap", 3)?;
        st.serialize_field("phone", phone)?;
        st.serialize_field("device", device)?;
        let encoded = || {
            nodes
                .iter()
                .filter_map(|n| wacore_binary::marshal(n).ok())
                .map(|bytes| B64.encode(bytes))
        };
        st.serialize_field("nodes", &Seq(encoded))?;
        st.end()
    }
}
