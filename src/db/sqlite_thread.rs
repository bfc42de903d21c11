//! SQLite's calls, one after another on one thread of their own, committed in batches.
//!
//! On the blocking pool every call woke an idle thread, checked a connection out of the pool and
//! handed the result back; calls ran side by side on several connections, and each commit on one
//! connection made SQLite drop the page cache of every other one (in WAL mode a connection that
//! sees a newer WAL discards its cache), so most reads went back to the file. A profile of the
//! harness's send phase put a fifth of the process's CPU there: reading pages again (9 %),
//! waking and parking the pool's threads (10 %), file locks. SQLite writes one transaction at a
//! time anyway; here its reads and writes queue for one thread, which keeps using the pool's most
//! recent connection (r2d2 hands out the last one returned), so its cache stays warm, and which,
//! while calls keep coming, takes the next one without going to sleep.
//!
//! **One connection, kept.** The thread keeps the connection it took first and lends it to
//! every call ([`SqliteCheckout`]). Checked out anew for each call, it came back to the pool
//! between calls, where the checkpointer (every 500 ms) could take it; the next calls then ran
//! on another connection, whose cache had not seen the last writes. Every call also took the
//! pool's lock twice. (SQLite's cache truncation at commit, 2 % of the send phase's samples,
//! stayed where it was: it does not come from this.)
//!
//! **Group commit.** Under load a send's dozen small transactions each wrote their pages to the
//! WAL and took its locks again: the same hot pages (the ends of the messages' and events'
//! indexes) were written over and over. When several calls are waiting, the thread runs them in
//! one transaction of its own ([`Batch`]): each call's transaction becomes a savepoint inside it
//! (see `DbConn::write_txn`), and no call hears its result before the batch is committed, so a
//! 2xx still means the write is on disk. A call that fails rolls back its own savepoint, as
//! before; one that panics, or fails in a way SQLite may have answered by rolling back the whole
//! transaction, ends its batch: a panic rolls the batch back and every call in it fails, an
//! error is committed with the calls before it, and the calls after it start a new batch.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use diesel::SqliteConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{DbError, DbPool, DbResult};

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;
type Pooled = PooledConnection<ConnectionManager<SqliteConnection>>;

/// A queued call: runs, and gives back how it went and the reply to send once its batch ends.
type Job = Box<dyn FnOnce(&DbPool) -> Ran + Send>;

/// Sends a call's result once its batch ended; given why the batch's writes were not kept, if
/// they were not.
type Reply = Box<dyn FnOnce(Option<&str>) + Send>;

/// A call that ran: its reply and whether the batch it ran in must end with it.
struct Ran {
    reply: Reply,
    ends_batch: Ending,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// The call succeeded, or failed in a way that leaves the transaction usable.
    No,
    /// SQLite may have rolled the transaction back (I/O, a full disk, a busy database): commit
    /// what is left and start again.
    Commit,
    /// The call panicked half-way: its writes cannot be told from the others'.
    RollBack,
}

/// At most this many calls share one commit, so that the first of them is not kept waiting.
const MAX_BATCH: usize = 64;

