//! What a provider sets for a tenant: suspension and quotas (`tenant_controls`), the sessions a
//! suspension stopped (started again at resume), and the tenant's usage per day and metric
//! (`usage_daily`), added to in the transaction of what it counts.

use diesel::prelude::*;

use super::schema::{sessions, suspended_sessions, tenant_controls, usage_daily};
use super::{DbConn, DbError, DbPool, DbResult};
use crate::domain::{DesiredState, Quotas};
use crate::with_conn;

/// A tenant's controls as stored: when it was suspended, and its own quotas (JSON).
#[derive(Debug, Clone, Default, Queryable)]
pub struct Controls {
    pub tenant_id: String,
    pub suspended_at: Option<i64>,
    pub quotas: String,
}

impl Controls {
    pub fn quotas(&self) -> Quotas {
        serde_json::from_str(&self.quotas).unwrap_or_default()
    }
}

/// The UTC day of `unix_ms`, as `usage_daily` keys it (`YYYY-MM-DD`).
pub fn day_of(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// How many rows a tenant's counter of one day is split over (`usage_daily.shard`): a message
/// adds to the shard of its id, so concurrent sends of one tenant rarely wait for each other's
/// commit on PostgreSQL, which keeps an updated row locked until then.
pub const USAGE_SHARDS: u32 = 16;

/// The shard a message's counters go to: a hash of its id.
pub fn usage_shard(message_id: &str) -> i16 {
    let hash = message_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    i16::try_from(hash % USAGE_SHARDS).unwrap_or(0)
}

/// Names of the metered amounts.
pub mod metric {
    pub const MESSAGES_IN: &str = "messages_in";
    pub const MESSAGES_OUT: &str = "messages_out";
    pub const MEDIA_BYTES: &str = "media_bytes";
    pub const SESSION_SECONDS: &str = "session_seconds";
    pub const WEBHOOK_DELIVERIES: &str = "webhook_deliveries";
}

/// The stored controls of a tenant (none stored: not suspended, no quotas of its own).
macro_rules! read_controls {
    ($conn:expr, $tenant:expr) => {{
        let tenant: &str = $tenant;
        let found: Option<$crate::db::tenancy::Controls> =
            $crate::db::schema::tenant_controls::table
                .find(tenant)
                .first($conn)
                .optional()?;
        Ok::<_, $crate::db::DbError>(found.unwrap_or_else(|| $crate::db::tenancy::Controls {
            tenant_id: tenant.to_string(),
            ..Default::default()
        }))
    }};
}

pub(crate) use read_controls;

/// A tenant's controls (none stored: not suspended, no quotas of its own).
pub fn controls(pool: &DbPool, tenant_id: &str) -> DbResult<Controls> {
    with_conn!(pool, |conn| read_controls!(conn, tenant_id))
}

/// Inside a write transaction: fails with [`DbError::QuotaExceeded`] when the tenant already
/// uses `limit` of `quota` (`used` counts it). The tenant's row is locked first, so two
/// concurrent requests cannot both take the last unit.
macro_rules! check_quota {
    ($conn:expr, $tenant:expr, $quota:expr, $limit:expr, $used:expr) => {{
        let limit: Option<u64> = $limit;
        match limit {
            None => Ok::<_, $crate::db::DbError>(()),
            Some(limit) => {
                use $crate::db::schema::tenants as t;
                diesel::update(t::table.find($tenant))
                    .set(t::name.eq(t::name))
                    .execute($conn)?;
                let used: i64 = $used;
                if u64::try_from(used).unwrap_or(0) >= limit {
                    Err($crate::db::tenancy::exceeded($quota, limit))
                } else {
                    Ok(())
                }
            }
        }
    }};
}
pub(crate) use check_quota;

/// Adds `amount` to the tenant's `metric` of `day` (inside the caller's transaction), on the
/// shard of `$key` (the id of what is counted).
macro_rules! add_usage {
    ($conn:expr, $tenant:expr, $day:expr, $metric:expr, $amount:expr, $key:expr) => {{
        use $crate::db::cached::CachedDsl as _;
        use $crate::db::schema::usage_daily as u;
        let amount: i64 = $amount;
        if amount == 0 {
            Ok::<_, $crate::db::DbError>(())
        } else {
            diesel::insert_into(u::table)
                .values((
                    u::tenant_id.eq($tenant),
                    u::day.eq($day),
                    u::metric.eq($metric),
                    u::shard.eq($crate::db::tenancy::usage_shard($key)),
                    u::amount.eq(amount),
                ))
                .on_conflict((u::tenant_id, u::day, u::metric, u::shard))
                .do_update()
                .set(u::amount.eq(u::amount + amount))
                .cached()
                .run($conn)?;
            Ok(())
        }
    }};
}
pub(crate) use add_usage;

/// Counts a message on its day, in all (`metric`) and by its type (`metric:type`), on the shard
/// of its id ([`MessageMeter`]).
macro_rules! meter_message {
    ($conn:expr, $row:expr, $metric:expr) => {{
        let row: &$crate::db::messages::MessageRow = $row;
        let day = $crate::db::tenancy::day_of(row.created_at);
        let metric: &str = $metric;
        let by_type = format!("{metric}:{}", row.msg_type);
        $crate::db::tenancy::MessageMeter::count_message(
            $conn,
            &row.tenant_id,
            &day,
            [metric, &by_type],
            &row.id,
        )
    }};
}
pub(crate) use meter_message;

/// Adds one to two counters of a tenant's day, on the shard of `key` (the id of what is
/// counted), inside the caller's transaction.
pub trait MessageMeter {
    fn count_message(
        &mut self,
        tenant: &str,
        day: &str,
        metrics: [&str; 2],
        key: &str,
    ) -> DbResult<()>;
}

impl MessageMeter for diesel::PgConnection {
    /// One two-row upsert: one round trip instead of two. Its rows are always in the same order,
    /// so two sends of a tenant lock them in the same order.
    fn count_message(
        &mut self,
        tenant: &str,
        day: &str,
        metrics: [&str; 2],
        key: &str,
    ) -> DbResult<()> {
        use super::cached::CachedDsl as _;
        use diesel::upsert::excluded;
        use usage_daily as u;
        let shard = usage_shard(key);
        let row = |metric| {
            (
                u::tenant_id.eq(tenant),
                u::day.eq(day),
                u::metric.eq(metric),
                u::shard.eq(shard),
                u::amount.eq(1i64),
            )
        };
        diesel::insert_into(u::table)
            .values(vec![row(metrics[0]), row(metrics[1])])
            .on_conflict((u::tenant_id, u::day, u::metric, u::shard))
            .do_update()
            .set(u::amount.eq(u::amount + excluded(u::amount)))
            .cached()
            .run(self)?;
        Ok(())
    }
}

impl MessageMeter for diesel::SqliteConnection {
    /// Two single-row upserts, whose prepared statement the connection keeps (a two-row upsert
    /// would be prepared anew each time on SQLite, see `db::cached`).
    fn count_message(
        &mut self,
        tenant: &str,
        day: &str,
        metrics: [&str; 2],
        key: &str,
    ) -> DbResult<()> {
        for metric in metrics {
            add_usage!(self, tenant, day, metric, 1, key)?;
        }
        Ok(())
    }
}

/// Counts a message written to the outbox (`messages_out`, and by its type) on its day.
macro_rules! meter_out {
    ($conn:expr, $row:expr) => {
        $crate::db::tenancy::meter_message!($conn, $row, $crate::db::tenancy::metric::MESSAGES_OUT)
    };
}
pub(crate) use meter_out;

/// Counts a received message (`messages_in`, and by its type) on its day.
macro_rules! meter_in {
    ($conn:expr, $row:expr) => {
        $crate::db::tenancy::meter_message!($conn, $row, $crate::db::tenancy::metric::MESSAGES_IN)
    };
}
pub(crate) use meter_in;

/// The tenant's `metric` on `day` so far (the sum of its shards).
macro_rules! usage_of {
    ($conn:expr, $tenant:expr, $day:expr, $metric:expr) => {{
        use $crate::db::schema::usage_daily as u;
        let shards: Vec<i64> = u::table
            .filter(u::tenant_id.eq($tenant))
            .filter(u::day.eq($day))
            .filter(u::metric.eq($metric))
            .select(u::amount)
            .load($conn)?;
        Ok::<_, $crate::db::DbError>(shards.into_iter().sum::<i64>())
    }};
}
pub(crate) use usage_of;

/// Whether the tenant may still send a message today under its `messages_per_day` quota (its
/// own, else `$defaults`): what campaigns, reply rules and call answers ask before they write
/// a send (an API send is refused with 429 instead).
macro_rules! may_send_today {
    ($conn:expr, $tenant:expr, $now:expr, $defaults:expr) => {{
        let tenant: &str = $tenant;
        let defaults: $crate::domain::Quotas = $defaults;
        let quotas = $crate::db::tenancy::read_controls!($conn, tenant)?
            .quotas()
            .or(defaults);
        match quotas.messages_per_day {
            None => Ok::<bool, $crate::db::DbError>(true),
            Some(limit) => {
                let day = $crate::db::tenancy::day_of($now);
                let sent = $crate::db::tenancy::usage_of!(
                    $conn,
                    tenant,
                    &day,
                    $crate::db::tenancy::metric::MESSAGES_OUT
                )?;
                Ok(u64::try_from(sent).unwrap_or(u64::MAX) < limit)
            }
        }
    }};
}
pub(crate) use may_send_today;

/// The tenant's quotas: its own, else `defaults`.
pub fn quotas(pool: &DbPool, tenant_id: &str, defaults: Quotas) -> DbResult<Quotas> {
    Ok(controls(pool, tenant_id)?.quotas().or(defaults))
}

/// Sets the tenant's own quotas (the JSON of [`Quotas`]).
pub fn set_quotas(pool: &DbPool, tenant_id: &str, quotas: &Quotas) -> DbResult<()> {
    let text = serde_json::to_string(quotas).unwrap_or_else(|_| "{}".into());
    with_conn!(pool, |conn| {
        diesel::insert_into(tenant_controls::table)
            .values((
                tenant_controls::tenant_id.eq(tenant_id),
                tenant_controls::quotas.eq(&text),
            ))
            .on_conflict(tenant_controls::tenant_id)
            .do_update()
            .set(tenant_controls::quotas.eq(&text))
            .execute(conn)?;
        Ok(())
    })
}

/// Suspends the tenant: marks it, and sets every session of it that should run to stopped,
/// remembering them for [`resume`]. Answers those sessions (the caller stops their actors).
pub fn suspend(pool: &DbPool, tenant_id: &str, now: i64) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            diesel::insert_into(tenant_controls::table)
                .values((
                    tenant_controls::tenant_id.eq(tenant_id),
                    tenant_controls::suspended_at.eq(Some(now)),
                    tenant_controls::quotas.eq("{}"),
                ))
                .on_conflict(tenant_controls::tenant_id)
                .do_update()
                .set(tenant_controls::suspended_at.eq(Some(now)))
                .execute(conn)?;
            let running: Vec<String> = sessions::table
                .filter(sessions::tenant_id.eq(tenant_id))
                .filter(sessions::desired_state.eq(DesiredState::Running.as_str()))
                .select(sessions::id)
                .load(conn)?;
            for id in &running {
                diesel::insert_into(suspended_sessions::table)
                    .values((
                        suspended_sessions::session_id.eq(id),
                        suspended_sessions::tenant_id.eq(tenant_id),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            diesel::update(sessions::table.filter(sessions::id.eq_any(&running)))
                .set(sessions::desired_state.eq(DesiredState::Stopped.as_str()))
                .execute(conn)?;
            Ok(running)
        })
    })
}

