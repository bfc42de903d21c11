//! App-state sync: sync keys, collection versions (ltHash state) and mutation MACs. Keys and
//! versions are sealed JSON; a MAC is sealed bytes under its (collection, index MAC) identity.

use std::collections::HashMap;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::appstate::hash::HashState;
use wacore::appstate::processor::AppStateMutationMAC;
use wacore::store::error::Result;
use wacore::store::traits::{AppStateSyncKey, AppSyncStore};

use super::schema::{engine_app_state_keys as keys, engine_app_state_mutation_macs as macs};
use super::sealed::Versions;
use super::{CHUNK, DieselStore, json_error, last_wins};
use crate::db::DbConn;
use crate::with_conn;

const KEYS: &str = "engine_app_state_keys";
const MACS: &str = "engine_app_state_mutation_macs";

#[async_trait]
impl AppSyncStore for DieselStore {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        let id = key_id.to_vec();
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(keys::table
                    .find((sid, &id))
                    .select(keys::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let json = self.open_value(KEYS, &[key_id], &sealed)?;
        Ok(Some(serde_json::from_slice(&json).map_err(json_error)?))
    }

    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&key).map_err(json_error)?);
        let sealed = self.seal_value(KEYS, &[key_id], &json)?;
        let id = key_id.to_vec();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                // seq records the order keys were set in, inside the write transaction so
                // concurrent setters on SQLite serialise; "latest" is the highest seq.
                let seq: Option<i64> = keys::table
                    .filter(keys::session_id.eq(sid))
                    .select(diesel::dsl::max(keys::seq))
                    .first(conn)?;
                let seq = seq.unwrap_or(0) + 1;
                diesel::insert_into(keys::table)
                    .values((
                        keys::session_id.eq(sid),
                        keys::key_id.eq(&id),
                        keys::sealed.eq(&sealed),
                        keys::seq.eq(seq),
                    ))
                    .on_conflict((keys::session_id, keys::key_id))
                    .do_update()
                    .set((
                        keys::sealed.eq(excluded(keys::sealed)),
                        keys::seq.eq(excluded(keys::seq)),
                    ))
                    .execute(conn)?;
                Ok(())
            }))
        })
        .await
    }

    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| Ok(keys::table
                .filter(keys::session_id.eq(sid))
                .order((keys::seq.desc(), keys::key_id.desc()))
                .select(keys::key_id)
                .first(conn)
                .optional()?))
        })
        .await
    }

    async fn get_version(&self, name: &str) -> Result<HashState> {
        // A collection never synced starts from the empty state, as the engine expects.
        let Some(json) = self.keyed_get::<Versions>(name).await? else {
            return Ok(HashState::default());
        };
        serde_json::from_slice(&json).map_err(json_error)
    }

    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        let json = serde_json::to_vec(&state).map_err(json_error)?;
        self.keyed_put::<Versions, _>([(name, &json[..])]).await
    }

    async fn put_mutation_macs(
        &self,
        name: &str,
        version: u64,
        mutations: &[AppStateMutationMAC],
    ) -> Result<()> {
        let version = i64::try_from(version).unwrap_or(i64::MAX);
        let rows = mutations
            .iter()
            .map(|m| {
                let sealed =
                    self.seal_value(MACS, &[name.as_bytes(), &m.index_mac], &m.value_mac)?;
                Ok((m.index_mac.clone(), sealed))
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = last_wins(rows, |r| r.0.clone());
        let n = name.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(index_mac, sealed)| {
                            (
                                macs::session_id.eq(sid),
                                macs::name.eq(&n),
                                macs::index_mac.eq(index_mac),
                                macs::version.eq(version),
                                macs::sealed.eq(sealed),
                            )
                        })
                        .collect();
                    diesel::insert_into(macs::table)
                        .values(values)
                        .on_conflict((macs::session_id, macs::name, macs::index_mac))
                        .do_update()
                        .set((
                            macs::version.eq(excluded(macs::version)),
                            macs::sealed.eq(excluded(macs::sealed)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        let (n, im) = (name.to_string(), index_mac.to_vec());
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(macs::table
                    .find((sid, &n, &im))
                    .select(macs::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|s| {
                Ok(self
                    .open_value(MACS, &[name.as_bytes(), index_mac], &s)?
                    .to_vec())
            })
            .transpose()
    }

    async fn get_mutation_macs(
        &self,
        name: &str,
        index_macs: &[[u8; 32]],
    ) -> Result<HashMap<[u8; 32], Vec<u8>>> {
        // One IN query per chunk instead of a round trip per mutation during app-state sync.
        let n = name.to_string();
        let wanted: Vec<Vec<u8>> = index_macs.iter().map(|m| m.to_vec()).collect();
        let rows: Vec<(Vec<u8>, Vec<u8>)> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| {
                    let mut rows = Vec::new();
                    for chunk in wanted.chunks(CHUNK) {
                        rows.extend(
                            macs::table
                                .filter(macs::session_id.eq(sid))
                                .filter(macs::name.eq(&n))
                                .filter(macs::index_mac.eq_any(chunk))
                                .select((macs::index_mac, macs::sealed))
                                .load::<(Vec<u8>, Vec<u8>)>(conn)?,
                        );
                    }
                    Ok(rows)
                })
            })
            .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for (index_mac, sealed) in rows {
            let value = self
                .open_value(MACS, &[name.as_bytes(), &index_mac], &sealed)?
                .to_vec();
            if let Ok(key) = <[u8; 32]>::try_from(index_mac.as_slice()) {
                out.insert(key, value);
            }
        }
        Ok(out)
    }

    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        let (n, doomed) = (name.to_string(), index_macs.to_vec());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in doomed.chunks(CHUNK) {
                    diesel::delete(
                        macs::table
                            .filter(macs::session_id.eq(sid))
                            .filter(macs::name.eq(&n))
                            .filter(macs::index_mac.eq_any(chunk)),
                    )
                    .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        let n = name.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(
                    macs::table
                        .filter(macs::session_id.eq(sid))
                        .filter(macs::name.eq(&n)),
                )
                .execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