thread_local! {
    /// The SQLite thread's connection, lent to each of its calls in turn (empty while lent, and
    /// on every other thread).
    static THREAD_CONN: RefCell<Option<Pooled>> = const { RefCell::new(None) };
    /// Whether this is the SQLite thread (it keeps its connection between calls).
    static ON_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether a batch's transaction is open on the thread's connection.
    static IN_BATCH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The thread and the queue to it. The thread ends once every [`super::Db`] sharing it is gone
/// (the checkpointer, which also holds the queue, stops with this).
pub(super) struct SqliteThread {
    jobs: mpsc::Sender<Job>,
    /// The WAL is copied back beside this thread (it stops with it).
    _checkpointer: super::sqlite_checkpoint::Checkpointer,
}

impl SqliteThread {
    pub(super) fn start(pool: DbPool) -> std::io::Result<Self> {
        Self::start_with(pool, super::sqlite_checkpoint::FINISH_FRAMES)
    }

    /// `finish_frames`: see [`super::sqlite_checkpoint::Checkpointer::start`].
    pub(super) fn start_with(pool: DbPool, finish_frames: i32) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        // Asked by the checkpointer; a call that does nothing wakes the thread if it is idle.
        let finish = Arc::new(AtomicBool::new(false));
        let ask = {
            let (finish, jobs) = (finish.clone(), jobs.clone());
            move || {
                if !finish.swap(true, Ordering::AcqRel) {
                    let wake: Job = Box::new(|_| Ran {
                        reply: Box::new(|_| {}),
                        ends_batch: Ending::No,
                    });
                    let _ = jobs.send(wake);
                }
            }
        };
        let checkpointer =
            super::sqlite_checkpoint::Checkpointer::start(pool.clone(), finish_frames, ask)?;
        std::thread::Builder::new()
            .name("waras-sqlite".into())
            .spawn(move || {
                ON_THREAD.with(|on| on.set(true));
                while let Ok(first) = queue.recv() {
                    let mut waiting = vec![first];
                    waiting.extend(queue.try_iter().take(MAX_BATCH - 1));
                    run_all(&pool, waiting);
                    if finish.swap(false, Ordering::AcqRel) {
                        finish_checkpoint(&pool);
                    }
                }
            })?;
        Ok(Self {
            jobs,
            _checkpointer: checkpointer,
        })
    }

    /// Runs `f` on the thread once the calls queued before it are done, and answers once its
    /// writes are committed. A call that panics fails (with the calls of its batch) but does not
    /// stop the thread.
    pub(super) async fn run<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Send + 'static,
    {
        super::handoff::queued(
            |reply| {
                let job: Job = Box::new(move |pool| {
                    let (result, ends_batch) = match super::handoff::caught(|| f(pool)) {
                        Some(result) => {
                            let ending = ending_after(result.as_ref().err());
                            (result, ending)
                        }
                        None => (Err(super::handoff::panicked()), Ending::RollBack),
                    };
                    let reply: Reply = Box::new(move |batch_failed: Option<&str>| {
                        let result = match batch_failed {
                            Some(why) => Err(DbError::Unavailable(why.to_string())),
                            None => result,
                        };
                        // The caller may have stopped waiting (its request was cancelled).
                        let _ = reply.send(result);
                    });
                    Ran { reply, ends_batch }
                });
                self.jobs.send(job).is_ok()
            },
            "the SQLite thread",
        )
        .await
    }
}

/// Whether a call's failure ends its batch: only what leaves SQLite's transaction as it was (a
/// constraint, a row not found, a value that did not convert, a refusal of WARAS's own) lets the
/// batch go on; anything else (an I/O error, a full disk, a transaction diesel could not roll
/// back) may have ended the transaction under the batch.
fn ending_after(error: Option<&DbError>) -> Ending {
    let Some(error) = error else {
        return Ending::No;
    };
    let harmless = match error {
        DbError::Query(DieselError::DatabaseError(kind, _)) => matches!(
            kind,
            DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::CheckViolation
        ),
        DbError::Query(
            DieselError::NotFound
            | DieselError::DeserializationError(_)
            | DieselError::SerializationError(_)
            | DieselError::QueryBuilderError(_),
        )
        | DbError::Fenced
        | DbError::QuotaExceeded { .. } => true,
        DbError::Query(_) | DbError::Unavailable(_) | DbError::Objects(_) => false,
    };
    if harmless { Ending::No } else { Ending::Commit }
}

