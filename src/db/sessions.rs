use diesel::prelude::*;

use super::events::{EventLog, EventRow, NewEvent};
use super::schema::sessions;
use super::{DbConn, DbPool, DbResult};
use crate::domain::{DesiredState, EventType, SessionStatus};
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub desired_state: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub me_phone_jid: Option<String>,
    pub me_lid: Option<String>,
    pub me_push_name: Option<String>,
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub qr_code: Option<String>,
    pub qr_expires_at: Option<i64>,
    /// The proxy URL with its password hidden.
    pub proxy: Option<String>,
    /// The proxy URL sealed with the master key (purpose `session-proxy`, the session id as AAD).
    pub proxy_sealed: Option<String>,
}

/// Stores a new session, unless the tenant already has `quota` of them.
pub fn insert(pool: &DbPool, s: &SessionRow, quota: Option<u64>) -> DbResult<()> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            crate::db::tenancy::check_quota!(
                conn,
                &s.tenant_id,
                "sessions",
                quota,
                sessions::table
                    .filter(sessions::tenant_id.eq(&s.tenant_id))
                    .count()
                    .get_result(conn)?
            )?;
            diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(&s.id),
                    sessions::tenant_id.eq(&s.tenant_id),
                    sessions::name.eq(&s.name),
                    sessions::desired_state.eq(&s.desired_state),
                    sessions::status.eq(&s.status),
                    sessions::config.eq(&s.config),
                    sessions::proxy.eq(&s.proxy),
                    sessions::proxy_sealed.eq(&s.proxy_sealed),
                    sessions::created_at.eq(s.created_at),
                    sessions::updated_at.eq(s.updated_at),
                ))
                .execute(conn)?;
            Ok(())
        })
    })
}

/// Sessions of a tenant, oldest first; `only` narrows to one session (session-scoped keys).
pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    only: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<SessionRow>> {
    with_conn!(pool, |conn| {
        let mut q = sessions::table
            .filter(sessions::tenant_id.eq(tenant_id))
            .order(sessions::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(only) = only {
            q = q.filter(sessions::id.eq(only.to_string()));
        }
        if let Some(after) = after {
            q = q.filter(sessions::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<SessionRow>> {
    with_conn!(pool, |conn| {
        Ok(sessions::table
            .find(id)
            .filter(sessions::tenant_id.eq(tenant_id))
            .first(conn)
            .optional()?)
    })
}

/// A session by id alone, for the actors (which act for whichever tenant owns it).
pub fn find(pool: &DbPool, id: &str) -> DbResult<Option<SessionRow>> {
    with_conn!(pool, |conn| Ok(sessions::table
        .find(id)
        .first(conn)
        .optional()?))
}

pub struct SessionPatch {
    pub name: Option<String>,
    pub config: Option<String>,
    /// `Some(None)` removes the proxy; `Some(Some((shown, sealed)))` sets it.
    pub proxy: Option<Option<(String, String)>>,
    pub desired_state: Option<DesiredState>,
}

pub fn update(
    pool: &DbPool,
    tenant_id: &str,
    id: &str,
    patch: &SessionPatch,
    now: i64,
) -> DbResult<Option<SessionRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = sessions::table
                .find(id)
                .filter(sessions::tenant_id.eq(tenant_id));
            let Some(mut row) = target.first::<SessionRow>(conn).optional()? else {
                return Ok(None);
            };
            if let Some(name) = &patch.name {
                row.name = name.clone();
            }
            if let Some(config) = &patch.config {
                row.config = config.clone();
            }
            if let Some(desired) = patch.desired_state {
                row.desired_state = desired.as_str().to_string();
            }
            if let Some(proxy) = &patch.proxy {
                row.proxy = proxy.as_ref().map(|(shown, _)| shown.clone());
                row.proxy_sealed = proxy.as_ref().map(|(_, sealed)| sealed.clone());
            }
            row.updated_at = now;
            diesel::update(target)
                .set((
                    sessions::name.eq(&row.name),
                    sessions::config.eq(&row.config),
                    sessions::desired_state.eq(&row.desired_state),
                    sessions::proxy.eq(&row.proxy),
                    sessions::proxy_sealed.eq(&row.proxy_sealed),
                    sessions::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(Some(row))
        })
    })
}

/// A status transition: persisted together with its `session.status` event, or nothing at all
/// when the status and reason are already what is asked.
pub struct StatusChange<'a> {
    pub session_id: &'a str,
    pub status: SessionStatus,
    pub reason: Option<&'a str>,
    /// Set by terminal states (LOGGED_OUT, QR exhaustion) that must not restart at boot.
    pub desired_state: Option<DesiredState>,
    pub now: i64,
    /// The owner's fence when the session's actor writes (a stale owner's write fails);
    /// `None` for writes that need no ownership (the API marking a stopped session).
    pub fence: Option<&'a super::cluster::Fence>,
}

pub fn set_status(
    pool: &DbPool,
    change: &StatusChange<'_>,
) -> DbResult<Option<(SessionRow, EventRow)>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            conn.check_fence(change.session_id, change.fence)?;
            let target = sessions::table.find(change.session_id);
            let Some(mut row) = target.first::<SessionRow>(conn).optional()? else {
                return Ok(None);
            };
            let previous = row.status.clone();
            let desired = change.desired_state.map(|d| d.as_str().to_string());
            if previous == change.status.as_str()
                && row.status_reason.as_deref() == change.reason
                && desired.as_ref().is_none_or(|d| *d == row.desired_state)
            {
                return Ok(None);
            }
            row.status = change.status.as_str().to_string();
            row.status_reason = change.reason.map(str::to_string);
            if change.status != SessionStatus::ScanQr {
                row.qr_code = None;
                row.qr_expires_at = None;
            }
            if let Some(d) = desired {
                row.desired_state = d;
            }
            row.updated_at = change.now;
            // A new reason for the same state (e.g. `connection_failed` while STARTING) is shown
            // on the session but is no transition: no `session.status` event.
            let transition = previous != row.status || change.desired_state.is_some();
            diesel::update(target)
                .set((
                    sessions::status.eq(&row.status),
                    sessions::status_reason.eq(&row.status_reason),
                    sessions::desired_state.eq(&row.desired_state),
                    sessions::qr_code.eq(&row.qr_code),
                    sessions::qr_expires_at.eq(row.qr_expires_at),
                    sessions::updated_at.eq(change.now),
                ))
                .execute(conn)?;
            let working = SessionStatus::Working.as_str();
            crate::db::tenancy::track_working!(
                conn,
                &row.id,
                &row.tenant_id,
                previous == working,
                row.status == working,
                change.now
            )?;
            if !transition {
                return Ok(None);
            }
            let event = conn.append_event(&NewEvent {
                tenant_id: &row.tenant_id,
                session_id: Some(&row.id),
                event_type: EventType::SessionStatus,
                data: serde_json::json!({
                    "status": row.status,
                    "previous": previous,
                    "reason": row.status_reason,
                }),
                created_at: change.now,
            })?;
            Ok(Some((row, event)))
        })
    })
}

