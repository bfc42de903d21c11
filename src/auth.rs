//! API keys: `waras_` + 40 random base62 characters, shown once, stored as SHA-256 hex.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::domain::{Scope, Scopes, SessionId, TenantId};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const KEY_PREFIX: &str = "waras_";
const KEY_RANDOM_CHARS: usize = 40;
/// How much of a key is kept in clear to recognise it in lists (`waras_` + 6 characters).
const DISPLAY_PREFIX_CHARS: usize = KEY_PREFIX.len() + 6;

pub fn random_base62(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char)
        .collect()
}

/// A freshly generated key: the secret for the caller, the hash and prefix for storage.
pub struct GeneratedKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

impl GeneratedKey {
    pub fn new() -> Self {
        let secret = format!("{KEY_PREFIX}{}", random_base62(KEY_RANDOM_CHARS));
        Self {
            hash: hash_key(&secret),
            prefix: secret[..DISPLAY_PREFIX_CHARS].to_string(),
            secret,
        }
    }
}

impl Default for GeneratedKey {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeneratedKey({}…)", self.prefix)
    }
}

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two secrets (compared by their hashes, so lengths leak nothing).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    Admin,
    Tenant(TenantKey),
}

#[derive(Debug, Clone)]
pub struct TenantKey {
    pub key_id: String,
    pub tenant_id: TenantId,
    pub scopes: Scopes,
    pub session_id: Option<SessionId>,
    /// Milliseconds since the epoch; `None` never expires.
    pub expires_at: Option<i64>,
}

impl TenantKey {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }

    /// What a list shows this key: its tenant's rows, and only its session's when it is
    /// restricted to one.
    pub fn listing(&self) -> (String, Option<String>) {
        (
            self.tenant_id.as_str().to_string(),
            self.session_id.as_ref().map(|s| s.as_str().to_string()),
        )
    }

    /// Whether this key may touch `session`: always for unrestricted keys.
    pub fn covers_session(&self, session: &SessionId) -> bool {
        self.session_id.as_ref().is_none_or(|own| own == session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let k = GeneratedKey::new();
        assert!(k.secret.starts_with("waras_"));
        assert_eq!(k.secret.len(), 6 + 40);
        assert!(k.secret[6..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(k.hash, hash_key(&k.secret));
        assert_eq!(k.hash.len(), 64);
        assert!(k.secret.starts_with(&k.prefix));
        assert_ne!(GeneratedKey::new().secret, k.secret);
        assert!(!format!("{k:?}").contains(&k.secret));
    }

    #[test]
    fn secret_comparison() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