/// Lifts a suspension: the sessions it stopped should run again; answers them (the caller
/// starts them).
pub fn resume(pool: &DbPool, tenant_id: &str) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            diesel::update(tenant_controls::table.find(tenant_id))
                .set(tenant_controls::suspended_at.eq(None::<i64>))
                .execute(conn)?;
            let held: Vec<String> = suspended_sessions::table
                .filter(suspended_sessions::tenant_id.eq(tenant_id))
                .select(suspended_sessions::session_id)
                .load(conn)?;
            diesel::delete(
                suspended_sessions::table.filter(suspended_sessions::tenant_id.eq(tenant_id)),
            )
            .execute(conn)?;
            diesel::update(sessions::table.filter(sessions::id.eq_any(&held)))
                .set(sessions::desired_state.eq(DesiredState::Running.as_str()))
                .execute(conn)?;
            Ok(held)
        })
    })
}

/// The tenant's usage per day and metric between two days (inclusive), oldest first.
pub fn usage(
    pool: &DbPool,
    tenant_id: &str,
    from: &str,
    to: &str,
) -> DbResult<Vec<(String, String, i64)>> {
    let shards: Vec<(String, String, i64)> = with_conn!(pool, |conn| {
        usage_daily::table
            .filter(usage_daily::tenant_id.eq(tenant_id))
            .filter(usage_daily::day.ge(from))
            .filter(usage_daily::day.le(to))
            .order((usage_daily::day.asc(), usage_daily::metric.asc()))
            .select((usage_daily::day, usage_daily::metric, usage_daily::amount))
            .load(conn)?
    });
    // Ordered by day and metric: a counter's shards are neighbours.
    let mut summed: Vec<(String, String, i64)> = Vec::new();
    for (day, metric, amount) in shards {
        match summed.last_mut() {
            Some((d, m, total)) if *d == day && *m == metric => *total += amount,
            _ => summed.push((day, metric, amount)),
        }
    }
    Ok(summed)
}

