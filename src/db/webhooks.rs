//! Webhook endpoints and their delivery rows (the outbox). Delivery rows are created in the event's
//! own transaction ([`create_deliveries`]); workers claim due rows with a lease so a crash mid-call
//! only delays a delivery, fairly between tenants, and with an update that re-checks each row so
//! workers never collide.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::events::EventRow;
use super::schema::{events, webhook_deliveries as deliveries, webhooks};
use super::{DbConn, DbPool, DbResult};
use crate::domain::{DeliveryId, EventType};
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct WebhookRow {
    pub id: String,
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub url: String,
    pub event_types: String,
    pub headers: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub ordered: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookRow {
    pub fn types(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// `*` matches everything, `message.*` a family, anything else one type.
    pub fn wants(&self, event_type: &str) -> bool {
        crate::domain::selects(&self.types(), event_type)
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_id: i64,
    pub session_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub locked_until: Option<i64>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
}

pub const PENDING: &str = "pending";
pub const DELIVERING: &str = "delivering";
pub const SUCCEEDED: &str = "succeeded";
pub const FAILED: &str = "failed";

/// Stores a new webhook, unless the tenant already has `quota` of them.
pub fn insert(pool: &DbPool, w: &WebhookRow, quota: Option<u64>) -> DbResult<()> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            crate::db::tenancy::check_quota!(
                conn,
                &w.tenant_id,
                "webhooks",
                quota,
                webhooks::table
                    .filter(webhooks::tenant_id.eq(&w.tenant_id))
                    .count()
                    .get_result(conn)?
            )?;
            diesel::insert_into(webhooks::table)
                .values((
                    webhooks::id.eq(&w.id),
                    webhooks::tenant_id.eq(&w.tenant_id),
                    webhooks::session_id.eq(&w.session_id),
                    webhooks::url.eq(&w.url),
                    webhooks::event_types.eq(&w.event_types),
                    webhooks::headers.eq(&w.headers),
                    webhooks::secret_sealed.eq(&w.secret_sealed),
                    webhooks::ordered.eq(w.ordered),
                    webhooks::enabled.eq(w.enabled),
                    webhooks::created_at.eq(w.created_at),
                    webhooks::updated_at.eq(w.updated_at),
                ))
                .execute(conn)?;
            Ok(())
        })
    })
}

pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    only_session: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<WebhookRow>> {
    with_conn!(pool, |conn| {
        let mut q = webhooks::table
            .filter(webhooks::tenant_id.eq(tenant_id))
            .order(webhooks::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(s) = only_session {
            q = q.filter(webhooks::session_id.eq(s.to_string()));
        }
        if let Some(after) = after {
            q = q.filter(webhooks::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<WebhookRow>> {
    with_conn!(pool, |conn| {
        Ok(webhooks::table
            .find(id)
            .filter(webhooks::tenant_id.eq(tenant_id))
            .first(conn)
            .optional()?)
    })
}

/// Writes every mutable field of `w` (the caller read, changed and validated it).
pub fn save(pool: &DbPool, w: &WebhookRow) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let n = diesel::update(
            webhooks::table
                .find(&w.id)
                .filter(webhooks::tenant_id.eq(&w.tenant_id)),
        )
        .set((
            webhooks::url.eq(&w.url),
            webhooks::event_types.eq(&w.event_types),
            webhooks::headers.eq(&w.headers),
            webhooks::secret_sealed.eq(&w.secret_sealed),
            webhooks::previous_secret_sealed.eq(&w.previous_secret_sealed),
            webhooks::previous_secret_expires_at.eq(w.previous_secret_expires_at),
            webhooks::ordered.eq(w.ordered),
            webhooks::enabled.eq(w.enabled),
            webhooks::disabled_reason.eq(&w.disabled_reason),
            webhooks::failing_since.eq(w.failing_since),
            webhooks::updated_at.eq(w.updated_at),
        ))
        .execute(conn)?;
        Ok(n > 0)
    })
}

/// Endpoints whose custom headers are still stored in clear (written before values were sealed).
pub fn with_plaintext_headers(pool: &DbPool) -> DbResult<Vec<WebhookRow>> {
    with_conn!(pool, |conn| {
        Ok(webhooks::table
            .filter(webhooks::headers.like("{%"))
            .filter(webhooks::headers.ne("{}"))
            .load(conn)?)
    })
}

/// Stores new `headers` only if they are still `old`, so that an edit made meanwhile wins.
pub fn replace_headers(pool: &DbPool, id: &str, old: &str, new: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let n = diesel::update(webhooks::table.find(id).filter(webhooks::headers.eq(old)))
            .set(webhooks::headers.eq(new))
            .execute(conn)?;
        Ok(n > 0)
    })
}

pub fn delete(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        Ok(diesel::delete(
            webhooks::table
                .find(id)
                .filter(webhooks::tenant_id.eq(tenant_id)),
        )
        .execute(conn)?
            > 0)
    })
}

