//! WARAS's own sealing of small secrets (webhook signing secrets) under the master key:
//! AES-256-GCM with a key derived by HKDF-SHA256 per purpose, the AAD binding the value to its owner.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;

const VERSION: u8 = 1;

/// Seals and opens values for one purpose (the HKDF `info`).
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("sealed value cannot be opened (wrong master key, or tampered)")]
pub struct OpenError;

/// A 32-byte key for one purpose, derived from the master key (HKDF-SHA256, `info`
/// `waras:<purpose>:v1`), e.g. the cluster secret the instances authenticate each other with.
#[allow(
    clippy::expect_used,
    reason = "HKDF-SHA256 expands to 32 bytes (at most 8160) without failing"
)]
pub fn derive_key(master_key: &[u8; 32], purpose: &str) -> [u8; 32] {
    let hk = Hkdf::<Sha256>::new(None, master_key);
    let mut key = [0u8; 32];
    hk.expand(format!("waras:{purpose}:v1").as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

impl Sealer {
    #[allow(
        clippy::expect_used,
        reason = "HKDF-SHA256 expands to 32 bytes (at most 8160) without failing"
    )]
    pub fn new(master_key: &[u8; 32], purpose: &str) -> Self {
        let key = derive_key(master_key, purpose);
        Self {
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// `base64(version ‖ nonce ‖ ciphertext)`.
    #[allow(
        clippy::expect_used,
        reason = "AES-GCM fails only on inputs over 64 GiB, which no caller holds in memory"
    )]
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        let raw = STANDARD.decode(sealed).map_err(|_| OpenError)?;
        if raw.len() < 1 + 12 + 16 || raw[0] != VERSION {
            return Err(OpenError);
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&raw[1..13]);
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &raw[13..],
                    aad,
                },
            )
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let s = Sealer::new(&[7u8; 32], "webhook-secret");
        let sealed = s.seal(b"whsec_abc", b"whk_1");
        assert!(!sealed.contains("whsec"));
        assert_eq!(s.open(&sealed, b"whk_1").unwrap(), b"whsec_abc");
        assert!(s.open(&sealed, b"whk_2").is_err(), "AAD binds the owner");
        assert!(
            Sealer::new(&[8u8; 32], "webhook-secret")
                .open(&sealed, b"whk_1")
                .is_err()
        );
        assert!(
            Sealer::new(&[7u8; 32], "other")
                .open(&sealed, b"whk_1")
                .is_err()
        );
    }
}
