use diesel::prelude::*;

use super::schema::{api_keys, tenants};
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
