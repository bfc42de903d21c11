//! Storage: one set of queries over two backends. Each repository function is written once inside
//! [`with_conn!`], which expands its body for PostgreSQL and for SQLite; the two connection types
//! share the [`DbConn`] helpers that hide what differs (write transactions, the event log's horizon).

pub mod audit;
pub mod authorship;
pub mod cached;
pub mod calls;
pub mod campaigns;
pub mod chat_states;
pub mod cluster;
pub mod contacts;
pub mod events;
pub mod files;
mod handoff;
pub mod health;
pub mod heartbeat;
pub mod history;
pub mod keys;
pub mod lease;
pub mod media;
pub mod media_move;
pub mod messages;
mod migrate;
pub mod objects;
pub mod outbox;
pub mod pg_checkout;
mod pg_lanes;
pub mod retention;
pub mod rules;
pub mod schema;
pub mod sessions;
pub mod sinks;
pub mod sql_profile;
mod sqlite_checkpoint;
mod sqlite_thread;
pub use sqlite_thread::SqliteCheckout;
pub mod templates;
pub mod tenancy;
pub mod tenants;
pub mod webhooks;
mod write_turn;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection, Pool};

pub use health::DbHealth;
pub use migrate::{InstanceLease, migrate, revert_all};

/// Failure of the storage layer. `Unavailable` (pool exhausted, server down) maps to 503;
/// everything else is an internal error unless a repository classifies it first.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Query(diesel::result::Error),
    /// A write only a session's owner may make, by an instance that no longer owns it.
    #[error("this instance no longer owns the session")]
    Fenced,
    /// The tenant is at its quota `quota` (`limit`); nothing was written.
    #[error("the tenant's {quota} quota ({limit}) is used up")]
    QuotaExceeded { quota: &'static str, limit: u64 },
    /// The bucket media bytes live in failed or was not reachable.
    #[error("{0}")]
    Objects(#[from] objects::ObjectError),
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        if pg_checkout::connection_lost(&e) {
            pg_checkout::suspect();
        }
        DbError::Query(e)
    }
}

impl From<r2d2::PoolError> for DbError {
    fn from(e: r2d2::PoolError) -> Self {
        pg_checkout::suspect();
        DbError::Unavailable(e.to_string())
    }
}

impl DbError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// Where the data lives, parsed from `database_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseTarget {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            anyhow::ensure!(!path.is_empty(), "database_url `sqlite://` needs a path");
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            anyhow::bail!("database_url must start with postgres://, postgresql:// or sqlite://")
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

#[derive(Clone)]
pub enum DbPool {
    Postgres(Pool<pg_checkout::PgManager>),
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
}

/// Expands `$body` once per backend with `$conn` bound to a pooled connection of that backend.
#[macro_export]
macro_rules! with_conn {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match $pool {
            $crate::db::DbPool::Postgres(p) => {
                let mut pooled = p.get()?;
                let $conn: &mut diesel::PgConnection = &mut pooled;
                $body
            }
            $crate::db::DbPool::Sqlite(p) => {
                let mut pooled = $crate::db::SqliteCheckout::get(p)?;
                let $conn: &mut diesel::SqliteConnection = &mut pooled;
                $body
            }
        }
    };
}

/// What the two connection types do differently, behind one name each.
pub trait DbConn: Connection + Sized {
    /// A transaction that may write. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// concurrent writers wait on the busy timeout instead of failing on a lock upgrade; inside
    /// a batch of the SQLite thread (which holds that lock) it is a savepoint.
    fn write_txn<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>;

    /// A write of exactly one statement, which is atomic on its own. PostgreSQL runs it as its
    /// own transaction: no `BEGIN` and `COMMIT` round trips around it (a send's engine records
    /// took three round trips each instead of one). SQLite runs it as [`DbConn::write_txn`]
    /// (in the writers' turn, or as a savepoint of the SQLite thread's batch).
    fn write_statement<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>;

    /// The highest event id below which no event can still appear: `None` where every committed
    /// event is readable in id order (SQLite's single writer commits in id order). A PostgreSQL
    /// sequence value is taken at insert but becomes visible only at commit, so concurrent
    /// appenders may commit out of id order. Each appender takes the event log's advisory lock
    /// shared for its transaction before its row takes an id (`events::EventLog`); the horizon
    /// takes it exclusively, which waits for the appenders in flight. Appenders do not wait for
    /// each other (their commits share the WAL's flushes).
    fn event_horizon(&mut self) -> DbResult<Option<i64>>;

    /// Takes chat-state changes in turn, to commit (the API's change and the engine's report of
    /// the same change race; the second must see the first).
    fn lock_chat_changes(&mut self) -> DbResult<()>;

