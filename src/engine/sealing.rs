//! Key material at rest. Every secret the engine stores is sealed with AES-256-GCM under a random
//! data key of its session; the data key is stored wrapped (AES-256-GCM) by a key derived with
//! HKDF-SHA256 from the process master key. Layouts:
//!
//! * sealed value: `key_id (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the AAD binds the value to
//!   its row identity (table, session, key columns) and to `key_id`, so a ciphertext copied to
//!   another row, another session or relabelled with another key id fails to open.
//! * wrapped data key (`session_keys.wrapped`): `wrap_version (1) ‖ nonce ‖ ciphertext ‖ tag`,
//!   AAD = (session, key_id), so a wrapped key cannot be moved to another session either.
//!
//! `key_id` lets a session's data key rotate ([`rotate_data_key`]): new values use the newest key,
//! older rows stay readable. A canary row sealed with the master key ([`check_master_key`]) turns
//! a wrong master key into a clear error at start instead of undecryptable sessions later.

use std::collections::BTreeMap;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::Context;
use diesel::prelude::*;
use hkdf::Hkdf;
use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use super::store::schema::{sealing_canary, session_keys};
use crate::db::{DbConn, DbError, DbPool, now_ms};
use crate::with_conn;

/// Length of the master key and of every data key.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// First byte of a wrapped data key: which master-key derivation wrapped it.
const WRAP_VERSION: u8 = 1;
/// Domain separation of everything this module derives or authenticates.
const HKDF_SALT: &[u8] = b"waras/sealing/v1";
const WRAP_INFO: &[u8] = b"waras/sealing/v1/wrap-data-key";
const CANARY_INFO: &[u8] = b"waras/sealing/v1/canary";
const CANARY_ID: &str = "master_key";
const CANARY_PLAINTEXT: &[u8] = b"waras master key canary v1";

/// Why a sealed value could not be produced or opened. Deliberately carries no key material.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealed value is malformed ({0} bytes)")]
    Malformed(usize),
    #[error("sealed value names data key {0}, which this session does not have")]
    UnknownKey(u8),
    #[error(
        "sealed value failed to open: tampered, moved from another row, or sealed under another key"
    )]
    Open,
    #[error("sealing failed")]
    Seal,
}

/// The identity of a stored value: its table, session and key columns. Length-prefixing every
/// part keeps distinct identities from ever encoding to the same AAD.
pub struct RowId<'a> {
    pub table: &'static str,
    pub session_id: &'a str,
    pub key: &'a [&'a [u8]],
}

impl RowId<'_> {
    fn aad(&self, key_id: u8) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        push_part(&mut aad, HKDF_SALT);
        push_part(&mut aad, self.table.as_bytes());
        push_part(&mut aad, self.session_id.as_bytes());
        for part in self.key {
            push_part(&mut aad, part);
        }
        aad.push(key_id);
        aad
    }
}

fn push_part(out: &mut Vec<u8>, part: &[u8]) {
    out.extend_from_slice(&(part.len() as u64).to_be_bytes());
    out.extend_from_slice(part);
}

/// Seals and opens the values of one session. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    session_id: Arc<str>,
    keys: Arc<BTreeMap<u8, Aes256Gcm>>,
    current: u8,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("session_id", &self.session_id)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish()
    }
}

impl Sealer {
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The key id new values are sealed with.
    pub fn current_key_id(&self) -> u8 {
        self.current
    }

    pub fn seal(&self, row: &RowId<'_>, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or(SealError::UnknownKey(self.current))?;
        let mut out = vec![self.current];
        out.extend_from_slice(&encrypt(cipher, &row.aad(self.current), plaintext)?);
        Ok(out)
    }

    pub fn open(&self, row: &RowId<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let (&key_id, rest) = sealed.split_first().ok_or(SealError::Malformed(0))?;
        let cipher = self
            .keys
            .get(&key_id)
            .ok_or(SealError::UnknownKey(key_id))?;
        decrypt(cipher, &row.aad(key_id), rest).map_err(|e| {
            if rest.len() < NONCE_LEN + TAG_LEN {
                SealError::Malformed(sealed.len())
            } else {
                e
            }
        })
    }

