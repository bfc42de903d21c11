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
    Boot, DeliveryActor, DeliveryConfig, EventHub, OrphanSweep, OverdueSends, RetentionJob,
    Shutdown, StopDeliveries, SupervisorActor,
};
use crate::api::{self, AppState};
use crate::cluster::{Cluster, ClusterConfig, Membership, Sessions};
use crate::config::{Secrets, Settings};
use crate::crypto::Sealer;
use crate::db::{self, Db, DbPool, InstanceLease};
use crate::engine::http::HttpPolicy;
use crate::engine::{DieselStores, EngineDeps, EngineRuntime, check_master_key};
use crate::metrics::Metrics;
use crate::sinks::{SinkContext, SinkRunner};
use crate::webhooks::schedule::RetrySchedule;

/// One access-log line per request. `%U` is the path without the query string: a query can
/// carry a stream ticket (`?ticket=`), which must not end up in logs.
const ACCESS_LOG_FORMAT: &str = "%a \"%{method}xi %U\" %s %b %Dms";

/// Routes added beside the API, configured in every HTTP worker.
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

pub struct Application {
    addr: SocketAddr,
    server: Server,
    supervisor: Addr<SupervisorActor>,
    delivery: Addr<DeliveryActor>,
    db: Db,
    lease: InstanceLease,
    cluster: Option<Cluster>,
    sinks: SinkRunner,
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
        let (db, lease, target) = open_storage(&settings).await?;
        let db = attach_objects(&settings, db)
            .await?
            .with_default_quotas(settings.default_quotas());
        let secrets = crate::rotate::finish_interrupted(&settings, &db, secrets).await?;
        refuse_wrong_master_key(&db, secrets.master_key).await?;
        let metrics = Arc::new(Metrics::new().context("cannot register metrics")?);
        let engine = engine_deps(&settings, &db, &secrets, &metrics).await?;
        let engine_stores = engine.stores.clone();
        let engine_proxies = engine.proxies.clone();
        // Bound first: the other instances reach this one at the port it really got.
        let listener = TcpListener::bind(settings.listen_addr()?)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        // Several instances share PostgreSQL; SQLite runs one.
        let cluster_config = matches!(target, db::DatabaseTarget::Postgres(_)).then(|| {
            Arc::new(ClusterConfig::from_settings(
                &settings,
                &secrets.master_key,
                addr,
            ))
        });
        // Who holds sink leases: this instance's cluster id, or `local` alone.
        let owner = cluster_config
            .as_ref()
            .map_or_else(|| "local".to_string(), |c| c.instance_id.clone());
        let supervisor = SupervisorActor::new(
            db.clone(),
            engine,
            metrics.clone(),
            cluster_config.is_some(),
            Duration::from_secs(settings.session_restart_max_backoff_secs.max(1)),
        )
        .start();
        let cluster = match (cluster_config, &target) {
            (Some(config), db::DatabaseTarget::Postgres(url)) => {
                Some(join_cluster(&db, config, url, &supervisor, &metrics).await?)
            }
            _ => None,
        };
        supervisor
            .send(Boot)
            .await
            .context("supervisor unreachable")??;
        let jobs = start_jobs(&settings, &db, &secrets.master_key, &metrics, owner).await?;
        let state = app_state(
            &settings,
            &db,
            Sessions::new(
                supervisor.clone(),
                db.clone(),
                engine_stores,
                cluster.clone(),
                instance_name(&settings),
            ),
            metrics.clone(),
            StateSecrets {
                admin_key: secrets.admin_key,
                webhook_secrets: jobs.webhook_secrets,
                session_proxies: engine_proxies,
                event_sinks: jobs.event_sinks,
            },
        );
        let server = http_server(&settings, state, extra, listener)?;
        log::info!(
            "listening on http://{addr} ({} storage)",
            db.pool().backend_name()
        );
        Ok(Self {
            addr,
            server,
            supervisor,
            delivery: jobs.delivery,
            db,
            lease,
            cluster,
            sinks: jobs.sinks,
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
        drain(self.cluster.as_ref()).await;
        self.sinks.stop().await;
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
            cluster: self.cluster,
            sinks: self.sinks,
        }
    }
}

