//! The device registry (usync device lists, public directory data kept as JSON) and the group
//! metadata cache (participants: personal data, so sealed).

use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::DeviceListRecord;

use super::schema::{engine_device_registry as reg, engine_group_metadata as gm};
use super::{CHUNK, DieselStore, json_error, last_wins};
use crate::db::DbConn;
use crate::with_conn;

const GROUPS: &str = "engine_group_metadata";

impl DieselStore {
    pub(super) async fn upsert_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        let rows = records
            .iter()
            .map(|r| {
                Ok((
                    r.user.clone(),
                    serde_json::to_string(r).map_err(json_error)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let rows = last_wins(rows, |r| r.0.clone());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(u, json)| {
                            (
                                reg::session_id.eq(sid),
                                reg::user_id.eq(u),
                                reg::record.eq(json),
                            )
                        })
                        .collect();
                    diesel::insert_into(reg::table)
                        .values(values)
                        .on_conflict((reg::session_id, reg::user_id))
                        .do_update()
                        .set(reg::record.eq(excluded(reg::record)))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn registry_get(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        let u = user.to_string();
        let json: Option<String> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(reg::table
                    .find((sid, &u))
                    .select(reg::record)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        json.map(|j| serde_json::from_str(&j).map_err(json_error))
            .transpose()
    }

    pub(super) async fn registry_delete(&self, user: &str) -> Result<()> {
        let u = user.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(reg::table.find((sid, &u))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn group_get(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        let g = group_jid.to_string();
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(gm::table
                    .find((sid, &g))
                    .select(gm::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|s| {
                Ok(self
                    .open_value(GROUPS, &[group_jid.as_bytes()], &s)?
                    .to_vec())
            })
            .transpose()
    }

    pub(super) async fn group_put(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        let sealed = self.seal_value(GROUPS, &[group_jid.as_bytes()], blob)?;
        let g = group_jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(gm::table)
                    .values((
                        gm::session_id.eq(sid),
                        gm::group_jid.eq(&g),
                        gm::sealed.eq(&sealed),
                    ))
                    .on_conflict((gm::session_id, gm::group_jid))
                    .do_update()
                    .set(gm::sealed.eq(excluded(gm::sealed)))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    pub(super) async fn group_delete(&self, group_jid: &str) -> Result<()> {
        let g = group_jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(gm::table.find((sid, &g))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