    /// Loads the session's data keys, creating the first one when the session has none.
    /// Blocking: call it from `Db::run`. The session row must exist (foreign key).
    pub fn load_or_create(
        pool: &DbPool,
        session_id: &str,
        master_key: &[u8; KEY_LEN],
    ) -> anyhow::Result<Self> {
        let wrap = derive(master_key, WRAP_INFO)?;
        let mut rows = load_wrapped(pool, session_id)?;
        if rows.is_empty() {
            // A concurrent opener may insert first; DO NOTHING keeps whichever key won.
            insert_wrapped(pool, session_id, 1, &wrap, false)?;
            rows = load_wrapped(pool, session_id)?;
        }
        Self::from_rows(session_id, &wrap, rows)
    }

    fn from_rows(
        session_id: &str,
        wrap: &Aes256Gcm,
        rows: Vec<(i64, Vec<u8>)>,
    ) -> anyhow::Result<Self> {
        let mut keys = BTreeMap::new();
        for (key_id, wrapped) in rows {
            let id = u8::try_from(key_id).context("data key id out of range")?;
            let key = unwrap_key(wrap, session_id, id, &wrapped).with_context(|| {
                format!(
                    "cannot unwrap data key {id} of session {session_id}: \
                     the master key is not the one this database was sealed with"
                )
            })?;
            keys.insert(
                id,
                Aes256Gcm::new_from_slice(&key[..]).map_err(|_| SealError::Seal)?,
            );
        }
        let current = *keys.keys().next_back().context("session has no data key")?;
        Ok(Self {
            session_id: Arc::from(session_id),
            keys: Arc::new(keys),
            current,
        })
    }
}

/// Adds a new data key to the session and returns a sealer that seals with it; values sealed
/// under earlier keys stay readable. Blocking.
pub fn rotate_data_key(
    pool: &DbPool,
    session_id: &str,
    master_key: &[u8; KEY_LEN],
) -> anyhow::Result<Sealer> {
    let wrap = derive(master_key, WRAP_INFO)?;
    let current = Sealer::load_or_create(pool, session_id, master_key)?.current_key_id();
    let next = current
        .checked_add(1)
        .context("session has used all 255 data key ids")?;
    insert_wrapped(pool, session_id, next, &wrap, true)?;
    Sealer::from_rows(session_id, &wrap, load_wrapped(pool, session_id)?)
}

/// Verifies at start that `master_key` is the key this database was sealed with: opens the canary
/// row (creating it on first use). Blocking.
pub fn check_master_key(pool: &DbPool, master_key: &[u8; KEY_LEN]) -> anyhow::Result<()> {
    let existing = load_canary(pool)?;
    let sealed = match existing {
        Some(sealed) => sealed,
        None => {
            // Without a canary, data keys wrapped earlier still tell whether the key is right.
            ensure_any_key_unwraps(pool, master_key)?;
            let fresh = seal_canary(master_key)?;
            with_conn!(pool, |conn| {
                diesel::insert_into(sealing_canary::table)
                    .values((
                        sealing_canary::id.eq(CANARY_ID),
                        sealing_canary::sealed.eq(&fresh),
                        sealing_canary::created_at.eq(now_ms()),
                    ))
                    .on_conflict(sealing_canary::id)
                    .do_nothing()
                    .execute(conn)
                    .map_err(DbError::from)
            })?;
            // Re-read: a concurrent first start may have written its canary instead of ours.
            load_canary(pool)?.context("sealing canary vanished")?
        }
    };
    anyhow::ensure!(
        canary_opens(master_key, &sealed)?,
        "the configured master_key is not the key this database was sealed with \
         (the sealing canary does not open); refusing to start rather than lose session keys"
    );
    Ok(())
}

const CANARY_ROW: RowId<'static> = RowId {
    table: "sealing_canary",
    session_id: "",
    key: &[CANARY_ID.as_bytes()],
};

/// The canary value sealed under `master_key`.
pub(super) fn seal_canary(master_key: &[u8; KEY_LEN]) -> Result<Vec<u8>, SealError> {
    let canary = derive(master_key, CANARY_INFO)?;
    let mut sealed = vec![WRAP_VERSION];
    sealed.extend_from_slice(&encrypt(
        &canary,
        &CANARY_ROW.aad(WRAP_VERSION),
        CANARY_PLAINTEXT,
    )?);
    Ok(sealed)
}

