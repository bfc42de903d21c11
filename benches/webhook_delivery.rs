//! Webhook delivery benchmark (not a test): events/s from the event log to a local receiver, and the
//! delay from an event's commit to its delivery (p50/p99) at a fixed offered rate.
//!
//!     cargo bench --bench webhook_delivery
//!
//! Env: BENCH_EVENTS (burst size, default 5000), BENCH_RATE (events/s, default 500), BENCH_SECS
//! (default 10), BENCH_DATABASE_URL (default: an SQLite file in a temp dir). Writes
//! target/bench/webhook_delivery.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;
use waras::app::Application;
use waras::config::Settings;
use waras::db::events::{EventLog, NewEvent};
use waras::db::{Db, DbConn, now_ms};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Received = Arc<Mutex<Vec<(i64, i64)>>>; // (event id, received at ms)

async fn receive(req: HttpRequest, rx: web::Data<Received>) -> HttpResponse {
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    rx.lock().unwrap().push((id, now_ms()));
    HttpResponse::NoContent().finish()
}

async fn append(db: &Db, tenant: &str, n: usize) -> Vec<(i64, i64)> {
    let tenant = tenant.to_string();
    let rows = db
        .run(move |pool| {
            waras::with_conn!(pool, |conn| {
                conn.write_txn(|conn| {
                    let mut out = Vec::with_capacity(n);
                    for i in 0..n {
                        let e = conn.append_event(&NewEvent {
                            tenant_id: &tenant,
                            session_id: None,
                            event_type: waras::domain::EventType::MessageReceived,
                            data: json!({ "i": i, "text": "hello from the benchmark" }),
                            created_at: now_ms(),
                        })?;
                        out.push((e.id, e.created_at));
                    }
                    Ok(out)
                })
            })
        })
        .await
        .expect("append");
    db.events_appended();
    rows
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn wait_for(received: &Received, count: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while received.lock().unwrap().len() < count {
        if Instant::now() > deadline {
            return false;
        }
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

async fn run() -> anyhow::Result<()> {
    let burst = env_num("BENCH_EVENTS", 5000) as usize;
    let rate = env_num("BENCH_RATE", 500);
    let secs = env_num("BENCH_SECS", 10);
    let dir = tempfile::tempdir()?;
    let mut s = Settings::defaults()?;
    s.listen = "127.0.0.1:0".into();
    s.data_dir = dir.path().to_path_buf();
    s.database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()))
        .into();
    s.admin_key = "bench-admin-key-0123456789".to_string().into();
    s.webhook_allow_private = true;
    s.http_workers = 1;
    // No sessions run here; keep any engine traffic on loopback (and acceptable to sandbox builds).
    s.wa_url = "ws://127.0.0.1:9/ws/chat".into();
    let backend = if s.database_url_is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let app = Application::build(s).await?.spawn();

    let received: Received = Arc::default();
    let data = web::Data::new(received.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let rx_addr = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    actix_rt::spawn(server);

    let client = awc::Client::default();
    let base = format!("http://{}", app.addr);
    let admin = "bench-admin-key-0123456789";
    let mut r = client
        .post(format!("{base}/api/v1/tenants"))
        .insert_header(("X-Api-Key", admin))
        .send_json(&json!({"name": "bench"}))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tenant: serde_json::Value = r.json().await?;
    let tenant_id = tenant["id"].as_str().unwrap_or_default().to_string();
    let mut r = client
        .post(format!("{base}/api/v1/tenants/{tenant_id}/keys"))
        .insert_header(("X-Api-Key", admin))
        .send_json(&json!({"name": "k", "scopes": ["manage"]}))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let key: serde_json::Value = r.json().await?;
    let key = key["key"].as_str().unwrap_or_default().to_string();
    client
        .post(format!("{base}/api/v1/webhooks"))
        .insert_header(("X-Api-Key", key.as_str()))
        .send_json(&json!({"url": format!("http://{rx_addr}/hook"), "events": ["*"]}))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // Burst: the outbox drained as fast as it goes.
    let db = app.db.clone();
    let started = Instant::now();
    let mut appended = 0;
    while appended < burst {
        let n = (burst - appended).min(500);
        append(&db, &tenant_id, n).await;
        appended += n;
    }
    let ok = wait_for(&received, burst, Duration::from_secs(600)).await;
    let burst_secs = started.elapsed().as_secs_f64();
    let throughput = burst as f64 / burst_secs;
    received.lock().unwrap().clear();

    // Fixed offered rate: one event per transaction, delay from commit to delivery.
    let total = (rate * secs) as usize;
    let mut created = std::collections::HashMap::with_capacity(total);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let t0 = Instant::now();
    for i in 0..total {
        let due = t0 + interval * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            actix_rt::time::sleep(wait).await;
        }
        for (id, at) in append(&db, &tenant_id, 1).await {
            created.insert(id, at);
        }
    }
    let ok2 = wait_for(&received, total, Duration::from_secs(120)).await;
    let mut delays: Vec<i64> = received
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(id, at)| created.get(id).map(|c| at - c))
        .collect();
    delays.sort_unstable();
    let (p50, p99, max) = (
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0),
    );

    println!("| figure | value |");
    println!("|---|---|");
    println!("| storage | {backend} |");
    println!(
        "| burst: {burst} events, log → receiver | {throughput:.0} events/s ({burst_secs:.2} s{}) |",
        if ok { "" } else { ", INCOMPLETE" }
    );
    println!("| offered {rate} events/s for {secs} s: commit → delivery p50 | {p50} ms |");
    println!(
        "| same, p99 / max | {p99} ms / {max} ms{} |",
        if ok2 { "" } else { " (INCOMPLETE)" }
    );
    let report = json!({
        "storage": backend, "burst_events": burst, "burst_events_per_sec": throughput.round(),
        "offered_rate": rate, "offered_secs": secs, "delay_ms_p50": p50, "delay_ms_p99": p99, "delay_ms_max": max,
        "complete": ok && ok2,
    });
    std::fs::create_dir_all("target/bench")?;
    std::fs::write(
        "target/bench/webhook_delivery.json",
        serde_json::to_string_pretty(&report)?,
    )?;
    app.shutdown().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    actix_rt::System::new().block_on(run())
}
