//! Membership and session ownership for several instances on one PostgreSQL. Every time here is
//! the database's clock (milliseconds), so instances on hosts with skewed clocks agree on who
//! is alive and whose lease has run out. SQLite runs one instance and has no cluster.
//!
//! A lease is `(session_id, owner, epoch)`, and it lives as long as its owner's instance row
//! does (`instances.lease_until`). It is taken with one conditional upsert that increments
//! `epoch` ([`acquire`]) and released with `owner = NULL` and the epoch kept ([`release`]). Each
//! tick renews the instance's row alone ([`heartbeat`]): every lease of the instance with it, in
//! one single-row write whatever the number of sessions; an instance that misses its renewals
//! loses all its leases at once. A write only the owner may make checks the owner, the epoch
//! and that the owner is alive, in its own transaction ([`check_fence`]), holding the lease row
//! so no new owner can take it meanwhile.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};

use super::{DbError, DbPool, DbResult};

/// The database's clock in milliseconds since the Unix epoch.
const DB_NOW: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// An instance as the others see it.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct InstanceRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub advertise_url: String,
    /// `active`, `draining` (handing its sessions over) or `stopped`.
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub max_sessions: i32,
    #[diesel(sql_type = BigInt)]
    pub started_at: i64,
    #[diesel(sql_type = BigInt)]
    pub last_seen_at: i64,
    /// Until when its leases live unless it renews them.
    #[diesel(sql_type = BigInt)]
    pub lease_until: i64,
    /// Sessions it holds a live lease on.
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    /// The database's clock when this was read.
    #[diesel(sql_type = BigInt)]
    pub now: i64,
}

/// A session that should run, with the instance holding a live lease on it (`None`: free).
#[derive(Debug, Clone, QueryableByName)]
pub struct Wanted {
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub owner: Option<String>,
}

/// A lease the database says this instance holds.
#[derive(Debug, Clone, QueryableByName)]
pub struct Held {
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = BigInt)]
    pub epoch: i64,
}

/// Who owns a session now, and how to reach them.
#[derive(Debug, Clone, QueryableByName)]
pub struct Owner {
    #[diesel(sql_type = Nullable<Text>)]
    pub owner: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub advertise_url: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub epoch: i64,
    /// The owner's instance row is renewed: its lease lives.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub alive: bool,
}

impl Owner {
    /// The owner while its lease lives.
    pub fn live_owner(&self) -> Option<&str> {
        self.owner.as_deref().filter(|_| self.alive)
    }
}

/// The lease row [`check_fence`] found and locked (only its presence matters).
#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = BigInt, column_name = epoch)]
    _epoch: i64,
}

type PgPooled = diesel::r2d2::PooledConnection<super::pg_checkout::PgManager>;

fn pg(pool: &DbPool) -> DbResult<PgPooled> {
    match pool {
        DbPool::Postgres(p) => Ok(p.get()?),
        DbPool::Sqlite(_) => Err(DbError::Unavailable(
            "several instances need PostgreSQL".into(),
        )),
    }
}

/// Registers (or re-registers after a restart with the same id, or after its leases lapsed)
/// this instance as active, alive for `ttl_ms`. Leases an earlier run under this id left behind
/// are not this run's: [`Membership`](crate::cluster) releases them at its first renewal.
pub fn register(
    pool: &DbPool,
    id: &str,
    url: &str,
    max_sessions: i32,
    ttl_ms: i64,
) -> DbResult<()> {
    let mut conn = pg(pool)?;
    diesel::sql_query(format!(
        "INSERT INTO instances \
         (id, advertise_url, status, max_sessions, started_at, last_seen_at, lease_until) \
         VALUES ($1, $2, 'active', $3, {DB_NOW}, {DB_NOW}, {DB_NOW} + $4) \
         ON CONFLICT (id) DO UPDATE SET advertise_url = $2, status = 'active', \
         max_sessions = $3, started_at = {DB_NOW}, last_seen_at = {DB_NOW}, \
         lease_until = {DB_NOW} + $4"
    ))
    .bind::<Text, _>(id)
    .bind::<Text, _>(url)
    .bind::<Integer, _>(max_sessions)
    .bind::<BigInt, _>(ttl_ms)
    .execute(&mut conn)?;
    Ok(())
}

