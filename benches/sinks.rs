//! Event sink benchmark (not a test): events/s from the event log to each broker of this machine
//! (Redis on 6379, NATS with JetStream on 4222, RabbitMQ on 5672), confirmed by the broker.
//!
//!     cargo bench --bench sinks
//!
//! Env: BENCH_EVENTS (burst size, default 5000), BENCH_SINKS (default `redis,nats,rabbitmq`),
//! BENCH_DATABASE_URL (default: an SQLite file in a temp dir). Per broker: one sink, one warm-up
//! event (the sink is claimed and connected), then a burst appended in one transaction; the time
//! runs until the sink's `delivered` counts the whole burst. Writes target/bench/sinks.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use waras::app::Application;
use waras::config::Settings;
use waras::db::events::{EventLog, NewEvent};
use waras::db::{Db, DbConn, now_ms};

const ADMIN: &str = "bench-admin-key-0123456789abcdef";

fn env_text(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Appends `n` events of `tenant` in one transaction and wakes the log's readers.
async fn burst(db: &Db, tenant: &str, n: usize) {
    let tenant = tenant.to_string();
    db.run(move |pool| {
        waras::with_conn!(pool, |conn| {
            conn.write_txn(|conn| {
                for i in 0..n {
                    conn.append_event(&NewEvent {
                        tenant_id: &tenant,
                        session_id: None,
                        event_type: waras::domain::EventType::MessageReceived,
                        data: json!({"i": i, "text": "hello from the benchmark"}),
                        created_at: now_ms(),
                    })?;
                }
                Ok(())
            })
        })
    })
    .await
    .unwrap();
    db.events_appended();
}

async fn call(base: &str, key: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let client = awc::Client::default();
    let url = format!("{base}{path}");
    let req = match method {
        "POST" => client.post(url),
        _ => client.get(url),
    }
    .insert_header(("Authorization", format!("Bearer {key}")));
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .unwrap();
    let status = res.status();
    let value: Value = res.json().limit(1 << 20).await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {value}");
    value
}

/// Waits until the sink counts `n` delivered events; the time it took.
async fn delivered(base: &str, key: &str, sink: &str, n: i64) -> Duration {
    let start = Instant::now();
    loop {
        let v = call(base, key, "GET", &format!("/api/v1/sinks/{sink}"), None).await;
        if v["delivered"].as_i64().unwrap_or(0) >= n {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(300), "stuck: {v}");
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn main() {
    actix_rt::System::new().block_on(async {
        let events: usize = env_text("BENCH_EVENTS", "5000").parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::defaults().unwrap();
        s.listen = "127.0.0.1:0".into();
        s.data_dir = dir.path().to_path_buf();
        s.admin_key = ADMIN.to_string().into();
        s.master_key = "11".repeat(32).into();
        s.webhook_allow_private = true;
        s.wa_url = "ws://127.0.0.1:9/ws/chat".into();
        s.wa_version = "2.3000.1".into();
        if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
            s.database_url = url.into();
        }
        let app = Application::build(s).await.unwrap().spawn();
        let base = format!("http://{}", app.addr);
        let tenant = call(&base, ADMIN, "POST", "/api/v1/tenants", Some(json!({"name": "bench"}))).await;
        let tid = tenant["id"].as_str().unwrap().to_string();
        let key = call(
            &base,
            ADMIN,
            "POST",
            &format!("/api/v1/tenants/{tid}/keys"),
            Some(json!({"name": "bench", "scopes": ["read", "send", "manage"]})),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_string();
        let mut results = Vec::new();
        for kind in env_text("BENCH_SINKS", "redis,nats,rabbitmq").split(',') {
            let name = format!("bench{}", uuid::Uuid::now_v7().simple());
            let mut body = match kind {
                "redis" => json!({"url": "redis://127.0.0.1:6379", "stream": name}),
                "nats" => json!({"url": "nats://127.0.0.1:4222", "subject_prefix": name}),
                _ => json!({"url": "amqp://guest:guest@127.0.0.1:5672/%2f", "exchange": name}),
            };
            body["kind"] = json!(kind);
            let sink = call(&base, &key, "POST", "/api/v1/sinks", Some(body)).await;
            let id = sink["id"].as_str().unwrap().to_string();
            burst(&app.db, &tid, 1).await;
            delivered(&base, &key, &id, 1).await;
            burst(&app.db, &tid, events).await;
            let took = delivered(&base, &key, &id, 1 + events as i64).await;
            let rate = events as f64 / took.as_secs_f64();
            println!("{kind}: {events} events in {:.2} s = {rate:.0} events/s", took.as_secs_f64());
            results.push(json!({"kind": kind, "events": events, "secs": took.as_secs_f64(), "events_per_sec": rate}));
        }
        std::fs::create_dir_all("target/bench").unwrap();
        let report = json!({"backend": app.db.pool().backend_name(), "results": results});
        std::fs::write("target/bench/sinks.json", serde_json::to_vec_pretty(&report).unwrap()).unwrap();
        app.shutdown().await;
    });
}
