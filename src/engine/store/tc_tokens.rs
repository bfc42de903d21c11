//! Trusted-contact (privacy) tokens. The token bytes are sealed; the timestamps and whether a
//! token is present stay in clear so the engine's two concurrent writers — the sender-bucket
//! touch and the received-token store — merge atomically inside one SQL upsert each (a CASE per
//! column), with no read-modify-write race on either backend.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Nullable};
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::TcTokenEntry;

use super::schema::engine_tc_tokens as tc;
use super::{DieselStore, count};
use crate::with_conn;

const TC: &str = "engine_tc_tokens";

/// The received token is replaced only by a newer one, or when the row holds a placeholder.
/// Column references in a conflict UPDATE see the row as it was before the statement.
const TOKEN_WINS: &str = "(NOT engine_tc_tokens.has_token OR excluded.token_timestamp >= engine_tc_tokens.token_timestamp)";

type TcRow = (Vec<u8>, bool, i64, Option<i64>);

impl DieselStore {
    pub(super) async fn tc_get(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        let j = jid.to_string();
        let row: Option<TcRow> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(tc::table
                    .find((sid, &j))
                    .select((
                        tc::sealed,
                        tc::has_token,
                        tc::token_timestamp,
                        tc::sender_timestamp
                    ))
                    .first(conn)
                    .optional()?))
            })
            .await?;
        let Some((sealed, _, token_timestamp, sender_timestamp)) = row else {
            return Ok(None);
        };
        let token = self.open_value(TC, &[jid.as_bytes()], &sealed)?.to_vec();
        Ok(Some(TcTokenEntry {
            token,
            token_timestamp,
            sender_timestamp,
        }))
    }

    pub(super) async fn tc_put(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        let sealed = self.seal_value(TC, &[jid.as_bytes()], &entry.token)?;
        let (j, has_token) = (jid.to_string(), !entry.token.is_empty());
        let (token_ts, sender_ts) = (entry.token_timestamp, entry.sender_timestamp);
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(tc::table)
                    .values((
                        tc::session_id.eq(sid),
                        tc::jid.eq(&j),
                        tc::sealed.eq(&sealed),
                        tc::has_token.eq(has_token),
                        tc::token_timestamp.eq(token_ts),
                        tc::sender_timestamp.eq(sender_ts),
                    ))
                    .on_conflict((tc::session_id, tc::jid))
                    .do_update()
                    .set((
                        tc::sealed.eq(excluded(tc::sealed)),
                        tc::has_token.eq(excluded(tc::has_token)),
                        tc::token_timestamp.eq(excluded(tc::token_timestamp)),
                        tc::sender_timestamp.eq(excluded(tc::sender_timestamp)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn tc_delete(&self, jid: &str) -> Result<()> {
        let j = jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(tc::table.find((sid, &j))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn tc_all_jids(&self) -> Result<Vec<String>> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| Ok(tc::table
                .filter(tc::session_id.eq(sid))
                .order(tc::jid.asc())
                .select(tc::jid)
                .load(conn)?))
        })
        .await
    }

    pub(super) async fn tc_delete_expired(
        &self,
        token_cutoff: i64,
        sender_cutoff: i64,
    ) -> Result<u32> {
        // Dropped only when both windows are dead: no live received token and no live sender bucket.
        let n = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(diesel::delete(
                    tc::table
                        .filter(tc::session_id.eq(sid))
                        .filter(
                            tc::has_token
                                .eq(false)
                                .or(tc::token_timestamp.lt(token_cutoff))
                        )
                        .filter(
                            tc::sender_timestamp
                                .is_null()
                                .or(tc::sender_timestamp.assume_not_null().lt(sender_cutoff)),
                        ),
                )
                .execute(conn)?))
            })
            .await?;
        Ok(count(n))
    }

    /// Moves the sender bucket forward (never back), inserting a byte-less placeholder if absent.
    pub(super) async fn tc_touch_sender(&self, jid: &str, sender_timestamp: i64) -> Result<()> {
        let placeholder = self.seal_value(TC, &[jid.as_bytes()], &[])?;
        let j = jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(tc::table)
                    .values((
                        tc::session_id.eq(sid),
                        tc::jid.eq(&j),
                        tc::sealed.eq(&placeholder),
                        tc::has_token.eq(false),
                        tc::token_timestamp.eq(sender_timestamp),
                        tc::sender_timestamp.eq(Some(sender_timestamp)),
                    ))
                    .on_conflict((tc::session_id, tc::jid))
                    .do_update()
                    .set(tc::sender_timestamp.eq(sql::<Nullable<BigInt>>(
                        "CASE WHEN engine_tc_tokens.sender_timestamp IS NULL \
                         OR excluded.sender_timestamp > engine_tc_tokens.sender_timestamp \
                         THEN excluded.sender_timestamp ELSE engine_tc_tokens.sender_timestamp END",
                    )))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    /// Stores a received token, newer-wins, keeping whatever sender bucket the row has.
    pub(super) async fn tc_store_received(
        &self,
        jid: &str,
        token: &[u8],
        token_timestamp: i64,
    ) -> Result<()> {
        let sealed = self.seal_value(TC, &[jid.as_bytes()], token)?;
        let (j, has_token) = (jid.to_string(), !token.is_empty());
        let pick = |col: &str| {
            format!("CASE WHEN {TOKEN_WINS} THEN excluded.{col} ELSE engine_tc_tokens.{col} END")
        };
        let (sealed_sql, has_sql, ts_sql) =
            (pick("sealed"), pick("has_token"), pick("token_timestamp"));
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(tc::table)
                    .values((
                        tc::session_id.eq(sid),
                        tc::jid.eq(&j),
                        tc::sealed.eq(&sealed),
                        tc::has_token.eq(has_token),
                        tc::token_timestamp.eq(token_timestamp),
                        tc::sender_timestamp.eq(None::<i64>),
                    ))
                    .on_conflict((tc::session_id, tc::jid))
                    .do_update()
                    .set((
                        tc::sealed.eq(sql::<Binary>(&sealed_sql)),
                        tc::has_token.eq(sql::<Bool>(&has_sql)),
                        tc::token_timestamp.eq(sql::<BigInt>(&ts_sql)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