/// Queues the event for every enabled endpoint of its tenant (and session) that wants its type.
/// Runs inside the transaction that appended the event.
pub trait DeliveryOutbox: DbConn {
    fn create_deliveries(&mut self, event: &EventRow) -> DbResult<usize>;
}

macro_rules! impl_outbox {
    ($($conn:ty),*) => {$(
        impl DeliveryOutbox for $conn {
            fn create_deliveries(&mut self, e: &EventRow) -> DbResult<usize> {
                let mut q = webhooks::table
                    .filter(webhooks::tenant_id.eq(&e.tenant_id))
                    .filter(webhooks::enabled.eq(true))
                    .into_boxed();
                q = match &e.session_id {
                    Some(s) => q.filter(webhooks::session_id.is_null().or(webhooks::session_id.eq(s.clone()))),
                    None => q.filter(webhooks::session_id.is_null()),
                };
                let targets: Vec<WebhookRow> = q.load(self)?;
                let mut n = 0;
                // A rule's match is also `rule.matched:{rule_id}`: a rule's own webhook wants only
                // its matches.
                let scoped = (e.event_type == EventType::RuleMatched.as_str())
                    .then(|| serde_json::from_str::<serde_json::Value>(&e.data).ok())
                    .flatten()
                    .and_then(|d| d["rule_id"].as_str().map(|id| format!("rule.matched:{id}")));
                let wanted = |w: &&WebhookRow| {
                    w.wants(&e.event_type) || scoped.as_deref().is_some_and(|s| w.wants(s))
                };
                for w in targets.iter().filter(wanted) {
                    diesel::insert_into(deliveries::table)
                        .values((
                            deliveries::id.eq(DeliveryId::generate().into_string()),
                            deliveries::webhook_id.eq(&w.id),
                            deliveries::event_id.eq(e.id),
                            deliveries::session_id.eq(&e.session_id),
                            deliveries::status.eq(PENDING),
                            deliveries::attempts.eq(0),
                            deliveries::next_attempt_at.eq(e.created_at),
                            deliveries::created_at.eq(e.created_at),
                            deliveries::updated_at.eq(e.created_at),
                        ))
                        .execute(self)?;
                    n += 1;
                }
                Ok(n)
            }
        }
    )*};
}

impl_outbox!(diesel::PgConnection, diesel::SqliteConnection);

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Due deliveries of enabled endpoints; for `ordered` endpoints only the oldest undelivered event
/// per session, among the events below the log's horizon (an event above it may still have an
/// earlier one in flight, see [`super::DbConn::event_horizon`]). Expired leases (a worker died
/// mid-call) count as due.
///
/// Fair between tenants: a tenant with `{cap}` deliveries in flight gets no more, and due rows are
/// taken round-robin (each tenant's oldest first, then each one's second…), so one tenant's slow
/// endpoints and big backlog cannot hold every slot while another tenant's events wait.
const CLAIM_WHERE: &str = "WITH busy AS (SELECT w.tenant_id, COUNT(*) AS n \
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
       WHERE d.status = 'delivering' AND d.locked_until >= {now} GROUP BY w.tenant_id), \
     due AS (SELECT d.id, d.next_attempt_at, d.event_id, COALESCE(b.n, 0) AS busy_n, \
       ROW_NUMBER() OVER (PARTITION BY w.tenant_id ORDER BY d.next_attempt_at, d.event_id) AS turn \
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
       LEFT JOIN busy b ON b.tenant_id = w.tenant_id \
       WHERE w.enabled AND ((d.status = 'pending' AND d.next_attempt_at <= {now}) \
         OR (d.status = 'delivering' AND d.locked_until < {now})) \
       AND (NOT w.ordered OR (d.event_id <= {horizon} AND NOT EXISTS (SELECT 1 \
         FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id \
         AND COALESCE(e.session_id, '') = COALESCE(d.session_id, '') \
         AND e.event_id < d.event_id AND e.status IN ('pending', 'delivering'))))) \
     SELECT id FROM due WHERE busy_n + turn <= {cap} \
     ORDER BY turn, next_attempt_at, event_id LIMIT {limit}";

