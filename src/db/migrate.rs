//! Embedded migrations, applied under a lock so two processes never migrate at once, and the
//! instance lease that keeps a second `waras serve` from running the same sessions.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DatabaseTarget;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

const MIGRATION_LOCK: i64 = 0x5741_5241_534d_4947; // "WARASMIG"
const INSTANCE_LOCK: i64 = 0x5741_5241_5349_4e53; // "WARASINS"

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(target: &DatabaseTarget) -> anyhow::Result<usize> {
    match target {
        DatabaseTarget::Postgres(url) => {
            let mut conn = PgConnection::establish(url).context("cannot connect to PostgreSQL")?;
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK)
                .execute(&mut conn)
                .context("cannot take the migration lock")?;
            let applied = conn
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
            // The lock also goes with the connection; unlocking early lets a waiting peer proceed.
            let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
                .bind::<BigInt, _>(MIGRATION_LOCK)
                .execute(&mut conn);
            applied
        }
        DatabaseTarget::Sqlite(path) => {
            super::files::prepare_sqlite(path)?;
            let lock = lock_file(path, "migrate")?;
            lock.lock().context("cannot take the migration lock")?;
            let url = path.to_str().context("SQLite path is not UTF-8")?;
            let mut conn = SqliteConnection::establish(url)
                .with_context(|| format!("cannot open {}", path.display()))?;
            // Another process may be writing; wait for it like every pooled connection does.
            let timeout = super::SQLITE_BUSY_TIMEOUT.as_millis();
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {timeout}; PRAGMA journal_mode = WAL;"
            ))
            .context("cannot configure the SQLite connection")?;
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
        }
    }
}

/// Reverts every applied migration (each `down.sql`, newest first); returns how many ran.
pub fn revert_all(target: &DatabaseTarget) -> anyhow::Result<usize> {
    let reverted = match target {
        DatabaseTarget::Postgres(url) => PgConnection::establish(url)
            .context("cannot connect to PostgreSQL")?
            .revert_all_migrations(PG_MIGRATIONS)
            .map(|v| v.len()),
        DatabaseTarget::Sqlite(path) => {
            let url = path.to_str().context("SQLite path is not UTF-8")?;
            SqliteConnection::establish(url)
                .with_context(|| format!("cannot open {}", path.display()))?
                .revert_all_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.len())
        }
    };
    reverted.map_err(|e| anyhow::anyhow!("revert failed: {e}"))
}

/// Proof that this process owns the database's sessions. Dropping it releases ownership.
pub enum InstanceLease {
    Postgres(PgConnection),
    Sqlite(File),
    /// A PostgreSQL lease taken again whenever the server comes back (see [`super::lease`]).
    Kept(super::lease::LeaseKeeper),
}

impl std::fmt::Debug for InstanceLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InstanceLease::Postgres(_) => "InstanceLease(postgres)",
            InstanceLease::Sqlite(_) => "InstanceLease(sqlite)",
            InstanceLease::Kept(_) => "InstanceLease(postgres, kept)",
        })
    }
}

impl InstanceLease {
    /// Takes the lease exclusively (no `waras serve` may run meanwhile, e.g. for a master key
    /// rotation), or returns `None` when another process holds it.
    pub fn try_acquire(target: &DatabaseTarget) -> anyhow::Result<Option<Self>> {
        Self::take(target, false)
    }

    /// The lease a `waras serve` holds: shared among the instances of a PostgreSQL cluster,
    /// exclusive on SQLite (one instance per file).
    pub fn try_serve(target: &DatabaseTarget) -> anyhow::Result<Option<Self>> {
        Self::take(target, true)
    }

    fn take(target: &DatabaseTarget, shared: bool) -> anyhow::Result<Option<Self>> {
        match target {
            DatabaseTarget::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).context("cannot connect to PostgreSQL")?;
                let locked =
                    try_pg_lock(&mut conn, shared).context("cannot query the instance lock")?;
                Ok(locked.then_some(InstanceLease::Postgres(conn)))
            }
            DatabaseTarget::Sqlite(path) => {
                let file = lock_file(path, "instance")?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(InstanceLease::Sqlite(file))),
                    Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => {
                        Err(e).context("cannot take the instance lock")
                    }
                }
            }
        }
    }
}

/// Takes the instance lock on this connection if no other session holds it (`shared`: if no
/// other session holds it exclusively).
pub(super) fn try_pg_lock(conn: &mut PgConnection, shared: bool) -> QueryResult<bool> {
    let call = if shared {
        "SELECT pg_try_advisory_lock_shared($1) AS locked"
    } else {
        "SELECT pg_try_advisory_lock($1) AS locked"
    };
    let row: Locked = diesel::sql_query(call)
        .bind::<BigInt, _>(INSTANCE_LOCK)
        .get_result(conn)?;
    Ok(row.locked)
}

impl InstanceLease {
    /// A PostgreSQL lease watched from then on, so that a server restart (which drops the lock
    /// with the connection) does not leave the database without an owner.
    pub fn kept(self, target: &DatabaseTarget) -> anyhow::Result<Self> {
        Ok(match (self, target) {
            (InstanceLease::Postgres(conn), DatabaseTarget::Postgres(url)) => {
                let url = super::health::pg_url_with_timeouts(url);
                let keeper = super::lease::LeaseKeeper::start(conn, url)
                    .context("cannot start the instance lease thread")?;
                InstanceLease::Kept(keeper)
            }
            (lease, _) => lease,
        })
    }
}

fn lock_file(db_path: &Path, purpose: &str) -> anyhow::Result<File> {
    let mut name = db_path.as_os_str().to_owned();
    name.push(format!(".{purpose}.lock"));
    let path = PathBuf::from(name);
    if let Some(dir) = path.parent() {
        super::files::private_dir(dir)?;
    }
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))
}