/// Sets this instance's status (`draining`, `stopped`); a stopped instance's leases end now.
pub fn set_status(pool: &DbPool, id: &str, status: &str) -> DbResult<()> {
    let mut conn = pg(pool)?;
    diesel::sql_query(format!(
        "UPDATE instances SET status = $2, last_seen_at = {DB_NOW}, lease_until = CASE \
         WHEN $2 = 'stopped' THEN LEAST(lease_until, {DB_NOW}) ELSE lease_until END WHERE id = $1"
    ))
    .bind::<Text, _>(id)
    .bind::<Text, _>(status)
    .execute(&mut conn)?;
    Ok(())
}

/// One tick of an instance: extends its row's life, and with it every lease it holds, by
/// `ttl_ms` — unless the row had already run out, when others may have taken any of its
/// sessions: then `None`, and nothing is extended. Otherwise answers the leases the database
/// says it holds (read, not written).
pub fn heartbeat(conn: &mut PgConnection, id: &str, ttl_ms: i64) -> DbResult<Option<Vec<Held>>> {
    let renewed = diesel::sql_query(format!(
        "UPDATE instances SET last_seen_at = {DB_NOW}, lease_until = {DB_NOW} + $2 \
         WHERE id = $1 AND lease_until > {DB_NOW}"
    ))
    .bind::<Text, _>(id)
    .bind::<BigInt, _>(ttl_ms)
    .execute(conn)?;
    if renewed == 0 {
        return Ok(None);
    }
    Ok(Some(
        diesel::sql_query("SELECT session_id, epoch FROM session_leases WHERE owner = $1")
            .bind::<Text, _>(id)
            .load::<Held>(conn)?,
    ))
}

/// Every live instance (and, for the cluster view when `all`, those that stopped or ran out
/// too), with the number of live leases each holds.
pub fn instances(pool: &DbPool, all: bool) -> DbResult<Vec<InstanceRow>> {
    let mut conn = pg(pool)?;
    let filter = if all {
        "TRUE"
    } else {
        "i.lease_until > n.now AND i.status <> 'stopped'"
    };
    Ok(diesel::sql_query(format!(
        "SELECT i.id, i.advertise_url, i.status, i.max_sessions, i.started_at, i.last_seen_at, \
         i.lease_until, CASE WHEN i.lease_until > n.now THEN \
         (SELECT COUNT(*) FROM session_leases l WHERE l.owner = i.id) ELSE 0 END AS sessions, \
         n.now FROM instances i, (SELECT {DB_NOW} AS now) n WHERE {filter} ORDER BY i.id"
    ))
    .load(&mut conn)?)
}

/// The sessions whose desired state is `running`, with their leases.
pub fn wanted(pool: &DbPool) -> DbResult<Vec<Wanted>> {
    let mut conn = pg(pool)?;
    Ok(diesel::sql_query(format!(
        "SELECT s.id AS session_id, CASE WHEN i.lease_until > n.now THEN l.owner END AS owner \
         FROM sessions s LEFT JOIN session_leases l ON l.session_id = s.id \
         LEFT JOIN instances i ON i.id = l.owner, (SELECT {DB_NOW} AS now) n \
         WHERE s.desired_state = 'running' ORDER BY s.id"
    ))
    .load(&mut conn)?)
}

/// A lease asked for by [`acquire_each`]: the new epoch, or `None` when another instance holds
/// it (or this one's own row has run out).
pub struct Acquired {
    pub session_id: String,
    pub epoch: DbResult<Option<i64>>,
}

/// How many leases one statement of [`acquire_each`] asks for.
const ACQUIRE_BATCH: usize = 1000;

