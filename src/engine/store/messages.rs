//! Message payload buffers: sent messages kept for retry receipts (taken at most once) and
//! decrypted inbound messages awaiting the durability hook's commit. Payloads are sealed.

use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::{PendingInboundKey, PendingInboundRow};

use super::schema::{engine_pending_inbound as pin, engine_sent_messages as sent};
use super::{CHUNK, DieselStore, count, last_wins, now_secs};
use crate::db::DbConn;
use crate::db::cached::CachedDsl;
use crate::with_conn;

const SENT: &str = "engine_sent_messages";
const PENDING: &str = "engine_pending_inbound";

/// `(chat, sender, id, sealed message)` of one pending-inbound row.
type PendingRow = (String, String, String, Vec<u8>);

impl DieselStore {
    pub(super) async fn sent_store(
        &self,
        chat_jid: &str,
        message_id: &str,
        payload: &[u8],
    ) -> Result<()> {
        let sealed =
            self.seal_value(SENT, &[chat_jid.as_bytes(), message_id.as_bytes()], payload)?;
        let (c, m, now) = (chat_jid.to_string(), message_id.to_string(), now_secs());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(sent::table)
                    .values((
                        sent::session_id.eq(sid),
                        sent::chat_jid.eq(&c),
                        sent::message_id.eq(&m),
                        sent::sealed.eq(&sealed),
                        sent::created_secs.eq(now),
                    ))
                    .on_conflict((sent::session_id, sent::chat_jid, sent::message_id))
                    .do_update()
                    .set((
                        sent::sealed.eq(excluded(sent::sealed)),
                        sent::created_secs.eq(excluded(sent::created_secs)),
                    ))
                    .cached()
                    .run(conn)?;
                Ok(())
            })
        })
        .await
    }

    /// Atomic take: one DELETE … RETURNING, so two retry receipts racing for the same message
    /// cannot both get the payload.
    pub(super) async fn sent_take(
        &self,
        chat_jid: &str,
        message_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        let (c, m) = (chat_jid.to_string(), message_id.to_string());
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(diesel::delete(
                    sent::table.find((sid, &c, &m))
                )
                .returning(sent::sealed)
                .get_result(conn)
                .optional()?))
            })
            .await?;
        sealed
            .map(|s| {
                Ok(self
                    .open_value(SENT, &[chat_jid.as_bytes(), message_id.as_bytes()], &s)?
                    .to_vec())
            })
            .transpose()
    }

    pub(super) async fn sent_delete_expired(&self, cutoff: i64) -> Result<u32> {
        let n = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(diesel::delete(
                    sent::table
                        .filter(sent::session_id.eq(sid))
                        .filter(sent::created_secs.lt(cutoff)),
                )
                .execute(conn)?))
            })
            .await?;
        Ok(count(n))
    }

    pub(super) async fn pending_store(&self, rows: &[PendingInboundRow<'_>]) -> Result<()> {
        let sealed = rows
            .iter()
            .map(|r| {
                let key: [&[u8]; 3] = [r.chat.as_bytes(), r.sender.as_bytes(), r.id.as_bytes()];
                Ok((
                    r.chat.to_string(),
                    r.sender.to_string(),
                    r.id.to_string(),
                    self.seal_value(PENDING, &key, r.message)?,
                ))
            })
            .collect::<Result<Vec<PendingRow>>>()?;
        let sealed = last_wins(sealed, |r| (r.0.clone(), r.1.clone(), r.2.clone()));
        let now = now_secs();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in sealed.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(c, s, id, msg)| {
                            (
                                pin::session_id.eq(sid),
                                pin::chat_jid.eq(c),
                                pin::sender_jid.eq(s),
                                pin::message_id.eq(id),
                                pin::sealed.eq(msg),
                                pin::created_secs.eq(now),
                            )
                        })
                        .collect();
                    diesel::insert_into(pin::table)
                        .values(values)
                        .on_conflict((
                            pin::session_id,
                            pin::chat_jid,
                            pin::sender_jid,
                            pin::message_id,
                        ))
                        .do_update()
                        .set((
                            pin::sealed.eq(excluded(pin::sealed)),
                            pin::created_secs.eq(excluded(pin::created_secs)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn pending_get(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>> {
        let (c, s, i) = (chat.to_string(), sender.to_string(), id.to_string());
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(pin::table
                    .find((sid, &c, &s, &i))
                    .select(pin::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|m| {
                Ok(self
                    .open_value(
                        PENDING,
                        &[chat.as_bytes(), sender.as_bytes(), id.as_bytes()],
                        &m,
                    )?
                    .to_vec())
            })
            .transpose()
    }

    pub(super) async fn pending_delete(&self, keys: &[PendingInboundKey<'_>]) -> Result<()> {
        let mut keys: Vec<(String, String, String)> = keys
            .iter()
            .map(|k| (k.chat.to_string(), k.sender.to_string(), k.id.to_string()))
            .collect();
        keys.sort(); // same lock order as every other writer of these rows
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for (c, s, i) in &keys {
                    diesel::delete(pin::table.find((sid, c, s, i))).execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn pending_delete_expired(&self, cutoff: i64) -> Result<u32> {
        let n = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(diesel::delete(
                    pin::table
                        .filter(pin::session_id.eq(sid))
                        .filter(pin::created_secs.lt(cutoff)),
                )
                .execute(conn)?))
            })
            .await?;
        Ok(count(n))
    }
}
