//! SQLite's calls, one after another on one thread of their own.
//!
//! On the blocking pool every call woke an idle thread, checked a connection out of the pool and
//! handed the result back; calls ran side by side on several connections, and each commit on one
//! connection made SQLite drop the page cache of every other one (in WAL mode a connection that
//! sees a newer WAL discards its cache), so most reads went back to the file. A profile of the
//! harness's send phase put a fifth of the process's CPU there: reading pages again (9 %),
//! waking and parking the pool's threads (10 %), file locks. SQLite writes one transaction at a
//! time anyway; here its reads and writes queue for one thread, which keeps using the pool's most recent
//! connection (r2d2 hands out the last one returned), so its cache stays warm, and which, while
//! calls keep coming, takes the next one without going to sleep.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use super::{DbError, DbPool, DbResult};

type Job = Box<dyn FnOnce(&DbPool) + Send>;

/// The thread and the queue to it. The thread ends once every [`super::Db`] sharing it is gone.
pub(super) struct SqliteThread {
    jobs: mpsc::Sender<Job>,
}

impl SqliteThread {
    pub(super) fn start(pool: DbPool) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("waras-sqlite".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job(&pool);
                }
            })?;
        Ok(Self { jobs })
    }

    /// Runs `f` on the thread once the calls queued before it are done. A call that panics fails
    /// alone: the thread goes on with the next one.
    pub(super) async fn run<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |pool| {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(pool)))
                .unwrap_or_else(|_| Err(DbError::Unavailable("a database call panicked".into())));
            // The caller may have stopped waiting (its request was cancelled): nothing to tell.
            let _ = reply.send(result);
        });
        let stopped = || DbError::Unavailable("the SQLite thread stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DatabaseTarget;

    fn pool(dir: &tempfile::TempDir) -> DbPool {
        let target = DatabaseTarget::Sqlite(dir.path().join("t.db"));
        DbPool::connect(&target, 4).unwrap()
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
}