/// Migrates the database, opens the pool, takes the instance lease (refused for a second
/// process on SQLite, or during a key rotation) and starts watching the database's health.
async fn open_storage(
    settings: &Settings,
) -> anyhow::Result<(Db, InstanceLease, db::DatabaseTarget)> {
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
        let lease = InstanceLease::try_serve(&target)?
            .map(|l| l.kept(&target))
            .transpose()?;
        Ok((pool, lease))
    })
    .await
    .context("storage setup did not finish")??;
    let Some(lease) = lease else {
        anyhow::bail!(match probed {
            db::DatabaseTarget::Sqlite(path) => format!(
                "another waras process uses the SQLite database {}; SQLite runs one instance \
                 (use PostgreSQL to run several)",
                path.display()
            ),
            db::DatabaseTarget::Postgres(_) => {
                "a master key rotation holds this database; start again once it finished".into()
            }
        });
    };
    let db = Db::new(pool);
    db.watch_health(&probed, Duration::from_millis(settings.db_probe_timeout_ms))?;
    Ok((db, lease, probed))
}

/// A wrong master key is a clear startup error, not unreadable sessions later.
async fn refuse_wrong_master_key(db: &Db, master_key: [u8; 32]) -> anyhow::Result<()> {
    db.run(move |pool| Ok(check_master_key(pool, &master_key)))
        .await
        .context("cannot check the master key")?
}

/// What every session's engine needs: its runtime, the network arbiter, the WhatsApp endpoint
/// and version, the key stores and the HTTP policy for media.
async fn engine_deps(
    settings: &Settings,
    db: &Db,
    secrets: &Secrets,
    metrics: &Metrics,
) -> anyhow::Result<EngineDeps> {
    let engine_threads = match settings.engine_threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let sandbox_media = crate::engine::sandbox_media::discover(&settings.wa_url).await;
    Ok(EngineDeps {
        // Enough blocking threads for every database connection, and some for crypto.
        runtime: EngineRuntime::new(
            engine_threads,
            settings.db_pool_size as usize + engine_threads,
        )?,
        network: actix::Arbiter::new().handle(),
        wa_url: settings.wa_url.clone(),
        version: crate::engine::version::WaVersion::new(
            settings.pinned_wa_version()?,
            &settings.wa_url,
        ),
        stores: Arc::new(DieselStores::new(db.clone(), secrets.master_key)),
        media_ca: sandbox_media.as_ref().map(|m| m.ca.clone()),
        http_policy: Arc::new(HttpPolicy {
            sandbox_media_host: sandbox_media.map(|m| m.host),
            media_max_bytes: settings.media_max_bytes,
        }),
        store_presence_events: settings.store_presence_events,
        schedule_max_lateness_ms: settings.schedule_max_lateness_ms(),
        events_dropped: metrics.engine_events_dropped.clone(),
        proxies: Sealer::new(
            &secrets.master_key,
            crate::engine::rekey::SESSION_PROXY_PURPOSE,
        ),
        starts: Arc::new(tokio::sync::Semaphore::new(settings.db_pool_size as usize)),
    })
}