    /// Inside a write transaction: fails with [`DbError::Fenced`] unless `fence` (when given)
    /// still owns the session (see [`cluster::check_fence`]). SQLite has one instance and no
    /// leases.
    fn check_fence(&mut self, session_id: &str, fence: Option<&cluster::Fence>) -> DbResult<()>;
}

const EVENT_LOG_LOCK: i64 = 0x5741_5241_5345_5654; // "WARASEVT"
const CHAT_CHANGES_LOCK: i64 = 0x5741_5241_5343_4854; // "WARASCHT"

/// Takes the transaction-scoped advisory lock `key` with `function` (`pg_advisory_xact_lock` or
/// its `_shared` form), as one prepared statement the connection keeps (see [`cached`]).
fn pg_xact_lock(conn: &mut PgConnection, function: &'static str, key: i64) -> DbResult<()> {
    use cached::CachedDsl;
    use diesel::sql_types::{BigInt, Integer};
    let lock = diesel::dsl::sql::<Integer>("1 FROM ")
        .sql(function)
        .sql("(")
        .bind::<BigInt, _>(key)
        .sql(")");
    diesel::select(lock).cached().get_result::<i32>(conn)?;
    Ok(())
}

impl DbConn for PgConnection {
    fn write_txn<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>,
    {
        self.transaction(f)
    }

    fn write_statement<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>,
    {
        f(self)
    }

    fn event_horizon(&mut self) -> DbResult<Option<i64>> {
        // Once the lock is ours no appender is in flight: every id handed out so far is
        // committed or rolled back, and later ones are higher. The statement after the lock
        // reads with a snapshot of its own, which sees every committed event.
        self.transaction(|conn| {
            pg_xact_lock(conn, "pg_advisory_xact_lock", EVENT_LOG_LOCK)?;
            let last: Option<i64> = schema::events::table
                .select(diesel::dsl::max(schema::events::id))
                .first(conn)?;
            Ok(Some(last.unwrap_or(0)))
        })
    }

    fn lock_chat_changes(&mut self) -> DbResult<()> {
        pg_xact_lock(self, "pg_advisory_xact_lock", CHAT_CHANGES_LOCK)
    }

    fn check_fence(&mut self, session_id: &str, fence: Option<&cluster::Fence>) -> DbResult<()> {
        fence.map_or(Ok(()), |f| cluster::check_fence(self, session_id, f))
    }
}

impl DbConn for SqliteConnection {
    fn write_txn<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>,
    {
        use diesel::connection::TransactionManager;
        let status =
            diesel::connection::AnsiTransactionManager::transaction_manager_status_mut(self);
        if matches!(status.transaction_depth(), Ok(Some(_))) {
            return self.transaction(f);
        }
        let _turn = write_turn::take();
        self.immediate_transaction(f)
    }

    fn write_statement<T, F>(&mut self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Self) -> DbResult<T>,
    {
        self.write_txn(f)
    }

    fn event_horizon(&mut self) -> DbResult<Option<i64>> {
        Ok(None)
    }

    fn lock_chat_changes(&mut self) -> DbResult<()> {
        Ok(()) // writes are taken in turn already
    }

    fn check_fence(&mut self, _: &str, fence: Option<&cluster::Fence>) -> DbResult<()> {
        match fence {
            Some(f) if !f.is_valid() => Err(DbError::Fenced),
            _ => Ok(()),
        }
    }
}

/// How long an SQLite connection waits for another writer (its `busy_timeout`); the writers'
/// turn ([`write_turn`]) waits as long before it leaves the waiting to SQLite.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), r2d2::Error> {
        // Without foreign_keys=ON SQLite silently ignores ON DELETE CASCADE. The calls run on
        // one connection (`sqlite_thread`), so its page cache can be larger than the 2 MiB
        // default: a send's rows, indexes and engine records stay in memory. A thread of its
        // own copies the WAL back into the database (`sqlite_checkpoint`), so the calls queued
        // on the SQLite thread do not wait for a checkpoint's copying and syncing; a commit
        // does it only past 16,384 pages (64 MiB), which that thread never lets the WAL reach
        // (and a process without it, a command-line tool, copies it back on close). After
        // one, the WAL file is cut back to 64 MiB. Temporary files stay in memory: above all
        // the sub-journal, where a savepoint keeps the pages it changes as they were. Each call
        // of a group commit is one (`sqlite_thread`), and past 64 KiB a batch's sub-journal
        // went to a file on disk.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 16384; \
             PRAGMA journal_size_limit = 67108864; PRAGMA temp_store = MEMORY;",
            SQLITE_BUSY_TIMEOUT.as_millis()
        ))
        .map_err(r2d2::Error::QueryError)
    }
}

