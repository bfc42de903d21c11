//! Calls a session's account received: the offer (`call.offer`) and how it ended (`call.ended`),
//! each stored with its event in one transaction. A call's row keeps what a rejection must name.

use diesel::prelude::*;
use serde_json::json;

use super::contacts::{Seen, learn_contact};
use super::events::{EventLog, EventRow, NewEvent};
use super::messages::{MessageRow, insert_message};
use super::schema::{calls, messages};
use super::{DbConn, DbPool, DbResult};
use crate::domain::EventType;
use crate::with_conn;

pub const RINGING: &str = "ringing";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = calls)]
pub struct CallRow {
    pub session_id: String,
    pub call_id: String,
    pub tenant_id: String,
    /// Whom the call stanza came from (a rejection goes back to it).
    pub peer: String,
    /// The `call-creator` of the call.
    pub creator: String,
    pub from_phone: Option<String>,
    pub from_lid: Option<String>,
    pub video: bool,
    /// ringing, rejected, missed, accepted_elsewhere or rejected_elsewhere.
    pub status: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

impl CallRow {
    /// The payload of the call's events.
    pub fn event_data(&self) -> serde_json::Value {
        json!({
            "call_id": self.call_id,
            "from": self.from_phone.as_ref().or(self.from_lid.as_ref()).unwrap_or(&self.peer),
            "from_phone": self.from_phone,
            "from_lid": self.from_lid,
            "video": self.video,
            "status": self.status,
            "timestamp": crate::time::rfc3339(self.created_at),
        })
    }
}

fn event(row: &CallRow, kind: EventType, now: i64) -> NewEvent<'_> {
    NewEvent {
        tenant_id: &row.tenant_id,
        session_id: Some(&row.session_id),
        event_type: kind,
        data: row.event_data(),
        created_at: now,
    }
}

/// Stores a ringing call and its `call.offer` event (and what it tells about the caller); none
/// when the same offer was stored before.
pub fn offered(pool: &DbPool, row: &CallRow) -> DbResult<Vec<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let added = diesel::insert_into(calls::table)
                .values(row)
                .on_conflict((calls::session_id, calls::call_id))
                .do_nothing()
                .execute(conn)?;
            if added == 0 {
                return Ok(Vec::new());
            }
            let mut out =
                vec![conn.append_event(&event(row, EventType::CallOffer, row.created_at))?];
            let seen = Seen::mapping(row.from_phone.clone(), row.from_lid.clone());
            out.extend(learn_contact!(
                conn,
                &row.session_id,
                &seen,
                row.created_at
            )?);
            Ok(out)
        })
    })
}

/// A ringing call ended with `status`: stored with its `call.ended` event, and with `reply` (an
/// answer to the caller, unless the tenant's daily quota is used up) in the outbox. `None` when the call is unknown or no longer ringing.
pub fn ended(
    pool: &DbPool,
    session_id: &str,
    call_id: &str,
    status: &str,
    reply: Option<&MessageRow>,
    now: i64,
    quotas: crate::domain::Quotas,
) -> DbResult<Option<(CallRow, EventRow)>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = calls::table
                .filter(calls::session_id.eq(session_id))
                .filter(calls::call_id.eq(call_id))
                .filter(calls::status.eq(RINGING));
            let changed = diesel::update(target)
                .set((calls::status.eq(status), calls::ended_at.eq(Some(now))))
                .execute(conn)?;
            if changed == 0 {
                return Ok(None);
            }
            let row: CallRow = calls::table
                .find((session_id, call_id))
                .select(CallRow::as_select())
                .first(conn)?;
            let e = conn.append_event(&event(&row, EventType::CallEnded, now))?;
            // Not past the tenant's messages_per_day quota.
            let allowed = match reply {
                Some(r) => crate::db::tenancy::may_send_today!(conn, &r.tenant_id, now, quotas)?,
                None => false,
            };
            if let Some(reply) = reply.filter(|_| allowed) {
                insert_message!(conn, reply)?;
                crate::db::tenancy::meter_out!(conn, reply)?;
            }
            Ok(Some((row, e)))
        })
    })
}

pub fn find(pool: &DbPool, session_id: &str, call_id: &str) -> DbResult<Option<CallRow>> {
    with_conn!(pool, |conn| {
        Ok(calls::table
            .find((session_id, call_id))
            .select(CallRow::as_select())
            .first(conn)
            .optional()?)
    })
}

/// A page of the session's calls, newest first; the cursor is `created_at:call_id`.
pub fn list(
    pool: &DbPool,
    session_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> DbResult<Vec<CallRow>> {
    with_conn!(pool, |conn| {
        let mut q = calls::table
            .filter(calls::session_id.eq(session_id))
            .select(CallRow::as_select())
            .order((calls::created_at.desc(), calls::call_id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some((at, id)) = after {
            q = q.filter(
                calls::created_at
                    .lt(at)
                    .or(calls::created_at.eq(at).and(calls::call_id.lt(id))),
            );
        }
        Ok(q.load(conn)?)
    })
}