/// Re-checked by the claiming UPDATE itself: on PostgreSQL a row another worker claimed between
/// the selection and the update is re-read and then no longer matches (row locks with SKIP LOCKED
/// are not allowed next to the window function that makes claiming fair).
const STILL_DUE: &str = "((status = 'pending' AND next_attempt_at <= {now}) \
     OR (status = 'delivering' AND locked_until < {now}))";

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: DeliveryRow,
    pub webhook: WebhookRow,
    pub event: EventRow,
}

pub fn claim(
    pool: &DbPool,
    now: i64,
    lease_ms: i64,
    limit: i64,
    tenant_cap: i64,
) -> DbResult<Vec<Claimed>> {
    with_conn!(pool, |conn| {
        // Usually nothing is due: this statement stays prepared (SQLite parses the claim's raw
        // SQL each time); asked before the write transaction, an empty pass writes nothing.
        let due = deliveries::table
            .filter(
                (deliveries::status
                    .eq(PENDING)
                    .and(deliveries::next_attempt_at.le(now)))
                .or(deliveries::status
                    .eq(DELIVERING)
                    .and(deliveries::locked_until.lt(now))),
            )
            .select(deliveries::id)
            .first::<String>(conn)
            .optional()?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        // Only ordered endpoints need the horizon, and taking it holds appenders back.
        let ordered = webhooks::table.filter(webhooks::enabled.and(webhooks::ordered));
        let horizon = match diesel::select(diesel::dsl::exists(ordered)).get_result(conn)? {
            true => conn.event_horizon()?.unwrap_or(i64::MAX),
            false => i64::MAX,
        };
        conn.write_txn(|conn| {
            let pg = pool.backend_name() == "postgres";
            let p = |n: u8| if pg { format!("${n}") } else { format!("?{n}") };
            let fill = |sql: &str| {
                sql.replace("{now}", &p(1))
                    .replace("{limit}", &p(2))
                    .replace("{cap}", &p(4))
                    .replace("{horizon}", &p(5))
            };
            let sql = format!(
                "UPDATE webhook_deliveries SET status = 'delivering', locked_until = {}, \
                 attempts = attempts + 1, updated_at = {} WHERE id IN ({}) AND {} RETURNING id",
                p(3),
                p(1),
                fill(CLAIM_WHERE),
                fill(STILL_DUE)
            );
            let ids: Vec<ClaimedId> = diesel::sql_query(sql)
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(limit)
                .bind::<BigInt, _>(now + lease_ms)
                .bind::<BigInt, _>(tenant_cap)
                .bind::<BigInt, _>(horizon)
                .load(conn)?;
            let ids: Vec<String> = ids.into_iter().map(|c| c.id).collect();
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<(DeliveryRow, WebhookRow, EventRow)> = deliveries::table
                .inner_join(webhooks::table)
                .inner_join(events::table)
                .filter(deliveries::id.eq_any(&ids))
                .order(deliveries::event_id.asc())
                .select((
                    deliveries::all_columns,
                    webhooks::all_columns,
                    events::all_columns,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(delivery, webhook, event)| Claimed {
                    delivery,
                    webhook,
                    event,
                })
                .collect())
        })
    })
}

/// What one attempt came to.
pub enum Outcome {
    Delivered {
        status_code: u16,
    },
    /// Try again at `retry_at`, or give up when `None`.
    Failed {
        status_code: Option<u16>,
        error: String,
        retry_at: Option<i64>,
    },
}

/// Records an attempt on a claimed delivery; returns the endpoint's `failing_since` afterwards.
pub fn record(
    pool: &DbPool,
    delivery_id: &str,
    webhook_id: &str,
    outcome: &Outcome,
    now: i64,
) -> DbResult<Option<i64>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = deliveries::table
                .find(delivery_id)
                .filter(deliveries::status.eq(DELIVERING));
            match outcome {
                Outcome::Delivered { status_code } => {
                    let delivered = diesel::update(target)
                        .set((
                            deliveries::status.eq(SUCCEEDED),
                            deliveries::locked_until.eq(None::<i64>),
                            deliveries::last_status_code.eq(Some(*status_code as i32)),
                            deliveries::last_error.eq(None::<String>),
                            deliveries::delivered_at.eq(Some(now)),
                            deliveries::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    if delivered == 1 {
                        let tenant: String = webhooks::table
                            .find(webhook_id)
                            .select(webhooks::tenant_id)
                            .first(conn)?;
                        let day = super::tenancy::day_of(now);
                        super::tenancy::add_usage!(
                            conn,
                            &tenant,
                            &day,
                            super::tenancy::metric::WEBHOOK_DELIVERIES,
                            1,
                            delivery_id
                        )?;
                    }
                    diesel::update(webhooks::table.find(webhook_id))
                        .set(webhooks::failing_since.eq(None::<i64>))
                        .execute(conn)?;
                    Ok(None)
                }
                Outcome::Failed {
                    status_code,
                    error,
                    retry_at,
                } => {
                    let (status, next) = match retry_at {
                        Some(t) => (PENDING, *t),
                        None => (FAILED, now),
                    };
                    diesel::update(target)
                        .set((
                            deliveries::status.eq(status),
                            deliveries::next_attempt_at.eq(next),
                            deliveries::locked_until.eq(None::<i64>),
                            deliveries::last_status_code.eq(status_code.map(|c| c as i32)),
                            deliveries::last_error
                                .eq(Some(error.chars().take(500).collect::<String>())),
                            deliveries::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    diesel::update(
                        webhooks::table
                            .find(webhook_id)
                            .filter(webhooks::failing_since.is_null()),
                    )
                    .set(webhooks::failing_since.eq(Some(now)))
                    .execute(conn)?;
                    Ok(webhooks::table
                        .find(webhook_id)
                        .select(webhooks::failing_since)
                        .first(conn)
                        .optional()?
                        .flatten())
                }
            }
        })
    })
}

