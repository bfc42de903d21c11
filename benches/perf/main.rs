//! The performance harness of issue 8 (a benchmark, not a test). One command:
//!
//!     cargo bench --features sandbox,bundled --bench perf
//!
//! (`bundled` links OpenSSL and libpq in, as the container image's build does; without it the
//! process also maps the system's shared libraries, which its RSS counts.)
//!
//! It starts `waras sandbox` and `waras serve` (release build, SQLite by default) as their own
//! processes, links sessions to sandbox accounts over the REST API and measures, in one run:
//! RSS per linked idle session at each PERF_SESSIONS count, idle CPU and restart-to-WORKING time at
//! the largest count, 1:1 text sends through the API (throughput across many sessions and latency
//! at a fixed offered load), and the same figures for a peer — N Baileys sockets in one Node.js
//! process on the same sandbox. Writes target/perf/results.json and results.md and rewrites the
//! README's performance section (between `<!-- perf:begin -->` and `<!-- perf:end -->`).
//!
//! Env (defaults = the full run): PERF_SESSIONS (100,500,1000), PERF_PEER_SESSIONS (100; 0 = no
//! peer), PERF_DATABASE_URL (postgres://…; default SQLite), PERF_SETTLE_SECS (10), PERF_IDLE_SECS
//! (30), PERF_LINK_CONCURRENCY (16), PERF_SEND_SECS (30), PERF_SEND_SESSIONS (100),
//! PERF_SEND_CONCURRENCY (32), PERF_SINKS (10), PERF_RATE (500 req/s), PERF_LATENCY_SECS (20),
//! PERF_PROFILE (1 = `perf record` the link, idle and send phases into target/perf/*.data),
//! PERF_README (0 = leave the README alone), PERF_OUT (target/perf), PERF_WARAS_BIN (another
//! `waras` binary to measure, e.g. a copy of an earlier build, for before/after figures),
//! PERF_FROM_JSON (a results.json: only regenerate results.md and the README from it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

mod config;
mod http;
mod link;
mod peer;
mod plot;
mod procs;
mod report;
mod sends;
mod stack;
mod tables;
mod targets;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::config::Config;
use crate::http::{Http, percentile};
use crate::procs::{Profiler, cpu_secs, loadavg, rss_bytes, threads};
use crate::sends::{Route, Target};
use crate::stack::{WarasSpec, start_sandbox};

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let code = match Config::from_env().and_then(|cfg| {
        if let Ok(path) = std::env::var("PERF_FROM_JSON") {
            let results: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
            return report::write(&cfg, &results);
        }
        actix_rt::System::new().block_on(run(cfg))
    }) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("perf: FAILED: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn say(msg: impl AsRef<str>) {
    eprintln!(
        "perf [{}] {} (load {:.2})",
        chrono::Utc::now().format("%H:%M:%S"),
        msg.as_ref(),
        loadavg()
    );
}

const MIB: f64 = 1024.0 * 1024.0;

/// RSS averaged over a few readings a little apart (allocators breathe).
async fn rss_avg(pid: u32) -> Result<u64> {
    let mut sum = 0;
    for _ in 0..5 {
        sum += rss_bytes(pid)?;
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(sum / 5)
}

/// CPU % of one core of each pid over `window`.
async fn cpu_over(pids: &[u32], window: Duration) -> Result<Vec<f64>> {
    let before = pids
        .iter()
        .map(|&p| cpu_secs(p))
        .collect::<Result<Vec<_>>>()?;
    let start = Instant::now();
    actix_rt::time::sleep(window).await;
    let secs = start.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(&p, b)| Ok((cpu_secs(p)? - b) / secs * 100.0))
        .collect()
}

fn profile_start(cfg: &Config, pid: u32, phase: &str) -> Option<Profiler> {
    if !cfg.profile {
        return None;
    }
    match Profiler::attach(pid, cfg.out.join(format!("waras-{phase}.data"))) {
        Ok(p) => Some(p),
        Err(e) => {
            say(format!("no profile of {phase}: {e:#}"));
            None
        }
    }
}

fn profile_end(p: Option<Profiler>) {
    if let Some(p) = p {
        match p.finish() {
            Ok(path) => say(format!("profile written to {}", path.display())),
            Err(e) => say(format!("profile failed: {e:#}")),
        }
    }
}

