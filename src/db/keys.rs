use diesel::prelude::*;

use super::schema::api_keys;
use super::{DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct KeyRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub prefix: String,
    pub secret_hash: String,
    pub scopes: String,
    pub session_id: Option<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

#[allow(clippy::type_complexity)]
pub(super) fn insert_values(
    k: &KeyRow,
) -> (
    diesel::dsl::Eq<api_keys::id, &String>,
    diesel::dsl::Eq<api_keys::tenant_id, &String>,
    diesel::dsl::Eq<api_keys::name, &String>,
    diesel::dsl::Eq<api_keys::prefix, &String>,
    diesel::dsl::Eq<api_keys::secret_hash, &String>,
    diesel::dsl::Eq<api_keys::scopes, &String>,
    diesel::dsl::Eq<api_keys::session_id, Option<&String>>,
    diesel::dsl::Eq<api_keys::expires_at, Option<i64>>,
    diesel::dsl::Eq<api_keys::created_at, i64>,
) {
    (
        api_keys::id.eq(&k.id),
        api_keys::tenant_id.eq(&k.tenant_id),
        api_keys::name.eq(&k.name),
        api_keys::prefix.eq(&k.prefix),
        api_keys::secret_hash.eq(&k.secret_hash),
        api_keys::scopes.eq(&k.scopes),
        api_keys::session_id.eq(k.session_id.as_ref()),
        api_keys::expires_at.eq(k.expires_at),
        api_keys::created_at.eq(k.created_at),
    )
}

pub fn insert(pool: &DbPool, key: &KeyRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(api_keys::table)
            .values(insert_values(key))
            .execute(conn)?;
        Ok(())
    })
}

/// The key with this hash, and since when its tenant is suspended (`None`: it is not), in one
/// statement: every API call asks this first.
pub fn find_by_hash_with_suspension(
    pool: &DbPool,
    hash: &str,
) -> DbResult<Option<(KeyRow, Option<i64>)>> {
    use super::schema::tenant_controls as tc;
    with_conn!(pool, |conn| {
        Ok(api_keys::table
            .left_join(tc::table.on(tc::tenant_id.eq(api_keys::tenant_id)))
            .filter(api_keys::secret_hash.eq(hash))
            .select((api_keys::all_columns, tc::suspended_at.nullable()))
            .first(conn)
            .optional()?)
    })
}

/// Records a use of the key; writes only when the stored time is older than `stale_before`
/// so that a busy key does not turn every request into a write.
pub fn touch(pool: &DbPool, id: &str, now: i64, stale_before: i64) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::update(
            api_keys::table.find(id).filter(
                api_keys::last_used_at
                    .is_null()
                    .or(api_keys::last_used_at.lt(stale_before)),
            ),
        )
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
        Ok(())
    })
}

/// Keys of a tenant that are not revoked, oldest first.
pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<KeyRow>> {
    with_conn!(pool, |conn| {
        let mut q = api_keys::table
            .filter(api_keys::tenant_id.eq(tenant_id))
            .filter(api_keys::revoked_at.is_null())
            .order(api_keys::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(api_keys::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<KeyRow>> {
    with_conn!(pool, |conn| {
        Ok(api_keys::table
            .find(id)
            .filter(api_keys::tenant_id.eq(tenant_id))
            .filter(api_keys::revoked_at.is_null())
            .first(conn)
            .optional()?)
    })
}

/// Revokes a live key of the tenant; false when there is none.
pub fn revoke(pool: &DbPool, tenant_id: &str, id: &str, now: i64) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let n = diesel::update(
            api_keys::table
                .find(id)
                .filter(api_keys::tenant_id.eq(tenant_id))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)?;
        Ok(n > 0)
    })
}