/// Disables an endpoint and records `webhook.disabled`, atomically; false if already disabled.
pub fn disable(
    pool: &DbPool,
    webhook_id: &str,
    reason: &str,
    now: i64,
) -> DbResult<Option<EventRow>> {
    use super::events::{EventLog, NewEvent};
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let Some(w) = webhooks::table
                .find(webhook_id)
                .first::<WebhookRow>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            if !w.enabled {
                return Ok(None);
            }
            diesel::update(webhooks::table.find(webhook_id))
                .set((
                    webhooks::enabled.eq(false),
                    webhooks::disabled_reason.eq(reason),
                    webhooks::updated_at.eq(now),
                ))
                .execute(conn)?;
            let event = conn.append_event(&NewEvent {
                tenant_id: &w.tenant_id,
                session_id: w.session_id.as_deref(),
                event_type: EventType::WebhookDisabled,
                data: serde_json::json!({ "webhook_id": w.id, "url": w.url, "reason": reason }),
                created_at: now,
            })?;
            Ok(Some(event))
        })
    })
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: Option<String>,
    pub after: Option<String>,
}

pub fn list_deliveries(
    pool: &DbPool,
    webhook_id: &str,
    filter: &DeliveryFilter,
    limit: i64,
) -> DbResult<Vec<DeliveryRow>> {
    with_conn!(pool, |conn| {
        let mut q = deliveries::table
            .filter(deliveries::webhook_id.eq(webhook_id))
            .order(deliveries::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(s) = &filter.status {
            q = q.filter(deliveries::status.eq(s.clone()));
        }
        if let Some(a) = &filter.after {
            q = q.filter(deliveries::id.gt(a.clone()));
        }
        Ok(q.load(conn)?)
    })
}

/// Puts a delivery back in the queue for an immediate attempt (a new schedule starts).
pub fn retry(
    pool: &DbPool,
    webhook_id: &str,
    delivery_id: &str,
    now: i64,
) -> DbResult<Option<DeliveryRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = deliveries::table
                .find(delivery_id)
                .filter(deliveries::webhook_id.eq(webhook_id));
            let Some(row) = target.first::<DeliveryRow>(conn).optional()? else {
                return Ok(None);
            };
            if row.status != DELIVERING {
                diesel::update(target)
                    .set((
                        deliveries::status.eq(PENDING),
                        deliveries::attempts.eq(0),
                        deliveries::next_attempt_at.eq(now),
                        deliveries::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            Ok(Some(target.first::<DeliveryRow>(conn)?))
        })
    })
}

/// What a disabled endpoint still had pending is not sent when it is enabled again: marked failed,
/// each can still be retried by hand.
pub fn skip_pending(pool: &DbPool, webhook_id: &str, now: i64) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        Ok(diesel::update(
            deliveries::table
                .filter(deliveries::webhook_id.eq(webhook_id))
                .filter(deliveries::status.eq(PENDING)),
        )
        .set((
            deliveries::status.eq(FAILED),
            deliveries::last_error.eq(Some(
                "not sent: pending when the endpoint was disabled, and it was re-enabled without replay",
            )),
            deliveries::updated_at.eq(now),
        ))
        .execute(conn)?)
    })
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Deliveries waiting or in flight (for metrics and tests).
pub fn backlog(pool: &DbPool) -> DbResult<i64> {
    with_conn!(pool, |conn| {
        let c: Count = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status IN ('pending', 'delivering')",
        )
        .get_result(conn)?;
        Ok(c.n)
    })
}
