//! Event sinks: a tenant's events published to a broker, each a durable cursor over the event log
//! run by one instance at a time (see [`crate::sinks`]).

use diesel::prelude::*;

use super::schema::{events, sinks};
use super::{DbConn, DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = sinks)]
pub struct SinkRow {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub url_sealed: String,
    pub url_shown: String,
    pub session_id: Option<String>,
    pub event_types: String,
    pub destination: String,
    pub max_len: Option<i64>,
    pub secret_sealed: String,
    pub enabled: bool,
    pub cursor: i64,
    pub delivered: i64,
    pub failing_since: Option<i64>,
    pub last_error: Option<String>,
    pub last_delivered_at: Option<i64>,
    pub owner: Option<String>,
    pub lease_until: i64,
    pub epoch: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SinkRow {
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }
}

/// What a PATCH changes.
#[derive(Debug, Default, Clone)]
pub struct SinkChanges {
    pub url: Option<(String, String)>,
    pub event_types: Option<String>,
    pub enabled: Option<bool>,
}

/// Which instance runs a sink, and from which epoch on.
#[derive(Debug, Clone)]
pub struct Ownership {
    pub owner: String,
    pub epoch: i64,
}

/// Associated data of a sink's sealed URL and secret.
pub fn url_aad(id: &str) -> Vec<u8> {
    format!("sink-url:{id}").into_bytes()
}

pub fn secret_aad(id: &str) -> Vec<u8> {
    format!("sink-secret:{id}").into_bytes()
}

/// Most sinks a tenant may have.
pub const MAX_PER_TENANT: i64 = 20;

pub fn insert(pool: &DbPool, row: &SinkRow) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let count: i64 = sinks::table
                .filter(sinks::tenant_id.eq(&row.tenant_id))
                .count()
                .get_result(conn)?;
            if count >= MAX_PER_TENANT {
                return Ok(false);
            }
            diesel::insert_into(sinks::table)
                .values(row)
                .execute(conn)?;
            Ok(true)
        })
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<SinkRow>> {
    with_conn!(pool, |conn| {
        Ok(sinks::table
            .filter(sinks::tenant_id.eq(tenant_id))
            .filter(sinks::id.eq(id))
            .first(conn)
            .optional()?)
    })
}

pub fn list(pool: &DbPool, tenant_id: &str) -> DbResult<Vec<SinkRow>> {
    with_conn!(pool, |conn| {
        Ok(sinks::table
            .filter(sinks::tenant_id.eq(tenant_id))
            .order(sinks::id.asc())
            .load(conn)?)
    })
}

/// Applies `changes`; the row as it is now, `None` when there is no such sink.
pub fn update(
    pool: &DbPool,
    tenant_id: &str,
    id: &str,
    changes: &SinkChanges,
    now: i64,
) -> DbResult<Option<SinkRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = sinks::table
                .filter(sinks::tenant_id.eq(tenant_id))
                .filter(sinks::id.eq(id));
            let found = diesel::update(target)
                .set(sinks::updated_at.eq(now))
                .execute(conn)?;
            if found == 0 {
                return Ok(None);
            }
            if let Some((sealed, shown)) = &changes.url {
                diesel::update(target)
                    .set((sinks::url_sealed.eq(sealed), sinks::url_shown.eq(shown)))
                    .execute(conn)?;
            }
            if let Some(types) = &changes.event_types {
                diesel::update(target)
                    .set(sinks::event_types.eq(types))
                    .execute(conn)?;
            }
            if let Some(enabled) = changes.enabled {
                diesel::update(target)
                    .set(sinks::enabled.eq(enabled))
                    .execute(conn)?;
            }
            Ok(target.first(conn).optional()?)
        })
    })
}

pub fn delete(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let n = diesel::delete(
            sinks::table
                .filter(sinks::tenant_id.eq(tenant_id))
                .filter(sinks::id.eq(id)),
        )
        .execute(conn)?;
        Ok(n == 1)
    })
}

