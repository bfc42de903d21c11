//! The running engine of a session, watched. The engine's run loop lives in a task of the engine
//! runtime; if it ends while nobody asked it to (its loop returned, or it panicked), the session
//! actor is told ([`FromEngine::Ended`]) and rebuilds the session instead of sitting on a dead
//! client. How the actor builds (and shuts down) that engine is here too.

use std::sync::Arc;
use std::time::Duration;

use async_channel::Sender;
use tokio::sync::oneshot;
use whatsapp_rust::RawNodeLease;
use whatsapp_rust::bot::BotHandle;
use whatsapp_rust::client::Client;

use actix::prelude::*;
use whatsapp_rust::bot::Bot;

use super::SessionActor;
use super::bridge::{Bridge, ENGINE_EVENT_QUEUE, FromEngine};
use super::uncommitted;
use crate::domain::SessionStatus;
use crate::engine::http::AwcHttpClient;
use crate::engine::transport::{ConnectAttempt, WsTransportFactory};

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

impl SessionActor {
    /// Builds and starts the engine client on the engine runtime.
    pub(super) fn start_engine(&mut self, ctx: &mut Context<Self>) {
        let deps = self.deps.clone();
        // Engine events reach the actor through a bounded queue (see `bridge`), in order.
        let (queue, events) = async_channel::bounded(ENGINE_EVENT_QUEUE);
        ctx.add_stream(events);
        let bridge = Bridge {
            tx: queue.clone(),
            dropped: deps.events_dropped.clone(),
        };
        let attempts = ctx.address().recipient::<ConnectAttempt>();
        let recorder = uncommitted::recorder(self, ctx);
        self.recorder = Some(recorder.clone());
        let session_id = self.id.as_str().to_string();
        let fence = self.fence.clone();
        let cutoff = self.cutoff.clone();
        let launch = self.launch.clone();
        let build = async move {
            let turn = deps.starts.clone().acquire_owned().await?;
            let proxy = deps.open_proxy(&session_id, launch.proxy_sealed.as_deref())?;
            let backend = deps.stores.open(&session_id, fence).await?;
            let http = AwcHttpClient::for_session(&deps, proxy.clone());
            let version = deps.version.resolve(&http).await;
            let transport = WsTransportFactory::new(&deps.wa_url, deps.network.clone())
                .reporting_to(attempts)
                .with_cutoff(cutoff)
                .with_proxy(proxy);
            let mut builder = Bot::builder()
                .with_backend_arc(backend)
                .with_transport_factory(transport)
                .with_http_client(http)
                .with_runtime(deps.runtime.clone())
                .with_event_handler(bridge)
                .with_inbound_durability_hook(recorder)
                .with_version(version);
            if launch.skip_history {
                builder = builder.skip_history_sync();
            }
            let bot = builder
                .build()
                .await
                .map_err(|e| anyhow::anyhow!("engine did not start: {e}"))?;
            drop(turn);
            let runtime = tokio::runtime::Handle::current();
            Ok::<_, anyhow::Error>(EngineRun::watch(bot.spawn(), &runtime, queue))
        };
        let task = self.deps.runtime.handle().spawn(build);
        let started = async move {
            task.await
                .map_err(|e| anyhow::anyhow!("engine task failed: {e}"))?
        };
        ctx.wait(
            started
                .into_actor(self)
                .map(|result, act, ctx| match result {
                    Ok(run) => {
                        act.client = Some(run.client());
                        act.bot = Some(run);
                    }
                    // Often passing (the database busy or briefly gone, the lease in doubt):
                    // the actor ends, and the supervisor starts it again after its backoff if
                    // the session should still run here.
                    Err(e) => {
                        log::error!("session {}: {e:#}; starting it again later", act.id);
                        act.end_for_restart(ctx, SessionStatus::Failed, "engine_start_failed");
                    }
                }),
        );
    }

    /// Shuts the engine client down (flushing its state) and waits for it.
    pub(super) fn stop_engine(&mut self) -> impl Future<Output = ()> + use<> {
        self.client = None;
        let shutdown = self.bot.take().map(EngineRun::shutdown);
        async move {
            if let Some(shutdown) = shutdown {
                shutdown.await;
            }
        }
    }
}