/// The tenant's usage of `metric` today.
pub fn today(pool: &DbPool, tenant_id: &str, metric: &str, now: i64) -> DbResult<i64> {
    let day = day_of(now);
    with_conn!(pool, |conn| usage_of!(conn, tenant_id, &day, metric))
}

/// Over a quota: what the API answers with a 429 naming it.
pub fn exceeded(quota: &'static str, limit: u64) -> DbError {
    DbError::QuotaExceeded { quota, limit }
}

/// A session's time WORKING, as session-hours: `entered` when it turned WORKING, `left` when
/// it stopped being so (inside the status change's transaction).
macro_rules! track_working {
    ($conn:expr, $session:expr, $tenant:expr, $was_working:expr, $is_working:expr, $now:expr) => {{
        use $crate::db::schema::session_working as w;
        let (session, tenant, now): (&str, &str, i64) = ($session, $tenant, $now);
        if $is_working && !$was_working {
            diesel::insert_into(w::table)
                .values((w::session_id.eq(session), w::since.eq(now)))
                .on_conflict(w::session_id)
                .do_update()
                .set(w::since.eq(now))
                .execute($conn)?;
        } else if $was_working && !$is_working {
            let since: Option<i64> = w::table
                .find(session)
                .select(w::since)
                .first($conn)
                .optional()?;
            diesel::delete(w::table.find(session)).execute($conn)?;
            if let Some(since) = since {
                for (day, secs) in $crate::db::tenancy::seconds_by_day(since, now) {
                    $crate::db::tenancy::add_usage!(
                        $conn,
                        tenant,
                        &day,
                        $crate::db::tenancy::metric::SESSION_SECONDS,
                        secs,
                        session
                    )?;
                }
            }
        }
        Ok::<_, $crate::db::DbError>(())
    }};
}
pub(crate) use track_working;

