//! The engine's `Runtime`: a dedicated multi-thread tokio runtime shared by every session's client.
//! The bundled tokio runtime of the engine would spawn onto the current actix arbiter (one core,
//! single thread) and never yield; this one spreads session work over the engine's own threads.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wacore::runtime::{AbortHandle, Runtime};

#[derive(Clone)]
pub struct EngineRuntime {
    handle: tokio::runtime::Handle,
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
        Box::pin(tokio::time::sleep(duration))
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