/// Bounds the server-side run time of every statement of a pooled PostgreSQL connection, so a
/// query stuck on a lock cannot hold its connection (and a thread) indefinitely.
#[derive(Debug)]
struct PgStatementTimeout(Duration);

impl CustomizeConnection<PgConnection, r2d2::Error> for PgStatementTimeout {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), r2d2::Error> {
        if self.0.is_zero() {
            return Ok(()); // no limit of ours: the server's or role's own setting stays
        }
        conn.batch_execute(&format!("SET statement_timeout = {}", self.0.as_millis()))
            .map_err(r2d2::Error::QueryError)
    }
}

/// How long a caller may wait for a pooled connection. Short, because a caller that waits longer
/// is either facing an outage (answered by the health probe) or an overload better answered
/// with a 503 than with a queue.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// The SQLite connections the pool keeps open while idle: the SQLite thread's and the
/// checkpointer's.
const SQLITE_MIN_IDLE: u32 = 2;

/// The PostgreSQL connections the pool keeps open while idle; more are opened when needed (and
/// closed again after ten idle minutes). Each open connection costs the process its buffers and,
/// with TLS, its OpenSSL state, and the server a backend process.
const PG_MIN_IDLE: u32 = 2;

impl DbPool {
    /// A pool without a statement time limit (command-line tools, tests).
    pub fn connect(target: &DatabaseTarget, max_size: u32) -> anyhow::Result<Self> {
        Self::connect_with(target, max_size, Duration::ZERO)
    }

    /// `statement_timeout`: PostgreSQL's per-statement limit (zero: none).
    pub fn connect_with(
        target: &DatabaseTarget,
        max_size: u32,
        statement_timeout: Duration,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let timeout = CHECKOUT_TIMEOUT;
        Ok(match target {
            DatabaseTarget::Postgres(url) => DbPool::Postgres(
                Pool::builder()
                    .max_size(max_size)
                    .min_idle(Some(PG_MIN_IDLE.min(max_size)))
                    .connection_timeout(timeout)
                    .connection_customizer(Box::new(PgStatementTimeout(statement_timeout)))
                    .build(pg_checkout::PgManager::new(health::pg_url_with_timeouts(
                        url,
                    )))
                    .context("cannot connect to PostgreSQL")?,
            ),
            DatabaseTarget::Sqlite(path) => {
                files::prepare_sqlite(path)?;
                DbPool::Sqlite(
                    Pool::builder()
                        .max_size(max_size)
                        .connection_timeout(timeout)
                        // A connection to a local file does not go stale: the `SELECT 1` that
                        // r2d2 runs on every check-out would only cost a parse and a step.
                        .test_on_check_out(false)
                        // Calls run on the SQLite thread's one kept connection (`sqlite_thread`);
                        // the checkpointer takes a second one. The rest of the pool is opened
                        // only when something else needs it (each open connection holds the
                        // schema and a cache of its own: about 130 KiB right after opening).
                        .min_idle(Some(SQLITE_MIN_IDLE))
                        .connection_customizer(Box::new(SqlitePragmas))
                        .build(ConnectionManager::new(sqlite_path_str(path)?))
                        .with_context(|| format!("cannot open SQLite file {}", path.display()))?,
                )
            }
        })
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Postgres(_) => "postgres",
            DbPool::Sqlite(_) => "sqlite",
        }
    }

    /// A trivial round trip, for `/readyz`.
    pub fn ping(&self) -> DbResult<()> {
        with_conn!(self, |conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
    }
}

fn sqlite_path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .ok_or_else(|| anyhow::anyhow!("SQLite path {} is not UTF-8", path.display()))
}

/// The pool plus a way to run blocking diesel calls off the actix arbiter threads.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    health: std::sync::Arc<DbHealth>,
    /// Rung after a commit that appended events, so readers of the log look at once
    /// instead of at their next poll.
    appended: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// The bucket new media bytes go to (`media_store = "s3"`); `None` keeps them in the
    /// database.
    objects: Option<std::sync::Arc<objects::ObjectStore>>,
    /// Every tenant's quotas unless the admin set its own (the automatic sends check them).
    default_quotas: crate::domain::Quotas,
    /// Where the calls run.
    calls: Calls,
}

/// Where [`Db::run`]'s calls run.
#[derive(Clone)]
enum Calls {
    /// SQLite's own thread, in batches.
    Sqlite(std::sync::Arc<sqlite_thread::SqliteThread>),
    /// PostgreSQL's lanes, one per pooled connection.
    Postgres(std::sync::Arc<pg_lanes::PgLanes>),
    /// Tokio's blocking pool (when no thread of ours could be started).
    Blocking,
}

