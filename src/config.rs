//! Layered configuration: embedded defaults → `config/*.toml` (name order) → `WARAS_*` environment.
//! Unknown keys are rejected by name; secrets are wrapped so they never print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::db::DatabaseTarget;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// Where media bytes are kept (`media_store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaStoreKind {
    Database,
    S3,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    pub admin_key: SecretString,
    pub master_key: SecretString,
    pub wa_url: String,
    pub webhook_allow_private: bool,
    pub max_json_bytes: usize,
    pub media_max_bytes: usize,
    pub media_store: MediaStoreKind,
    pub s3_bucket: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: SecretString,
    pub s3_path_style: bool,
    pub db_pool_size: u32,
    pub db_probe_timeout_ms: u64,
    pub db_statement_timeout_secs: u64,
    pub http_workers: usize,
    pub session_restart_max_backoff_secs: u64,
    pub webhook_timeout_secs: u64,
    pub webhook_retry_schedule_secs: Vec<u64>,
    pub webhook_disable_after_secs: u64,
    pub webhook_secret_grace_secs: u64,
    pub webhook_concurrency: usize,
    pub webhook_tenant_concurrency: usize,
    pub ws_queue_capacity: usize,
    pub ws_send_timeout_secs: u64,
    pub wa_version: String,
    pub engine_threads: usize,
    pub store_presence_events: bool,
    pub event_retention_days: u32,
    pub message_retention_days: u32,
    pub media_retention_days: u32,
    pub audit_retention_days: u32,
    pub schedule_max_lateness_secs: u64,
    pub instance_id: String,
    pub advertise_url: String,
    pub cluster_secret: SecretString,
    pub max_sessions: u32,
    pub lease_ttl_secs: u64,
    pub drain_timeout_secs: u64,
    pub rate_limit_per_key: u32,
    pub rate_limit_per_tenant: u32,
    pub rate_limit_burst: u32,
    pub quota_sessions: u64,
    pub quota_messages_per_day: u64,
    pub quota_media_bytes: u64,
    pub quota_webhooks: u64,
}

impl Settings {
    /// Reads the layers. `config_dir` holds optional `*.toml` files.
    pub fn load(config_dir: &Path) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if config_dir.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(config_dir)
                .with_context(|| format!("cannot read {}", config_dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for file in files {
                figment = figment.merge(Toml::file(file));
            }
        }
        figment = figment.merge(Env::prefixed("WARAS_").ignore(&[
            "LOG",
            "NEW_MASTER_KEY",
            "SQL_PROFILE",
        ]));
        let settings: Settings = figment.extract().map_err(|e| {
            let messages: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
            anyhow::anyhow!("invalid configuration: {}", messages.join("; "))
        })?;
        settings.validate_values()?;
        Ok(settings)
    }

    /// The embedded defaults alone (tests and tools adjust fields from here).
    pub fn defaults() -> anyhow::Result<Self> {
        Figment::from(Toml::string(DEFAULTS))
            .extract()
            .context("embedded default configuration is invalid")
    }

    fn validate_values(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        self.database()?;
        anyhow::ensure!(self.db_pool_size >= 2, "db_pool_size must be at least 2");
        anyhow::ensure!(
            (50..=60_000).contains(&self.db_probe_timeout_ms),
            "db_probe_timeout_ms must be between 50 and 60000"
        );
        anyhow::ensure!(
            self.max_json_bytes >= 1024,
            "max_json_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.media_max_bytes >= 1024,
            "media_max_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.webhook_concurrency >= 1 && self.webhook_tenant_concurrency >= 1,
            "webhook_concurrency and webhook_tenant_concurrency must be at least 1"
        );
        anyhow::ensure!(
            (1..=31_536_000).contains(&self.schedule_max_lateness_secs),
            "schedule_max_lateness_secs must be between 1 and 31536000 (a year)"
        );
        self.pinned_wa_version()?;
        self.object_store()?;
        let key = self.master_key.expose_secret();
        if !key.is_empty() {
            parse_master_key(key)?;
        }
        Ok(())
    }

