//! The device registry (usync device lists, public directory data kept as JSON) and the group
//! metadata cache (participants: personal data, so sealed).

use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::DeviceListRecord;

use super::schema::engine_device_registry as reg;
use super::sealed::Groups;
use super::{CHUNK, DieselStore, json_error, last_wins};
use crate::db::DbConn;
use crate::with_conn;

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
        let record = self.keyed_get::<Groups>(group_jid).await?;
        Ok(record.map(|r| r.to_vec()))
    }

    pub(super) async fn group_put(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.keyed_put::<Groups, _>([(group_jid, blob)]).await
    }

    pub(super) async fn group_delete(&self, group_jid: &str) -> Result<()> {
        self.keyed_delete::<Groups>(group_jid).await
    }
}
