//! kill -9 of a real `waras serve` process while webhook deliveries are in flight: after a restart
//! every event is delivered; nothing accepted is lost.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::json;

use crate::common::{ADMIN_KEY, Backend, TestDatabase};
use crate::on_both_backends;
use crate::receiver::Receiver;

struct Process {
    child: Child,
    base: String,
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `waras serve` on loopback `port` with this database URL, data directory and master key,
/// logging warnings only; the caller adds the rest and spawns it.
pub(crate) fn serve(db_url: &str, data_dir: &std::path::Path, port: u16, master: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waras"));
    cmd.env("WARAS_LISTEN", format!("127.0.0.1:{port}"))
        .env("WARAS_DATABASE_URL", db_url)
        .env("WARAS_DATA_DIR", data_dir)
        .env("WARAS_ADMIN_KEY", ADMIN_KEY)
        .env("WARAS_MASTER_KEY", master)
        .env("WARAS_WA_VERSION", "2.3000.1")
        .env("WARAS_LOG", "warn")
        .stdout(Stdio::null());
    cmd
}

fn start(db: &TestDatabase, port: u16) -> Process {
    let config = db.dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("50-test.toml"),
        "webhook_allow_private = true\nwebhook_timeout_secs = 2\nwebhook_concurrency = 4\n\
         webhook_retry_schedule_secs = [1, 1, 1, 1, 1, 1]\n",
    )
    .unwrap();
    let child = serve(&db.url, db.dir.path(), port, &"22".repeat(32))
        .args(["--config-dir", config.to_str().unwrap(), "serve"])
        // Nothing listens there; sessions keep retrying on loopback (and a sandbox build accepts it).
        .env("WARAS_WA_URL", "ws://127.0.0.1:9/ws/chat")
        .stderr(Stdio::null())
        .spawn()
        .expect("waras starts");
    Process {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_ready(client: &awc::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == StatusCode::OK
        {
            return;
        }
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waras did not become ready");
}

async fn post(
    client: &awc::Client,
    url: String,
    key: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut r = client
        .post(url)
        .insert_header(("X-Api-Key", key))
        .send_json(&body)
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

async fn kill_nine_loses_nothing(backend: Backend) {
    let db = TestDatabase::create(backend);
    let port = free_port();
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(20))
        .finish();
    let rx = Receiver::start().await;
    rx.delay(Duration::from_millis(400));

    let mut first = start(&db, port);
    wait_ready(&client, &first.base).await;
    let tenant = post(
        &client,
        format!("{}/api/v1/tenants", first.base),
        ADMIN_KEY,
        json!({"name": "acme"}),
    )
    .await;
    let key = post(
        &client,
        format!(
            "{}/api/v1/tenants/{}/keys",
            first.base,
            tenant["id"].as_str().unwrap()
        ),
        ADMIN_KEY,
        json!({"name": "k", "scopes": ["read", "manage"]}),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let hook = post(
        &client,
        format!("{}/api/v1/webhooks", first.base),
        &key,
        rx.subscribe(&["*"]),
    )
    .await;
    let deliveries = |base: &str, status: &str| {
        format!(
            "{base}/api/v1/webhooks/{}/deliveries?limit=200&status={status}",
            hook["id"].as_str().unwrap()
        )
    };
    for i in 0..40 {
        post(
            &client,
            format!("{}/api/v1/sessions", first.base),
            &key,
            json!({"name": format!("s{i}")}),
        )
        .await;
    }
    // Kill while deliveries are on the wire.
    for _ in 0..100 {
        if !rx.captured().is_empty() {
            break;
        }
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let before = rx.captured().len();
    assert!(
        before < 40,
        "the kill must land mid-delivery ({before} delivered)"
    );

    let mut second = start(&db, port);
    wait_ready(&client, &second.base).await;
    let count = |url: String| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            let mut r = client
                .get(url)
                .insert_header(("X-Api-Key", key.as_str()))
                .send()
                .await
                .unwrap();
            let v: serde_json::Value = r.json().await.unwrap();
            v["data"].as_array().unwrap().len()
        }
    };
    let in_flight_at_restart = count(deliveries(&second.base, "delivering")).await;
    let mut r = client
        .get(format!(
            "{}/api/v1/events?limit=200&types=session.status",
            second.base
        ))
        .insert_header(("X-Api-Key", key.as_str()))
        .send()
        .await
        .unwrap();
    let events: serde_json::Value = r.json().await.unwrap();
    let expected: BTreeSet<String> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() >= 40);
    let mut got = BTreeSet::new();
    for _ in 0..600 {
        got = rx.captured().iter().map(|c| c.webhook_id.clone()).collect();
        if expected.is_subset(&got) {
            break;
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<_> = expected.difference(&got).collect();
    assert!(missing.is_empty(), "lost after kill -9: {missing:?}");
    // Rows the killed process left mid-call were reclaimed when their lease lapsed.
    let mut succeeded = 0;
    for _ in 0..200 {
        succeeded = count(deliveries(&second.base, "succeeded")).await;
        if succeeded == expected.len() {
            break;
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    assert_eq!(
        succeeded,
        expected.len(),
        "{in_flight_at_restart} were in flight at the kill"
    );
}

on_both_backends!(kill_nine_loses_nothing);
