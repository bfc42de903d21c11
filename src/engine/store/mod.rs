//! The engine's persistent store: `whatsapp-rust`'s `Backend` trait family over diesel, on
//! PostgreSQL and SQLite, keyed by WARAS session. Each aggregate lives in its own file and writes
//! its queries once inside [`with_conn!`](crate::with_conn), which expands them per backend.
//!
//! Rules every method follows (they are the engine's contract, see ENGINE.md "Store"):
//! * blocking diesel calls run through [`Db::run`], never inline in async code;
//! * batch writes are idempotent upserts in one transaction, so the engine may retry them;
//! * secrets are sealed ([`Sealer`]) before they leave this process and opened after they return.

mod app_state;
mod device;
mod lid_mappings;
mod messages;
mod msg_secret;
mod prekeys;
mod protocol;
mod registry;
pub mod schema;
mod sealed;
mod signal;
mod tc_tokens;

use std::collections::HashSet;
use std::hash::Hash;

use wacore::store::error::{Result, StoreError};
use zeroize::Zeroizing;

use super::sealing::{KEY_LEN, RowId, SealError, Sealer};
use crate::db::{Db, DbError, DbPool, DbResult};

/// Rows per multi-row INSERT: stays well under SQLite's bound-parameter limit for every table.
const CHUNK: usize = 500;

/// One WARAS session's engine state. Construct with [`DieselStore::open`]; hand it to the engine
/// as `Arc<DieselStore>` (it implements `wacore::store::traits::Backend`).
#[derive(Clone)]
pub struct DieselStore {
    db: Db,
    session_id: String,
    sealer: Sealer,
    /// The owner's fence: once this process no longer owns the session, every call fails.
    fence: Option<std::sync::Arc<crate::db::cluster::Fence>>,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("backend", &self.db.pool().backend_name())
            .field("session_id", &self.session_id)
            .finish()
    }
}

impl DieselStore {
    /// Opens the store of an existing WARAS session, creating its data key on first use.
    /// Fails clearly when `master_key` cannot unwrap the session's data key.
    pub async fn open(
        db: Db,
        session_id: &str,
        master_key: &[u8; KEY_LEN],
    ) -> anyhow::Result<Self> {
        let (sid, key) = (session_id.to_string(), Zeroizing::new(*master_key));
        let sealer = match db
            .run(move |pool| Ok(Sealer::load_or_create(pool, &sid, &key)))
            .await
        {
            Ok(result) => result?,
            Err(e) => return Err(e.into()),
        };
        Ok(Self::with_sealer(db, sealer))
    }

    /// A store over an already loaded sealer (e.g. one returned by `rotate_data_key`).
    pub fn with_sealer(db: Db, sealer: Sealer) -> Self {
        Self {
            db,
            session_id: sealer.session_id().to_string(),
            sealer,
            fence: None,
        }
    }

    /// The store, failing every call once `fence` is lost (only the owner touches key material).
    pub fn fenced(mut self, fence: Option<std::sync::Arc<crate::db::cluster::Fence>>) -> Self {
        self.fence = fence;
        self
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Runs a blocking query on the blocking pool with the session id at hand. Through a database
    /// outage it waits instead of failing: the engine turns a store error while decrypting into
    /// a nack and an "undecryptable" message, which would lose the message for good, whereas a
    /// message whose processing waits stays unacknowledged, so WhatsApp keeps it until it is
    /// stored (or redelivers it after a restart).
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool, &str) -> DbResult<T> + Clone + Send + 'static,
    {
        let sid = self.session_id.clone();
        let fence = self.fence.clone();
        self.db
            .run_patiently(move |pool| {
                if fence.as_ref().is_some_and(|f| !f.is_valid()) {
                    return Err(DbError::Fenced);
                }
                f(pool, &sid)
            })
            .await
            .map_err(db_error)
    }

    fn seal_value(&self, table: &'static str, key: &[&[u8]], plaintext: &[u8]) -> Result<Vec<u8>> {
        let row = RowId {
            table,
            session_id: &self.session_id,
            key,
        };
        self.sealer.seal(&row, plaintext).map_err(seal_error)
    }

    fn open_value(
        &self,
        table: &'static str,
        key: &[&[u8]],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let row = RowId {
            table,
            session_id: &self.session_id,
            key,
        };
        self.sealer.open(&row, sealed).map_err(seal_error)
    }
}

fn db_error(e: DbError) -> StoreError {
    match e {
        DbError::Unavailable(msg) => StoreError::Connection(msg.into()),
        DbError::Query(q) => StoreError::Database(Box::new(q)),
        DbError::Fenced => {
            StoreError::Connection("this instance no longer owns the session".into())
        }
        // The engine's store takes no quota and no media; should either apply, it refuses.
        e @ (DbError::QuotaExceeded { .. } | DbError::Objects(_)) => {
            StoreError::Connection(e.to_string().into())
        }
    }
}

fn seal_error(e: SealError) -> StoreError {
    StoreError::Serialization(Box::new(e))
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Serialization(Box::new(e))
}

/// Engine ids are `u32`; they are stored as BIGINT (both backends' common integer type).
fn id_from_db(id: i64) -> Result<u32> {
    u32::try_from(id).map_err(|_| StoreError::Validation(format!("stored id {id} is not a u32")))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Keeps the last occurrence of each key, in the order of those last occurrences. A single
/// upsert statement may not touch a row twice (PostgreSQL rejects it), while the engine's batches
/// mean "last write wins".
fn last_occurrences<T, K: Eq + Hash>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = HashSet::new();
    let mut out: Vec<T> = items
        .into_iter()
        .rev()
        .filter(|item| seen.insert(key(item)))
        .collect();
    out.reverse();
    out
}

/// [`last_occurrences`], then sorted by key: concurrent transactions upserting overlapping
/// batches then lock their rows in the same order and wait for each other instead of deadlocking.
fn last_wins<T, K: Ord + Hash>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut out = last_occurrences(items, &key);
    out.sort_by_cached_key(|item| key(item));
    out
}

/// Unix seconds, the engine's time unit.
fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::{last_occurrences, last_wins};

    #[test]
    fn last_wins_keeps_the_last_value_per_key() {
        let rows = vec![("b", 1), ("a", 2), ("b", 3)];
        assert_eq!(
            last_occurrences(rows.clone(), |r| r.0),
            vec![("a", 2), ("b", 3)]
        );
        let rows = vec![("c", 1), ("a", 2), ("c", 3), ("b", 4)];
        assert_eq!(last_wins(rows, |r| r.0), vec![("a", 2), ("b", 4), ("c", 3)]);
    }
}