impl Db {
    pub fn new(pool: DbPool) -> Self {
        let started = match &pool {
            DbPool::Sqlite(_) => sqlite_thread::SqliteThread::start(pool.clone())
                .map(|thread| Calls::Sqlite(std::sync::Arc::new(thread))),
            DbPool::Postgres(p) => pg_lanes::PgLanes::start(&pool, p.max_size())
                .map(|lanes| Calls::Postgres(std::sync::Arc::new(lanes))),
        };
        let calls = started.unwrap_or_else(|e| {
            log::warn!("no database threads ({e}); the calls use the blocking pool");
            Calls::Blocking
        });
        Self {
            calls,
            pool,
            health: Default::default(),
            appended: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
            objects: None,
            default_quotas: crate::domain::Quotas::default(),
        }
    }

    /// The configured quotas of tenants without their own.
    pub fn with_default_quotas(mut self, quotas: crate::domain::Quotas) -> Self {
        self.default_quotas = quotas;
        self
    }

    pub fn default_quotas(&self) -> crate::domain::Quotas {
        self.default_quotas
    }

    /// Keeps new media bytes in `store` from now on.
    pub fn with_objects(mut self, store: objects::ObjectStore) -> Self {
        self.objects = Some(std::sync::Arc::new(store));
        self
    }

    pub fn objects(&self) -> Option<&objects::ObjectStore> {
        self.objects.as_deref()
    }

    /// Starts the health probe of a PostgreSQL database (SQLite needs none): from then on the
    /// calls of [`Db::run`] fail fast while it does not answer within `timeout`.
    pub fn watch_health(&self, target: &DatabaseTarget, timeout: Duration) -> anyhow::Result<()> {
        if let DatabaseTarget::Postgres(url) = target {
            DbHealth::watch_postgres(&self.health, health::pg_url_with_timeouts(url), timeout)?;
        }
        Ok(())
    }

    pub fn health(&self) -> &DbHealth {
        &self.health
    }

    /// Tells the log's readers that new events were committed.
    pub fn events_appended(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn watch_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `f` off the async threads: on SQLite's own thread, on PostgreSQL on one of its lanes
    /// (one connection per call). Fails at once while the database is marked down, and
    /// stops waiting when it is marked down meanwhile (the blocking call then finishes or fails
    /// on its own; its connection is bounded by the libpq timeouts).
    pub async fn run<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Send + 'static,
    {
        if !self.health.is_up() {
            return Err(DbError::Unavailable("the database does not answer".into()));
        }
        tokio::select! {
            result = self.run_blocking(f) => result,
            () = self.health.went_down() => {
                Err(DbError::Unavailable("the database stopped answering".into()))
            }
        }
    }

    /// Runs `f` until it gets past an outage: while the database is down it waits for it to
    /// answer again, then tries again. For work whose failure would lose data that cannot be
    /// asked for again (the engine's protocol state, received messages not yet acknowledged to
    /// WhatsApp); `f` must therefore be safe to repeat. A call in flight is awaited, never
    /// abandoned, so that an older write cannot land after a newer one.
    pub async fn run_patiently<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Clone + Send + 'static,
    {
        let mut pause = Duration::from_millis(100);
        loop {
            self.health.came_up().await;
            match self.run_blocking(f.clone()).await {
                Err(e) if health::is_outage(&e) => {
                    log::debug!("database call waits for the database: {e}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    async fn run_blocking<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Send + 'static,
    {
        match &self.calls {
            Calls::Sqlite(thread) => return thread.run(f).await,
            Calls::Postgres(lanes) => return lanes.run(f).await,
            Calls::Blocking => {}
        }
        let pool = self.pool.clone();
        match actix_web::rt::task::spawn_blocking(move || f(&pool)).await {
            Ok(result) => result,
            Err(e) => Err(DbError::Unavailable(format!("blocking task failed: {e}"))),
        }
    }
}

/// Current time as unix milliseconds, the storage representation of every timestamp.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_sqlite_pool_keeps_two_connections_and_opens_more_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = DatabaseTarget::Sqlite(dir.path().join("t.db"));
        let DbPool::Sqlite(pool) = DbPool::connect(&target, 16).unwrap() else {
            panic!("a SQLite target gives a SQLite pool");
        };
        assert_eq!(pool.state().connections, SQLITE_MIN_IDLE);
        let held: Vec<_> = (0..5).map(|_| pool.get().unwrap()).collect();
        let open = pool.state().connections;
        assert!((5..=16).contains(&open), "{open} connections open");
        drop(held);
    }
}
