//! Linking with a pairing code ("link with phone number instead").
//!
//! The companion makes up the code, shows it, and sends the server its ephemeral key wrapped with
//! that code (`companion_hello`). The phone, once the code is entered, unwraps it, answers with
//! its own wrapped ephemeral key (`primary_hello`), and receives the companion's key bundle
//! (`companion_finish`); both sides then derive the ADV secret that authenticates pair-success.

use anyhow::{Context, Result, anyhow, bail};
use wacore::libsignal::crypto::aes_256_gcm_decrypt;
use wacore::pair_code::PairCodeUtils;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use wacore_libsignal::protocol::PublicKey;

use super::conn::{Conn, Peer};
use super::pairing::{self, ScanError};
use crate::certs::generate_key_pair;
use crate::net::core::Core;
use crate::net::network::{CodeFlow, CodeRequest, ConnCommand};
use crate::nodes::{self, attr, child_bytes, result};

fn key32(bytes: &[u8], what: &str) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| anyhow!("{what} is {} bytes, expected 32", bytes.len()))
}

/// Stage 1 and stage 2 IQs from an unpaired companion. Returns the IQ's answer.
pub(crate) fn handle(conn: &mut Conn, node: &Node) -> Result<Node> {
    let Peer::Unpaired { noise_pub } = conn.peer.clone() else {
        bail!("pairing-code IQ from a logged-in device");
    };
    let reg = node
        .get_optional_child("link_code_companion_reg")
        .ok_or_else(|| anyhow!("missing <link_code_companion_reg>"))?;
    match attr(reg, "stage").as_deref() {
        Some("companion_hello") => {
            let jid: Jid = attr(reg, "jid")
                .unwrap_or_default()
                .parse()
                .map_err(|_| anyhow!("bad jid"))?;
            let wrapped = child_bytes(reg, "link_code_pairing_wrapped_companion_ephemeral_pub")
                .ok_or_else(|| anyhow!("missing wrapped companion ephemeral key"))?
                .to_vec();
            let pairing_ref = pairing::new_ref();
            let mut net = conn.core.lock_net();
            if !net.accounts.contains_key(jid.user.as_str()) {
                return Ok(nodes::error(node, 404, "item-not-found"));
            }
            net.code_requests.insert(
                jid.user.to_string(),
                CodeRequest {
                    conn: conn.handle.clone(),
                    noise_pub,
                    wrapped_companion_ephemeral: wrapped,
                    pairing_ref: pairing_ref.clone(),
                },
            );
            Ok(result(
                node,
                vec![
                    NodeBuilder::new("link_code_companion_reg")
                        .children([NodeBuilder::new("link_code_pairing_ref")
                            .bytes(pairing_ref.into_bytes())
                            .build()])
                        .build(),
                ],
            ))
        }
        Some("companion_finish") => {
            finish(&conn.core, reg)?;
            Ok(result(node, vec![]))
        }
        other => Ok(nodes::error(node, 400, &format!("unknown stage {other:?}"))),
    }
}

/// The account's phone enters `code`: it answers the waiting companion with `primary_hello`.
pub(crate) fn enter_code(core: &Core, phone: &str, code: &str) -> Result<(), ScanError> {
    let code: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if !PairCodeUtils::validate_code(&code) {
        return Err(ScanError::InvalidQr(
            "a pairing code is 8 letters or digits".into(),
        ));
    }
    // The key wrapping runs PBKDF2 (slow, more so in debug builds): never under the network
    // lock, which every connection needs.
    let (identity_pub, wrapped_companion, conn_id) = {
        let net = core.read_net();
        let identity_pub = net
            .accounts
            .get(phone)
            .map(|a| a.identity.public_key.public_key_bytes().to_vec())
            .ok_or_else(|| ScanError::NoAccount(phone.to_string()))?;
        let request = net.code_requests.get(phone).ok_or(ScanError::UnknownRef)?;
        (
            identity_pub,
            request.wrapped_companion_ephemeral.clone(),
            request.conn.id,
        )
    };
    // Same wrapping (salt ‖ iv ‖ AES-CTR under PBKDF2(code)) in both directions.
    let companion_ephemeral_pub =
        PairCodeUtils::decrypt_primary_ephemeral_pub(&wrapped_companion, &code)
            .map_err(|e| ScanError::InvalidQr(format!("unwrapping the companion's key: {e}")))?;
    let primary_ephemeral = generate_key_pair();
    let mut primary_pub = [0u8; 32];
    primary_pub.copy_from_slice(primary_ephemeral.public_key.public_key_bytes());
    let wrapped = PairCodeUtils::encrypt_ephemeral_pub(&primary_pub, &code);

    let mut net = core.lock_net();
    // The same companion must still be waiting.
    if net
        .code_requests
        .get(phone)
        .is_none_or(|r| r.conn.id != conn_id)
    {
        return Err(ScanError::UnknownRef);
    }
    let request = net
        .code_requests
        .remove(phone)
        .ok_or(ScanError::UnknownRef)?;

    let hello = primary_hello(wrapped.to_vec(), identity_pub, &request.pairing_ref);
    request
        .conn
        .tx
        .send(ConnCommand::Send(hello))
        .map_err(|_| anyhow!("the device disconnected"))?;
    net.code_flows.insert(
        request.pairing_ref,
        CodeFlow {
            phone: phone.to_string(),
            conn: request.conn,
            noise_pub: request.noise_pub,
            primary_ephemeral,
            companion_ephemeral_pub,
        },
    );
    Ok(())
}

