//! Simulated accounts: creation (keys, LID, the phone as device 0) and views for the admin API.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::anyhow;
use rand::Rng;
use serde::Serialize;
use wacore_libsignal::protocol::KeyPair;

use crate::certs::generate_key_pair;
use crate::net::core::Core;
use crate::net::network::{Account, DeviceRecord, Network};

#[derive(Clone, Debug, Serialize)]
pub struct AccountInfo {
    pub phone: String,
    pub lid: String,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeviceInfo {
    pub device: u16,
    pub jid: String,
    pub lid: String,
    pub platform: String,
    pub primary: bool,
    pub linked: bool,
    pub online: bool,
    pub key_index: u32,
    pub linked_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid phone number: {0}")]
    InvalidPhone(String),
    #[error("account {0} already exists")]
    Exists(String),
    #[error("no account {0}")]
    NotFound(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Digits of a phone number given as `+49 151 …`, `49151…` or a JID user.
pub(crate) fn normalize_phone(raw: &str) -> Result<String, AccountError> {
    let user = raw.split('@').next().unwrap_or(raw);
    let digits: String = user
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')'))
        .collect();
    if !(6..=15).contains(&digits.len())
        || !digits.chars().all(|c| c.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(AccountError::InvalidPhone(raw.to_string()));
    }
    Ok(digits)
}

pub(crate) async fn create(
    core: Arc<Core>,
    phone: Option<String>,
    name: Option<String>,
) -> Result<AccountInfo, AccountError> {
    let phone = phone.as_deref().map(normalize_phone).transpose()?;
    let info = register(&mut core.lock_net(), phone, name)?;
    let started = core
        .rt
        .spawn(super::phone::start(core.clone(), info.phone.clone()))
        .await;
    let started = started
        .map_err(|e| anyhow!("phone task failed: {e}"))
        .and_then(|r| r);
    if let Err(e) = started {
        // An account without a working phone is useless; do not leave it half-made.
        let mut net = core.lock_net();
        net.accounts.remove(&info.phone);
        net.lid_to_phone.remove(&info.lid);
        drop(net);
        core.lock_phones().remove(&info.phone);
        return Err(AccountError::Internal(
            e.context("starting the account's phone"),
        ));
    }
    Ok(info)
}

/// Adds the account to the network (a 1-555 number when none is given) with fresh keys and its
/// primary device.
fn register(
    net: &mut Network,
    phone: Option<String>,
    name: Option<String>,
) -> Result<AccountInfo, AccountError> {
    let phone = match phone {
        Some(p) if net.accounts.contains_key(&p) => return Err(AccountError::Exists(p)),
        Some(p) => p,
        None => loop {
            // 1-555 numbers are reserved for fiction; good for a simulated network.
            let candidate = format!("1555{:07}", rand::thread_rng().gen_range(0..10_000_000u32));
            if !net.accounts.contains_key(&candidate) {
                break candidate;
            }
        },
    };
    let lid = loop {
        let candidate = format!(
            "{}",
            rand::thread_rng().gen_range(100_000_000_000_000u64..999_999_999_999_999)
        );
        if !net.lid_to_phone.contains_key(&candidate) {
            break candidate;
        }
    };
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("Sandbox {}", &phone[phone.len() - 4..]));
    let identity = generate_key_pair();
    let phone_noise = generate_key_pair();
    let primary = primary_device(&identity, &phone_noise)?;
    let account = Account {
        phone: phone.clone(),
        lid: lid.clone(),
        name: name.clone(),
        identity,
        phone_noise,
        devices: BTreeMap::from([(0, primary)]),
        next_device: 1,
        inbox: crate::net::inbox::Inbox::default(),
    };
    net.lid_to_phone.insert(lid.clone(), phone.clone());
    net.accounts.insert(phone.clone(), account);
    Ok(AccountInfo { phone, lid, name })
}

/// The account's phone as device 0: linked from the start.
fn primary_device(identity: &KeyPair, phone_noise: &KeyPair) -> Result<DeviceRecord, AccountError> {
    Ok(DeviceRecord {
        id: 0,
        noise_pub: key32(phone_noise.public_key.public_key_bytes())?,
        identity_pub: key32(identity.public_key.public_key_bytes())?,
        key_index: 0,
        platform: "android".into(),
        signed_identity: None,
        linked: true,
        registration_id: None,
        signed_prekey: None,
        prekeys: Default::default(),
        needs_key_share: false,
        linked_at: chrono::Utc::now().timestamp(),
    })
}

fn key32(bytes: &[u8]) -> anyhow::Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| anyhow!("public key is not 32 bytes"))
}

pub(crate) fn list(core: &Core) -> Vec<AccountInfo> {
    core.lock_net()
        .accounts
        .values()
        .map(|a| AccountInfo {
            phone: a.phone.clone(),
            lid: a.lid.clone(),
            name: a.name.clone(),
        })
        .collect()
}

pub(crate) fn devices(core: &Core, phone: &str) -> Result<Vec<DeviceInfo>, AccountError> {
    let net = core.read_net();
    let acc = net
        .accounts
        .get(phone)
        .ok_or_else(|| AccountError::NotFound(phone.to_string()))?;
    Ok(acc
        .devices
        .values()
        .map(|d| DeviceInfo {
            device: d.id,
            jid: acc.pn_jid().with_device(d.id).to_string(),
            lid: acc.lid_jid().with_device(d.id).to_string(),
            platform: d.platform.clone(),
            primary: d.id == 0,
            linked: d.linked,
            online: net.conns.contains_key(&(phone.to_string(), d.id)),
            key_index: d.key_index,
            linked_at: d.linked_at,
        })
        .collect())
}
