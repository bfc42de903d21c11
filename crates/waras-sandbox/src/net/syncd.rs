//! App state ("syncd") as the server keeps it: per account and collection, the patches its
//! devices uploaded, in version order. The server never reads a mutation (they are encrypted with
//! keys only the devices share); it numbers the patches, hands each device those after the
//! version it has, refuses an upload built on an old version (409, with what it missed), and
//! tells the account's other devices that a collection moved.

use std::collections::{BTreeMap, HashMap};

use buffa::Message as _;
use sha2::{Digest, Sha256};
use waproto::whatsapp as wa;

use super::network::{Account, Network};

/// The patches of one collection; patch `i` has version `i + 1`.
pub type Collection = Vec<Vec<u8>>;

/// By account, by collection name.
pub type Syncd = HashMap<String, BTreeMap<String, Collection>>;

/// The app state key an account's devices share: the phone keeps it and hands it to each
/// companion it links (stable for the account, derived from its identity).
pub fn account_key(account: &Account) -> ([u8; 6], [u8; 32]) {
    let digest = Sha256::new()
        .chain_update(b"sandbox app state key")
        .chain_update(account.identity.private_key.serialize())
        .finalize();
    let mut id = [0u8; 6];
    id.copy_from_slice(&digest[..6]);
    let data = Sha256::digest(digest).into();
    (id, data)
}

/// What an upload came to.
pub enum Upload {
    /// Stored as this version.
    Stored(u64),
    /// Built on an old version: the patches after it.
    Conflict(Vec<Vec<u8>>),
}

impl Network {
    /// The version of `phone`'s collection and its patches after `after`.
    pub fn syncd_patches(&self, phone: &str, name: &str, after: u64) -> (u64, Vec<Vec<u8>>) {
        let list = self.syncd.get(phone).and_then(|c| c.get(name));
        let version = list.map_or(0, |l| l.len() as u64);
        let after = usize::try_from(after).unwrap_or(usize::MAX);
        let patches = list
            .map(|l| l.iter().skip(after).cloned().collect())
            .unwrap_or_default();
        (version, patches)
    }

    /// A device uploads `patch` built on version `base` of `phone`'s collection `name`.
    pub fn syncd_upload(
        &mut self,
        phone: &str,
        name: &str,
        base: u64,
        patch: &[u8],
    ) -> Option<Upload> {
        let (current, missed) = self.syncd_patches(phone, name, base);
        if base != current {
            return Some(Upload::Conflict(missed));
        }
        let mut decoded = wa::SyncdPatch::decode_from_slice(patch).ok()?;
        let version = current + 1;
        decoded.version = buffa::MessageField::some(wa::SyncdVersion {
            version: Some(version),
        });
        self.syncd
            .entry(phone.to_string())
            .or_default()
            .entry(name.to_string())
            .or_default()
            .push(decoded.encode_to_vec());
        Some(Upload::Stored(version))
    }
}
