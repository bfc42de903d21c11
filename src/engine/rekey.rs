//! Master key rotation. The master key seals only small things: every session's data keys
//! (wrapped), the webhook signing secrets and custom header values, and the canary. Rotation re-wraps and re-seals all of
//! them in one write transaction, so a crash before the commit leaves everything under the old
//! key and a commit leaves everything under the new one; the data keys themselves, and so all
//! engine key material, stay as they are (no session needs linking again).

use anyhow::Context;
use diesel::prelude::*;

use super::sealing::{
    CANARY_KEY, KEY_LEN, canary_opens, rewrap_data_key, seal_canary, wrapping_key,
};
use super::store::schema::{sealing_canary, session_keys};
use crate::crypto::Sealer as SecretSealer;
use crate::db::schema::{sessions, webhooks};
use crate::db::{DbConn, DbError, DbPool};
use crate::with_conn;

/// The purpose (HKDF info) webhook signing secrets are sealed for, shared with the service.
pub const WEBHOOK_SECRET_PURPOSE: &str = "webhook-secret";
/// The purpose sessions' proxy URLs are sealed for (the session id as associated data).
pub const SESSION_PROXY_PURPOSE: &str = "session-proxy";
/// The purpose event sinks' broker URLs and signing secrets are sealed for.
pub const EVENT_SINK_PURPOSE: &str = "event-sink";

/// What a rotation re-sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rekeyed {
    pub data_keys: usize,
    pub webhook_secrets: usize,
    pub session_proxies: usize,
    pub event_sinks: usize,
}

type KeyRow = (String, i64, Vec<u8>);
type SecretRow = (String, String, Option<String>, String);

/// The old and new keys of every kind the master key derives.
struct Rekeying {
    old_wrap: aes_gcm::Aes256Gcm,
    new_wrap: aes_gcm::Aes256Gcm,
    old_secrets: SecretSealer,
    new_secrets: SecretSealer,
    old_proxies: SecretSealer,
    new_proxies: SecretSealer,
    old_sinks: SecretSealer,
    new_sinks: SecretSealer,
}

impl Rekeying {
    fn new(old: &[u8; KEY_LEN], new: &[u8; KEY_LEN]) -> anyhow::Result<Self> {
        Ok(Self {
            old_wrap: wrapping_key(old)?,
            new_wrap: wrapping_key(new)?,
            old_secrets: SecretSealer::new(old, WEBHOOK_SECRET_PURPOSE),
            new_secrets: SecretSealer::new(new, WEBHOOK_SECRET_PURPOSE),
            old_proxies: SecretSealer::new(old, SESSION_PROXY_PURPOSE),
            new_proxies: SecretSealer::new(new, SESSION_PROXY_PURPOSE),
            old_sinks: SecretSealer::new(old, EVENT_SINK_PURPOSE),
            new_sinks: SecretSealer::new(new, EVENT_SINK_PURPOSE),
        })
    }

    fn data_key(&self, (sid, key_id, wrapped): &KeyRow) -> anyhow::Result<Vec<u8>> {
        let id = u8::try_from(*key_id).context("data key id out of range")?;
        rewrap_data_key(&self.old_wrap, &self.new_wrap, sid, id, wrapped)
            .with_context(|| format!("data key {id} of session {sid} does not unwrap"))
    }

    fn reseal(&self, webhook_id: &str, aad: &[u8], sealed: &str) -> anyhow::Result<String> {
        let plain = self
            .old_secrets
            .open(sealed, aad)
            .with_context(|| format!("a sealed value of webhook {webhook_id} does not open"))?;
        Ok(self.new_secrets.seal(&plain, aad))
    }

    /// A session's proxy URL under the new key.
    fn proxy(&self, session_id: &str, sealed: &str) -> anyhow::Result<String> {
        let aad = session_id.as_bytes();
        let plain = self
            .old_proxies
            .open(sealed, aad)
            .with_context(|| format!("the proxy of session {session_id} does not open"))?;
        Ok(self.new_proxies.seal(&plain, aad))
    }

    /// An event sink's broker URL and signing secret under the new key.
    fn sink(
        &self,
        (id, url, secret): &(String, String, String),
    ) -> anyhow::Result<(String, String)> {
        let mut out = Vec::with_capacity(2);
        for (aad, sealed) in [
            (crate::db::sinks::url_aad(id), url),
            (crate::db::sinks::secret_aad(id), secret),
        ] {
            let plain = self
                .old_sinks
                .open(sealed, &aad)
                .with_context(|| format!("a sealed value of sink {id} does not open"))?;
            out.push(self.new_sinks.seal(&plain, &aad));
        }
        let secret = out.pop().unwrap_or_default();
        Ok((out.pop().unwrap_or_default(), secret))
    }

