//! A WARAS instance per test, on a fresh database of either backend, driven over real HTTP.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};
use tempfile::TempDir;
use waras::app::{Application, RunningApp};
use waras::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

fn pg_base() -> String {
    std::env::var("WARAS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database that exists for one test and is dropped after it.
pub struct TestDatabase {
    pub url: String,
    pub dir: TempDir,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("waras.db").display());
                Self { url, dir }
            }
            Backend::Postgres => {
                let name = format!("waras_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::establish(&format!("{}/postgres", pg_base()))
                    .expect("PostgreSQL must be running on 127.0.0.1:5432 (see .ci/run)");
                drop_stale_databases(&mut admin);
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create database");
                Self {
                    // Loopback needs no TLS; libpq with TLS racing process exit crashes the test binary.
                    url: format!("{}/{name}?sslmode=disable", pg_base()),
                    dir,
                }
            }
        }
    }
}

/// Drops test databases left by runs that ended more than an hour ago. A test's own database is
/// not dropped when the test ends: its service's background threads may still be using it, and
/// yanking it (or exiting while libpq reconnects) crashes the test process.
fn drop_stale_databases(admin: &mut PgConnection) {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let Ok(names) = diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'waras_test_%'",
    )
    .load::<Name>(admin) else {
        return;
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    for Name { datname } in names {
        // The name ends in a UUIDv7, whose first 48 bits are its creation time in milliseconds.
        let created = datname
            .strip_prefix("waras_test_")
            .and_then(|hex| i64::from_str_radix(hex.get(..12)?, 16).ok());
        if created.is_some_and(|t| now_ms - t > 3_600_000) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .execute(admin);
        }
    }
}

pub fn settings_for(db: &TestDatabase) -> Settings {
    let mut s = Settings::defaults().expect("defaults");
    s.listen = "127.0.0.1:0".into();
    s.data_dir = db.dir.path().to_path_buf();
    s.database_url = db.url.clone().into();
    s.admin_key = ADMIN_KEY.to_string().into();
    s.master_key = "11".repeat(32).into();
    s.max_json_bytes = 64 * 1024;
    s.db_pool_size = 4;
    s.http_workers = 1;
    s.session_restart_max_backoff_secs = 2;
    s.webhook_allow_private = true;
    // Nothing listens there: sessions start and keep retrying without leaving the machine.
    s.wa_url = "ws://127.0.0.1:9/ws/chat".into();
    s.wa_version = "2.3000.1".into();
    s.webhook_retry_schedule_secs = vec![1, 1, 1, 2, 2];
    s.webhook_timeout_secs = 5;
    s
}