    /// Everything [`Settings::validate_values`] checks, plus what depends on the final wiring: a
    /// sandbox build only talks to loopback.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.validate_values()?;
        if cfg!(feature = "sandbox") {
            let url = url::Url::parse(&self.wa_url).context("wa_url is not a URL")?;
            let loopback = url
                .host()
                .is_some_and(|h| crate::loopback::is_loopback_host(&h));
            anyhow::ensure!(
                loopback,
                "this is a sandbox build (certificate verification off): wa_url must be on loopback, not {}",
                self.wa_url
            );
        }
        let key = self.master_key.expose_secret();
        if !key.is_empty() {
            parse_master_key(key)?;
        }
        Ok(())
    }

    /// `wa_version` as (primary, secondary, tertiary), `None` when empty.
    pub fn schedule_max_lateness_ms(&self) -> i64 {
        // At most a year (checked at load), so this never wraps.
        i64::try_from(self.schedule_max_lateness_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 4)
    }

    pub fn pinned_wa_version(&self) -> anyhow::Result<Option<(u32, u32, u32)>> {
        if self.wa_version.trim().is_empty() {
            return Ok(None);
        }
        let parts: Vec<u32> = self
            .wa_version
            .trim()
            .split('.')
            .map(|p| p.parse::<u32>())
            .collect::<Result<_, _>>()
            .ok()
            .filter(|v: &Vec<u32>| v.len() == 3)
            .context("wa_version must look like 2.3000.1029496320")?;
        Ok(Some((parts[0], parts[1], parts[2])))
    }

    /// Every tenant's quotas unless the admin set its own (0: no limit).
    pub fn default_quotas(&self) -> crate::domain::Quotas {
        let limit = |n: u64| (n > 0).then_some(n);
        crate::domain::Quotas {
            sessions: limit(self.quota_sessions),
            messages_per_day: limit(self.quota_messages_per_day),
            media_bytes: limit(self.quota_media_bytes),
            webhooks: limit(self.quota_webhooks),
        }
    }

    /// The bucket media bytes go to, when `media_store = "s3"`.
    pub fn object_store(&self) -> anyhow::Result<Option<crate::db::objects::BucketConfig>> {
        match self.media_store {
            MediaStoreKind::Database => Ok(None),
            MediaStoreKind::S3 => self.bucket().map(Some),
        }
    }

    /// The bucket the `s3_*` settings name, whatever `media_store` says (`waras media migrate`
    /// reads from it when moving files back into the database).
    pub fn bucket(&self) -> anyhow::Result<crate::db::objects::BucketConfig> {
        anyhow::ensure!(
            !self.s3_bucket.trim().is_empty(),
            "object storage needs s3_bucket"
        );
        anyhow::ensure!(
            !self.s3_region.trim().is_empty(),
            "object storage needs s3_region"
        );
        let endpoint = if self.s3_endpoint.trim().is_empty() {
            format!("https://s3.{}.amazonaws.com", self.s3_region.trim())
        } else {
            self.s3_endpoint.trim().to_string()
        };
        let endpoint = url::Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .with_context(|| format!("s3_endpoint must be an http(s) URL, not {endpoint:?}"))?;
        Ok(crate::db::objects::BucketConfig {
            endpoint,
            bucket: self.s3_bucket.trim().to_string(),
            region: self.s3_region.trim().to_string(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            path_style: self.s3_path_style,
        })
    }

    /// The retention settings, for the purge job.
    pub fn retention(&self) -> crate::db::retention::RetentionPolicy {
        crate::db::retention::RetentionPolicy {
            event_days: self.event_retention_days,
            message_days: self.message_retention_days,
            media_days: self.media_retention_days,
            audit_days: self.audit_retention_days,
        }
    }

    pub fn database_url_is_postgres(&self) -> bool {
        matches!(self.database(), Ok(DatabaseTarget::Postgres(_)))
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().with_context(|| {
            format!(
                "listen `{}` is not an address like 127.0.0.1:8080",
                self.listen
            )
        })
    }

    pub fn database(&self) -> anyhow::Result<DatabaseTarget> {
        let url = self.database_url.expose_secret();
        if url.is_empty() {
            Ok(DatabaseTarget::Sqlite(self.data_dir.join("waras.db")))
        } else {
            DatabaseTarget::parse(url)
        }
    }
}

/// Keys the service runs with, after zero-config generation.
#[derive(Clone)]
pub struct Secrets {
    pub admin_key: SecretString,
    pub master_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([REDACTED])")
    }
}

impl Secrets {
    /// Uses the configured keys, or reads/creates `admin.key` and `master.key` in the data dir.
    pub fn resolve(settings: &Settings) -> anyhow::Result<Self> {
        let admin = settings.admin_key.expose_secret().to_string();
        let admin_key = if admin.is_empty() {
            key_file(&settings.data_dir.join("admin.key"), || {
                format!("waras_admin_{}", crate::auth::random_base62(40))
            })?
        } else {
            admin
        };
        anyhow::ensure!(
            admin_key.len() >= 16,
            "admin_key must be at least 16 characters"
        );
        let master = settings.master_key.expose_secret().to_string();
        let master_hex = if master.is_empty() {
            key_file(&settings.data_dir.join("master.key"), || {
                hex::encode(rand::thread_rng().r#gen::<[u8; 32]>())
            })?
        } else {
            master
        };
        Ok(Self {
            admin_key: SecretString::from(admin_key),
            master_key: parse_master_key(&master_hex)?,
        })
    }
}

/// A master key from its 64 hex characters.
pub fn parse_master_key(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .context("master_key must be 64 hex characters (32 bytes)")?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Reads a key file, creating it (mode 0600) with `generate` when absent. Logs the path, never the value.
fn key_file(path: &Path, generate: impl FnOnce() -> String) -> anyhow::Result<String> {
    if path.exists() {
        let value = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(value.trim().to_string());
    }
    if let Some(dir) = path.parent() {
        crate::db::files::private_dir(dir)?;
    }
    let value = generate();
    match write_private(path, &value) {
        Ok(()) => {}
        // Another instance sharing the data directory generated it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let theirs = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            anyhow::ensure!(
                !theirs.trim().is_empty(),
                "{} is being written by another process; start again",
                path.display()
            );
            return Ok(theirs.trim().to_string());
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
    }
    log::warn!(
        "generated {} (keep it safe; it is read at every start)",
        path.display()
    );
    Ok(value)
}

#[cfg(unix)]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(value.as_bytes())?;
    f.write_all(b"\n")
}

#[cfg(not(unix))]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, format!("{value}\n"))
}
