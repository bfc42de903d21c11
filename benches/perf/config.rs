//! What a run measures, from environment variables (defaults = the full run of issue 8).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

#[derive(Clone, Debug)]
pub struct Config {
    /// Session counts at which memory is measured, ascending; the last is also the restart,
    /// idle-CPU and send population.
    pub sessions: Vec<usize>,
    /// Baileys sockets of the peer (0: no peer).
    pub peer_sessions: usize,
    pub database_url: Option<String>,
    /// Quiet time before a memory reading.
    pub settle: Duration,
    /// Window of the idle-CPU reading.
    pub idle: Duration,
    /// Sessions linked at once.
    pub link_concurrency: usize,
    /// Length of the closed-loop throughput window.
    pub send_window: Duration,
    /// Sessions that send in the throughput and latency phases.
    pub send_sessions: usize,
    /// Concurrent HTTP clients of the throughput phase.
    pub send_concurrency: usize,
    /// Receiving accounts (phones with no linked device).
    pub sinks: usize,
    /// Offered load of the latency phase, requests/s (open loop).
    pub rate: u64,
    pub latency_window: Duration,
    /// Record `perf` profiles of the link and send phases.
    pub profile: bool,
    /// Rewrite the README's performance section from the results.
    pub readme: bool,
    pub out: PathBuf,
    pub root: PathBuf,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn num(name: &str, default: u64) -> Result<u64> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow!("{name}={v:?}: not a number")),
    }
}

fn flag(name: &str, default: bool) -> bool {
    match var(name) {
        None => default,
        Some(v) => !matches!(v.trim(), "0" | "false" | "no" | "off"),
    }
}

impl Config {
    pub fn from_env() -> Result<Self> {
        let mut sessions = match var("PERF_SESSIONS") {
            None => vec![100, 500, 1000],
            Some(v) => v
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse::<usize>()
                        .map_err(|_| anyhow!("PERF_SESSIONS: {s:?} is not a number"))
                })
                .collect::<Result<Vec<_>>>()?,
        };
        sessions.sort_unstable();
        sessions.dedup();
        sessions.retain(|&n| n > 0);
        if sessions.is_empty() {
            bail!("PERF_SESSIONS names no session count");
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let max = *sessions.last().unwrap_or(&1);
        Ok(Self {
            peer_sessions: num("PERF_PEER_SESSIONS", 100)? as usize,
            database_url: var("PERF_DATABASE_URL"),
            settle: Duration::from_secs(num("PERF_SETTLE_SECS", 10)?),
            idle: Duration::from_secs(num("PERF_IDLE_SECS", 30)?),
            link_concurrency: num("PERF_LINK_CONCURRENCY", 16)?.max(1) as usize,
            send_window: Duration::from_secs(num("PERF_SEND_SECS", 30)?.max(1)),
            send_sessions: (num("PERF_SEND_SESSIONS", 100)? as usize).clamp(1, max),
            send_concurrency: num("PERF_SEND_CONCURRENCY", 32)?.max(1) as usize,
            sinks: num("PERF_SINKS", 10)?.max(1) as usize,
            rate: num("PERF_RATE", 500)?.max(1),
            latency_window: Duration::from_secs(num("PERF_LATENCY_SECS", 20)?.max(1)),
            profile: flag("PERF_PROFILE", false),
            readme: flag("PERF_README", true),
            out: var("PERF_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target/perf")),
            sessions,
            root,
        })
    }

    pub fn max_sessions(&self) -> usize {
        *self.sessions.last().unwrap_or(&0)
    }

    pub fn backend(&self) -> &'static str {
        match &self.database_url {
            Some(u) if u.starts_with("postgres") => "PostgreSQL",
            _ => "SQLite",
        }
    }
}
