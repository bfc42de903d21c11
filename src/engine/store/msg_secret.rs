//! Per-message secrets (polls, reactions, edits). The secret is sealed; `expires_at` and
//! `message_ts` stay in clear so expiry runs in SQL and a re-persist merges deterministically in
//! the upsert itself: `0` ("never") or the later deadline wins, the later parent time wins.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::{
    MsgSecretEntry, MsgSecretStore, merge_msg_secret_expiry, merge_msg_secret_message_ts,
};

use super::schema::engine_msg_secrets as ms;
use super::{CHUNK, DieselStore, count};
use crate::db::DbConn;
use crate::db::cached::{CachedDsl, KEEP_UP_TO};
use crate::with_conn;

const MS: &str = "engine_msg_secrets";

/// Same rule as `merge_msg_secret_expiry`, evaluated against the stored row.
const MERGE_EXPIRY: &str = "CASE WHEN engine_msg_secrets.expires_at = 0 OR excluded.expires_at = 0 THEN 0 \
     WHEN excluded.expires_at > engine_msg_secrets.expires_at THEN excluded.expires_at \
     ELSE engine_msg_secrets.expires_at END";
/// Same rule as `merge_msg_secret_message_ts`.
const MERGE_MESSAGE_TS: &str = "CASE WHEN excluded.message_ts > engine_msg_secrets.message_ts \
     THEN excluded.message_ts ELSE engine_msg_secrets.message_ts END";

/// `(chat, sender, msg_id, sealed secret, expires_at, message_ts)`.
type SecretRow = (String, String, String, Vec<u8>, i64, i64);

/// Folds repeated keys of one batch the way sequential upserts would, since a single statement
/// may not touch a row twice.
fn merge_batch(entries: Vec<MsgSecretEntry>) -> Vec<MsgSecretEntry> {
    let mut index: HashMap<(String, String, String), usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<MsgSecretEntry> = Vec::with_capacity(entries.len());
    for e in entries {
        let key = (
            e.chat.to_string(),
            e.sender.to_string(),
            e.msg_id.to_string(),
        );
        match index.get(&key) {
            Some(&i) => {
                let prev = &mut out[i];
                prev.secret = e.secret;
                prev.expires_at = merge_msg_secret_expiry(prev.expires_at, e.expires_at);
                prev.message_ts = merge_msg_secret_message_ts(prev.message_ts, e.message_ts);
            }
            None => {
                index.insert(key, out.len());
                out.push(e);
            }
        }
    }
    // Key order, so overlapping concurrent batches lock rows in the same order.
    out.sort_by(|a, b| (&a.chat, &a.sender, &a.msg_id).cmp(&(&b.chat, &b.sender, &b.msg_id)));
    out
}

impl DieselStore {
    async fn load_msg_secret(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<(Vec<u8>, i64)>> {
        let (c, s, m) = (chat.to_string(), sender.to_string(), msg_id.to_string());
        let row: Option<(Vec<u8>, i64)> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(ms::table
                    .find((sid, &c, &s, &m))
                    .select((ms::sealed, ms::message_ts))
                    .first(conn)
                    .optional()?))
            })
            .await?;
        row.map(|(sealed, ts)| {
            let secret = self.open_value(
                MS,
                &[chat.as_bytes(), sender.as_bytes(), msg_id.as_bytes()],
                &sealed,
            )?;
            Ok((secret.to_vec(), ts))
        })
        .transpose()
    }
}

#[async_trait]
impl MsgSecretStore for DieselStore {
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        let rows = merge_batch(entries)
            .into_iter()
            .map(|e| {
                let key: [&[u8]; 3] = [e.chat.as_bytes(), e.sender.as_bytes(), e.msg_id.as_bytes()];
                let sealed = self.seal_value(MS, &key, &e.secret)?;
                Ok((
                    e.chat.to_string(),
                    e.sender.to_string(),
                    e.msg_id.to_string(),
                    sealed,
                    e.expires_at,
                    e.message_ts,
                ))
            })
            .collect::<Result<Vec<SecretRow>>>()?;
        self.run(move |pool, sid| {
            let value = |(c, s, m, sealed, exp, ts): &SecretRow| {
                (
                    ms::session_id.eq(sid.to_string()),
                    ms::chat_jid.eq(c.clone()),
                    ms::sender_jid.eq(s.clone()),
                    ms::message_id.eq(m.clone()),
                    ms::sealed.eq(sealed.clone()),
                    ms::expires_at.eq(*exp),
                    ms::message_ts.eq(*ts),
                )
            };
            macro_rules! upsert {
                ($values:expr) => {
                    diesel::insert_into(ms::table)
                        .values($values)
                        .on_conflict((ms::session_id, ms::chat_jid, ms::sender_jid, ms::message_id))
                        .do_update()
                        .set((
                            ms::sealed.eq(excluded(ms::sealed)),
                            ms::expires_at.eq(sql::<BigInt>(MERGE_EXPIRY)),
                            ms::message_ts.eq(sql::<BigInt>(MERGE_MESSAGE_TS)),
                        ))
                };
            }
            with_conn!(pool, |conn| {
                if let [row] = &rows[..] {
                    // A send's one secret: one kept statement (see `db::cached`).
                    return conn
                        .write_statement(|conn| Ok(upsert!(value(row)).cached().run(conn)?));
                }
                conn.write_txn(|conn| {
                    if rows.len() <= KEEP_UP_TO {
                        for row in &rows {
                            upsert!(value(row)).cached().run(conn)?;
                        }
                        return Ok(());
                    }
                    for chunk in rows.chunks(CHUNK) {
                        upsert!(chunk.iter().map(value).collect::<Vec<_>>()).execute(conn)?;
                    }
                    Ok(())
                })
            })
        })
        .await?;
        Ok(stored)
    }

    async fn get_msg_secret(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        Ok(self
            .load_msg_secret(chat, sender, msg_id)
            .await?
            .map(|(secret, _)| secret))
    }

    async fn get_msg_secret_with_ts(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<(Vec<u8>, i64)>> {
        self.load_msg_secret(chat, sender, msg_id).await
    }

    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        let n = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(diesel::delete(
                    ms::table
                        .filter(ms::session_id.eq(sid))
                        .filter(ms::expires_at.ne(0))
                        .filter(ms::expires_at.le(cutoff_timestamp)),
                )
                .execute(conn)?))
            })
            .await?;
        Ok(count(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_in_one_batch_merge_like_sequential_writes() {
        let e = |secret: u8, exp, ts| MsgSecretEntry {
            chat: "c".into(),
            sender: "s".into(),
            msg_id: "m".into(),
            secret: [secret; 32],
            expires_at: exp,
            message_ts: ts,
        };
        let merged = merge_batch(vec![e(1, 0, 5), e(2, 100, 0)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (
                merged[0].secret[0],
                merged[0].expires_at,
                merged[0].message_ts
            ),
            (2, 0, 5)
        );
    }
}