pub fn delete(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        Ok(diesel::delete(
            sessions::table
                .find(id)
                .filter(sessions::tenant_id.eq(tenant_id)),
        )
        .execute(conn)?
            > 0)
    })
}

pub fn ids_of_tenant(pool: &DbPool, tenant_id: &str) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| {
        Ok(sessions::table
            .filter(sessions::tenant_id.eq(tenant_id))
            .select(sessions::id)
            .load(conn)?)
    })
}

/// Every session that should be running, for the supervisor at boot.
pub fn ids_to_run(pool: &DbPool) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| {
        Ok(sessions::table
            .filter(sessions::desired_state.eq(DesiredState::Running.as_str()))
            .order(sessions::id.asc())
            .select(sessions::id)
            .load(conn)?)
    })
}

pub fn count_by_status(pool: &DbPool) -> DbResult<Vec<(String, i64)>> {
    with_conn!(pool, |conn| {
        Ok(sessions::table
            .group_by(sessions::status)
            .select((sessions::status, diesel::dsl::count_star()))
            .load(conn)?)
    })
}

/// A new linking QR: stored for the API and announced as `session.qr`, together.
pub fn set_qr(
    pool: &DbPool,
    id: &str,
    code: &str,
    expires_at: i64,
    now: i64,
) -> DbResult<Option<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let Some(row) = sessions::table.find(id).first::<SessionRow>(conn).optional()? else {
                return Ok(None);
            };
            diesel::update(sessions::table.find(id))
                .set((sessions::qr_code.eq(code), sessions::qr_expires_at.eq(expires_at), sessions::updated_at.eq(now)))
                .execute(conn)?;
            let event = conn.append_event(&NewEvent {
                tenant_id: &row.tenant_id,
                session_id: Some(&row.id),
                event_type: EventType::SessionQr,
                data: serde_json::json!({ "code": code, "expires_at": crate::time::rfc3339(expires_at) }),
                created_at: now,
            })?;
            Ok(Some(event))
        })
    })
}

/// The account the session is linked to (`None`s clear it, e.g. after logout).
pub fn set_me(
    pool: &DbPool,
    id: &str,
    phone_jid: Option<&str>,
    lid: Option<&str>,
    push_name: Option<&str>,
    now: i64,
) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::update(sessions::table.find(id))
            .set((
                sessions::me_phone_jid.eq(phone_jid),
                sessions::me_lid.eq(lid),
                sessions::me_push_name.eq(push_name),
                sessions::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}