/// Whether `sealed` is the canary sealed under `master_key`.
pub(super) fn canary_opens(master_key: &[u8; KEY_LEN], sealed: &[u8]) -> Result<bool, SealError> {
    let canary = derive(master_key, CANARY_INFO)?;
    Ok(sealed
        .split_first()
        .filter(|(version, _)| **version == WRAP_VERSION)
        .and_then(|(version, rest)| decrypt(&canary, &CANARY_ROW.aad(*version), rest).ok())
        .is_some_and(|plain| plain.as_slice() == CANARY_PLAINTEXT))
}

/// Re-wraps one stored data key from the `old` wrapping key to the `new` one.
pub(super) fn rewrap_data_key(
    old: &Aes256Gcm,
    new: &Aes256Gcm,
    session_id: &str,
    key_id: u8,
    wrapped: &[u8],
) -> anyhow::Result<Vec<u8>> {
    let key = unwrap_key(old, session_id, key_id, wrapped)?;
    let mut out = vec![WRAP_VERSION];
    out.extend_from_slice(&encrypt(new, &wrap_aad(session_id, key_id), &key[..])?);
    Ok(out)
}

/// The key that wraps data keys, derived from a master key.
pub(super) fn wrapping_key(master_key: &[u8; KEY_LEN]) -> Result<Aes256Gcm, SealError> {
    derive(master_key, WRAP_INFO)
}

pub(super) const CANARY_KEY: &str = CANARY_ID;

fn ensure_any_key_unwraps(pool: &DbPool, master_key: &[u8; KEY_LEN]) -> anyhow::Result<()> {
    let wrap = derive(master_key, WRAP_INFO)?;
    let row: Option<(String, i64, Vec<u8>)> = with_conn!(pool, |conn| {
        session_keys::table
            .select((
                session_keys::session_id,
                session_keys::key_id,
                session_keys::wrapped,
            ))
            .first(conn)
            .optional()
            .map_err(DbError::from)
    })?;
    if let Some((session_id, key_id, wrapped)) = row {
        let id = u8::try_from(key_id).context("data key id out of range")?;
        unwrap_key(&wrap, &session_id, id, &wrapped)
            .context("the configured master_key cannot unwrap the stored session data keys")?;
    }
    Ok(())
}

fn load_canary(pool: &DbPool) -> anyhow::Result<Option<Vec<u8>>> {
    Ok(with_conn!(pool, |conn| {
        sealing_canary::table
            .find(CANARY_ID)
            .select(sealing_canary::sealed)
            .first::<Vec<u8>>(conn)
            .optional()
            .map_err(DbError::from)
    })?)
}

fn load_wrapped(pool: &DbPool, session_id: &str) -> anyhow::Result<Vec<(i64, Vec<u8>)>> {
    Ok(with_conn!(pool, |conn| {
        session_keys::table
            .filter(session_keys::session_id.eq(session_id))
            .select((session_keys::key_id, session_keys::wrapped))
            .order(session_keys::key_id.asc())
            .load(conn)
            .map_err(DbError::from)
    })?)
}

/// Generates and stores a wrapped data key. `must_insert` turns a lost race into an error
/// (rotation) instead of silently keeping the other key (first creation).
fn insert_wrapped(
    pool: &DbPool,
    session_id: &str,
    key_id: u8,
    wrap: &Aes256Gcm,
    must_insert: bool,
) -> anyhow::Result<()> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(&mut key[..]);
    let mut wrapped = vec![WRAP_VERSION];
    wrapped.extend_from_slice(&encrypt(wrap, &wrap_aad(session_id, key_id), &key[..])?);
    let inserted = with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            Ok(diesel::insert_into(session_keys::table)
                .values((
                    session_keys::session_id.eq(session_id),
                    session_keys::key_id.eq(i64::from(key_id)),
                    session_keys::wrapped.eq(&wrapped),
                    session_keys::created_at.eq(now_ms()),
                ))
                .on_conflict((session_keys::session_id, session_keys::key_id))
                .do_nothing()
                .execute(conn)?)
        })
    })
    .with_context(|| format!("cannot store a data key for session {session_id}"))?;
    anyhow::ensure!(
        !must_insert || inserted == 1,
        "data key {key_id} was created concurrently"
    );
    Ok(())
}

