//! The sandbox's Noise certificate chain.
//!
//! A root key (the sandbox's stand-in for WhatsApp's `WA_CERT_PUB_KEY`) signs an intermediate
//! certificate, which signs a leaf certificate for the server's static Noise key. All signatures are
//! XEdDSA over the encoded `Details`, as clients verify them. The root key and the server static key
//! are persisted in the data dir so that clients' cached chains (used for Noise IK) stay valid
//! across restarts.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use buffa::Message as _;
use wacore_libsignal::protocol::{KeyPair, PrivateKey};
use waproto::whatsapp::{self as wa, cert_chain::noise_certificate};

/// Serial the clients require for the intermediate's issuer (the root).
const ROOT_SERIAL: u32 = 0;
const INTERMEDIATE_SERIAL: u32 = 1;
const LEAF_SERIAL: u32 = 2;
/// Validity window wide enough that a cached chain never expires during a sandbox's life.
const NOT_BEFORE: u64 = 1_600_000_000;
const NOT_AFTER: u64 = 4_000_000_000;

pub(crate) fn generate_key_pair() -> KeyPair {
    KeyPair::generate(&mut rand010::rng())
}

/// Loads a Curve25519 private key from `dir/name`, or creates and stores one.
pub(crate) fn load_or_create_key(dir: Option<&Path>, name: &str) -> Result<KeyPair> {
    let Some(dir) = dir else {
        return Ok(generate_key_pair());
    };
    let path = dir.join(name);
    if path.exists() {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let private = PrivateKey::deserialize(&bytes)
            .map_err(|e| anyhow!("invalid key in {}: {e}", path.display()))?;
        return KeyPair::try_from(private)
            .map_err(|e| anyhow!("invalid key in {}: {e}", path.display()));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let pair = generate_key_pair();
    std::fs::write(&path, pair.private_key.serialize())
        .with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    Ok(pair)
}

/// XEdDSA signature (Signal's Curve25519 variant), as WhatsApp clients verify them.
pub(crate) fn xeddsa_sign(key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>> {
    key.calculate_signature(message, &mut rand010::rng())
        .map(|sig| sig.to_vec())
        .map_err(|e| anyhow!("XEdDSA signing failed: {e}"))
}

fn certificate(
    details: &noise_certificate::Details,
    signer: &PrivateKey,
) -> Result<wa::cert_chain::NoiseCertificate> {
    let details_bytes = details.encode_to_vec();
    let signature = xeddsa_sign(signer, &details_bytes)?;
    Ok(wa::cert_chain::NoiseCertificate {
        details: Some(details_bytes),
        signature: Some(signature),
    })
}

/// Encoded `CertChain` for `server_static_pub`: intermediate signed by the root, leaf signed by a
/// fresh intermediate key.
pub(crate) fn build_cert_chain(root: &KeyPair, server_static_pub: &[u8]) -> Result<Vec<u8>> {
    let intermediate_key = generate_key_pair();
    let intermediate = certificate(
        &noise_certificate::Details {
            serial: Some(INTERMEDIATE_SERIAL),
            issuer_serial: Some(ROOT_SERIAL),
            key: Some(intermediate_key.public_key.public_key_bytes().to_vec()),
            not_before: Some(NOT_BEFORE),
            not_after: Some(NOT_AFTER),
        },
        &root.private_key,
    )?;
    let leaf = certificate(
        &noise_certificate::Details {
            serial: Some(LEAF_SERIAL),
            issuer_serial: Some(INTERMEDIATE_SERIAL),
            key: Some(server_static_pub.to_vec()),
            not_before: Some(NOT_BEFORE),
            not_after: Some(NOT_AFTER),
        },
        &intermediate_key.private_key,
    )?;
    let chain = wa::CertChain {
        leaf: buffa::MessageField::some(leaf),
        intermediate: buffa::MessageField::some(intermediate),
    };
    Ok(chain.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_verifies_against_root() {
        let root = generate_key_pair();
        let server = generate_key_pair();
        let bytes = build_cert_chain(&root, server.public_key.public_key_bytes()).unwrap();
        let chain = wa::CertChain::decode_from_slice(&bytes).unwrap();
        let inter = chain.intermediate.into_option().unwrap();
        let inter_details_bytes = inter.details.unwrap();
        assert!(
            root.public_key
                .verify_signature(&inter_details_bytes, inter.signature.as_ref().unwrap())
        );
        let inter_details =
            noise_certificate::Details::decode_from_slice(&inter_details_bytes).unwrap();
        assert_eq!(inter_details.issuer_serial, Some(0));

        let leaf = chain.leaf.into_option().unwrap();
        let leaf_details_bytes = leaf.details.unwrap();
        let inter_key = wacore_libsignal::protocol::PublicKey::from_djb_public_key_bytes(
            inter_details.key.as_deref().unwrap(),
        )
        .unwrap();
        assert!(inter_key.verify_signature(&leaf_details_bytes, leaf.signature.as_ref().unwrap()));
        let leaf_details =
            noise_certificate::Details::decode_from_slice(&leaf_details_bytes).unwrap();
        assert_eq!(leaf_details.issuer_serial, inter_details.serial);
        assert_eq!(
            leaf_details.key.as_deref(),
            Some(server.public_key.public_key_bytes())
        );

        // Anyone else's root does not verify it.
        let other = generate_key_pair();
        assert!(
            !other
                .public_key
                .verify_signature(&inter_details_bytes, inter.signature.as_ref().unwrap())
        );
    }
}
