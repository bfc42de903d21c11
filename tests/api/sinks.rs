//! Event sinks against the real brokers of this machine (NATS with JetStream on 4222, RabbitMQ on
//! 5672, Redis on 6379; `.ci/run` starts them when stopped), each reached through a proxy that
//! can cut it off: the selected events arrive in log order with verifiable Standard Webhooks
//! headers; with the broker cut off the sink shows `failing` with a lag (API and metrics); WARAS
//! restarts meanwhile; once the broker is back every event arrives, once by id.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use waras::db::events::{self, NewEvent};
use waras::domain::EventType;

use crate::common::{Backend, TestApp, wait_until};
use crate::cut::Cut;
use crate::on_both_backends;

/// A message as a consumer got it: the event id, its body and its Standard Webhooks headers.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    body: String,
    headers: [String; 3],
}

/// Appends `n` events of `kind` to the log (as a session's state changes do) and wakes the
/// readers; their ids.
async fn append(app: &TestApp, tenant: &str, sid: &str, kind: EventType, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (t, s) = (tenant.to_string(), sid.to_string());
        let row = app
            .running()
            .db
            .run(move |pool| {
                events::append(
                    pool,
                    &NewEvent {
                        tenant_id: &t,
                        session_id: Some(&s),
                        event_type: kind,
                        data: json!({"n": i}),
                        created_at: waras::db::now_ms(),
                    },
                )
            })
            .await
            .expect("append");
        ids.push(row.id.to_string());
    }
    app.running().db.events_appended();
    ids
}

/// The Standard Webhooks check, written out here: HMAC-SHA256 over `id.timestamp.body` with the
/// secret after `whsec_`, compared with every `v1,` signature.
fn verify(secret: &str, m: &Got) {
    let key = B64
        .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
        .expect("base64 secret");
    let [id, ts, signatures] = &m.headers;
    assert_eq!(*id, m.id, "webhook-id is the event id");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{}", m.body).as_bytes());
    let want = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    assert!(
        signatures.split(' ').any(|s| s == want),
        "no valid signature in {signatures}"
    );
    let envelope: Value = serde_json::from_str(&m.body).expect("JSON envelope");
    assert_eq!(envelope["id"], json!(m.id));
}

/// A consumer reading what a sink published, straight from the broker (not through the proxy).
enum Consumer {
    Nats(Box<async_nats::jetstream::stream::Stream>),
    Rabbit(lapin::Channel, String),
    Redis(redis::aio::MultiplexedConnection, String),
}

impl Consumer {
    async fn start(kind: &str, name: &str) -> Self {
        match kind {
            "nats" => {
                let client = async_nats::connect("127.0.0.1:4222").await.expect("NATS");
                let js = async_nats::jetstream::new(client);
                // The stream WARAS would create; made here first so nothing is missed.
                let stream = js
                    .get_or_create_stream(async_nats::jetstream::stream::Config {
                        name: name.to_uppercase(),
                        subjects: vec![format!("{name}.>")],
                        ..Default::default()
                    })
                    .await
                    .expect("JetStream stream");
                Consumer::Nats(Box::new(stream))
            }
            "rabbitmq" => {
                use lapin::options::{
                    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
                };
                use lapin::types::FieldTable;
                let conn = lapin::Connection::connect(
                    "amqp://guest:guest@127.0.0.1:5672/%2f",
                    lapin::ConnectionProperties::default(),
                )
                .await
                .expect("RabbitMQ");
                let ch = conn.create_channel().await.unwrap();
                let durable = ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                };
                ch.exchange_declare(
                    name.into(),
                    lapin::ExchangeKind::Topic,
                    durable,
                    FieldTable::default(),
                )
                .await
                .unwrap();
                let exclusive = QueueDeclareOptions {
                    exclusive: true,
                    ..Default::default()
                };
                let q = ch
                    .queue_declare(
                        format!("{name}-q").as_str().into(),
                        exclusive,
                        FieldTable::default(),
                    )
                    .await
                    .unwrap();
                ch.queue_bind(
                    q.name().clone(),
                    name.into(),
                    "group.#".into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
                // The connection lives as long as the channel's owner keeps it.
                std::mem::forget(conn);
                Consumer::Rabbit(ch, format!("{name}-q"))
            }
            _ => {
                let client = redis::Client::open("redis://127.0.0.1:6379").unwrap();
                let conn = client
                    .get_multiplexed_async_connection()
                    .await
                    .expect("Redis");
                Consumer::Redis(conn, name.to_string())
            }
        }
    }

