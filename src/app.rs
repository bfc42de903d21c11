//! Wiring: storage, actors and the HTTP server, built from settings. `build` binds first, so tests
//! can ask for port 0 and read the port back.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::actors::{
    Boot, DeliveryActor, DeliveryConfig, EventHub, Shutdown, StopDeliveries, SupervisorActor,
};
use crate::api::{self, AppState};
use crate::config::{Secrets, Settings};
use crate::crypto::Sealer;
use crate::db::{self, Db, DbPool, InstanceLease};
use crate::engine::{DieselStores, EngineDeps, EngineRuntime, check_master_key};
use crate::metrics::Metrics;
use crate::webhooks::schedule::RetrySchedule;

/// Routes added beside the API, configured in every HTTP worker.
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

pub struct Application {
    addr: SocketAddr,
    server: Server,
    supervisor: Addr<SupervisorActor>,
    delivery: Addr<DeliveryActor>,
    db: Db,
    lease: Option<InstanceLease>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_routes(settings, None).await
    }

    /// Like [`Application::build`], with extra routes mounted beside the API (the in-process
    /// sandbox's admin API under `/sandbox`).
    pub async fn build_with_routes(
        settings: Settings,
        extra: Option<ExtraRoutes>,
    ) -> anyhow::Result<Self> {
        settings.validate()?;
        let secrets = Secrets::resolve(&settings)?;
        let target = settings.database()?;
        let pool_size = settings.db_pool_size;
        let statement_timeout = Duration::from_secs(settings.db_statement_timeout_secs);
        let probed = target.clone();
        let (pool, lease) = actix_web::rt::task::spawn_blocking(move || -> anyhow::Result<_> {
            let applied = db::migrate(&target)?;
            if applied > 0 {
                log::info!(
                    "applied {applied} migration(s) to the {} database",
                    target.backend_name()
                );
            }
            let pool = DbPool::connect_with(&target, pool_size, statement_timeout)?;
            let lease = InstanceLease::try_acquire(&target)?
                .map(|l| l.kept(&target))
                .transpose()?;
            Ok((pool, lease))
        })
        .await
        .context("storage setup did not finish")??;
        if lease.is_none() {
            log::error!(
                "another waras process owns this database: serving the API, but running no sessions"
            );
        }
        let db = Db::new(pool);
        db.watch_health(&probed, Duration::from_millis(settings.db_probe_timeout_ms))?;
        // A wrong master key is a clear startup error, not unreadable sessions later.
        let master_key = secrets.master_key;
        db.run(move |pool| Ok(check_master_key(pool, &master_key)))
            .await
            .context("cannot check the master key")??;
        let metrics = Arc::new(Metrics::new().context("cannot register metrics")?);
        let engine_threads = match settings.engine_threads {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let engine = EngineDeps {
            // Enough blocking threads for every database connection, and some for crypto.
            runtime: EngineRuntime::new(
                engine_threads,
                settings.db_pool_size as usize + engine_threads,
            )?,
            network: actix::Arbiter::new().handle(),
            wa_url: settings.wa_url.clone(),
            version: settings.pinned_wa_version()?,
            stores: Arc::new(DieselStores::new(db.clone(), secrets.master_key)),
            media_ca: sandbox_media_ca(&settings.wa_url).await,
        };
        let engine_stores = engine.stores.clone();
        let supervisor = SupervisorActor::new(
            db.clone(),
            engine,
            metrics.clone(),
            lease.is_some(),
            Duration::from_secs(settings.session_restart_max_backoff_secs.max(1)),
        )
        .start();
        supervisor
            .send(Boot)
            .await
            .context("supervisor unreachable")??;
        let webhook_secrets = Sealer::new(&secrets.master_key, "webhook-secret");
        let delivery = DeliveryActor::new(
            db.clone(),
            DeliveryConfig {
                timeout: Duration::from_secs(settings.webhook_timeout_secs),
                schedule: RetrySchedule::new(settings.webhook_retry_schedule_secs.clone()),
                disable_after_ms: (settings.webhook_disable_after_secs * 1000) as i64,
                allow_private: settings.webhook_allow_private,
                concurrency: settings.webhook_concurrency,
            },
            webhook_secrets.clone(),
            metrics.clone(),
        )
        .start();

        let state = web::Data::new(AppState {
            db: db.clone(),
            supervisor: supervisor.clone(),
            metrics,
            admin_key: secrets.admin_key,
            webhook_secrets,
            allow_private: settings.webhook_allow_private,
            media_max_bytes: settings.media_max_bytes,
            secret_grace_ms: (settings.webhook_secret_grace_secs * 1000) as i64,
            hub: EventHub::new(db.clone()).start(),
            tickets: Default::default(),
            ws_queue: settings.ws_queue_capacity,
            ws_send_timeout: Duration::from_secs(settings.ws_send_timeout_secs),
            engine_stores,
        });
        let listener = TcpListener::bind(settings.listen_addr()?)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let max_json = settings.max_json_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(api::json_config(max_json))
                .app_data(api::query_config())
                .app_data(api::path_config())
                .wrap(from_fn(api::record_request))
                .wrap(
                    Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
                .configure(|cfg| {
                    if let Some(extra) = &extra {
                        extra(cfg);
                    }
                    api::routes(cfg)
                })
        })
        .listen(listener)?
        .shutdown_timeout(10);
        if settings.http_workers > 0 {
            server = server.workers(settings.http_workers);
        }
        log::info!(
            "listening on http://{addr} ({} storage)",
            db.pool().backend_name()
        );
        Ok(Self {
            addr,
            server: server.run(),
            supervisor,
            delivery,
            db,
            lease,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn supervisor(&self) -> &Addr<SupervisorActor> {
        &self.supervisor
    }

    /// Serves until the process is asked to stop (SIGINT/SIGTERM), then stops the sessions in order.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("HTTP server failed")?;
        self.supervisor
            .send(Shutdown)
            .await
            .context("supervisor unreachable")?;
        drop(self.lease);
        log::info!("stopped");
        Ok(())
    }

    /// Runs the server in the background (tests, embedding); stop it with [`RunningApp::shutdown`].
    pub fn spawn(self) -> RunningApp {
        let handle = self.server.handle();
        actix_web::rt::spawn(self.server);
        RunningApp {
            addr: self.addr,
            handle,
            supervisor: self.supervisor,
            delivery: self.delivery,
            db: self.db,
            lease: self.lease,
        }
    }
}

pub struct RunningApp {
    pub addr: SocketAddr,
    handle: ServerHandle,
    pub supervisor: Addr<SupervisorActor>,
    delivery: Addr<DeliveryActor>,
    pub db: Db,
    lease: Option<InstanceLease>,
}

impl RunningApp {
    pub async fn shutdown(self) {
        self.handle.stop(true).await;
        let _ = self.delivery.send(StopDeliveries).await;
        let _ = self.supervisor.send(Shutdown).await;
        drop(self.lease);
    }
}

/// In a sandbox build, the CA of the sandbox's HTTPS media host, read from its `/sandbox/info`
/// next to the configured (loopback) WebSocket URL, so media can be uploaded and downloaded.
#[cfg(feature = "sandbox")]
async fn sandbox_media_ca(wa_url: &str) -> Option<Arc<str>> {
    let mut info = url::Url::parse(wa_url).ok()?;
    info.set_scheme(if info.scheme() == "wss" {
        "https"
    } else {
        "http"
    })
    .ok()?;
    info.set_path("/sandbox/info");
    let answer: Result<serde_json::Value, String> = async {
        let mut res = awc::Client::new()
            .get(info.as_str())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        res.json().await.map_err(|e| e.to_string())
    }
    .await;
    match answer {
        Ok(v) => v
            .get("media_ca_pem")
            .and_then(|p| p.as_str())
            .map(Arc::from),
        Err(e) => {
            log::warn!("sandbox media CA unavailable at {info}: {e}; media will fail");
            None
        }
    }
}

#[cfg(not(feature = "sandbox"))]
async fn sandbox_media_ca(_wa_url: &str) -> Option<Arc<str>> {
    None
}
