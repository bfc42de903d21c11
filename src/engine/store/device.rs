//! The engine's own device: identity, noise and signed-prekey key pairs, ADV secret, account
//! signature and counters. One device per WARAS session, stored as one sealed JSON document.

use std::sync::Arc;

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::Device;
use wacore::store::device::DEVICE_PROPS;
use wacore::store::error::Result;
use wacore::store::traits::DeviceStore;
use zeroize::Zeroizing;

use super::schema::engine_device as dev;
use super::{DieselStore, json_error};
use crate::db::now_ms;
use crate::with_conn;

const DEV: &str = "engine_device";
/// Each WARAS session holds exactly one engine device; this is the id `create` reports for it.
const DEVICE_SLOT: i32 = 1;

impl DieselStore {
    fn seal_device(&self, device: &Device) -> Result<Vec<u8>> {
        let json = Zeroizing::new(serde_json::to_vec(device).map_err(json_error)?);
        self.seal_value(DEV, &[], &json)
    }
}

#[async_trait]
impl DeviceStore for DieselStore {
    async fn save(&self, device: &Device) -> Result<()> {
        let sealed = self.seal_device(device)?;
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(dev::table)
                    .values((
                        dev::session_id.eq(sid),
                        dev::sealed.eq(&sealed),
                        dev::updated_at.eq(now_ms()),
                    ))
                    .on_conflict(dev::session_id)
                    .do_update()
                    .set((
                        dev::sealed.eq(excluded(dev::sealed)),
                        dev::updated_at.eq(excluded(dev::updated_at)),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn load(&self) -> Result<Option<Device>> {
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(dev::table
                    .find(sid)
                    .select(dev::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let json = self.open_value(DEV, &[], &sealed)?;
        let mut device: Device = serde_json::from_slice(&json).map_err(json_error)?;
        // Device props are runtime configuration that serde skips; start from the library's
        // defaults exactly as a fresh Device does (the builder re-applies any override).
        device.device_props = Arc::new(DEVICE_PROPS.clone());
        Ok(Some(device))
    }

    async fn exists(&self) -> Result<bool> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| Ok(diesel::select(diesel::dsl::exists(
                dev::table.find(sid)
            ))
            .get_result(conn)?))
        })
        .await
    }

    async fn create(&self) -> Result<i32> {
        // A fresh device with new key pairs, unless one exists already: a second create (or a
        // concurrent one) must never replace live identity keys.
        let sealed = self.seal_device(&Device::new())?;
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(dev::table)
                    .values((
                        dev::session_id.eq(sid),
                        dev::sealed.eq(&sealed),
                        dev::updated_at.eq(now_ms()),
                    ))
                    .on_conflict(dev::session_id)
                    .do_nothing()
                    .execute(conn)?;
                Ok(())
            })
        })
        .await?;
        Ok(DEVICE_SLOT)
    }

    async fn resource_report(&self) -> wacore::stats::StorageResourceReport {
        // On PostgreSQL the data lives in another process. SQLite's page cache is in-process but
        // shared by every session of the pool, so no per-session figure exists: not reported.
        match self.db.pool() {
            crate::db::DbPool::Postgres(_) => wacore::stats::StorageResourceReport {
                memory_bytes: Some(0),
                ..Default::default()
            },
            crate::db::DbPool::Sqlite(_) => wacore::stats::StorageResourceReport::default(),
        }
    }
}
