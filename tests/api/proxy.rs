//! A session's proxy, through a real proxy server (`pproxy` from PyPI, `.ci/run` installs it):
//! with SOCKS5 and with HTTP CONNECT, the session links, sends and downloads media with every
//! connection going through the proxy (its log names the sandbox's WebSocket and media hosts);
//! the password is never shown; a wrong password keeps the session from connecting at all.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase, wait_until};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_with, start_sandbox};

const ME: &str = "4915100000101";
const ALICE: &str = "4915100000102";
const USER: &str = "ana";
const PASSWORD: &str = "s3cret-pw";

/// A pproxy server on a free loopback port, asking for [`USER`] and [`PASSWORD`] on every
/// connection, with its log of tunnels (`socks5 127.0.0.1:… -> host:port`).
struct Proxy {
    child: Child,
    port: u16,
    scheme: &'static str,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    async fn start(scheme: &'static str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("{scheme}://127.0.0.1:{port}#{USER}:{PASSWORD}");
        let mut child = Command::new("python3")
            .args(["-m", "pproxy", "-l", &listen, "-v", "--auth", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m pproxy runs (pip install pproxy; .ci/run does)");
        let log = Arc::new(Mutex::new(String::new()));
        let (out, sink) = (child.stdout.take().unwrap(), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        wait_until(10, "pproxy to listen", || async {
            std::net::TcpStream::connect(("127.0.0.1", port))
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await;
        Self {
            child,
            port,
            scheme,
            log,
        }
    }

    fn url(&self, password: &str) -> String {
        format!(
            "{}://{USER}:{password}@127.0.0.1:{}",
            self.scheme, self.port
        )
    }

    /// Waits until the proxy has tunnelled a connection to `target` (`host:port`).
    async fn tunnelled(&self, target: &str) {
        let what = format!("a tunnel to {target}");
        wait_until(20, &what, || async {
            let log = self.log.lock().unwrap().clone();
            if log.contains(&format!("-> {target}")) {
                Ok(())
            } else {
                Err(log)
            }
        })
        .await;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `host:port` of a `ws://` or `wss://` URL.
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

async fn create(live: &Live, name: &str, proxy: &str) -> Value {
    live.app
        .post(
            "/api/v1/sessions",
            &live.key,
            json!({"name": name, "proxy": proxy}),
        )
        .await
        .success(201)
}

/// Links session `sid` to [`ME`] by QR.
async fn link(live: &Live, sid: &str) {
    live.wait_status(sid, "SCAN_QR", 20).await;
    let qr = live.qr_json(sid).await;
    let scan = json!({"qr": qr["code"]});
    let (s, b) = live
        .sandbox_call("POST", &format!("/sandbox/accounts/{ME}/scan"), Some(scan))
        .await;
    assert!(s.is_success(), "scan: {b}");
    live.wait_status(sid, "WORKING", 20).await;
}

async fn through(backend: Backend, scheme: &'static str) {
    let live = live_with(
        TestDatabase::create(backend),
        start_sandbox().await,
        None,
        |_| {},
    )
    .await;
    live.account(ME, "Me").await;
    live.account(ALICE, "Alice").await;
    let (_, info) = live.sandbox_call("GET", "/sandbox/info", None).await;
    let ws = authority(info["ws_url"].as_str().unwrap());
    let media = info["media_host"].as_str().unwrap().to_string();
    let proxy = Proxy::start(scheme).await;

    let s = create(&live, "main", &proxy.url(PASSWORD)).await;
    let shown = format!("{scheme}://{USER}:***@127.0.0.1:{}", proxy.port);
    assert_eq!(s["proxy"], json!(shown), "{s}");
    assert!(!s.to_string().contains(PASSWORD), "{s}");
    let sid = s["id"].as_str().unwrap().to_string();
    link(&live, &sid).await;
    proxy.tunnelled(&ws).await;

    let path = format!("/api/v1/sessions/{sid}/messages");
    let body = json!({"to": format!("+{ALICE}"), "type": "text", "text": "via the proxy"});
    live.app.post(&path, &live.key, body).await.success(202);
    live.inbox_has(ALICE, "via the proxy", 20).await;
    // A received image is downloaded (and decrypted) through the proxy too.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let sent = live
        .phone_send(
            ALICE,
            json!({"to": ME, "image": {"data": png, "mimetype": "image/png"}}),
        )
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            20,
        )
        .await;
    let id = e["data"]["id"].as_str().unwrap();
    let got = live
        .app
        .raw(
            actix_web::http::Method::GET,
            &format!("/api/v1/sessions/{sid}/messages/{id}/media"),
            Some(&live.key),
            None,
        )
        .await;
    assert_eq!(got.status.as_u16(), 200, "{}", got.text);
    proxy.tunnelled(&media).await;

    // A wrong password: the proxy refuses, and the session never reaches WhatsApp.
    let refusing = Proxy::start(scheme).await;
    let bad = create(&live, "refused", &refusing.url("wrong")).await;
    let bad_id = bad["id"].as_str().unwrap();
    actix_rt::time::sleep(Duration::from_secs(4)).await;
    let now = live.session(bad_id).await;
    assert_eq!(now["status"], json!("STARTING"), "never connected: {now}");
    assert!(!refusing.log.lock().unwrap().contains(&format!("-> {ws}")));

    // PATCH takes the proxy away; the session connects directly again.
    let patched = live
        .app
        .patch(
            &format!("/api/v1/sessions/{bad_id}"),
            &live.key,
            json!({"proxy": null}),
        )
        .await
        .success(200);
    assert_eq!(patched["proxy"], Value::Null);
    live.wait_status(bad_id, "SCAN_QR", 20).await;
}

async fn a_session_works_through_a_socks5_proxy(backend: Backend) {
    through(backend, "socks5").await;
}

async fn a_session_works_through_an_http_connect_proxy(backend: Backend) {
    through(backend, "http").await;
}

async fn bad_proxies_are_refused(backend: Backend) {
    let live = live_with(
        TestDatabase::create(backend),
        start_sandbox().await,
        None,
        |_| {},
    )
    .await;
    for proxy in ["ftp://h:1", "socks5://", "http://h:1/x", "nonsense"] {
        let r = live
            .app
            .post(
                "/api/v1/sessions",
                &live.key,
                json!({"name": "p", "proxy": proxy}),
            )
            .await;
        assert_eq!(r.problem(400), "invalid_request", "{proxy}");
        assert!(r.text.contains("proxy"), "{}", r.text);
    }
}

/// Writes a session's stored (sealed) proxy setting directly, as damage or another master key
/// would leave it.
fn store_sealed_proxy(db: &TestDatabase, backend: Backend, sid: &str, sealed: Option<&str>) {
    use diesel::prelude::*;
    let update = diesel::sql_query("UPDATE sessions SET proxy_sealed = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(sealed)
        .bind::<diesel::sql_types::Text, _>(sid);
    let changed = match backend {
        Backend::Postgres => update.execute(&mut PgConnection::establish(&db.url).unwrap()),
        Backend::Sqlite => {
            let path = db.url.strip_prefix("sqlite://").unwrap();
            update.execute(&mut SqliteConnection::establish(path).unwrap())
        }
    };
    assert_eq!(changed.unwrap(), 1);
}

/// A session whose engine cannot start (its stored proxy setting does not open) is FAILED with
/// `engine_start_failed` and started again after the supervisor's backoff, over and over: once
/// the cause is gone, it runs without anyone starting it by hand.
async fn an_engine_that_cannot_start_is_started_again(backend: Backend) {
    let db = TestDatabase::create(backend);
    let live = live_with(db, start_sandbox().await, None, |_| {}).await;
    let created = live
        .app
        .post("/api/v1/sessions", &live.key, json!({"name": "p"}))
        .await
        .success(201);
    let sid = created["id"].as_str().unwrap().to_string();
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let stop = format!("/api/v1/sessions/{sid}/stop");
    live.app
        .post(&stop, &live.key, json!({}))
        .await
        .success(200);
    store_sealed_proxy(&live.app.db, backend, &sid, Some("not a sealed value"));
    let start = format!("/api/v1/sessions/{sid}/start");
    let started = live.app.post(&start, &live.key, json!({})).await;
    assert!(started.status.is_success(), "{}", started.text);
    let failed = live.wait_status(&sid, "FAILED", 20).await;
    assert_eq!(
        failed["status_reason"],
        json!("engine_start_failed"),
        "{failed}"
    );
    // Failed again at least once more after its backoff before the cause goes away.
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    let metrics = live
        .app
        .raw(actix_web::http::Method::GET, "/metrics", None, None)
        .await
        .text;
    let restarts = metrics
        .lines()
        .find_map(|l| l.strip_prefix("waras_session_restarts_total "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    assert!(restarts >= 1.0, "{metrics}");
    store_sealed_proxy(&live.app.db, backend, &sid, None);
    live.wait_status(&sid, "SCAN_QR", 20).await;
}

on_both_backends!(
    an_engine_that_cannot_start_is_started_again,
    a_session_works_through_a_socks5_proxy,
    a_session_works_through_an_http_connect_proxy,
    bad_proxies_are_refused,
);