/// The whole seconds between two times, split by UTC day.
pub fn seconds_by_day(from_ms: i64, to_ms: i64) -> Vec<(String, i64)> {
    const DAY_MS: i64 = 86_400_000;
    let mut out = Vec::new();
    let mut start = from_ms;
    while start < to_ms {
        let end = ((start / DAY_MS) + 1) * DAY_MS;
        let end = end.min(to_ms);
        out.push((day_of(start), (end - start) / 1000));
        start = end;
    }
    out
}

/// Counts the time WORKING sessions of `tenant_id` spent so far (each moved on to `now`, so no
/// second reader counts it again).
pub fn flush_working(pool: &DbPool, tenant_id: &str, now: i64) -> DbResult<()> {
    use super::schema::session_working as w;
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let open: Vec<(String, i64)> = w::table
                .inner_join(sessions::table)
                .filter(sessions::tenant_id.eq(tenant_id))
                .select((w::session_id, w::since))
                .load(conn)?;
            for (session, since) in open {
                let moved = diesel::update(w::table.find(&session).filter(w::since.eq(since)))
                    .set(w::since.eq(now))
                    .execute(conn)?;
                if moved == 1 {
                    for (day, secs) in seconds_by_day(since, now) {
                        add_usage!(
                            conn,
                            tenant_id,
                            &day,
                            metric::SESSION_SECONDS,
                            secs,
                            &session
                        )?;
                    }
                }
            }
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_is_split_by_utc_day() {
        // 2026-12-04T23:59:00Z to 2026-12-05T00:01:30Z.
        let start = 1_796_428_740_000;
        let split = seconds_by_day(start, start + 150_000);
        assert_eq!(
            split,
            vec![
                ("2026-12-04".to_string(), 60),
                ("2026-12-05".to_string(), 90)
            ]
        );
        assert!(seconds_by_day(start, start).is_empty());
    }

    #[test]
    fn messages_spread_over_the_usage_shards() {
        let shards: std::collections::BTreeSet<i16> = (0..64)
            .map(|n| usage_shard(&format!("msg_01a24be9cef271c290b0a68c3152{n:04x}")))
            .collect();
        assert!(shards.len() > 8, "{shards:?}");
        assert!(shards.iter().all(|s| (0..16).contains(s)), "{shards:?}");
        assert_eq!(usage_shard("msg_x"), usage_shard("msg_x"));
    }
}