/// The phone's answer to a waiting companion: its wrapped ephemeral key and identity.
fn primary_hello(wrapped: Vec<u8>, identity_pub: Vec<u8>, pairing_ref: &str) -> Node {
    NodeBuilder::new("notification")
        .attr("from", nodes::SERVER)
        .attr("type", "link_code_companion_reg")
        .attr("id", nodes::new_id())
        .attr("t", chrono::Utc::now().timestamp().to_string())
        .children([NodeBuilder::new("link_code_companion_reg")
            .attr("stage", "primary_hello")
            .children([
                NodeBuilder::new("link_code_pairing_wrapped_primary_ephemeral_pub")
                    .bytes(wrapped)
                    .build(),
                NodeBuilder::new("primary_identity_pub")
                    .bytes(identity_pub)
                    .build(),
                NodeBuilder::new("link_code_pairing_ref")
                    .bytes(pairing_ref.as_bytes().to_vec())
                    .build(),
            ])
            .build()])
        .build()
}

/// Stage 2: open the companion's key bundle, derive the ADV secret, link the companion.
fn finish(core: &Core, reg: &Node) -> Result<()> {
    let pairing_ref = child_bytes(reg, "link_code_pairing_ref")
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .ok_or_else(|| anyhow!("missing pairing ref"))?;
    let wrapped = child_bytes(reg, "link_code_pairing_wrapped_key_bundle")
        .ok_or_else(|| anyhow!("missing key bundle"))?;
    if wrapped.len() < 32 + 12 + 16 {
        bail!("key bundle too short");
    }
    let mut net = core.lock_net();
    let flow = net
        .code_flows
        .remove(&pairing_ref)
        .ok_or_else(|| anyhow!("no pairing-code flow for this ref"))?;
    let identity = net
        .accounts
        .get(&flow.phone)
        .map(|a| a.identity.clone())
        .ok_or_else(|| anyhow!("account gone"))?;

    let companion_eph = PublicKey::from_djb_public_key_bytes(&flow.companion_ephemeral_pub)
        .map_err(|e| anyhow!("companion ephemeral key: {e}"))?;
    let ephemeral_shared = flow
        .primary_ephemeral
        .private_key
        .calculate_agreement(&companion_eph)
        .map_err(|e| anyhow!("ephemeral agreement: {e}"))?;
    let mut enc_key = [0u8; 32];
    wacore::crypto::hkdf_sha256_into(
        &ephemeral_shared,
        Some(&wrapped[..32]),
        b"link_code_pairing_key_bundle_encryption_key",
        &mut enc_key,
    )
    .map_err(|e| anyhow!("bundle key: {e:?}"))?;
    let iv: [u8; 12] = wrapped[32..44].try_into().context("bundle iv")?;
    let mut bundle = Vec::new();
    aes_256_gcm_decrypt(&enc_key, &iv, b"", &wrapped[44..], &mut bundle)
        .map_err(|e| anyhow!("opening the key bundle (wrong code?): {e:?}"))?;
    if bundle.len() != 96 {
        bail!("key bundle is {} bytes, expected 96", bundle.len());
    }
    let companion_identity = key32(&bundle[..32], "companion identity")?;
    if bundle[32..64] != *identity.public_key.public_key_bytes() {
        bail!("the key bundle names another primary");
    }
    let companion_identity_key = PublicKey::from_djb_public_key_bytes(&companion_identity)
        .map_err(|e| anyhow!("companion identity key: {e}"))?;
    let identity_shared = identity
        .private_key
        .calculate_agreement(&companion_identity_key)
        .map_err(|e| anyhow!("identity agreement: {e}"))?;
    let mut combined = Vec::with_capacity(96);
    combined.extend_from_slice(&ephemeral_shared);
    combined.extend_from_slice(&identity_shared);
    combined.extend_from_slice(&bundle[64..96]);
    let mut adv_secret = [0u8; 32];
    wacore::crypto::hkdf_sha256_into(&combined, None, b"adv_secret", &mut adv_secret)
        .map_err(|e| anyhow!("adv secret: {e:?}"))?;

    pairing::link_companion(
        &mut net,
        &flow.phone,
        &flow.conn,
        flow.noise_pub,
        companion_identity,
        &adv_secret,
    )
    .map_err(|e| anyhow!("linking: {e}"))?;
    Ok(())
}
