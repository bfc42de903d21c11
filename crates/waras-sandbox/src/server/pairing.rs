//! The phone's side of QR linking: read the companion's QR, send it a pair-success carrying an
//! account-signed, HMAC'd ADV identity, and complete the link on its pair-device-sign.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use buffa::Message as _;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node, NodeContent};
use waproto::whatsapp as wa;

use super::conn::Conn;
use super::usync::key_index_list;
use crate::certs::xeddsa_sign;
use crate::net::core::Core;
use crate::net::network::{
    Account, ConnCommand, ConnHandle, DeviceRecord, Network, PairingInFlight,
};
use crate::nodes;

/// Prefix of the account signature over a companion's identity (WA's ADV scheme).
const ADV_ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];
/// Prefix Baileys and WA Web put before the QR fields when rendering a deep link.
const QR_LINK_PREFIX: &str = "https://wa.me/settings/linked_devices#";
/// Let the client settle its own reconnect flag before the server restarts the stream.
const RESTART_DELAY: Duration = Duration::from_millis(200);

pub(crate) fn new_ref() -> String {
    let bytes: [u8; 18] = rand::thread_rng().r#gen();
    format!("2@{}", B64.encode(bytes))
}

struct Qr {
    pairing_ref: String,
    noise_pub: [u8; 32],
    identity_pub: [u8; 32],
    adv_secret: Vec<u8>,
}

fn key32(b64: &str, what: &str) -> Result<[u8; 32]> {
    let bytes = B64
        .decode(b64)
        .with_context(|| format!("QR {what} is not base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("QR {what} is not 32 bytes"))
}

fn parse_qr(qr: &str) -> Result<Qr> {
    let body = qr.trim().strip_prefix(QR_LINK_PREFIX).unwrap_or(qr.trim());
    let parts: Vec<&str> = body.split(',').collect();
    if parts.len() < 4 || parts.iter().take(4).any(|p| p.is_empty()) {
        bail!("a QR code has at least 4 non-empty comma-separated fields");
    }
    Ok(Qr {
        pairing_ref: parts[0].to_string(),
        noise_pub: key32(parts[1], "noise key")?,
        identity_pub: key32(parts[2], "identity key")?,
        adv_secret: B64
            .decode(parts[3])
            .context("QR ADV secret is not base64")?,
    })
}

/// Errors the admin API reports as the client's fault rather than the sandbox's.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("invalid linking data: {0}")]
    InvalidQr(String),
    #[error("no account {0}")]
    NoAccount(String),
    #[error(
        "no device is waiting to be linked with this QR code or number (expired or already linked)"
    )]
    UnknownRef,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The account's phone scans `qr`: links the companion showing it. Returns the new device's JID.
pub(crate) fn scan(core: &Core, phone: &str, qr: &str) -> Result<Jid, ScanError> {
    let qr = parse_qr(qr).map_err(|e| ScanError::InvalidQr(format!("{e:#}")))?;
    let mut net = core.lock_net();
    let pending = net
        .pending_pairings
        .get(&qr.pairing_ref)
        .ok_or(ScanError::UnknownRef)?;
    if pending.noise_pub != qr.noise_pub {
        return Err(ScanError::InvalidQr(
            "the QR's noise key is not the one of the device that holds this ref".into(),
        ));
    }
    let conn = pending.conn.clone();
    link_companion(
        &mut net,
        phone,
        &conn,
        qr.noise_pub,
        qr.identity_pub,
        &qr.adv_secret,
    )
}

/// The phone links the companion on `conn` (QR or pairing code alike): a new device of the account,
/// announced to the companion with a pair-success it can verify with the shared ADV secret.
pub(crate) fn link_companion(
    net: &mut Network,
    phone: &str,
    conn: &ConnHandle,
    noise_pub: [u8; 32],
    identity_pub: [u8; 32],
    adv_secret: &[u8],
) -> Result<Jid, ScanError> {
    let acc = net
        .accounts
        .get_mut(phone)
        .ok_or_else(|| ScanError::NoAccount(phone.to_string()))?;
    let device = acc.next_device;
    acc.next_device += 1;
    let key_index = u32::from(device);
    let now = chrono::Utc::now().timestamp();
    let container = signed_identity(acc, key_index, now, &identity_pub, adv_secret)?;

    let pn = acc.pn_jid().with_device(device);
    let lid = acc.lid_jid().with_device(device);
    let name = acc.name.clone();
    acc.devices.insert(
        device,
        DeviceRecord {
            id: device,
            noise_pub,
            identity_pub,
            key_index,
            platform: "web".into(),
            signed_identity: None,
            linked: false,
            registration_id: None,
            signed_prekey: None,
            prekeys: Default::default(),
            needs_key_share: true,
            linked_at: now,
        },
    );
    let id = nodes::new_id();
    net.pairings_in_flight.insert(
        id.clone(),
        PairingInFlight {
            phone: phone.to_string(),
            device,
        },
    );
    net.pending_pairings.retain(|_, p| p.conn.id != conn.id);

    let success = pair_success(id, container, name, pn.clone(), lid);
    conn.tx
        .send(ConnCommand::Send(success))
        .map_err(|_| anyhow!("the device disconnected"))?;
    Ok(pn)
}