fn unwrap_key(
    wrap: &Aes256Gcm,
    session_id: &str,
    key_id: u8,
    wrapped: &[u8],
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    let (&version, rest) = wrapped.split_first().context("empty wrapped key")?;
    anyhow::ensure!(
        version == WRAP_VERSION,
        "unknown data key wrap version {version}"
    );
    let key = decrypt(wrap, &wrap_aad(session_id, key_id), rest)?;
    anyhow::ensure!(key.len() == KEY_LEN, "data key has {} bytes", key.len());
    Ok(key)
}

fn wrap_aad(session_id: &str, key_id: u8) -> Vec<u8> {
    RowId {
        table: "session_keys",
        session_id,
        key: &[],
    }
    .aad(key_id)
}

/// A purpose-bound AES-256-GCM key derived from the master key.
fn derive(master_key: &[u8; KEY_LEN], info: &[u8]) -> Result<Aes256Gcm, SealError> {
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    Hkdf::<sha2::Sha256>::new(Some(HKDF_SALT), master_key)
        .expand(info, &mut okm[..])
        .map_err(|_| SealError::Seal)?;
    Aes256Gcm::new_from_slice(&okm[..]).map_err(|_| SealError::Seal)
}

/// `nonce ‖ ciphertext ‖ tag`. Random 96-bit nonces: a data key seals far fewer than the 2^32
/// values after which random nonces would need rotating.
fn encrypt(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::Seal)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn decrypt(cipher: &Aes256Gcm, aad: &[u8], data: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if data.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed(data.len()));
    }
    let (nonce, ct) = data.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce
        .try_into()
        .map_err(|_| SealError::Malformed(data.len()))?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::Open)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(keys: &[(u8, [u8; 32])], current: u8) -> Sealer {
        let keys = keys
            .iter()
            .map(|(id, k)| (*id, Aes256Gcm::new_from_slice(k).unwrap()))
            .collect();
        Sealer {
            session_id: Arc::from("s1"),
            keys: Arc::new(keys),
            current,
        }
    }

    #[test]
    fn aad_binds_table_session_and_key_columns() {
        let s = sealer(&[(1, [7; 32])], 1);
        let row = RowId {
            table: "t",
            session_id: "s1",
            key: &[b"a", b"bc"],
        };
        let sealed = s.seal(&row, b"secret").unwrap();
        assert_eq!(sealed[0], 1);
        assert_eq!(&s.open(&row, &sealed).unwrap()[..], b"secret");
        // Same bytes, split differently across key columns: must not open.
        let shifted = RowId {
            table: "t",
            session_id: "s1",
            key: &[b"ab", b"c"],
        };
        assert!(matches!(s.open(&shifted, &sealed), Err(SealError::Open)));
        let other_table = RowId {
            table: "u",
            session_id: "s1",
            key: &[b"a", b"bc"],
        };
        assert!(s.open(&other_table, &sealed).is_err());
    }

    #[test]
    fn key_id_selects_the_key_and_is_authenticated() {
        let s = sealer(&[(1, [1; 32]), (2, [2; 32])], 2);
        let row = RowId {
            table: "t",
            session_id: "s1",
            key: &[b"k"],
        };
        let mut sealed = s.seal(&row, b"v").unwrap();
        assert_eq!(sealed[0], 2);
        sealed[0] = 1;
        assert!(s.open(&row, &sealed).is_err());
        sealed[0] = 9;
        assert!(matches!(
            s.open(&row, &sealed),
            Err(SealError::UnknownKey(9))
        ));
        assert!(matches!(
            s.open(&row, &[1, 2, 3]),
            Err(SealError::Malformed(3))
        ));
    }

    #[test]
    fn derived_keys_depend_on_purpose() {
        let a = derive(&[5; 32], WRAP_INFO).unwrap();
        let b = derive(&[5; 32], CANARY_INFO).unwrap();
        let ct = encrypt(&a, b"", b"x").unwrap();
        assert!(decrypt(&b, b"", &ct).is_err());
        assert_eq!(&decrypt(&a, b"", &ct).unwrap()[..], b"x");
    }
}
