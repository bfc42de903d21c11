//! The peer: N Baileys sockets (npm registry) in one Node.js process on the same sandbox
//! (benches/perf/peer/peer.mjs), measured the way WARAS is.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::config::Config;
use crate::procs::Proc;
use crate::stack::SandboxInfo;

/// How long one socket may take to link (or all of them to reconnect) before it is left out.
const LINK_TIMEOUT: Duration = Duration::from_secs(120);

/// Installs the peer's npm packages from its lock file when they are missing.
pub fn ensure_installed(dir: &Path) -> Result<()> {
    if dir.join("node_modules/baileys").is_dir() {
        return Ok(());
    }
    eprintln!("perf: installing the peer's packages (npm ci)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .context("npm (Node.js) is needed for the peer; PERF_PEER_SESSIONS=0 skips it")?;
    if !status.success() {
        bail!("npm ci failed in {}", dir.display());
    }
    Ok(())
}

/// Runs the peer over `phones` (accounts that exist already) and returns its result object.
pub fn run(
    cfg: &Config,
    sandbox: &SandboxInfo,
    phones: &[String],
    sinks: &[String],
    work: &Path,
) -> Result<(Value, u32)> {
    let dir = cfg.root.join("benches/perf/peer");
    ensure_installed(&dir)?;
    let auth = work.join("peer-auth");
    std::fs::create_dir_all(&auth)?;
    let conf = json!({
        "ws_url": sandbox.ws_url,
        "admin_url": sandbox.admin_url,
        "root_public_key": sandbox.root_public_key,
        "phones": phones,
        "sinks": sinks,
        "auth_dir": auth,
        "link_concurrency": cfg.link_concurrency,
        "link_timeout_secs": LINK_TIMEOUT.as_secs(),
        "settle_secs": cfg.settle.as_secs(),
        "idle_secs": cfg.idle.as_secs(),
        "send_secs": cfg.send_window.as_secs(),
        "send_concurrency": cfg.send_concurrency,
    });
    let conf_path = work.join("peer.json");
    std::fs::write(&conf_path, conf.to_string())?;
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir)
        .arg("--expose-gc")
        .arg("peer.mjs")
        .arg(&conf_path);
    let mut p = Proc::spawn("peer", cmd, &cfg.out.join("logs/peer.log"), true)?;
    let pid = p.pid();
    // Worst case: every round of link_concurrency sockets waits out the link timeout.
    let rounds = phones.len().div_ceil(cfg.link_concurrency.max(1)) as u32;
    let limit = Duration::from_secs(300)
        + LINK_TIMEOUT * (rounds + 1)
        + cfg.idle
        + cfg.settle * 2
        + cfg.send_window;
    let result = p.wait_stdout(limit, |line| {
        let v: Value = serde_json::from_str(line).ok()?;
        v.get("result").cloned()
    })?;
    let _ = p.terminate(Duration::from_secs(5));
    Ok((result, pid))
}