    /// Everything published so far, in order (duplicates included).
    async fn read(&mut self, seen: &mut Vec<Got>) {
        match self {
            Consumer::Nats(stream) => {
                seen.clear();
                let info = stream.info().await.unwrap();
                for seq in 1..=info.state.last_sequence {
                    let Ok(raw) = stream.get_raw_message(seq).await else {
                        continue;
                    };
                    let h = raw.headers;
                    let header = |n: &str| h.get(n).map(|v| v.to_string()).unwrap_or_default();
                    seen.push(Got {
                        id: header("Nats-Msg-Id"),
                        body: String::from_utf8_lossy(&raw.payload).to_string(),
                        headers: [
                            header("webhook-id"),
                            header("webhook-timestamp"),
                            header("webhook-signature"),
                        ],
                    });
                }
            }
            Consumer::Rabbit(ch, queue) => {
                use lapin::options::{BasicAckOptions, BasicGetOptions};
                while let Ok(Some(m)) = ch
                    .basic_get(queue.as_str().into(), BasicGetOptions::default())
                    .await
                {
                    let props = m.delivery.properties.clone();
                    let headers = props.headers().clone().unwrap_or_default();
                    let header = |n: &str| match headers.inner().get(n) {
                        Some(lapin::types::AMQPValue::LongString(s)) => s.to_string(),
                        _ => String::new(),
                    };
                    seen.push(Got {
                        id: props
                            .message_id()
                            .as_ref()
                            .map(|s| s.to_string())
                            .unwrap_or_default(),
                        body: String::from_utf8_lossy(&m.delivery.data).to_string(),
                        headers: [
                            header("webhook-id"),
                            header("webhook-timestamp"),
                            header("webhook-signature"),
                        ],
                    });
                    m.delivery.ack(BasicAckOptions::default()).await.unwrap();
                }
            }
            Consumer::Redis(conn, stream) => {
                seen.clear();
                let entries: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
                    .arg(stream.as_str())
                    .arg("-")
                    .arg("+")
                    .query_async(conn)
                    .await
                    .unwrap_or_default();
                for (_, fields) in entries {
                    let field = |n: &str| {
                        fields
                            .iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    seen.push(Got {
                        id: field("id"),
                        body: field("envelope"),
                        headers: [
                            field("webhook-id"),
                            field("webhook-timestamp"),
                            field("webhook-signature"),
                        ],
                    });
                }
            }
        }
    }
}

/// Reads until every id in `want` arrived (into `seen`); gives up after 30 s.
async fn all_of(consumer: &mut Consumer, want: &[String], seen: &mut Vec<Got>) {
    let want: BTreeSet<&String> = want.iter().collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        consumer.read(seen).await;
        let got: BTreeSet<&String> = seen.iter().map(|m| &m.id).collect();
        let missing: Vec<_> = want.difference(&got).collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for every event at the broker; missing {missing:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sink_view(app: &TestApp, key: &str, id: &str) -> Value {
    app.get(&format!("/api/v1/sinks/{id}"), key)
        .await
        .success(200)
}

/// The sink's lag as `/metrics` shows it.
async fn metric_lag(app: &TestApp, id: &str) -> Option<i64> {
    let text = app.get("/metrics", crate::common::ADMIN_KEY).await.text;
    let line = text
        .lines()
        .find(|l| l.starts_with("waras_sink_lag_events") && l.contains(id))?;
    line.rsplit(' ').next()?.parse().ok()
}

async fn a_cut_off_broker_loses_nothing(backend: Backend, kind: &str, port: u16, scheme: &str) {
    let mut app = TestApp::spawn(backend).await;
    let cut = Cut::to(port);
    let (tenant, key) = app.tenant("brokers").await;
    let sid = app.session_id(&key, "main", false).await;
    let name = format!("wt{}", uuid::Uuid::now_v7().simple());
    let mut consumer = Consumer::start(kind, &name).await;
    let credentials = if kind == "rabbitmq" {
        "guest:guest@"
    } else {
        ""
    };
    let mut body = json!({
        "kind": kind, "events": ["group.*"],
        "url": format!("{scheme}://{credentials}127.0.0.1:{}", cut.port()),
    });
    let field = match kind {
        "nats" => "subject_prefix",
        "rabbitmq" => "exchange",
        _ => "stream",
    };
    body[field] = json!(name);
    let created = app.post("/api/v1/sinks", &key, body).await.success(201);
    let sink = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert_eq!(created["status"], json!("active"), "{created}");
    if kind == "rabbitmq" {
        assert!(
            created["url"].as_str().unwrap().contains("REDACTED"),
            "{created}"
        );
    }

    // Selected events arrive in log order; others are passed over.
    let mut want = append(&app, &tenant, &sid, EventType::GroupUpdated, 5).await;
    append(&app, &tenant, &sid, EventType::CallEnded, 2).await;
    want.extend(append(&app, &tenant, &sid, EventType::GroupUpdated, 5).await);
    let mut seen = Vec::new();
    all_of(&mut consumer, &want, &mut seen).await;
    let order: Vec<&String> = seen.iter().map(|m| &m.id).collect();
    assert_eq!(
        order,
        want.iter().collect::<Vec<_>>(),
        "log order, nothing else"
    );
    verify(&secret, &seen[0]);

    // The broker cut off: the sink fails, with a lag, and holds its cursor across a restart.
    cut.cut();
    want.extend(append(&app, &tenant, &sid, EventType::GroupUpdated, 10).await);
    let failing = wait_until(40, "the sink to show failing", || async {
        let v = sink_view(&app, &key, &sink).await;
        if v["status"] == json!("failing") && v["lag"].as_i64() >= Some(10) {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await;
    assert!(failing["last_error"].is_string(), "{failing}");
    wait_until(10, "the lag in the metrics", || async {
        match metric_lag(&app, &sink).await {
            Some(n) if n >= 10 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app = app.restart().await;
    want.extend(append(&app, &tenant, &sid, EventType::GroupUpdated, 5).await);
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    cut.heal();

    all_of(&mut consumer, &want, &mut seen).await;
    let ids: Vec<&String> = seen.iter().map(|m| &m.id).collect();
    let distinct: BTreeSet<&String> = ids.iter().copied().collect();
    assert_eq!(
        distinct,
        want.iter().collect::<BTreeSet<_>>(),
        "every event, nothing else"
    );
    if kind != "rabbitmq" {
        // JetStream deduplicates by Nats-Msg-Id, Redis by the entry id.
        assert_eq!(ids.len(), want.len(), "once each: {ids:?}");
    }
    for m in &seen {
        verify(&secret, m);
    }
    let healed = wait_until(30, "the sink to be active again", || async {
        let v = sink_view(&app, &key, &sink).await;
        if v["status"] == json!("active") && v["lag"] == json!(0) {
            Ok(v)
        } else {
            Err(v)
        }
    })
    .await;
    assert_eq!(
        healed["delivered"].as_i64(),
        Some(want.len() as i64),
        "{healed}"
    );
    drop(consumer);
}

async fn nats_jetstream(backend: Backend) {
    a_cut_off_broker_loses_nothing(backend, "nats", 4222, "nats").await;
}

async fn rabbitmq(backend: Backend) {
    a_cut_off_broker_loses_nothing(backend, "rabbitmq", 5672, "amqp").await;
}

async fn redis_streams(backend: Backend) {
    a_cut_off_broker_loses_nothing(backend, "redis", 6379, "redis").await;
}

/// Bad sinks are refused naming what is wrong, and a paused sink resumes where it stopped.
async fn bad_sinks_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.webhook_allow_private = false).await;
    let (_, key) = app.tenant("careful").await;
    for (body, names) in [
        (
            json!({"kind": "kafka", "url": "nats://8.8.8.8:4222"}),
            "kind",
        ),
        (json!({"kind": "nats", "url": "redis://8.8.8.8"}), "url"),
        (
            json!({"kind": "nats", "url": "nats://127.0.0.1:4222"}),
            "private",
        ),
        (
            json!({"kind": "nats", "url": "nats://10.1.2.3:4222"}),
            "private",
        ),
        (
            json!({"kind": "nats", "url": "nats://8.8.8.8:4222", "exchange": "x"}),
            "exchange",
        ),
        (
            json!({"kind": "nats", "url": "nats://8.8.8.8:4222", "subject_prefix": "a.*"}),
            "subject_prefix",
        ),
        (
            json!({"kind": "redis", "url": "redis://8.8.8.8", "max_len": 0}),
            "max_len",
        ),
        (
            json!({"kind": "redis", "url": "redis://8.8.8.8", "events": ["Bad"]}),
            "events",
        ),
    ] {
        let r = app.post("/api/v1/sinks", &key, body.clone()).await;
        assert_eq!(r.problem(400), "invalid_request", "{body}");
        assert!(r.text.contains(names), "{body}: {}", r.text);
    }
    assert_eq!(
        app.get("/api/v1/sinks/snk_nope", &key).await.problem(404),
        "not_found"
    );
}

on_both_backends!(
    nats_jetstream,
    rabbitmq,
    redis_streams,
    bad_sinks_are_refused
);