/// The companion's ADV identity as of `now` (device `key_index`, identity key `identity_pub`),
/// signed by the account and HMAC'd with the ADV secret the companion shared.
fn signed_identity(
    acc: &Account,
    key_index: u32,
    now: i64,
    identity_pub: &[u8; 32],
    adv_secret: &[u8],
) -> Result<Vec<u8>> {
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(acc.raw_id()),
        timestamp: Some(now as u64),
        key_index: Some(key_index),
        account_type: Some(wa::ADVEncryptionType::E2EE),
        device_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec();
    let mut to_sign = ADV_ACCOUNT_SIGNATURE_PREFIX.to_vec();
    to_sign.extend_from_slice(&details);
    to_sign.extend_from_slice(identity_pub);
    let account_signature = xeddsa_sign(&acc.identity.private_key, &to_sign)?;
    let signed = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(acc.identity.public_key.public_key_bytes().to_vec()),
        account_signature: Some(account_signature),
        device_signature: None,
    }
    .encode_to_vec();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(adv_secret).map_err(|e| anyhow!("HMAC key: {e}"))?;
    mac.update(&signed);
    Ok(wa::ADVSignedDeviceIdentityHMAC {
        details: Some(signed),
        hmac: Some(mac.finalize().into_bytes().to_vec()),
        account_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec())
}

/// The pair-success IQ (`id`) telling the companion its signed identity and device JIDs.
fn pair_success(id: String, identity: Vec<u8>, name: String, pn: Jid, lid: Jid) -> Node {
    NodeBuilder::new("iq")
        .attr("from", nodes::SERVER)
        .attr("type", "set")
        .attr("id", id)
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-success")
            .children([
                NodeBuilder::new("device-identity").bytes(identity).build(),
                NodeBuilder::new("platform").attr("name", "android").build(),
                NodeBuilder::new("biz").attr("name", name).build(),
                NodeBuilder::new("device")
                    .attr("jid", pn)
                    .attr("lid", lid)
                    .build(),
            ])
            .build()])
        .build()
}

/// The companion's answer to pair-success (an IQ result). Returns false if `node` is not one.
pub(crate) fn complete(conn: &mut Conn, node: &Node) -> Result<bool> {
    let id = node
        .attrs
        .get("id")
        .map(|v| v.as_str().into_owned())
        .unwrap_or_default();
    let Some(in_flight) = conn.core.lock_net().pairings_in_flight.remove(&id) else {
        return Ok(false);
    };
    let signed_identity = node
        .get_optional_child_by_tag(&["pair-device-sign", "device-identity"])
        .and_then(|n| match &n.content {
            Some(NodeContent::Bytes(b)) => Some(b.clone()),
            _ => None,
        });
    let mut net = conn.core.lock_net();
    let Some(acc) = net.accounts.get_mut(&in_flight.phone) else {
        return Ok(true);
    };
    match signed_identity {
        Some(bytes) => {
            if let Some(dev) = acc.devices.get_mut(&in_flight.device) {
                dev.signed_identity = Some(bytes);
                dev.linked = true;
            }
            notify_device_change(&mut net, &in_flight.phone, in_flight.device, "add");
            drop(net);
            // The client reconnects and logs in with its new credentials after this.
            let restart = NodeBuilder::new("stream:error").attr("code", "515").build();
            conn.later(RESTART_DELAY, ConnCommand::Close(Some(restart)));
        }
        None => {
            // The companion refused the pairing (bad HMAC or signature): forget the device.
            acc.devices.remove(&in_flight.device);
            log::warn!("companion refused pair-success for {}", in_flight.phone);
        }
    }
    Ok(true)
}

/// Removes a companion from its account; a live connection is told it was logged out.
pub(crate) fn unlink(core: &Core, phone: &str, device: u16) -> Result<bool> {
    if device == 0 {
        bail!("the primary device cannot be unlinked");
    }
    let mut net = core.lock_net();
    let Some(acc) = net.accounts.get_mut(phone) else {
        return Ok(false);
    };
    let Some(removed) = acc.devices.remove(&device) else {
        return Ok(false);
    };
    if removed.linked {
        notify_device_change(&mut net, phone, device, "remove");
    }
    let key = (phone.to_string(), device);
    net.offline.remove(&key);
    if let Some(conn) = net.conns.remove(&key) {
        let removed = NodeBuilder::new("stream:error")
            .attr("code", "401")
            .children([NodeBuilder::new("conflict")
                .attr("type", "device_removed")
                .build()])
            .build();
        let _ = conn.tx.send(ConnCommand::Close(Some(removed)));
    }
    Ok(true)
}

/// Tells the account's own devices and those of the accounts that know it (`acquaintances`) that
/// `phone` gained or lost a companion, as WhatsApp does; clients patch their cached device lists
/// from it (without it they would keep encrypting for the old set). Telling the whole network
/// made every link cost every linked client a notification, a quadratic cost.
fn notify_device_change(net: &mut Network, phone: &str, device: u16, op: &'static str) {
    let Some(acc) = net.accounts.get(phone) else {
        return;
    };
    let mut dev = NodeBuilder::new("device")
        .attr("jid", acc.pn_jid().with_device(device))
        .attr("lid", acc.lid_jid().with_device(device));
    if let Some(d) = acc.devices.get(&device) {
        dev = dev.attr("key-index", d.key_index.to_string());
    }
    let node = NodeBuilder::new("notification")
        .attr("from", acc.pn_jid())
        .attr("lid", acc.lid_jid())
        .attr("type", "devices")
        .attr("id", nodes::new_id())
        .attr("t", chrono::Utc::now().timestamp().to_string())
        .children([NodeBuilder::new_dynamic(op.to_string())
            .children([dev.build(), key_index_list(acc)])
            .build()])
        .build();
    let targets: Vec<(String, u16)> = net
        .acquaintances(phone)
        .iter()
        .filter_map(|p| net.accounts.get(p))
        .flat_map(|a| {
            a.devices
                .values()
                .filter(|d| d.linked)
                .map(|d| (a.phone.clone(), d.id))
        })
        .filter(|(p, d)| !(p == phone && *d == device))
        .collect();
    for (p, d) in targets {
        net.deliver(&p, d, node.clone());
    }
}
