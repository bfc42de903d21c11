//! The two processes under test: `waras sandbox` (the WhatsApp network) and `waras serve`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use crate::config::Config;
use crate::http::Http;
use crate::procs::{Proc, free_port};

/// The binary under test: this build's, or PERF_WARAS_BIN (to compare two builds).
pub fn waras_bin() -> String {
    std::env::var("PERF_WARAS_BIN")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_waras").to_string())
}
const ADMIN_KEY: &str = "perf-admin-key-0123456789abcdef0123";
const MASTER_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// What `waras sandbox` prints when it is up.
#[derive(Clone, Debug)]
pub struct SandboxInfo {
    pub ws_url: String,
    /// `http://127.0.0.1:PORT/sandbox`
    pub admin_url: String,
    pub root_public_key: String,
}

pub fn start_sandbox(cfg: &Config, data: &Path) -> Result<(Proc, SandboxInfo)> {
    let port = free_port()?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waras"));
    cmd.current_dir(&cfg.root)
        .args(["sandbox", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data.join("sandbox"))
        .env("WARAS_LOG", "warn")
        .env("RUST_LOG", "warn");
    let mut p = Proc::spawn("sandbox", cmd, &cfg.out.join("logs/sandbox.log"), true)?;
    let info = p.wait_stdout(Duration::from_secs(30), |line| {
        let v: Value = serde_json::from_str(line).ok()?;
        Some(SandboxInfo {
            ws_url: v["ws_url"].as_str()?.to_string(),
            admin_url: v["admin_url"].as_str()?.trim_end_matches('/').to_string(),
            root_public_key: v["root_public_key"].as_str()?.to_string(),
        })
    })?;
    Ok((p, info))
}

/// One `waras serve` process on a data dir that survives its restarts.
pub struct Waras {
    pub proc: Proc,
    pub base: String,
    pub admin_key: String,
    pub started: Instant,
}

pub struct WarasSpec {
    pub data_dir: PathBuf,
    pub port: u16,
    pub ws_url: String,
    pub database_url: Option<String>,
    pub log: PathBuf,
}

impl WarasSpec {
    pub fn new(cfg: &Config, data: &Path, ws_url: &str) -> Result<Self> {
        let data_dir = data.join("waras");
        std::fs::create_dir_all(&data_dir)?;
        Ok(Self {
            data_dir,
            port: free_port()?,
            ws_url: ws_url.to_string(),
            database_url: cfg.database_url.clone(),
            log: cfg.out.join("logs/waras.log"),
        })
    }

    pub fn start(&self, root: &Path) -> Result<Waras> {
        let mut cmd = Command::new(waras_bin());
        cmd.current_dir(root)
            .arg("serve")
            .env("WARAS_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("WARAS_DATA_DIR", &self.data_dir)
            .env("WARAS_ADMIN_KEY", ADMIN_KEY)
            .env("WARAS_MASTER_KEY", MASTER_KEY)
            .env("WARAS_WA_URL", &self.ws_url)
            // No fetch of the current WhatsApp Web version from the internet.
            .env("WARAS_WA_VERSION", "2.3000.1")
            .env("WARAS_LOG", "warn")
            .env("RUST_LOG", "warn");
        match &self.database_url {
            Some(u) => cmd.env("WARAS_DATABASE_URL", u),
            None => cmd.env_remove("WARAS_DATABASE_URL"),
        };
        let started = Instant::now();
        let proc = Proc::spawn("waras", cmd, &self.log, false)?;
        Ok(Waras {
            proc,
            base: format!("http://127.0.0.1:{}", self.port),
            admin_key: ADMIN_KEY.to_string(),
            started,
        })
    }
}

impl Waras {
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Waits for /readyz 200; returns the time since the process was started.
    pub async fn ready(&mut self, http: &Http, limit: Duration) -> Result<Duration> {
        let url = format!("{}/readyz", self.base);
        while self.started.elapsed() < limit {
            if !self.proc.running() {
                bail!("waras exited; see {}", self.proc.log.display());
            }
            if let Ok(r) = http.get(&url, None).await
                && r.status == 200
            {
                return Ok(self.started.elapsed());
            }
            actix_rt::time::sleep(Duration::from_millis(10)).await;
        }
        Err(anyhow!("waras not ready within {limit:?}"))
    }

    /// A tenant and a key with every scope.
    pub async fn tenant(&self, http: &Http) -> Result<String> {
        let t = http
            .post_ok(
                &self.api("/tenants"),
                Some(&self.admin_key),
                &json!({"name": "perf"}),
            )
            .await?;
        let id = t["id"].as_str().context("tenant id")?;
        let k = http
            .post_ok(
                &self.api(&format!("/tenants/{id}/keys")),
                Some(&self.admin_key),
                &json!({"name": "perf", "scopes": ["read", "send", "manage"]}),
            )
            .await?;
        Ok(k["key"].as_str().context("key")?.to_string())
    }

    /// Every session of the tenant: (id, name, status).
    pub async fn sessions(&self, http: &Http, key: &str) -> Result<Vec<(String, String, String)>> {
        Ok(self
            .session_rows(http, key)
            .await?
            .into_iter()
            .map(|s| {
                let field = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                (field("id"), field("name"), field("status"))
            })
            .collect())
    }

    /// Every session of the tenant, as the API shows it.
    async fn session_rows(&self, http: &Http, key: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => self.api(&format!("/sessions?limit=200&cursor={c}")),
                None => self.api("/sessions?limit=200"),
            };
            let page = http.get_ok(&url, Some(key)).await?;
            out.extend(page["data"].as_array().into_iter().flatten().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return Ok(out),
            }
        }
    }

    /// How many sessions became WORKING at or after `since` (a status the process before a
    /// restart wrote, and no one changed since, is not counted).
    pub async fn working_since(
        &self,
        http: &Http,
        key: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize> {
        Ok(self
            .session_rows(http, key)
            .await?
            .iter()
            .filter(|s| s["status"] == "WORKING")
            .filter(|s| {
                s["updated_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t >= since)
            })
            .count())
    }

    /// How many sessions are WORKING.
    pub async fn working(&self, http: &Http, key: &str) -> Result<usize> {
        Ok(self
            .sessions(http, key)
            .await?
            .iter()
            .filter(|s| s.2 == "WORKING")
            .count())
    }
}