/// [`acquire`] for many sessions, a batch of them per statement (a restarted instance takes
/// its thousands of leases in a few round trips, not one each). The rows are taken in session
/// order, so two instances asking for overlapping batches wait on each other rather than
/// deadlock; a batch whose statement fails is asked for again one session at a time, so each
/// session gets its own answer.
pub fn acquire_each(pool: &DbPool, sessions: &[String], id: &str) -> Vec<Acquired> {
    let mut answers = Vec::with_capacity(sessions.len());
    for batch in sessions.chunks(ACQUIRE_BATCH) {
        match acquire_batch(pool, batch, id) {
            Ok(mut taken) => answers.extend(batch.iter().map(|sid| Acquired {
                epoch: Ok(taken.remove(sid.as_str())),
                session_id: sid.clone(),
            })),
            Err(e) => {
                log::warn!(
                    "cluster: cannot take {} leases at once ({e}); one by one",
                    batch.len()
                );
                answers.extend(batch.iter().map(|sid| Acquired {
                    epoch: acquire(pool, sid, id),
                    session_id: sid.clone(),
                }));
            }
        }
    }
    answers
}

/// One statement of [`acquire_each`]: the sessions of `batch` it took, with their new epochs.
fn acquire_batch(
    pool: &DbPool,
    batch: &[String],
    id: &str,
) -> DbResult<std::collections::HashMap<String, i64>> {
    let mut conn = pg(pool)?;
    let taken: Vec<Held> = diesel::sql_query(format!(
        "INSERT INTO session_leases AS l (session_id, owner, epoch) \
         SELECT s.id, $2, 1 FROM sessions s WHERE s.id = ANY($1) AND EXISTS \
         (SELECT 1 FROM instances me WHERE me.id = $2 AND me.lease_until > {DB_NOW}) \
         ORDER BY s.id \
         ON CONFLICT (session_id) DO UPDATE SET owner = $2, epoch = l.epoch + 1 \
         WHERE l.owner IS NULL OR NOT EXISTS (SELECT 1 FROM instances o \
         WHERE o.id = l.owner AND o.lease_until > {DB_NOW}) RETURNING session_id, epoch"
    ))
    .bind::<Array<Text>, _>(batch)
    .bind::<Text, _>(id)
    .load(&mut conn)?;
    Ok(taken.into_iter().map(|h| (h.session_id, h.epoch)).collect())
}

/// Takes the session's lease for instance `id` if nobody holds it (never held, released, or
/// its owner's row ran out) and `id`'s own row is alive; answers the new epoch, or `None`.
pub fn acquire(pool: &DbPool, session_id: &str, id: &str) -> DbResult<Option<i64>> {
    let mut taken = acquire_batch(pool, &[session_id.to_string()], id)?;
    Ok(taken.remove(session_id))
}

/// Gives a lease up so another instance may take it at once (the epoch is kept: the next owner
/// increments it).
pub fn release(pool: &DbPool, session_id: &str, id: &str, epoch: i64) -> DbResult<()> {
    let mut conn = pg(pool)?;
    diesel::sql_query(
        "UPDATE session_leases SET owner = NULL \
         WHERE session_id = $1 AND owner = $2 AND epoch = $3",
    )
    .bind::<Text, _>(session_id)
    .bind::<Text, _>(id)
    .bind::<BigInt, _>(epoch)
    .execute(&mut conn)?;
    Ok(())
}

/// The session's owner and its address, `None` when the session never had one.
pub fn owner(pool: &DbPool, session_id: &str) -> DbResult<Option<Owner>> {
    let mut conn = pg(pool)?;
    Ok(diesel::sql_query(format!(
        "SELECT l.owner, i.advertise_url, l.epoch, \
         COALESCE(i.lease_until > {DB_NOW}, FALSE) AS alive \
         FROM session_leases l LEFT JOIN instances i ON i.id = l.owner WHERE l.session_id = $1"
    ))
    .bind::<Text, _>(session_id)
    .get_result(&mut conn)
    .optional()?)
}