pub struct TestApp {
    pub app: Option<RunningApp>,
    pub base: String,
    pub client: awc::Client,
    pub db: TestDatabase,
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// Reads a whole response (up to 64 MiB).
    pub async fn read<S>(mut res: awc::ClientResponse<S>) -> Self
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let headers = res.headers().clone();
        let bytes = res.body().limit(64 << 20).await.expect("body").to_vec();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Self {
            status: res.status(),
            content_type,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).to_string(),
            bytes,
        }
    }

    /// A response header's value, empty when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a problem+json reply with this status and returns its `code`.
    pub fn problem(&self, status: u16) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.content_type, "application/problem+json",
            "body: {}",
            self.text
        );
        for field in ["type", "title", "status", "detail", "code"] {
            assert!(
                self.body.get(field).is_some(),
                "problem lacks `{field}`: {}",
                self.text
            );
        }
        assert_eq!(self.body["status"], json!(status));
        self.body["code"].as_str().unwrap_or_default().to_string()
    }

    /// Asserts a reply with this (success) status and returns its body.
    pub fn success(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self.body
    }

    /// The `data` array of a list reply (empty when there is none).
    pub fn data(&self) -> Vec<Value> {
        self.body["data"].as_array().cloned().unwrap_or_default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_on(TestDatabase::create(backend)).await
    }

    pub async fn spawn_on(db: TestDatabase) -> Self {
        Self::spawn_configured(db, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_configured(TestDatabase::create(backend), adjust).await
    }

    pub async fn spawn_configured(db: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> Self {
        let _ = env_logger::builder().is_test(true).try_init();
        let mut settings = settings_for(&db);
        adjust(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds")
            .spawn();
        let base = format!("http://{}", app.addr);
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        Self {
            app: Some(app),
            base,
            client,
            db,
        }
    }

    /// Stops this instance and starts a new one on the same database (a process restart).
    pub async fn restart(mut self) -> Self {
        self.shutdown().await;
        Self::spawn_on(self.db).await
    }

    /// Stops this instance and hands back its database (to start another on it).
    pub async fn into_db(mut self) -> TestDatabase {
        self.shutdown().await;
        self.db
    }

    pub async fn shutdown(&mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }

    pub fn running(&self) -> &RunningApp {
        self.app.as_ref().expect("app running")
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.insert_header(("X-Api-Key", key));
        }
        let res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b)
                    .await
            }
            None => req.send().await,
        };
        Reply::read(res.expect("request sent")).await
    }

    /// A request with any body and Content-Type (the other helpers send JSON only).
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let res = (self.client.request(method, format!("{}{path}", self.base)))
            .insert_header(("X-Api-Key", key))
            .insert_header(("Content-Type", content_type))
            .send_body(body)
            .await;
        Reply::read(res.expect("request sent")).await
    }

    pub async fn call(&self, method: Method, path: &str, key: &str, body: Option<Value>) -> Reply {
        self.raw(method, path, Some(key), body.map(|b| b.to_string()))
            .await
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.call(Method::GET, path, key, None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Reply {
        self.call(Method::POST, path, key, Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Reply {
        self.call(Method::DELETE, path, key, None).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, key, Some(body)).await
    }

    /// A new tenant and a key with every scope: (tenant id, key).
    pub async fn tenant(&self, name: &str) -> (String, String) {
        let t = self
            .post("/api/v1/tenants", ADMIN_KEY, json!({ "name": name }))
            .await;
        assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
        let id = t.body["id"].as_str().unwrap().to_string();
        let k = self
            .post(
                &format!("/api/v1/tenants/{id}/keys"),
                ADMIN_KEY,
                json!({"name": "owner", "scopes": ["read", "send", "manage"]}),
            )
            .await;
        assert_eq!(k.status, StatusCode::CREATED, "{}", k.text);
        (id, k.body["key"].as_str().unwrap().to_string())
    }

    pub async fn session(&self, key: &str, name: &str, start: bool) -> Value {
        let s = self
            .post(
                "/api/v1/sessions",
                key,
                json!({ "name": name, "start": start }),
            )
            .await;
        assert_eq!(s.status, StatusCode::CREATED, "{}", s.text);
        s.body
    }

    /// Creates a session (started or not) and returns its id.
    pub async fn session_id(&self, key: &str, name: &str, start: bool) -> String {
        let s = self.session(key, name, start).await;
        s["id"].as_str().expect("session id").to_string()
    }

    pub async fn key(&self, key: &str, body: Value) -> Reply {
        self.post("/api/v1/keys", key, body).await
    }

    /// A new key (`body` as the API takes it); the key itself.
    pub async fn new_key(&self, key: &str, body: Value) -> String {
        let created = self.key(key, body).await.success(201);
        created["key"].as_str().expect("key").to_string()
    }

    /// A new key of the tenant with these scopes; the key itself.
    pub async fn scoped_key(&self, key: &str, scopes: &[&str]) -> String {
        let body = json!({"name": scopes.join("+"), "scopes": scopes});
        self.new_key(key, body).await
    }

    /// Creates a webhook (`body` as the API takes it): (id, signing secret).
    pub async fn webhook(&self, key: &str, body: Value) -> (String, String) {
        let hook = self.post("/api/v1/webhooks", key, body).await.success(201);
        let text = |field: &str| hook[field].as_str().expect(field).to_string();
        (text("id"), text("secret"))
    }

    /// Rotates a webhook's signing secret; the new one.
    pub async fn rotate_secret(&self, key: &str, id: &str) -> String {
        let path = format!("/api/v1/webhooks/{id}/rotate-secret");
        let rotated = self.post(&path, key, json!({})).await.success(200);
        rotated["secret"].as_str().expect("secret").to_string()
    }

    /// How many session actors the supervisor runs.
    pub async fn running_sessions(&self) -> usize {
        let ask = waras::actors::RunningSessions;
        self.running()
            .supervisor
            .send(ask)
            .await
            .expect("supervisor")
    }

    /// The actor of session `sid`, when one runs.
    pub async fn actor_of(&self, sid: &str) -> Option<actix::Addr<waras::actors::SessionActor>> {
        let sid = waras::domain::SessionId::parse(sid).expect("session id");
        let ask = waras::actors::ActorAddr(sid);
        self.running()
            .supervisor
            .send(ask)
            .await
            .expect("supervisor")
    }

    /// Opens the event stream (`query` starts with `?` or is empty); the refusal's status.
    pub async fn event_stream(&self, query: &str, key: Option<&str>) -> Result<Socket, StatusCode> {
        let url = format!(
            "{}/api/v1/events/ws{query}",
            self.base.replace("http", "ws")
        );
        let mut req = self.client.ws(url);
        if let Some(key) = key {
            req = req.header("X-Api-Key", key);
        }
        match req.connect().await {
            Ok((_, socket)) => Ok(socket),
            Err(awc::error::WsClientError::InvalidResponseStatus(s)) => Err(s),
            Err(e) => panic!("ws connect: {e}"),
        }
    }
}

impl TestApp {
    /// The ids of the tenant's events (the first 200).
    pub async fn event_ids(&self, key: &str) -> Vec<String> {
        let events = self.get("/api/v1/events?limit=200", key).await.data();
        let ids = events.iter().map(|e| e["id"].as_str().expect("event id"));
        ids.map(String::from).collect()
    }

    /// Opens the event stream expecting a refusal; its status.
    pub async fn stream_refused(&self, query: &str, key: Option<&str>) -> StatusCode {
        match self.event_stream(query, key).await {
            Ok(_) => panic!("the stream opened for {query:?}"),
            Err(status) => status,
        }
    }
}

/// A client's end of the event stream.
pub type Socket = actix_codec::Framed<awc::BoxedSocket, awc::ws::Codec>;

/// The `waras` binary with a clean environment, on this database and its data directory (its
/// config directory inside, where there is none).
pub fn waras_cli(db: &TestDatabase) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_waras"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("WARAS_DATA_DIR", db.dir.path())
        .env("WARAS_DATABASE_URL", &db.url)
        .arg("--config-dir")
        .arg(db.dir.path().join("config"));
    cmd
}

/// Polls `check` until it returns Some, or panics after `secs`.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `check` every 50 ms until it answers `Ok`, or panics after `secs` naming `what` it
/// waited for and the last thing `check` saw (its `Err`).
pub async fn wait_until<T, S, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    S: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, S>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match check().await {
            Ok(v) => return v,
            Err(seen) => assert!(
                std::time::Instant::now() < deadline,
                "timed out after {secs} s waiting for {what}; last saw: {seen}"
            ),
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ends a passed test's process at once under nextest (one test per process): the services it
/// started are torn down by the OS instead of by exit handlers that race libpq on background
/// threads (which crashed passed PostgreSQL tests with SIGSEGV). Under `cargo test`, where many
/// tests share a process, it does nothing.
#[allow(
    unsafe_code,
    reason = "libc::_exit ends a passed test's process; see above"
)]
pub fn finish_passed_test() {
    if std::env::var_os("NEXTEST").is_some() {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: _exit only ends the process; nothing in this process needs to run after a
        // passed test.
        unsafe { libc::_exit(0) }
    }
}

/// Runs each named scenario `async fn name(backend: Backend)` once per storage backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $name() {
                super::$name($crate::common::Backend::Sqlite).await;
                $crate::common::finish_passed_test();
            } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $name() {
                super::$name($crate::common::Backend::Postgres).await;
                $crate::common::finish_passed_test();
            } )*
        }
    };
}