/// Runs the waiting calls: alone when only one waits, else in batches of one transaction each.
fn run_all(pool: &DbPool, mut waiting: Vec<Job>) {
    let DbPool::Sqlite(sqlite) = pool else {
        waiting.into_iter().for_each(|job| (job(pool).reply)(None));
        return;
    };
    while !waiting.is_empty() {
        if waiting.len() == 1 {
            let ran = waiting.remove(0)(pool);
            (ran.reply)(None);
            return;
        }
        let Some(batch) = Batch::begin(sqlite) else {
            // No transaction of its own: each call opens its own, as without batching.
            waiting.into_iter().for_each(|job| (job(pool).reply)(None));
            return;
        };
        let mut replies = Vec::with_capacity(waiting.len());
        let mut ending = Ending::No;
        let mut rest = waiting.into_iter();
        for job in rest.by_ref() {
            let ran = job(pool);
            replies.push(ran.reply);
            ending = ran.ends_batch;
            if ending != Ending::No {
                break;
            }
        }
        let failed = batch.end(ending == Ending::RollBack);
        for reply in replies {
            reply(failed.as_deref());
        }
        waiting = rest.collect();
    }
}

/// Finishes the checkpointer's pass on the thread's connection, between two batches.
fn finish_checkpoint(pool: &DbPool) {
    if let DbPool::Sqlite(sqlite) = pool {
        match SqliteCheckout::get(sqlite) {
            Ok(mut conn) => super::sqlite_checkpoint::finish(&mut conn),
            Err(e) => log::debug!("SQLite checkpoint on the SQLite thread: {e}"),
        }
    }
}

/// One transaction shared by several calls on the thread's connection ([`THREAD_CONN`]).
struct Batch {
    _turn: super::write_turn::Turn,
}

impl Batch {
    /// Opens the batch's transaction, or `None` when no connection or lock could be had.
    fn begin(pool: &SqlitePool) -> Option<Self> {
        let turn = super::write_turn::take();
        let mut conn = SqliteCheckout::get(pool).ok()?;
        if let Err(e) = AnsiTransactionManager::begin_transaction_sql(&mut *conn, "BEGIN IMMEDIATE")
        {
            log::warn!("SQLite: cannot begin a batch of calls ({e}); they run one by one");
            return None;
        }
        IN_BATCH.with(|b| b.set(true));
        Some(Self { _turn: turn })
    }

    /// Commits the batch, or rolls it back; `Some(why)` when its calls' writes are not kept.
    fn end(self, roll_back: bool) -> Option<String> {
        IN_BATCH.with(|b| b.set(false));
        let Some(mut conn) = THREAD_CONN.with(|slot| slot.borrow_mut().take()) else {
            return Some("the batch's connection was lost".into());
        };
        if roll_back {
            // A connection given back inside a transaction counts as broken: r2d2 closes it,
            // and closing it rolls the transaction back.
            drop(conn);
            return Some("a database call panicked; its batch was rolled back".into());
        }
        let failed = match AnsiTransactionManager::commit_transaction(&mut *conn) {
            Ok(()) => None,
            Err(e) => {
                log::warn!("SQLite: a batch of calls could not be committed: {e}");
                let _ = AnsiTransactionManager::rollback_transaction(&mut *conn);
                Some(format!("the database could not commit: {e}"))
            }
        };
        keep(conn);
        failed
    }
}

/// A connection for one repository call: on the SQLite thread its own, kept connection (inside a
/// batch, with the batch's transaction open); anywhere else, one from the pool.
pub struct SqliteCheckout {
    conn: Option<Pooled>,
    lent: bool,
}

impl SqliteCheckout {
    pub fn get(pool: &SqlitePool) -> DbResult<Self> {
        if !ON_THREAD.with(std::cell::Cell::get) {
            return Ok(Self {
                conn: Some(pool.get()?),
                lent: false,
            });
        }
        let kept = THREAD_CONN.with(|slot| slot.borrow_mut().take());
        let conn = match kept {
            Some(conn) => conn,
            None => pool.get()?,
        };
        Ok(Self {
            conn: Some(conn),
            lent: true,
        })
    }
}

