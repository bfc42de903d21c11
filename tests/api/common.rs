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
    pub body: Value,
    pub text: String,
}

impl Reply {
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
        let mut res = res.expect("request sent");
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = res.body().limit(16 * 1024 * 1024).await.expect("body");
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            body,
            text,
        }
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

    pub async fn key(&self, key: &str, body: Value) -> Reply {
        self.post("/api/v1/keys", key, body).await
    }
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