    /// A webhook's current and previous secrets and its custom headers under the new key.
    fn secrets(
        &self,
        (id, current, previous, headers): &SecretRow,
    ) -> anyhow::Result<(String, Option<String>, String)> {
        let aad = id.as_bytes();
        let previous = match previous {
            Some(p) => Some(self.reseal(id, aad, p)?),
            None => None,
        };
        // Header values are sealed too; a `{…}` value is a plaintext (empty) object.
        let headers = if headers.trim_start().starts_with('{') {
            headers.clone()
        } else {
            let aad = crate::webhooks::sealed::headers_aad(id);
            self.reseal(id, &aad, headers)?
        };
        Ok((self.reseal(id, aad, current)?, previous, headers))
    }
}

/// Inside the rotation's transaction: every event sink's URL and secret re-sealed; how many.
macro_rules! reseal_sinks {
    ($conn:expr, $rekeying:expr, $failure:expr) => {{
        use crate::db::schema::sinks;
        let rows: Vec<(String, String, String)> = sinks::table
            .select((sinks::id, sinks::url_sealed, sinks::secret_sealed))
            .load($conn)?;
        for row in &rows {
            let (url, secret) = $rekeying.sink(row).map_err(|e| abort(&mut $failure, e))?;
            diesel::update(sinks::table.find(&row.0))
                .set((sinks::url_sealed.eq(url), sinks::secret_sealed.eq(secret)))
                .execute($conn)?;
        }
        rows.len()
    }};
}

/// Re-seals everything the master key protects from `old` to `new`, atomically. Refuses when
/// `old` is not the key the database was sealed with, or when anything fails to open under it.
/// Blocking.
pub fn rotate_master_key(
    pool: &DbPool,
    old: &[u8; KEY_LEN],
    new: &[u8; KEY_LEN],
) -> anyhow::Result<Rekeyed> {
    anyhow::ensure!(old != new, "the new master key is the current one");
    super::check_master_key(pool, old)?;
    let rekeying = Rekeying::new(old, new)?;
    let canary = seal_canary(new)?;
    // The re-sealing errors are anyhow; the transaction speaks DbError, so a failure is carried
    // out of it through this slot and turned into a rollback.
    let mut failure: Option<anyhow::Error> = None;
    let result = with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let keys: Vec<KeyRow> = session_keys::table
                .select((
                    session_keys::session_id,
                    session_keys::key_id,
                    session_keys::wrapped,
                ))
                .load(conn)?;
            for row in &keys {
                let wrapped = rekeying.data_key(row).map_err(|e| abort(&mut failure, e))?;
                diesel::update(session_keys::table.find((&row.0, row.1)))
                    .set(session_keys::wrapped.eq(wrapped))
                    .execute(conn)?;
            }
            let hooks: Vec<SecretRow> = webhooks::table
                .select((
                    webhooks::id,
                    webhooks::secret_sealed,
                    webhooks::previous_secret_sealed,
                    webhooks::headers,
                ))
                .load(conn)?;
            for row in &hooks {
                let (current, previous, headers) =
                    rekeying.secrets(row).map_err(|e| abort(&mut failure, e))?;
                diesel::update(webhooks::table.find(&row.0))
                    .set((
                        webhooks::secret_sealed.eq(current),
                        webhooks::previous_secret_sealed.eq(previous),
                        webhooks::headers.eq(headers),
                    ))
                    .execute(conn)?;
            }
            let proxies: Vec<(String, String)> = sessions::table
                .filter(sessions::proxy_sealed.is_not_null())
                .select((sessions::id, sessions::proxy_sealed.assume_not_null()))
                .load(conn)?;
            for (sid, sealed) in &proxies {
                let resealed = rekeying
                    .proxy(sid, sealed)
                    .map_err(|e| abort(&mut failure, e))?;
                diesel::update(sessions::table.find(sid))
                    .set(sessions::proxy_sealed.eq(resealed))
                    .execute(conn)?;
            }
            let event_sinks = reseal_sinks!(conn, rekeying, failure);
            diesel::update(sealing_canary::table.find(CANARY_KEY))
                .set(sealing_canary::sealed.eq(&canary))
                .execute(conn)?;
            Ok(Rekeyed {
                data_keys: keys.len(),
                webhook_secrets: hooks.len(),
                session_proxies: proxies.len(),
                event_sinks,
            })
        })
    });
    match (result, failure) {
        (_, Some(e)) => Err(e.context("nothing was changed")),
        (result, None) => Ok(result.context("the rotation was rolled back")?),
    }
}

/// Records why the transaction stops and returns the error that rolls it back.
fn abort(slot: &mut Option<anyhow::Error>, e: anyhow::Error) -> DbError {
    *slot = Some(e);
    DbError::Query(diesel::result::Error::RollbackTransaction)
}

/// Whether `key` opens the database's canary (false when there is none yet).
pub fn opens_canary(pool: &DbPool, key: &[u8; KEY_LEN]) -> anyhow::Result<bool> {
    let sealed: Option<Vec<u8>> = with_conn!(pool, |conn| {
        sealing_canary::table
            .find(CANARY_KEY)
            .select(sealing_canary::sealed)
            .first::<Vec<u8>>(conn)
            .optional()
            .map_err(DbError::from)
    })?;
    Ok(match sealed {
        Some(sealed) => canary_opens(key, &sealed)?,
        None => false,
    })
}