/// Keeps `conn` as the thread's connection, unless a call left a transaction of its own open
/// on it (it panicked half-way): then it goes back to the pool, which closes it, and closing
/// rolls that transaction back.
fn keep(mut conn: Pooled) {
    let idle = IN_BATCH.with(std::cell::Cell::get)
        || matches!(
            AnsiTransactionManager::transaction_manager_status_mut(&mut *conn).transaction_depth(),
            Ok(None)
        );
    if idle {
        THREAD_CONN.with(|slot| *slot.borrow_mut() = Some(conn));
    }
}

impl std::ops::Deref for SqliteCheckout {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_deref()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl std::ops::DerefMut for SqliteCheckout {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for SqliteCheckout {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take().filter(|_| self.lent) {
            keep(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DatabaseTarget, DbConn};
    use crate::with_conn;
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    fn pool(dir: &tempfile::TempDir) -> DbPool {
        let target = DatabaseTarget::Sqlite(dir.path().join("t.db"));
        DbPool::connect(&target, 4).unwrap()
    }

    type Call<T> = Box<dyn FnOnce(&DbPool) -> DbResult<T> + Send>;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// Rows of `t` as another connection sees them: only what was committed.
    fn committed(dir: &tempfile::TempDir) -> Vec<i64> {
        let path = dir.path().join("t.db");
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        diesel::sql_query("SELECT n FROM t ORDER BY n")
            .load::<Count>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|c| c.n)
            .collect()
    }

    fn insert(pool: &DbPool, n: i64) -> DbResult<i64> {
        with_conn!(pool, |conn| {
            conn.write_txn(|conn| {
                diesel::sql_query("INSERT INTO t (n) VALUES (?)")
                    .bind::<BigInt, _>(n)
                    .execute(conn)?;
                Ok(n)
            })
        })
    }

    /// Queues a call that holds the thread for a while and, once it runs, `calls` behind it, so
    /// that they wait together and run as one batch.
    async fn behind_a_slow_call<T: Send + 'static>(
        thread: &SqliteThread,
        calls: Vec<Call<T>>,
    ) -> Vec<DbResult<T>> {
        let (started, running) = std::sync::mpsc::channel();
        let mut slow = Box::pin(thread.run(move |_| {
            started.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        }));
        assert!(
            futures_util::future::poll_immediate(&mut slow)
                .await
                .is_none()
        );
        running.recv().unwrap();
        let queued = calls.into_iter().map(|f| thread.run(f));
        let (slow, results) =
            futures_util::future::join(slow, futures_util::future::join_all(queued)).await;
        slow.unwrap();
        results
    }

    async fn thread_with_table(dir: &tempfile::TempDir) -> SqliteThread {
        let thread = SqliteThread::start(pool(dir)).unwrap();
        thread
            .run(|pool| {
                with_conn!(pool, |conn| Ok(
                    conn.batch_execute("CREATE TABLE t (n INTEGER UNIQUE)")?
                ))
            })
            .await
            .unwrap();
        thread
    }

    #[actix_web::test]
    async fn calls_run_on_one_thread_and_a_panic_fails_only_its_call() {
        let dir = tempfile::tempdir().unwrap();
        let thread = SqliteThread::start(pool(&dir)).unwrap();
        let first = thread
            .run(|_| Ok(std::thread::current().id()))
            .await
            .unwrap();
        let panicked = thread
            .run(|_| -> DbResult<()> { panic!("a call that panics") })
            .await;
        assert!(matches!(panicked, Err(DbError::Unavailable(_))));
        let after = thread
            .run(|_| Ok(std::thread::current().id()))
            .await
            .unwrap();
        assert_eq!(first, after, "every call runs on the same thread");
        assert_ne!(first, std::thread::current().id());
    }

