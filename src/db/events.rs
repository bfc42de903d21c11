//! The append-only event log. Appends happen inside the transaction of the state change that caused
//! them ([`EventLog::append_event`]); on PostgreSQL they mark it as an appender; readers read up to [`DbConn::event_horizon`], so
//! they see ids in increasing order and never one appear behind an id already read.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::cached::CachedDsl;
use super::schema::events;
use super::webhooks::DeliveryOutbox;
use super::{DbConn, DbPool, DbResult};
use crate::domain::EventType;
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub event_type: String,
    pub data: String,
    pub created_at: i64,
}

/// The one envelope of every event, on every channel (API, webhooks, WebSocket).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Envelope {
    /// Decimal; increases in commit order.
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub created_at: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl EventRow {
    pub fn envelope(&self) -> Envelope {
        Envelope {
            id: self.id.to_string(),
            event_type: self.event_type.clone(),
            tenant_id: self.tenant_id.clone(),
            session_id: self.session_id.clone(),
            created_at: crate::time::rfc3339(self.created_at),
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The envelope as a key sees it: a `session.qr` code links a phone to the session, so keys
    /// without `manage` (`may_link` false) get the event with `code` null.
    pub fn envelope_for(&self, may_link: bool) -> Envelope {
        let mut e = self.envelope();
        if !may_link
            && self.event_type == EventType::SessionQr
            && let Some(data) = e.data.as_object_mut()
        {
            data.insert("code".into(), serde_json::Value::Null);
        }
        e
    }

    pub fn envelope_json(&self) -> String {
        serde_json::to_string(&self.envelope()).unwrap_or_default()
    }
}

pub struct NewEvent<'a> {
    pub tenant_id: &'a str,
    pub session_id: Option<&'a str>,
    pub event_type: EventType,
    pub data: serde_json::Value,
    pub created_at: i64,
}

/// Appending from inside another repository's transaction, on either connection type.
pub trait EventLog: DbConn + DeliveryOutbox {
    /// Inserts the event's row (`data` is its JSON) and answers its id.
    fn insert_event(&mut self, event: &NewEvent<'_>, data: &str) -> DbResult<i64>;

    fn append_event(&mut self, e: &NewEvent<'_>) -> DbResult<EventRow> {
        let data = e.data.to_string();
        let id = self.insert_event(e, &data)?;
        let row = EventRow {
            id,
            tenant_id: e.tenant_id.to_string(),
            session_id: e.session_id.map(str::to_string),
            event_type: e.event_type.as_str().to_string(),
            data,
            created_at: e.created_at,
        };
        self.create_deliveries(&row)?;
        Ok(row)
    }
}

impl EventLog for diesel::PgConnection {
    /// One round trip: `waras_append_event` (migration `2026-12-07-000022_event_append`) takes
    /// the log's lock shared for this transaction, which marks it as an appender (see
    /// [`DbConn::event_horizon`]), before the row takes its id, then inserts it.
    fn insert_event(&mut self, e: &NewEvent<'_>, data: &str) -> DbResult<i64> {
        use diesel::sql_types::{Nullable, Text};
        let call = sql::<BigInt>("waras_append_event(")
            .bind::<BigInt, _>(super::EVENT_LOG_LOCK)
            .sql(", ")
            .bind::<Text, _>(e.tenant_id)
            .sql(", ")
            .bind::<Nullable<Text>, _>(e.session_id)
            .sql(", ")
            .bind::<Text, _>(e.event_type.as_str())
            .sql(", ")
            .bind::<Text, _>(data)
            .sql(", ")
            .bind::<BigInt, _>(e.created_at)
            .sql(")");
        Ok(diesel::select(call).cached().get_result(self)?)
    }
}

impl EventLog for diesel::SqliteConnection {
    /// SQLite's one writer commits in id order: no lock. No `RETURNING` either: it would collect
    /// the id in a temporary table of its own (see `db::cached`); the connection knows the row
    /// it inserted last.
    fn insert_event(&mut self, e: &NewEvent<'_>, data: &str) -> DbResult<i64> {
        diesel::insert_into(events::table)
            .values((
                events::tenant_id.eq(e.tenant_id),
                events::session_id.eq(e.session_id),
                events::event_type.eq(e.event_type.as_str()),
                events::data.eq(data),
                events::created_at.eq(e.created_at),
            ))
            .cached()
            .run(self)?;
        Ok(diesel::select(sql::<BigInt>("last_insert_rowid()"))
            .cached()
            .get_result(self)?)
    }
}

#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub after: i64,
    pub session_id: Option<String>,
    pub types: Vec<String>,
}

/// Events of every tenant after `after`, oldest first (the live fan-out reads the log this way).
pub fn tail(pool: &DbPool, after: i64, limit: i64) -> DbResult<Vec<EventRow>> {
    with_conn!(pool, |conn| {
        let until = conn.event_horizon()?.unwrap_or(i64::MAX);
        Ok(events::table
            .filter(events::id.gt(after))
            .filter(events::id.le(until))
            .order(events::id.asc())
            .limit(limit)
            .load(conn)?)
    })
}

/// The newest readable event id, 0 for an empty log: no event can appear at or below it later.
pub fn last_id(pool: &DbPool) -> DbResult<i64> {
    with_conn!(pool, |conn| {
        if let Some(until) = conn.event_horizon()? {
            return Ok(until);
        }
        Ok(events::table
            .select(diesel::dsl::max(events::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0))
    })
}

/// Events of a tenant after `filter.after`, oldest first.
pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    filter: &EventFilter,
    limit: i64,
) -> DbResult<Vec<EventRow>> {
    with_conn!(pool, |conn| {
        let until = conn.event_horizon()?.unwrap_or(i64::MAX);
        let mut q = events::table
            .filter(events::tenant_id.eq(tenant_id))
            .filter(events::id.gt(filter.after))
            .filter(events::id.le(until))
            .order(events::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(session) = &filter.session_id {
            q = q.filter(events::session_id.eq(session.clone()));
        }
        if !filter.types.is_empty() {
            q = q.filter(events::event_type.eq_any(filter.types.clone()));
        }
        Ok(q.load(conn)?)
    })
}

/// Appends one event on its own (a notice that changes nothing else).
pub fn append(pool: &DbPool, event: &NewEvent<'_>) -> DbResult<EventRow> {
    crate::with_conn!(pool, |conn| {
        conn.write_txn(|conn| conn.append_event(event))
    })
}
