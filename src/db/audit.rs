//! The audit log: append-only rows of who did what, written in batches by [`crate::audit`].

use diesel::prelude::*;

use super::schema::audit_log;
use super::{DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub at: i64,
    /// `admin`, `key` or `anonymous` (a refused call without a valid key).
    pub actor_kind: String,
    pub key_id: Option<String>,
    /// The method and route, e.g. `POST /api/v1/sessions/{session_id}/start`.
    pub action: String,
    /// The path as called.
    pub target: String,
    pub ip: String,
    pub status: i32,
}

pub fn append(pool: &DbPool, rows: &[AuditRow]) -> DbResult<()> {
    with_conn!(pool, |conn| {
        for chunk in rows.chunks(200) {
            diesel::insert_into(audit_log::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(())
    })
}

/// What `GET /audit` asks for: one tenant's rows (or all, for the admin), after a cursor, of
/// one action.
pub struct AuditFilter {
    pub tenant_id: Option<String>,
    pub action: Option<String>,
}

pub fn list(
    pool: &DbPool,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    with_conn!(pool, |conn| {
        let mut q = audit_log::table
            .order(audit_log::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(t) = &filter.tenant_id {
            q = q.filter(audit_log::tenant_id.eq(t.clone()));
        }
        if let Some(a) = &filter.action {
            q = q.filter(audit_log::action.eq(a.clone()));
        }
        if let Some(after) = after {
            q = q.filter(audit_log::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

/// Deletes at most `batch` rows older than `before`; how many.
pub fn purge(pool: &DbPool, before: i64, batch: i64) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        let old: Vec<String> = audit_log::table
            .filter(audit_log::at.lt(before))
            .order(audit_log::id.asc())
            .limit(batch)
            .select(audit_log::id)
            .load(conn)?;
        Ok(diesel::delete(audit_log::table.filter(audit_log::id.eq_any(&old))).execute(conn)?)
    })
}
