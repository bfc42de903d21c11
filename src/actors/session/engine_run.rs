//! The running engine of a session, watched. The engine's run loop lives in a task of the engine
//! runtime; if it ends while nobody asked it to (its loop returned, or it panicked), the session
//! actor is told ([`FromEngine::Ended`]) and rebuilds the session instead of sitting on a dead
//! client.

use std::sync::Arc;
use std::time::Duration;

use async_channel::Sender;
use tokio::sync::oneshot;
use whatsapp_rust::RawNodeLease;
use whatsapp_rust::bot::BotHandle;
use whatsapp_rust::client::Client;

use super::bridge::FromEngine;

/// How long an orderly engine shutdown (flushing its state) may take.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

enum Control {
    /// Disconnect, flush, and answer once the run loop has ended.
    Shutdown(oneshot::Sender<()>),
}

/// A session's engine: its client, and the line to the task that owns its run loop. Dropping
/// it aborts the run loop (as dropping a `BotHandle` does).
pub(super) struct EngineRun {
    client: Arc<Client>,
    control: oneshot::Sender<Control>,
    /// The engine reads past changes of the account's blocklist made on another device; raw
    /// stanzas let the session see them (the bridge drops every other one at once).
    _raw_nodes: RawNodeLease,
}

impl EngineRun {
    /// Takes over `handle` in a watcher task on `runtime`, which queues [`FromEngine::Ended`]
    /// on `queue` if the run loop ends before a shutdown was asked for.
    pub fn watch(
        handle: BotHandle,
        runtime: &tokio::runtime::Handle,
        queue: Sender<FromEngine>,
    ) -> Self {
        let client = handle.client();
        let (control, orders) = oneshot::channel();
        runtime.spawn(supervise(handle, orders, queue));
        let _raw_nodes = client.acquire_raw_node_forwarding();
        Self {
            client,
            control,
            _raw_nodes,
        }
    }

    pub fn client(&self) -> Arc<Client> {
        self.client.clone()
    }

    /// Shuts the engine down in order and resolves once it has stopped (or the timeout passed).
    pub fn shutdown(self) -> impl Future<Output = ()> + use<> {
        let (done, stopped) = oneshot::channel();
        let sent = self.control.send(Control::Shutdown(done)).is_ok();
        async move {
            if sent {
                let _ = stopped.await;
            }
        }
    }
}

async fn supervise(
    mut handle: BotHandle,
    orders: oneshot::Receiver<Control>,
    queue: Sender<FromEngine>,
) {
    tokio::select! {
        // `handle` resolves when the run loop returns or its task dies (a panic included).
        () = &mut handle => {
            let _ = queue.send(FromEngine::Ended).await;
        }
        order = orders => match order {
            Ok(Control::Shutdown(done)) => {
                let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, handle.shutdown()).await;
                let _ = done.send(());
            }
            // The owner is gone without asking for an orderly stop: end at once.
            Err(_) => handle.abort(),
        },
    }
}
