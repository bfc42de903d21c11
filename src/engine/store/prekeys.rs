//! One-time prekeys (the first login writes ~812 in one batch) and signed prekeys. Records are
//! sealed under their id; the `uploaded` flag stays in clear.

use bytes::Bytes;
use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;

use super::schema::{engine_prekeys as pk, engine_signed_prekeys as spk};
use super::{CHUNK, DieselStore, id_from_db, last_wins};
use crate::db::DbConn;
use crate::with_conn;

const PK: &str = "engine_prekeys";
const SPK: &str = "engine_signed_prekeys";

impl DieselStore {
    pub(super) async fn upsert_prekeys(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        let rows = keys
            .iter()
            .map(|(id, record)| {
                Ok((
                    i64::from(*id),
                    self.seal_value(PK, &[&id.to_be_bytes()], record)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = last_wins(rows, |r| r.0);
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(id, s)| {
                            (
                                pk::session_id.eq(sid),
                                pk::id.eq(id),
                                pk::sealed.eq(s),
                                pk::uploaded.eq(uploaded),
                            )
                        })
                        .collect();
                    diesel::insert_into(pk::table)
                        .values(values)
                        .on_conflict((pk::session_id, pk::id))
                        .do_update()
                        .set((
                            pk::sealed.eq(excluded(pk::sealed)),
                            pk::uploaded.eq(excluded(pk::uploaded)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn prekeys_load(&self, ids: &[u32]) -> Result<Vec<(u32, Bytes)>> {
        let wanted: Vec<i64> = ids.iter().map(|id| i64::from(*id)).collect();
        let rows: Vec<(i64, Vec<u8>)> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| {
                    let mut rows = Vec::new();
                    for chunk in wanted.chunks(CHUNK) {
                        rows.extend(
                            pk::table
                                .filter(pk::session_id.eq(sid))
                                .filter(pk::id.eq_any(chunk))
                                .select((pk::id, pk::sealed))
                                .load::<(i64, Vec<u8>)>(conn)?,
                        );
                    }
                    Ok(rows)
                })
            })
            .await?;
        let mut found = std::collections::HashMap::with_capacity(rows.len());
        for (id, sealed) in rows {
            let id = id_from_db(id)?;
            found.insert(
                id,
                Bytes::copy_from_slice(&self.open_value(PK, &[&id.to_be_bytes()], &sealed)?),
            );
        }
        // Answer in the caller's order, like the reference store.
        Ok(ids
            .iter()
            .filter_map(|id| found.get(id).map(|r| (*id, r.clone())))
            .collect())
    }

    pub(super) async fn prekeys_mark_uploaded(&self, ids: &[u32]) -> Result<()> {
        // UPDATE only: a prekey consumed since the upload snapshot must stay deleted.
        let ids: Vec<i64> = ids.iter().map(|id| i64::from(*id)).collect();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in ids.chunks(CHUNK) {
                    diesel::update(
                        pk::table
                            .filter(pk::session_id.eq(sid))
                            .filter(pk::id.eq_any(chunk)),
                    )
                    .set(pk::uploaded.eq(true))
                    .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn prekey_remove(&self, id: u32) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(pk::table.find((sid, i64::from(id)))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn prekey_max_id(&self) -> Result<u32> {
        let max: Option<i64> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(pk::table
                    .filter(pk::session_id.eq(sid))
                    .select(diesel::dsl::max(pk::id))
                    .first(conn)?))
            })
            .await?;
        max.map_or(Ok(0), id_from_db)
    }

    pub(super) async fn signed_store(&self, id: u32, record: &[u8]) -> Result<()> {
        let sealed = self.seal_value(SPK, &[&id.to_be_bytes()], record)?;
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(spk::table)
                    .values((
                        spk::session_id.eq(sid),
                        spk::id.eq(i64::from(id)),
                        spk::sealed.eq(&sealed),
                    ))
                    .on_conflict((spk::session_id, spk::id))
                    .do_update()
                    .set(spk::sealed.eq(excluded(spk::sealed)))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn signed_load(&self, id: u32) -> Result<Option<Vec<u8>>> {
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(spk::table
                    .find((sid, i64::from(id)))
                    .select(spk::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|s| Ok(self.open_value(SPK, &[&id.to_be_bytes()], &s)?.to_vec()))
            .transpose()
    }

    pub(super) async fn signed_load_all(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        let rows: Vec<(i64, Vec<u8>)> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(spk::table
                    .filter(spk::session_id.eq(sid))
                    .order(spk::id.asc())
                    .select((spk::id, spk::sealed))
                    .load(conn)?))
            })
            .await?;
        rows.into_iter()
            .map(|(id, sealed)| {
                let id = id_from_db(id)?;
                Ok((
                    id,
                    self.open_value(SPK, &[&id.to_be_bytes()], &sealed)?
                        .to_vec(),
                ))
            })
            .collect()
    }

    pub(super) async fn signed_remove(&self, id: u32) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(spk::table.find((sid, i64::from(id)))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
