//! 1:1 text sends through the REST API: a closed-loop throughput window across many sessions,
//! then API latency at a fixed offered load (open loop, so a slow answer does not lower the load).
//! Sent and delivered counts come from the event log (`message.sent`, `message.ack`).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::http::{Http, percentile};

/// Where requests go: WARAS's base URL and the tenant key.
#[derive(Clone)]
pub struct Target {
    pub base: String,
    pub key: String,
}

impl Target {
    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }
}

/// A sender: session id and the phone it sends to.
#[derive(Clone)]
pub struct Route {
    pub session: String,
    pub to: String,
}

#[derive(Default)]
pub struct Tally {
    /// When each message went out (ms): its `message.sent` event, or its first receipt when
    /// the receipt was recorded first (then WARAS emits no `message.sent` for it).
    pub sent: Vec<i64>,
    pub delivered: Vec<i64>,
    pub failed: usize,
    /// Messages that went out with no `message.sent` event (the receipt won the race).
    pub receipt_first: usize,
    out: HashSet<String>,
}

impl Tally {
    fn went_out(&mut self, id: &str, at: i64) -> bool {
        if self.out.insert(id.to_string()) {
            self.sent.push(at);
            true
        } else {
            false
        }
    }
}

/// Reads the event log after `cursor` to its end: message.sent / message.ack times (ms).
pub async fn read_events(
    http: &Http,
    t: &Target,
    cursor: &mut String,
    tally: &mut Tally,
) -> Result<()> {
    loop {
        let url = t.url(&format!(
            "/events?after={cursor}&types=message.sent,message.ack&limit=200"
        ));
        let page = http.get_ok(&url, Some(&t.key)).await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        for e in &data {
            let at = e["created_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis())
                .unwrap_or(0);
            let id = e["data"]["id"].as_str().unwrap_or_default();
            match (e["type"].as_str(), e["data"]["status"].as_str()) {
                (Some("message.sent"), _) => {
                    tally.went_out(id, at);
                }
                (Some("message.ack"), Some(status @ ("delivered" | "read"))) => {
                    if tally.went_out(id, at) {
                        tally.receipt_first += 1;
                    }
                    if status == "delivered" {
                        tally.delivered.push(at);
                    }
                }
                (Some("message.ack"), Some("failed")) => tally.failed += 1,
                _ => {}
            }
            if let Some(id) = e["id"].as_str() {
                *cursor = id.to_string();
            }
        }
        if page["next_cursor"].is_null() || data.is_empty() {
            return Ok(());
        }
    }
}

/// The id of the newest event (the cursor to read what comes next).
pub async fn event_tail(http: &Http, t: &Target) -> Result<String> {
    let mut cursor = "0".to_string();
    loop {
        let url = t.url(&format!("/events?after={cursor}&limit=200"));
        let page = http.get_ok(&url, Some(&t.key)).await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        match data.last().and_then(|e| e["id"].as_str()) {
            Some(id) => cursor = id.to_string(),
            None => return Ok(cursor),
        }
        if page["next_cursor"].is_null() {
            return Ok(cursor);
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn send(http: &Http, t: &Target, r: &Route, n: u64) -> Result<u16> {
    let idem = uuid::Uuid::now_v7().to_string();
    let res = http
        .call(
            Method::POST,
            &t.url(&format!("/sessions/{}/messages", r.session)),
            Some(&t.key),
            &[("Idempotency-Key", &idem)],
            Some(&json!({"to": format!("+{}", r.to), "type": "text", "text": format!("perf message {n}")})),
        )
        .await?;
    Ok(res.status)
}

/// One message from every route, and the wait until all of them went out (Signal sessions set
/// up, so the window measures steady sending).
pub async fn warm_up(http: &Http, t: &Target, routes: &[Route]) -> Result<usize> {
    let mut cursor = event_tail(http, t).await?;
    for (i, r) in routes.iter().enumerate() {
        send(http, t, r, i as u64).await?;
    }
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.sent.len() + tally.failed < routes.len() && Instant::now() < deadline {
        actix_rt::time::sleep(Duration::from_millis(500)).await;
        read_events(http, t, &mut cursor, &mut tally).await?;
    }
    Ok(tally.sent.len())
}

#[derive(Serialize, Clone, Debug)]
pub struct Throughput {
    pub window_s: f64,
    pub concurrency: usize,
    pub sessions: usize,
    pub accepted: u64,
    pub rejected: u64,
    pub errors: u64,
    pub accepted_per_s: f64,
    /// message.sent events whose time falls in the window, per second of window.
    pub sent_in_window_per_s: f64,
    /// Every accepted message sent: count / (last send − window start).
    pub sent: usize,
    pub sent_per_s: f64,
    pub delivered: usize,
    pub delivered_per_s: f64,
    pub failed: usize,
    /// Sent messages whose receipt was recorded before their send (no `message.sent` event).
    pub receipt_before_sent_event: usize,
    /// Time from the window's start until the last accepted message went out.
    pub drain_s: f64,
    pub drained: bool,
    pub api_p50_ms: f64,
    pub api_p99_ms: f64,
}

pub async fn throughput(
    http: &Http,
    t: &Target,
    routes: &[Route],
    window: Duration,
    concurrency: usize,
) -> Result<Throughput> {
    let mut cursor = event_tail(http, t).await?;
    let next = Rc::new(Cell::new(0u64));
    let accepted = Rc::new(Cell::new(0u64));
    let rejected = Rc::new(Cell::new(0u64));
    let errors = Rc::new(Cell::new(0u64));
    let latencies = Rc::new(RefCell::new(Vec::<f64>::new()));
    let start = Instant::now();
    let start_ms = now_ms();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, accepted, rejected, errors, latencies) = (
            next.clone(),
            accepted.clone(),
            rejected.clone(),
            errors.clone(),
            latencies.clone(),
        );
        let (http, routes, t) = (http.clone(), routes.to_vec(), t.clone());
        workers.push(actix_rt::spawn(async move {
            while start.elapsed() < window {
                let n = next.get();
                next.set(n + 1);
                let r = &routes[n as usize % routes.len()];
                let t0 = Instant::now();
                match send(&http, &t, r, n).await {
                    Ok(202) => {
                        accepted.set(accepted.get() + 1);
                        latencies
                            .borrow_mut()
                            .push(t0.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(_) => rejected.set(rejected.get() + 1),
                    Err(_) => errors.set(errors.get() + 1),
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let window_s = start.elapsed().as_secs_f64();
    let end_ms = start_ms + (window_s * 1000.0) as i64;
    // Wait until the outbox is empty (or give up after a long while).
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(300);
    let total = accepted.get() as usize;
    let mut drained = false;
    while Instant::now() < deadline {
        read_events(http, t, &mut cursor, &mut tally).await?;
        if tally.sent.len() + tally.failed >= total {
            drained = true;
            break;
        }
        actix_rt::time::sleep(Duration::from_millis(500)).await;
    }
    // Receipts trail the sends a little.
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    read_events(http, t, &mut cursor, &mut tally).await?;
    let last_sent = tally.sent.iter().copied().max().unwrap_or(start_ms);
    let last_delivered = tally.delivered.iter().copied().max().unwrap_or(start_ms);
    let drain_s = ((last_sent - start_ms) as f64 / 1000.0).max(window_s);
    let in_window = tally.sent.iter().filter(|&&t| t <= end_ms).count();
    let mut lat = latencies.borrow().clone();
    lat.sort_by(f64::total_cmp);
    Ok(Throughput {
        window_s,
        concurrency,
        sessions: routes.len(),
        accepted: accepted.get(),
        rejected: rejected.get(),
        errors: errors.get(),
        accepted_per_s: accepted.get() as f64 / window_s,
        sent_in_window_per_s: in_window as f64 / window_s,
        sent: tally.sent.len(),
        sent_per_s: tally.sent.len() as f64 / drain_s,
        delivered: tally.delivered.len(),
        delivered_per_s: tally.delivered.len() as f64
            / (((last_delivered - start_ms) as f64 / 1000.0).max(window_s)),
        failed: tally.failed,
        receipt_before_sent_event: tally.receipt_first,
        drain_s,
        drained,
        api_p50_ms: percentile(&lat, 0.50),
        api_p99_ms: percentile(&lat, 0.99),
    })
}

#[derive(Serialize, Clone, Debug)]
pub struct Latency {
    pub offered_per_s: u64,
    pub window_s: f64,
    pub requests: usize,
    pub accepted: usize,
    pub not_accepted: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Time from the answer to the message.sent event, p50 / p99 (ms).
    pub sent_lag_p50_ms: f64,
    pub sent_lag_p99_ms: f64,
}

/// Requests at fixed times (`rate` per second for `window`), each timed from its scheduled start.
pub async fn latency(
    http: &Http,
    t: &Target,
    routes: &[Route],
    rate: u64,
    window: Duration,
) -> Result<Latency> {
    let mut cursor = event_tail(http, t).await?;
    let count = (rate as f64 * window.as_secs_f64()) as u64;
    let start = Instant::now();
    let out = Rc::new(RefCell::new(Vec::<(f64, bool, i64)>::new()));
    let mut tasks = Vec::new();
    for n in 0..count {
        let due = start + Duration::from_secs_f64(n as f64 / rate as f64);
        let (http, t, out) = (http.clone(), t.clone(), out.clone());
        let r = routes[n as usize % routes.len()].clone();
        tasks.push(actix_rt::spawn(async move {
            actix_rt::time::sleep_until(due.into()).await;
            let ok = matches!(send(&http, &t, &r, n).await, Ok(202));
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            out.borrow_mut().push((ms, ok, now_ms()));
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let window_s = start.elapsed().as_secs_f64();
    let results = out.borrow().clone();
    let mut ms: Vec<f64> = results.iter().filter(|r| r.1).map(|r| r.0).collect();
    ms.sort_by(f64::total_cmp);
    // How long after the 202 the message went out: compare the answer times with the sent times,
    // both in order (the i-th answer with the i-th send, a fair approximation at a steady load).
    let mut tally = Tally::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.sent.len() + tally.failed < ms.len() && Instant::now() < deadline {
        actix_rt::time::sleep(Duration::from_millis(500)).await;
        // Right after an overload the client's connection pool may still be recovering.
        if let Err(e) = read_events(http, t, &mut cursor, &mut tally).await {
            eprintln!("perf: reading events failed (retrying): {e:#}");
        }
    }
    let mut answered: Vec<i64> = results.iter().filter(|r| r.1).map(|r| r.2).collect();
    answered.sort_unstable();
    let mut sent = tally.sent.clone();
    sent.sort_unstable();
    let mut lags: Vec<f64> = answered
        .iter()
        .zip(sent.iter())
        .map(|(a, s)| (s - a).max(0) as f64)
        .collect();
    lags.sort_by(f64::total_cmp);
    Ok(Latency {
        offered_per_s: rate,
        window_s,
        requests: results.len(),
        accepted: ms.len(),
        not_accepted: results.len() - ms.len(),
        p50_ms: percentile(&ms, 0.50),
        p90_ms: percentile(&ms, 0.90),
        p99_ms: percentile(&ms, 0.99),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
        sent_lag_p50_ms: percentile(&lags, 0.50),
        sent_lag_p99_ms: percentile(&lags, 0.99),
    })
}

/// The latest `message.sent` etc. counts are in `Value` form for the report.
pub fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
