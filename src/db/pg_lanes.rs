//! PostgreSQL's calls, on a fixed set of threads of their own ("lanes"), one per pooled
//! connection.
//!
//! On tokio's blocking pool every call woke a thread of a pool that grows to hundreds, which then
//! queued on r2d2's lock and condition variable for one of the 16 connections: a profile of the
//! harness's send phase on PostgreSQL put a quarter of the process's CPU in that contention
//! (parking_lot's slow lock path spinning with `sched_yield`, the condition variable's waits and
//! wake-ups, the blocking pool's own lock). Here as many threads as the pool has connections take
//! the calls from one queue in turn: a thread that finds work waiting takes it without sleeping,
//! and none of them waits for a connection, since there are never more of them than the pool
//! has. Every call still runs in its own transaction(s) on a connection checked out for it, as
//! before: only where it runs changed.

use super::{DbPool, DbResult};

/// A queued call: runs on a lane with the pool and sends its own result.
type Job = Box<dyn FnOnce(&DbPool) + Send>;

/// The lanes and the queue to them. The threads end once every [`super::Db`] sharing it is gone.
pub(super) struct PgLanes {
    jobs: crossbeam_channel::Sender<Job>,
}

impl PgLanes {
    /// Starts `lanes` threads (at least one) taking calls for `pool`.
    pub(super) fn start(pool: &DbPool, lanes: u32) -> std::io::Result<Self> {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for n in 0..lanes.max(1) {
            let (pool, queue) = (pool.clone(), queue.clone());
            std::thread::Builder::new()
                .name(format!("waras-pg-{n}"))
                .spawn(move || {
                    while let Ok(job) = queue.recv() {
                        job(&pool);
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// Runs `f` on the first free lane. A call that panics fails; its lane goes on.
    pub(super) async fn run<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&DbPool) -> DbResult<T> + Send + 'static,
    {
        super::handoff::queued(
            |reply| {
                let job: Job = Box::new(move |pool| {
                    let result = super::handoff::caught(|| f(pool))
                        .unwrap_or_else(|| Err(super::handoff::panicked()));
                    // The caller may have stopped waiting (its request was cancelled).
                    let _ = reply.send(result);
                });
                self.jobs.send(job).is_ok()
            },
            "the PostgreSQL lanes",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::db::{DatabaseTarget, DbError};

    fn lanes(n: u32) -> PgLanes {
        let base = std::env::var("WARAS_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let target = DatabaseTarget::parse(&format!("{base}/postgres")).unwrap();
        PgLanes::start(&DbPool::connect(&target, n).unwrap(), n).unwrap()
    }

    fn lane_name() -> String {
        std::thread::current()
            .name()
            .unwrap_or_default()
            .to_string()
    }

    #[actix_web::test]
    async fn calls_run_on_the_lanes_and_a_panic_fails_only_its_call() {
        let lanes = lanes(2);
        let ran_on = lanes
            .run(|pool| {
                crate::with_conn!(pool, |conn| conn.batch_execute("SELECT 1")?);
                Ok(lane_name())
            })
            .await
            .unwrap();
        assert!(ran_on.starts_with("waras-pg-"), "ran on {ran_on:?}");
        let panicked = lanes
            .run(|_| -> DbResult<()> { panic!("a call that panics") })
            .await;
        assert!(matches!(panicked, Err(DbError::Unavailable(_))));
        // Both lanes still take calls: two that each wait for the other can only finish side by
        // side.
        let (a_tx, a_rx) = mpsc::channel::<()>();
        let (b_tx, b_rx) = mpsc::channel::<()>();
        let meet = |tell: mpsc::Sender<()>, wait: mpsc::Receiver<()>| {
            move |_: &DbPool| -> DbResult<bool> {
                tell.send(()).unwrap();
                Ok(wait.recv_timeout(Duration::from_secs(10)).is_ok())
            }
        };
        let (a, b) =
            futures_util::future::join(lanes.run(meet(a_tx, b_rx)), lanes.run(meet(b_tx, a_rx)))
                .await;
        assert!(
            a.unwrap() && b.unwrap(),
            "two calls ran on two lanes at once"
        );
    }
}