/// Registers this instance, starts its membership (the sessions placed here start before the
/// server answers, as at a lone boot) and listens for lease and outbox notifications.
async fn join_cluster(
    db: &Db,
    config: Arc<ClusterConfig>,
    url: &str,
    supervisor: &Addr<SupervisorActor>,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Cluster> {
    crate::cluster::membership::register(db, &config)
        .await
        .context("cannot register this instance")?;
    let life = Arc::new(db::cluster::Life::default());
    let heart = db::heartbeat::Heartbeat::start(
        db::health::pg_url_with_timeouts(url),
        config.instance_id.clone(),
        config.lease_ttl,
        life.clone(),
    )
    .context("cannot start the cluster heartbeat")?;
    let membership = Membership::new(
        db.clone(),
        heart,
        life,
        supervisor.clone(),
        config.clone(),
        metrics.clone(),
    )
    .start();
    membership
        .send(crate::cluster::membership::Settle)
        .await
        .context("cluster membership unreachable")?;
    crate::cluster::wakeups::listen(
        db::health::pg_url_with_timeouts(url),
        membership.clone(),
        supervisor.clone(),
    )?;
    log::info!(
        "cluster: instance {} at {}",
        config.instance_id,
        config.advertise_url
    );
    Ok(Cluster { config, membership })
}

/// Seals webhook headers still stored in clear, then starts the webhook deliveries.
async fn start_deliveries(
    settings: &Settings,
    db: &Db,
    webhook_secrets: &Sealer,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Addr<DeliveryActor>> {
    let sealer = webhook_secrets.clone();
    let sealed = db
        .run(move |pool| crate::webhooks::sealed::seal_plaintext_rows(pool, &sealer))
        .await
        .context("cannot seal stored webhook headers")?;
    if sealed > 0 {
        log::info!("sealed the custom headers of {sealed} webhooks stored in clear");
    }
    Ok(DeliveryActor::new(
        db.clone(),
        DeliveryConfig {
            timeout: Duration::from_secs(settings.webhook_timeout_secs),
            schedule: RetrySchedule::new(settings.webhook_retry_schedule_secs.clone()),
            disable_after_ms: (settings.webhook_disable_after_secs * 1000) as i64,
            allow_private: settings.webhook_allow_private,
            concurrency: settings.webhook_concurrency,
            tenant_concurrency: settings.webhook_tenant_concurrency,
        },
        webhook_secrets.clone(),
        metrics.clone(),
    )
    .start())
}

/// What every HTTP handler shares.
/// The keys the API's handlers hold.
struct StateSecrets {
    admin_key: secrecy::SecretString,
    webhook_secrets: Sealer,
    session_proxies: Sealer,
    event_sinks: Sealer,
}

fn app_state(
    settings: &Settings,
    db: &Db,
    sessions: Sessions,
    metrics: Arc<Metrics>,
    secrets: StateSecrets,
) -> web::Data<AppState> {
    let audit = crate::audit::AuditLog::start(db.clone(), metrics.audit_dropped.clone());
    // On PostgreSQL several instances may serve the API: they share one budget there.
    let shared = matches!(db.pool(), db::DbPool::Postgres(_)).then(|| db.clone());
    let rate_limits = crate::api::rate_limit::RateLimits::new(
        settings.rate_limit_per_key,
        settings.rate_limit_per_tenant,
        settings.rate_limit_burst,
        shared,
    );
    web::Data::new(AppState {
        audit,
        rate_limits: Arc::new(rate_limits),
        db: db.clone(),
        started_at: db::now_ms(),
        sessions,
        metrics,
        admin_key: secrets.admin_key,
        webhook_secrets: secrets.webhook_secrets,
        session_proxies: secrets.session_proxies,
        event_sinks: secrets.event_sinks,
        allow_private: settings.webhook_allow_private,
        media_max_bytes: settings.media_max_bytes,
        default_quotas: settings.default_quotas(),
        secret_grace_ms: (settings.webhook_secret_grace_secs * 1000) as i64,
        hub: EventHub::new(db.clone()).start(),
        tickets: Default::default(),
        ws_queue: settings.ws_queue_capacity,
        ws_send_timeout: Duration::from_secs(settings.ws_send_timeout_secs),
    })
}

/// How sessions name the instance that runs them: its id, or `local` for a lone instance.
fn instance_name(settings: &Settings) -> String {
    match settings.instance_id.trim() {
        "" => "local".to_string(),
        id => id.to_string(),
    }
}

/// The jobs beside the sessions, and the sealers the API shares with them.
struct Jobs {
    delivery: Addr<DeliveryActor>,
    sinks: SinkRunner,
    webhook_secrets: Sealer,
    event_sinks: Sealer,
}

/// Starts webhook deliveries, retention, the orphan sweep, overdue sends and the event sinks.
async fn start_jobs(
    settings: &Settings,
    db: &Db,
    master_key: &[u8; 32],
    metrics: &Arc<Metrics>,
    owner: String,
) -> anyhow::Result<Jobs> {
    let webhook_secrets = Sealer::new(master_key, crate::engine::rekey::WEBHOOK_SECRET_PURPOSE);
    let delivery = start_deliveries(settings, db, &webhook_secrets, metrics).await?;
    start_retention(settings, db);
    if db.objects().is_some() {
        OrphanSweep::new(db.clone()).start();
    }
    OverdueSends::new(db.clone(), settings.schedule_max_lateness_ms()).start();
    let event_sinks = Sealer::new(master_key, crate::engine::rekey::EVENT_SINK_PURPOSE);
    let sinks = SinkRunner::start(SinkContext {
        db: db.clone(),
        sealer: event_sinks.clone(),
        metrics: metrics.clone(),
        owner,
        allow_private: settings.webhook_allow_private,
        lease_ttl: Duration::from_secs(settings.lease_ttl_secs.max(3)),
    });
    Ok(Jobs {
        delivery,
        sinks,
        webhook_secrets,
        event_sinks,
    })
}

/// With `media_store = "s3"`, the bucket new media bytes go to. An unreachable bucket at start
/// is only a warning: files are kept in it once it answers, and sends fail until then.
async fn attach_objects(settings: &Settings, db: Db) -> anyhow::Result<Db> {
    let Some(config) = settings.object_store()? else {
        return Ok(db);
    };
    let store = crate::db::objects::ObjectStore::new(&config)?;
    match store.check().await {
        Ok(()) => log::info!("media files are kept in bucket {}", store.bucket_name()),
        Err(e) => log::warn!(
            "media_store is s3 but bucket {} is not usable yet: {e}",
            store.bucket_name()
        ),
    }
    Ok(db.with_objects(store))
}

/// The retention job, when any retention is configured; it runs for the life of the process
/// (its interval keeps it alive).
fn start_retention(settings: &Settings, db: &Db) {
    let retention = settings.retention();
    if retention.is_active() {
        RetentionJob::new(db.clone(), retention).start();
    }
}

/// The HTTP server on `listener`: the API's route table (and `extra` routes beside it).
fn http_server(
    settings: &Settings,
    state: web::Data<AppState>,
    extra: Option<ExtraRoutes>,
    listener: TcpListener,
) -> anyhow::Result<Server> {
    let max_json = settings.max_json_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(api::json_config(max_json))
            .app_data(api::query_config())
            .app_data(api::path_config())
            .wrap(from_fn(api::record_request))
            .wrap(
                Logger::new(ACCESS_LOG_FORMAT)
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
    Ok(server.run())
}

/// SIGTERM with several instances: hand every session over before the process ends.
async fn drain(cluster: Option<&Cluster>) {
    if let Some(cluster) = cluster {
        let _ = cluster
            .membership
            .send(crate::cluster::membership::Drain)
            .await;
    }
}

pub struct RunningApp {
    pub addr: SocketAddr,
    handle: ServerHandle,
    pub supervisor: Addr<SupervisorActor>,
    delivery: Addr<DeliveryActor>,
    pub db: Db,
    lease: InstanceLease,
    cluster: Option<Cluster>,
    sinks: SinkRunner,
}

impl RunningApp {
    /// This instance's id in a cluster (PostgreSQL), `None` on SQLite.
    pub fn instance_id(&self) -> Option<&str> {
        self.cluster.as_ref().map(|c| c.config.instance_id.as_str())
    }

    pub async fn shutdown(self) {
        self.handle.stop(true).await;
        drain(self.cluster.as_ref()).await;
        self.sinks.stop().await;
        let _ = self.delivery.send(StopDeliveries).await;
        let _ = self.supervisor.send(Shutdown).await;
        drop(self.lease);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use actix_web::{HttpResponse, test, web};

    use super::*;

    /// Keeps every log line, to look for what must not be logged.
    struct Capture(Mutex<Vec<String>>);

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            let mut lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
            lines.push(record.args().to_string());
        }
        fn flush(&self) {}
    }

    static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

    #[actix_rt::test]
    async fn access_log_leaves_out_the_query_string() {
        log::set_logger(&CAPTURE).expect("no other logger in this test");
        log::set_max_level(log::LevelFilter::Info);
        let app = test::init_service(
            App::new()
                .wrap(
                    Logger::new(ACCESS_LOG_FORMAT)
                        .custom_request_replace("method", |req| req.method().to_string()),
                )
                .route("/api/v1/events/ws", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/api/v1/events/ws?ticket=wst_s3cr3tTicket&after=1")
            .to_request();
        test::call_service(&app, req).await;
        let lines = CAPTURE.0.lock().unwrap().clone();
        let line = lines
            .iter()
            .find(|l| l.contains("/api/v1/events/ws"))
            .expect("the request is logged");
        assert!(line.contains("GET /api/v1/events/ws"), "{line}");
        assert!(
            !line.contains("s3cr3t") && !line.contains("ticket"),
            "{line}"
        );
    }
}