/// The live owner of each of these sessions (instance id), for the session objects.
pub fn owners(pool: &DbPool, session_ids: &[String]) -> DbResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        session_id: String,
        #[diesel(sql_type = Text)]
        owner: String,
    }
    let DbPool::Postgres(_) = pool else {
        return Ok(Vec::new());
    };
    let mut conn = pg(pool)?;
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT l.session_id, l.owner FROM session_leases l \
         JOIN instances i ON i.id = l.owner, (SELECT {DB_NOW} AS now) n \
         WHERE l.session_id = ANY($1) AND i.lease_until > n.now"
    ))
    .bind::<diesel::sql_types::Array<Text>, _>(session_ids)
    .load(&mut conn)?;
    Ok(rows.into_iter().map(|r| (r.session_id, r.owner)).collect())
}

/// Wakes the instances listening on `channel` (a lost notification costs only latency).
pub fn notify(pool: &DbPool, channel: &str, payload: &str) -> DbResult<()> {
    let mut conn = pg(pool)?;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(channel)
        .bind::<Text, _>(payload)
        .execute(&mut conn)?;
    Ok(())
}

/// How long this process may still act on its leases without hearing from the database: until
/// two thirds of the TTL after its last confirmed renewal began (milliseconds on [`mono_ms`]'s
/// clock; 0 before the first and after a lapse). Every lease lives as long as the instance's
/// row, so one value serves them all, and the heartbeat's thread moves it forward itself: a
/// busy actor thread cannot make a renewed lease look lost.
#[derive(Debug, Default)]
pub struct Life(AtomicI64);

impl Life {
    /// A renewal that began at `started` was confirmed: the leases live `safe_ms` after it.
    pub fn renewed(&self, started: i64, safe_ms: i64) {
        self.0.fetch_max(started + safe_ms, Ordering::AcqRel);
    }

    /// The instance's row ran out: no lease may be acted on until it is registered again.
    pub fn lapse(&self) {
        self.0.store(0, Ordering::Release);
    }

    pub fn until(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn is_alive(&self) -> bool {
        self.until() > mono_ms()
    }
}

/// The owner and epoch a write is made under: valid while the instance lives ([`Life`]) and
/// the lease was not given up or lost ([`Fence::revoke`]).
#[derive(Debug)]
pub struct Fence {
    pub owner: String,
    pub epoch: i64,
    life: Arc<Life>,
    revoked: AtomicBool,
}

impl Fence {
    pub fn new(owner: String, epoch: i64, life: Arc<Life>) -> Arc<Self> {
        Arc::new(Self {
            owner,
            epoch,
            life,
            revoked: AtomicBool::new(false),
        })
    }

    /// The lease is lost (or about to be): every fenced write fails from now on.
    pub fn revoke(&self) {
        self.revoked.store(true, Ordering::Release);
    }

    pub fn is_valid(&self) -> bool {
        !self.revoked.load(Ordering::Acquire) && self.life.is_alive()
    }
}

/// Milliseconds since this process started, on a clock that never goes back.
pub fn mono_ms() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as i64
}

/// Inside a write transaction: fails with [`DbError::Fenced`] unless `fence` still owns the
/// session (and is alive). On PostgreSQL the lease row is locked `FOR SHARE` until the
/// transaction ends, so a new owner's takeover waits for this write and every later write of
/// the old owner fails.
pub fn check_fence(conn: &mut PgConnection, session_id: &str, fence: &Fence) -> DbResult<()> {
    if !fence.is_valid() {
        return Err(DbError::Fenced);
    }
    let held: Option<Locked> = diesel::sql_query(format!(
        "SELECT l.epoch FROM session_leases l JOIN instances i ON i.id = l.owner \
         WHERE l.session_id = $1 AND l.owner = $2 AND l.epoch = $3 \
         AND i.lease_until > {DB_NOW} FOR SHARE OF l"
    ))
    .bind::<Text, _>(session_id)
    .bind::<Text, _>(&fence.owner)
    .bind::<BigInt, _>(fence.epoch)
    .get_result(conn)
    .optional()?;
    held.map(drop).ok_or(DbError::Fenced)
}