async fn run(cfg: Config) -> Result<()> {
    std::fs::create_dir_all(cfg.out.join("logs"))?;
    for log in ["sandbox.log", "waras.log", "peer.log"] {
        let _ = std::fs::remove_file(cfg.out.join("logs").join(log));
    }
    let work = tempfile::Builder::new()
        .prefix("work-")
        .tempdir_in(&cfg.out)
        .context("work dir")?;
    let http = Http::new();
    let started_at = chrono::Utc::now();
    let max = cfg.max_sessions();
    say(format!(
        "sessions {:?}, peer {}, backend {}, binary {}",
        cfg.sessions,
        cfg.peer_sessions,
        cfg.backend(),
        stack::waras_bin()
    ));

    // The network: the receivers and the peer's accounts now, and each step's session accounts
    // before that step (so a step's idle figures count the sandbox with that many accounts, not
    // with the largest step's idle phones).
    let (sandbox_proc, sb) = start_sandbox(&cfg, work.path())?;
    let sandbox_pid = sandbox_proc.pid();
    let phones: Vec<String> = (0..max).map(link::session_phone).collect();
    let sinks: Vec<String> = (0..cfg.sinks).map(link::sink_phone).collect();
    let peer_phones: Vec<String> = (0..cfg.peer_sessions).map(link::peer_phone).collect();
    let others: Vec<String> = sinks.iter().chain(&peer_phones).cloned().collect();
    link::create_accounts(&http, &sb, others, 16).await?;

    // WARAS, cold.
    let spec = WarasSpec::new(&cfg, work.path(), &sb.ws_url)?;
    let mut waras = spec.start(&cfg.root)?;
    let cold_ready = waras.ready(&http, Duration::from_secs(60)).await?;
    let key = waras.tenant(&http).await?;
    actix_rt::time::sleep(cfg.settle.min(Duration::from_secs(5))).await;
    let rss0 = rss_avg(waras.pid()).await?;
    say(format!(
        "waras ready in {} ms, baseline RSS {:.1} MiB",
        cold_ready.as_millis(),
        rss0 as f64 / MIB
    ));

    // 1. Memory per linked, idle session at each count; idle CPU and a restart at each count too
    // (the cost curve).
    let mut steps = Vec::new();
    let mut linked_total = 0usize;
    let mut link_times: Vec<f64> = Vec::new();
    let mut scan_times: Vec<f64> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut prev = 0;
    let mut idle = Value::Null;
    let mut restart = Value::Null;
    for (i, &n) in cfg.sessions.iter().enumerate() {
        let prof = if i == 0 {
            profile_start(&cfg, waras.pid(), "link")
        } else {
            None
        };
        link::create_accounts(&http, &sb, phones[prev..n].to_vec(), 16).await?;
        let l = link::link_range(&http, &waras, &sb, &key, prev, n, cfg.link_concurrency).await;
        profile_end(prof);
        linked_total += l.ids.len();
        link_times.extend(&l.per_session);
        scan_times.extend(&l.scan_to_working);
        failures.extend(l.failures.iter().take(5).cloned());
        let mut step_times = l.per_session.clone();
        step_times.sort_by(f64::total_cmp);
        let mut step_scans = l.scan_to_working.clone();
        step_scans.sort_by(f64::total_cmp);
        say(format!(
            "linked {}..{} in {:.1} s ({} failed), scan → WORKING p50 {:.2} s",
            prev,
            n,
            l.wall.as_secs_f64(),
            l.failures.len(),
            percentile(&step_scans, 0.5)
        ));
        actix_rt::time::sleep(cfg.settle).await;
        let working = waras.working(&http, &key).await?;
        let rss = rss_avg(waras.pid()).await?;
        let per = (rss.saturating_sub(rss0)) as f64 / working.max(1) as f64;
        say(format!(
            "{working} WORKING: RSS {:.1} MiB, {:.3} MiB per session",
            rss as f64 / MIB,
            per / MIB
        ));
        idle = idle_cpu(&cfg, waras.pid(), sandbox_pid, linked_total).await?;
        let restarted;
        (restarted, restart) =
            restart_all(&cfg, &spec, waras, &http, &key, linked_total, rss0).await?;
        waras = restarted;
        steps.push(json!({
            "sessions": n,
            "working": working,
            "rss_bytes": rss,
            "rss_over_baseline_bytes": rss.saturating_sub(rss0),
            "rss_per_session_bytes": per,
            "threads": threads(waras.pid()),
            "sandbox_rss_bytes": rss_bytes(sandbox_pid).unwrap_or(0),
            "linked": l.ids.len(),
            "link_failures": l.failures.len(),
            "link_wall_s": l.wall.as_secs_f64(),
            "link_p50_s": percentile(&step_times, 0.5),
            "link_p99_s": percentile(&step_times, 0.99),
            "scan_p50_s": percentile(&step_scans, 0.5),
            "scan_p99_s": percentile(&step_scans, 0.99),
            "idle_cpu_percent": idle["waras_cpu_percent"],
            "sandbox_cpu_percent": idle["sandbox_cpu_percent"],
            "restart_all_working_s": restart["all_working_s"],
            "restart_ready_ms": restart["ready_ms"],
            "rss_after_restart_bytes": restart["rss_after_bytes"],
            "load": loadavg(),
        }));
        prev = n;
    }

    // 3. Sends through the REST API.
    let mut sessions = waras.sessions(&http, &key).await?;
    sessions.retain(|s| s.2 == "WORKING");
    sessions.sort_by(|a, b| a.1.cmp(&b.1));
    let routes: Vec<Route> = sessions
        .iter()
        .take(cfg.send_sessions)
        .enumerate()
        .map(|(i, s)| Route {
            session: s.0.clone(),
            to: sinks[i % sinks.len()].clone(),
        })
        .collect();
    let target = Target {
        base: waras.base.clone(),
        key: key.clone(),
    };
    let warmed = sends::warm_up(&http, &target, &routes).await?;
    say(format!("warm-up: {warmed}/{} sent", routes.len()));
    let prof = profile_start(&cfg, waras.pid(), "send");
    let cpu_before = (cpu_secs(waras.pid())?, cpu_secs(sandbox_pid)?);
    let tp = sends::throughput(
        &http,
        &target,
        &routes,
        cfg.send_window,
        cfg.send_concurrency,
    )
    .await?;
    let cpu_after = (cpu_secs(waras.pid())?, cpu_secs(sandbox_pid)?);
    profile_end(prof);
    say(format!(
        "throughput: {:.0} accepted/s, {:.0} sent/s, {:.0} delivered/s, API p50 {:.1} ms p99 {:.1} ms",
        tp.accepted_per_s, tp.sent_per_s, tp.delivered_per_s, tp.api_p50_ms, tp.api_p99_ms
    ));
    // A fresh client: the closed-loop phase can leave the first one's connection pool broken.
    let lat = sends::latency(&Http::new(), &target, &routes, cfg.rate, cfg.latency_window).await?;
    say(format!(
        "latency at {}/s: p50 {:.1} ms, p99 {:.1} ms ({} not accepted)",
        lat.offered_per_s, lat.p50_ms, lat.p99_ms, lat.not_accepted
    ));
    let sends = json!({
        "sessions": routes.len(),
        "sinks": sinks.len(),
        "warmed_up": warmed,
        "throughput": sends::to_value(&tp),
        "waras_cpu_s": cpu_after.0 - cpu_before.0,
        "sandbox_cpu_s": cpu_after.1 - cpu_before.1,
        "waras_cpu_ms_per_message": (cpu_after.0 - cpu_before.0) * 1000.0 / tp.sent.max(1) as f64,
        "latency": sends::to_value(&lat),
        "load": loadavg(),
    });
    let rss_final = rss_bytes(waras.pid()).unwrap_or(0);
    waras.proc.terminate(Duration::from_secs(60))?;

    // 4. The peer on the same sandbox (WARAS stopped, so it has the machine to itself).
    let peer = if cfg.peer_sessions > 0 {
        say(format!("peer: {} Baileys sockets", cfg.peer_sessions));
        match peer::run(&cfg, &sb, &peer_phones, &sinks, work.path()) {
            Ok((mut v, _)) => {
                v["load"] = json!(loadavg());
                say(format!("peer: {v}"));
                v
            }
            Err(e) => {
                say(format!("peer failed: {e:#}"));
                json!({"error": format!("{e:#}")})
            }
        }
    } else {
        Value::Null
    };
    drop(sandbox_proc.terminate(Duration::from_secs(10)));

    scan_times.sort_by(f64::total_cmp);
    let mut sorted_links = link_times.clone();
    sorted_links.sort_by(f64::total_cmp);
    let results = json!({
        "date": started_at.to_rfc3339(),
        "duration_s": (chrono::Utc::now() - started_at).num_seconds(),
        "command": command_line(),
        "git": git_rev(&cfg),
        "machine": {
            "nproc": procs::nproc(),
            "mem_total_bytes": procs::mem_total(),
            "cpu": procs::cpu_model(),
            "load_at_end": loadavg(),
        },
        "config": {
            "sessions": cfg.sessions,
            "peer_sessions": cfg.peer_sessions,
            "backend": cfg.backend(),
            "link_concurrency": cfg.link_concurrency,
            "send_sessions": cfg.send_sessions,
            "send_concurrency": cfg.send_concurrency,
            "send_secs": cfg.send_window.as_secs(),
            "rate": cfg.rate,
            "latency_secs": cfg.latency_window.as_secs(),
            "settle_secs": cfg.settle.as_secs(),
            "idle_secs": cfg.idle.as_secs(),
        },
        "waras": {
            "cold_ready_ms": cold_ready.as_secs_f64() * 1000.0,
            "rss_baseline_bytes": rss0,
            "memory": steps,
            "link_p50_s": percentile(&sorted_links, 0.5),
            "scan_p50_s": percentile(&scan_times, 0.5),
            "scan_p99_s": percentile(&scan_times, 0.99),
            "link_p99_s": percentile(&sorted_links, 0.99),
            "link_failures": failures,
            "idle": idle,
            "restart": restart,
            "sends": sends,
            "rss_final_bytes": rss_final,
        },
        "peer": peer,
    });
    report::write(&cfg, &results)
}

