//! Sandbox accounts, and WARAS sessions linked to them by QR through the REST API: create the
//! session, wait for SCAN_QR, fetch the QR as JSON, let the account's phone scan it, wait for
//! WORKING.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use anyhow::{Context, Result, anyhow, bail};
use futures_util::StreamExt;
use serde_json::json;

use crate::http::Http;
use crate::stack::{SandboxInfo, Waras};

/// Phone numbers by role, so runs never collide: WARAS sessions, receiving accounts, the peer.
pub fn session_phone(i: usize) -> String {
    format!("4917{:08}", i + 1)
}
pub fn sink_phone(i: usize) -> String {
    format!("4916{:08}", i + 1)
}
pub fn peer_phone(i: usize) -> String {
    format!("4915{:08}", i + 1)
}

/// Creates sandbox accounts (each with its phone online); `concurrency` at a time.
pub async fn create_accounts(
    http: &Http,
    sandbox: &SandboxInfo,
    phones: Vec<String>,
    concurrency: usize,
) -> Result<()> {
    let url = format!("{}/accounts", sandbox.admin_url);
    let (count, t) = (phones.len(), std::time::Instant::now());
    let results: Vec<Result<()>> = futures_util::stream::iter(phones)
        .map(|phone| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let r = http
                    .post(
                        &url,
                        None,
                        &json!({"phone": phone, "name": format!("perf {phone}")}),
                    )
                    .await?;
                // 409: left by an earlier phase of this run.
                if r.ok() || r.status == 409 {
                    Ok(())
                } else {
                    Err(anyhow!("account {phone}: {} {}", r.status, r.body))
                }
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    crate::say(format!(
        "{count} sandbox accounts in {:.1} s",
        t.elapsed().as_secs_f64()
    ));
    results.into_iter().collect()
}

/// The session's status, and whether it is meant to run.
async fn status(http: &Http, waras: &Waras, key: &str, sid: &str) -> Result<(String, bool)> {
    let s = http
        .get_ok(&waras.api(&format!("/sessions/{sid}")), Some(key))
        .await?;
    let running = s["desired_state"].as_str() == Some("running");
    Ok((
        s["status"].as_str().unwrap_or_default().to_string(),
        running,
    ))
}

async fn wait_status(
    http: &Http,
    waras: &Waras,
    key: &str,
    sid: &str,
    want: &str,
    limit: Duration,
) -> Result<()> {
    let start = Instant::now();
    loop {
        let (s, running) = status(http, waras, key, sid).await?;
        if s == want {
            return Ok(());
        }
        // With several instances possible (PostgreSQL), a session just created reads STOPPED
        // until its owner writes STARTING: only a session no longer meant to run has stopped.
        if matches!(s.as_str(), "FAILED" | "LOGGED_OUT") || (s == "STOPPED" && !running) {
            bail!("session {sid} is {s}, not {want}");
        }
        if start.elapsed() > limit {
            bail!("session {sid} still {s} after {limit:?}, not {want}");
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Links one new session to `phone`; returns its id and the time from creation to WORKING.
async fn link_one(
    http: &Http,
    waras: &Waras,
    sandbox: &SandboxInfo,
    key: &str,
    name: String,
    phone: String,
) -> Result<(String, Duration, Duration)> {
    let start = Instant::now();
    let s = http
        .post_ok(&waras.api("/sessions"), Some(key), &json!({"name": name}))
        .await?;
    let sid = s["id"].as_str().context("session id")?.to_string();
    let mut attempts = 0;
    loop {
        attempts += 1;
        wait_status(http, waras, key, &sid, "SCAN_QR", Duration::from_secs(120)).await?;
        let qr = http
            .call(
                Method::GET,
                &waras.api(&format!("/sessions/{sid}/qr")),
                Some(key),
                &[("Accept", "application/json")],
                None,
            )
            .await?;
        let scanned = match qr.body["code"].as_str() {
            Some(code) if qr.ok() => {
                http.post(
                    &format!("{}/accounts/{phone}/scan", sandbox.admin_url),
                    None,
                    &json!({"qr": code}),
                )
                .await?
            }
            _ => qr,
        };
        if scanned.ok() {
            break;
        }
        // A QR that rotated between the fetch and the scan: take the next one.
        if attempts >= 5 {
            bail!(
                "session {sid}: scan failed: {} {}",
                scanned.status,
                scanned.body
            );
        }
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    let scanned_at = Instant::now();
    wait_status(http, waras, key, &sid, "WORKING", Duration::from_secs(120)).await?;
    Ok((sid, start.elapsed(), scanned_at.elapsed()))
}

pub struct Linked {
    pub ids: Vec<String>,
    pub per_session: Vec<f64>,
    /// From the accepted scan to WORKING, per session.
    pub scan_to_working: Vec<f64>,
    pub failures: Vec<String>,
    pub wall: Duration,
}

/// Links sessions `from..to` (session i to the account of `session_phone(i)`).
pub async fn link_range(
    http: &Http,
    waras: &Waras,
    sandbox: &SandboxInfo,
    key: &str,
    from: usize,
    to: usize,
    concurrency: usize,
) -> Linked {
    let start = Instant::now();
    let results: Vec<Result<(String, Duration, Duration)>> = futures_util::stream::iter(from..to)
        .map(|i| {
            link_one(
                http,
                waras,
                sandbox,
                key,
                format!("perf-{i:05}"),
                session_phone(i),
            )
        })
        .buffered(concurrency)
        .collect()
        .await;
    let mut linked = Linked {
        ids: Vec::new(),
        per_session: Vec::new(),
        scan_to_working: Vec::new(),
        failures: Vec::new(),
        wall: start.elapsed(),
    };
    for r in results {
        match r {
            Ok((id, t, scan)) => {
                linked.ids.push(id);
                linked.per_session.push(t.as_secs_f64());
                linked.scan_to_working.push(scan.as_secs_f64());
            }
            Err(e) => linked.failures.push(format!("{e:#}")),
        }
    }
    linked
}
