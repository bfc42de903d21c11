use diesel::prelude::*;

use super::schema::{api_keys, sessions, tenants, webhooks};
use super::{DbConn, DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

pub fn create(pool: &DbPool, row: &TenantRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(tenants::table)
            .values((
                tenants::id.eq(&row.id),
                tenants::name.eq(&row.name),
                tenants::created_at.eq(row.created_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Creates a tenant together with its first key, atomically (the bootstrap command).
pub fn create_with_key(
    pool: &DbPool,
    tenant: &TenantRow,
    key: &super::keys::KeyRow,
) -> DbResult<()> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            diesel::insert_into(tenants::table)
                .values((
                    tenants::id.eq(&tenant.id),
                    tenants::name.eq(&tenant.name),
                    tenants::created_at.eq(tenant.created_at),
                ))
                .execute(conn)?;
            diesel::insert_into(api_keys::table)
                .values(super::keys::insert_values(key))
                .execute(conn)?;
            Ok(())
        })
    })
}

pub fn list(pool: &DbPool, after: Option<&str>, limit: i64) -> DbResult<Vec<TenantRow>> {
    with_conn!(pool, |conn| {
        let mut q = tenants::table
            .order(tenants::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(tenants::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

pub fn get(pool: &DbPool, id: &str) -> DbResult<Option<TenantRow>> {
    with_conn!(pool, |conn| Ok(tenants::table
        .find(id)
        .first(conn)
        .optional()?))
}

/// Deletes the tenant; its sessions, keys and events go with it (ON DELETE CASCADE).
pub fn delete(pool: &DbPool, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| Ok(diesel::delete(tenants::table.find(id))
        .execute(conn)?
        > 0))
}

/// The bytes of media stored for a tenant. SUM of a BIGINT is NUMERIC on PostgreSQL: cast back,
/// on both backends.
macro_rules! media_bytes_of {
    ($conn:expr, $tenant:expr) => {{
        use $crate::db::schema::media;
        media::table
            .filter(media::tenant_id.eq($tenant))
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "CAST(COALESCE(SUM(size), 0) AS BIGINT)",
            ))
            .first::<i64>($conn)
    }};
}
pub(crate) use media_bytes_of;

/// What a tenant holds that its quotas limit.
pub struct Counts {
    pub sessions: u64,
    pub webhooks: u64,
    pub media_bytes: u64,
}

pub fn counts(pool: &DbPool, tenant_id: &str) -> DbResult<Counts> {
    with_conn!(pool, |conn| {
        let sessions: i64 = sessions::table
            .filter(sessions::tenant_id.eq(tenant_id))
            .count()
            .get_result(conn)?;
        let webhooks: i64 = webhooks::table
            .filter(webhooks::tenant_id.eq(tenant_id))
            .count()
            .get_result(conn)?;
        let media_bytes: i64 = media_bytes_of!(conn, tenant_id)?;
        Ok(Counts {
            sessions: u64::try_from(sessions).unwrap_or(0),
            webhooks: u64::try_from(webhooks).unwrap_or(0),
            media_bytes: u64::try_from(media_bytes).unwrap_or(0),
        })
    })
}