    /// A temporary table lives on the connection that made it: later calls still see it only if
    /// they run on the same connection.
    #[actix_web::test]
    async fn calls_keep_one_connection_and_one_that_panics_in_a_transaction_leaves_none_open() {
        let dir = tempfile::tempdir().unwrap();
        let thread = thread_with_table(&dir).await;
        thread
            .run(|pool| {
                with_conn!(pool, |conn| Ok(
                    conn.batch_execute("CREATE TEMP TABLE mine (n INTEGER)")?
                ))
            })
            .await
            .unwrap();
        let temp_store = thread
            .run(|pool| {
                with_conn!(pool, |conn| Ok(diesel::sql_query(
                    "SELECT count(*) AS n FROM temp.mine UNION ALL SELECT temp_store FROM pragma_temp_store"
                )
                .load::<Count>(conn)?))
            })
            .await
            .unwrap();
        assert_eq!(temp_store[0].n, 0, "the next call sees the temporary table");
        assert_eq!(temp_store[1].n, 2, "temporary files are kept in memory");
        let panicked = thread
            .run(|pool| -> DbResult<()> {
                with_conn!(pool, |conn| conn.write_txn(|conn| {
                    diesel::sql_query("INSERT INTO t (n) VALUES (1)").execute(conn)?;
                    panic!("a call that panics inside its transaction")
                }))
            })
            .await;
        assert!(matches!(panicked, Err(DbError::Unavailable(_))));
        thread.run(|pool| insert(pool, 2)).await.unwrap();
        assert_eq!(
            committed(&dir),
            vec![2],
            "the panicked write is rolled back and the next one is committed, not left in its transaction"
        );
    }

    #[actix_web::test]
    async fn waiting_writes_share_one_commit_and_a_failed_one_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let thread = thread_with_table(&dir).await;
        let mut calls: Vec<Call<i64>> = Vec::new();
        for n in [1, 2, 2, 3] {
            calls.push(Box::new(move |pool| insert(pool, n)));
        }
        // A read inside the batch sees the batch's own writes so far.
        calls.push(Box::new(|pool| {
            with_conn!(pool, |conn| Ok(diesel::sql_query(
                "SELECT count(*) AS n FROM t"
            )
            .get_result::<Count>(conn)?
            .n))
        }));
        let results = behind_a_slow_call(&thread, calls).await;
        assert_eq!(results[0].as_ref().unwrap(), &1);
        assert_eq!(results[1].as_ref().unwrap(), &2);
        assert!(results[2].as_ref().is_err_and(DbError::is_unique_violation));
        assert_eq!(results[3].as_ref().unwrap(), &3);
        assert_eq!(results[4].as_ref().unwrap(), &3, "the batch's three rows");
        assert_eq!(
            committed(&dir),
            vec![1, 2, 3],
            "committed before the replies"
        );
    }

    #[actix_web::test]
    async fn a_panic_rolls_its_batch_back_and_the_calls_after_it_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let thread = thread_with_table(&dir).await;
        let mut calls: Vec<Call<i64>> = Vec::new();
        calls.push(Box::new(|pool| insert(pool, 1)));
        calls.push(Box::new(|pool| {
            insert(pool, 2)?;
            panic!("a call that panics after writing")
        }));
        calls.push(Box::new(|pool| insert(pool, 3)));
        calls.push(Box::new(|pool| insert(pool, 4)));
        let results = behind_a_slow_call(&thread, calls).await;
        assert!(
            matches!(results[0], Err(DbError::Unavailable(_))),
            "rolled back with the panic"
        );
        assert!(matches!(results[1], Err(DbError::Unavailable(_))));
        assert_eq!(results[2].as_ref().unwrap(), &3);
        assert_eq!(results[3].as_ref().unwrap(), &4);
        assert_eq!(committed(&dir), vec![3, 4]);
        // The thread and its pool go on: the next call writes and commits.
        thread.run(|pool| insert(pool, 5)).await.unwrap();
        assert_eq!(committed(&dir), vec![3, 4, 5]);
    }
}
