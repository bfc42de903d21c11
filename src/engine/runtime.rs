//! The engine's `Runtime`: a dedicated multi-thread tokio runtime shared by every session's client.
//! The bundled tokio runtime of the engine would spawn onto the current actix arbiter (one core,
//! single thread) and never yield; this one spreads session work over the engine's own threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;
use wacore::runtime::{AbortHandle, Runtime};

/// Sleeps at least this long end on the [`GRID`] shared by every session.
const ALIGN_FROM: Duration = Duration::from_secs(10);
/// With a thousand idle sessions, each one's keepalive (every 15–30 s, at a random moment) woke
/// the engine's threads and the network arbiter on its own: about 44 wake-ups a second, each
/// paying for its thread switches. Ending the long sleeps on a whole second of a shared clock
/// hands the keepalives due in that second to the threads together, at most a second late.
const GRID: Duration = Duration::from_secs(1);

/// The first grid point at or after `deadline`, on a grid of `grid` starting at `epoch`.
fn on_grid(epoch: Instant, deadline: Instant, grid: Duration) -> Instant {
    let since = deadline.saturating_duration_since(epoch).as_nanos();
    let step = grid.as_nanos().max(1);
    let up = since.div_ceil(step).saturating_mul(step);
    epoch + Duration::from_nanos(u64::try_from(up).unwrap_or(u64::MAX))
}

#[derive(Clone)]
pub struct EngineRuntime {
    handle: tokio::runtime::Handle,
    /// Where the grid of long sleeps starts.
    epoch: Instant,
    /// Keeps the runtime alive as long as any session holds a clone.
    _owner: Arc<RuntimeOwner>,
}

struct RuntimeOwner(Option<tokio::runtime::Runtime>);

impl Drop for RuntimeOwner {
    fn drop(&mut self) {
        // Dropping a runtime from inside async code panics; hand it to a plain thread instead.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl EngineRuntime {
    /// `blocking` bounds the threads of blocking work (store queries, heavy crypto). Store
    /// queries wait for one of the database pool's connections, so threads beyond the pool's
    /// size only wait: left at tokio's default (512), linking many sessions at once grew the
    /// process to 500+ threads fighting over 16 connections.
    pub fn new(threads: usize, blocking: usize) -> anyhow::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .max_blocking_threads(blocking.max(1))
            .thread_name("waras-engine")
            .enable_all()
            .build()
            .context("cannot start the engine runtime")?;
        Ok(Self {
            handle: rt.handle().clone(),
            epoch: Instant::now(),
            _owner: Arc::new(RuntimeOwner(Some(rt))),
        })
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
}

impl Runtime for EngineRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>) -> AbortHandle {
        let task = self.handle.spawn(future);
        AbortHandle::new(move || task.abort())
    }

    fn spawn_detached(&self, future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>) {
        drop(self.handle.spawn(future));
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        if duration < ALIGN_FROM {
            return Box::pin(tokio::time::sleep(duration));
        }
        let deadline = on_grid(self.epoch, Instant::now() + duration, GRID);
        Box::pin(tokio::time::sleep_until(deadline))
    }

    fn spawn_blocking(
        &self,
        f: Box<dyn FnOnce() + Send + 'static>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let task = self.handle.spawn_blocking(f);
        Box::pin(async move {
            let _ = task.await;
        })
    }

    fn yield_now(&self) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        // Many sessions share few threads: long loops (prekey uploads, offline drains) must yield.
        Some(Box::pin(tokio::task::yield_now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sleeps_end_on_the_grid_and_never_early() {
        let epoch = Instant::now();
        let grid = Duration::from_secs(1);
        for ms in [0u64, 1, 999, 1000, 1001, 15_250, 29_999] {
            let deadline = epoch + Duration::from_millis(ms);
            let end = on_grid(epoch, deadline, grid);
            assert!(end >= deadline, "{ms}: ends early");
            assert!(end - deadline < grid, "{ms}: ends a whole step late");
            assert_eq!(
                (end - epoch).as_nanos() % grid.as_nanos(),
                0,
                "{ms}: off the grid"
            );
        }
        // Two sleeps due within the same second end together.
        let a = on_grid(epoch, epoch + Duration::from_millis(15_010), grid);
        let b = on_grid(epoch, epoch + Duration::from_millis(15_990), grid);
        assert_eq!(a, b);
    }
}