/// Renews `owner`'s leases and takes the enabled sinks nobody holds (a new owner raises the
/// epoch); answers every enabled sink `owner` now holds.
pub fn claim(pool: &DbPool, owner: &str, now: i64, ttl_ms: i64) -> DbResult<Vec<SinkRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            diesel::update(
                sinks::table
                    .filter(sinks::owner.eq(owner))
                    .filter(sinks::enabled.eq(true)),
            )
            .set(sinks::lease_until.eq(now + ttl_ms))
            .execute(conn)?;
            diesel::update(
                sinks::table
                    .filter(sinks::enabled.eq(true))
                    .filter(sinks::lease_until.lt(now))
                    .filter(sinks::owner.is_null().or(sinks::owner.ne(owner))),
            )
            .set((
                sinks::owner.eq(owner),
                sinks::lease_until.eq(now + ttl_ms),
                sinks::epoch.eq(sinks::epoch + 1),
            ))
            .execute(conn)?;
            Ok(sinks::table
                .filter(sinks::owner.eq(owner))
                .filter(sinks::enabled.eq(true))
                .order(sinks::id.asc())
                .load(conn)?)
        })
    })
}

/// Gives up `owner`'s sinks (at shutdown), so another instance takes them at once.
pub fn release(pool: &DbPool, owner: &str) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        Ok(diesel::update(sinks::table.filter(sinks::owner.eq(owner)))
            .set((sinks::owner.eq(None::<String>), sinks::lease_until.eq(0i64)))
            .execute(conn)?)
    })
}

/// Moves the cursor past `cursor` after `published` events went out; `false` when this owner no
/// longer holds the sink (its epoch passed), and nothing changed.
pub fn advance(
    pool: &DbPool,
    id: &str,
    holder: &Ownership,
    cursor: i64,
    published: i64,
    now: i64,
) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let n = diesel::update(
            sinks::table
                .filter(sinks::id.eq(id))
                .filter(sinks::owner.eq(&holder.owner))
                .filter(sinks::epoch.eq(holder.epoch))
                .filter(sinks::cursor.lt(cursor)),
        )
        .set((
            sinks::cursor.eq(cursor),
            sinks::delivered.eq(sinks::delivered + published),
            sinks::failing_since.eq(None::<i64>),
            sinks::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
        if n == 1 && published > 0 {
            diesel::update(sinks::table.find(id))
                .set(sinks::last_delivered_at.eq(now))
                .execute(conn)?;
        }
        Ok(n == 1)
    })
}

/// Records a failed attempt (the broker down or refusing); the cursor stays.
pub fn failed(pool: &DbPool, id: &str, holder: &Ownership, error: &str, now: i64) -> DbResult<()> {
    with_conn!(pool, |conn| {
        let held = sinks::table
            .filter(sinks::id.eq(id))
            .filter(sinks::owner.eq(&holder.owner))
            .filter(sinks::epoch.eq(holder.epoch));
        diesel::update(held)
            .set(sinks::last_error.eq(error))
            .execute(conn)?;
        diesel::update(held.filter(sinks::failing_since.is_null()))
            .set(sinks::failing_since.eq(now))
            .execute(conn)?;
        Ok(())
    })
}

/// Events of the sink's tenant (and session) after its cursor, counted on the log's
/// (tenant, id) index and shown as at most `cap`.
pub fn lag(pool: &DbPool, row: &SinkRow, cap: i64) -> DbResult<i64> {
    with_conn!(pool, |conn| {
        let mut q = events::table
            .filter(events::tenant_id.eq(&row.tenant_id))
            .filter(events::id.gt(row.cursor))
            .into_boxed();
        if let Some(session) = &row.session_id {
            q = q.filter(events::session_id.eq(session.clone()));
        }
        let n: i64 = q.count().get_result(conn)?;
        Ok(n.min(cap))
    })
}