/// Idle CPU of WARAS and the sandbox with `sessions` linked.
async fn idle_cpu(cfg: &Config, waras: u32, sandbox: u32, sessions: usize) -> Result<Value> {
    let prof = profile_start(cfg, waras, &format!("idle-{sessions}"));
    let cpu = cpu_over(&[waras, sandbox], cfg.idle).await?;
    profile_end(prof);
    say(format!(
        "idle CPU at {sessions} sessions: waras {:.2} %, sandbox {:.2} %",
        cpu[0], cpu[1]
    ));
    Ok(json!({
        "sessions": sessions,
        "window_s": cfg.idle.as_secs_f64(),
        "waras_cpu_percent": cpu[0],
        "sandbox_cpu_percent": cpu[1],
        "load": loadavg(),
    }))
}

/// SIGTERM, start again on the same data, time until every session is WORKING.
async fn restart_all(
    cfg: &Config,
    spec: &WarasSpec,
    waras: stack::Waras,
    http: &Http,
    key: &str,
    linked_total: usize,
    rss0: u64,
) -> Result<(stack::Waras, Value)> {
    let stop = waras.proc.terminate(Duration::from_secs(60))?;
    let load_before_restart = loadavg();
    // Only the statuses written after this count: a status left by the process before (on
    // PostgreSQL a handed-over session keeps its last one) says nothing of this one.
    let restarted_at = chrono::Utc::now();
    let mut waras = spec.start(&cfg.root)?;
    let ready = waras.ready(http, Duration::from_secs(120)).await?;
    let deadline = Duration::from_secs(600);
    let mut working = 0;
    let mut all_working = None;
    let mut half_working = None;
    while waras.started.elapsed() < deadline {
        working = waras
            .working_since(http, key, restarted_at)
            .await
            .unwrap_or(working);
        if half_working.is_none() && working * 2 >= linked_total {
            half_working = Some(waras.started.elapsed());
        }
        if working >= linked_total {
            all_working = Some(waras.started.elapsed());
            break;
        }
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    say(format!(
        "restart: stopped in {:.1} s; ready in {} ms; {working}/{linked_total} WORKING after {:.1} s",
        stop.as_secs_f64(),
        ready.as_millis(),
        all_working.unwrap_or(waras.started.elapsed()).as_secs_f64()
    ));
    actix_rt::time::sleep(cfg.settle).await;
    let rss_restarted = rss_avg(waras.pid()).await?;
    let restart = json!({
        "sessions": linked_total,
        "shutdown_s": stop.as_secs_f64(),
        "ready_ms": ready.as_secs_f64() * 1000.0,
        "half_working_s": half_working.map(|d| d.as_secs_f64()),
        "all_working_s": all_working.map(|d| d.as_secs_f64()),
        "working": working,
        "rss_after_bytes": rss_restarted,
        "rss_per_session_after_bytes": rss_restarted.saturating_sub(rss0) as f64 / working.max(1) as f64,
        "load_before": load_before_restart,
    });
    Ok((waras, restart))
}

/// The command as run, with the PERF_* variables that changed the figures: not where the results
/// went (`PERF_OUT`), and the database URL without its host or credentials.
fn command_line() -> String {
    let mut vars: Vec<String> = std::env::vars()
        .filter(|(k, v)| {
            k.starts_with("PERF_")
                && !matches!(k.as_str(), "PERF_README" | "PERF_OUT")
                && !v.is_empty()
        })
        .map(|(k, v)| match k.as_str() {
            "PERF_DATABASE_URL" => format!("{k}=postgres://…"),
            _ => format!("{k}={v}"),
        })
        .collect();
    vars.sort();
    vars.push(format!("cargo bench --features {FEATURES} --bench perf"));
    vars.join(" ")
}

/// The features this harness was built with, as its command names them.
pub const FEATURES: &str = if cfg!(feature = "bundled") {
    "sandbox,bundled"
} else {
    "sandbox"
};

fn git_rev(cfg: &Config) -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&cfg.root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
