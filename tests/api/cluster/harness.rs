//! The harness of the cluster tests: `waras serve` processes on one PostgreSQL, a sandbox, and an
//! HTTP client that retries what never left.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use waras::sandbox::SandboxHandle;

use super::ALICE;
use crate::common::{ADMIN_KEY, Backend, TestDatabase};
use crate::crash::{free_port, serve};
use crate::sandboxed::start_sandbox;

const MASTER_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

pub(super) struct Node {
    pub id: String,
    pub base: String,
    port: u16,
    pub child: Option<Child>,
    /// Another way to the database (through a [`Cut`] proxy).
    db_url: Option<String>,
}

/// A cluster of `waras serve` processes, a sandbox and an HTTP client.
pub(super) struct Cluster {
    pub db: TestDatabase,
    sandbox: SandboxHandle,
    pub nodes: Vec<Node>,
    pub client: awc::Client,
    pub key: String,
    /// Each instance's database pool: small in tests, so that several instances (and a test
    /// running beside them) stay within PostgreSQL's connection limit.
    pool_size: u32,
}

impl Cluster {
    pub async fn start(n: usize) -> Self {
        Self::start_with_pool(n, 8).await
    }

    /// [`Cluster::start`] with another pool size per instance (the benchmark runs the default).
    pub async fn start_with_pool(n: usize, pool_size: u32) -> Self {
        let db = TestDatabase::create(Backend::Postgres);
        let sandbox = start_sandbox().await;
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish();
        let mut cluster = Cluster {
            db,
            sandbox,
            nodes: Vec::new(),
            client,
            key: String::new(),
            pool_size,
        };
        for i in 0..n {
            cluster.add_node(None);
            cluster.spawn(i).await;
        }
        if n > 0 {
            cluster.key = cluster.tenant_key().await;
        }
        cluster
    }

    pub fn add_node(&mut self, db_url: Option<String>) -> usize {
        self.nodes.push(Node {
            id: format!("node-{}", self.nodes.len() + 1),
            base: String::new(),
            port: free_port(),
            child: None,
            db_url,
        });
        self.nodes.len() - 1
    }

    pub async fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let db_url = node.db_url.as_ref().unwrap_or(&self.db.url);
        let child = serve(db_url, self.db.dir.path(), node.port, MASTER_KEY)
            .arg("serve")
            .env("WARAS_INSTANCE_ID", &node.id)
            .env("WARAS_WA_URL", self.sandbox.ws_url())
            .env("WARAS_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("WARAS_DB_POOL_SIZE", self.pool_size.to_string())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("waras starts");
        node.base = format!("http://127.0.0.1:{}", node.port);
        node.child = Some(child);
        let base = node.base.clone();
        for _ in 0..400 {
            if let Ok(r) = self.client.get(format!("{base}/readyz")).send().await
                && r.status() == StatusCode::OK
            {
                return;
            }
            actix_rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{base} did not become ready");
    }

    pub fn kill9(&mut self, i: usize) {
        let mut child = self.nodes[i].child.take().expect("running");
        child.kill().expect("kill -9");
        let _ = child.wait();
    }

    /// SIGTERM, then waits for the process to exit (it drains first); answers its exit code.
    pub fn terminate(&mut self, i: usize) -> Option<i32> {
        let mut child = self.nodes[i].child.take().expect("running");
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn live_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].child.is_some())
            .collect()
    }

    pub async fn call(
        &self,
        node: usize,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.nodes[node].base);
        let what = format!("{method} {path} on node {node}");
        // Not connected: the request never left, so trying again cannot repeat it.
        let retry = |e: &awc::error::SendRequestError| {
            matches!(e, awc::error::SendRequestError::Connect(_))
        };
        self.request(method, &url, Some(key), &body, &what, retry)
            .await
    }

    /// A request that is tried again (up to 5 times) when `retry` says its error allows it.
    async fn request(
        &self,
        method: &str,
        url: &str,
        key: Option<&str>,
        body: &Option<Value>,
        what: &str,
        retry: impl Fn(&awc::error::SendRequestError) -> bool,
    ) -> (StatusCode, Value) {
        let mut attempt = 0;
        let mut res = loop {
            let mut req = self.client.request(method.parse().unwrap(), url);
            if let Some(key) = key {
                req = req.insert_header(("X-Api-Key", key));
            }
            let sent = match body {
                Some(b) => req.send_json(b).await,
                None => req.send().await,
            };
            match sent {
                Ok(res) => break res,
                Err(e) if attempt < 5 && retry(&e) => {
                    attempt += 1;
                    eprintln!("{what}: {e}; again");
                    actix_rt::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("{what}: {e}"),
            }
        };
        let status = res.status();
        let answer = res.json::<Value>().limit(1 << 22).await;
        (status, answer.unwrap_or(Value::Null))
    }

    /// A call with the tenant's key that must succeed; its answer.
    pub async fn ok(&self, node: usize, method: &str, path: &str, body: Option<Value>) -> Value {
        let (s, b) = self.call(node, method, path, &self.key, body).await;
        assert!(s.is_success(), "{method} {path} on node {node}: {s} {b}");
        b
    }

    /// The sandbox's admin API; the call must succeed.
    pub async fn sandbox(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let root = self.sandbox.admin_url();
        let root = root.trim_end_matches("/sandbox").trim_end_matches('/');
        let url = format!("{root}{path}");
        // Under load (hundreds of linked accounts in one sandbox) a pooled connection may be
        // closed under us: try again on a fresh one.
        let what = format!("sandbox {method} {path}");
        let (status, answer) = self
            .request(method, &url, None, &body, &what, |_| true)
            .await;
        assert!(status.is_success(), "{what}: {status} {answer}");
        answer
    }

    /// A sandbox account.
    pub async fn account(&self, phone: &str, name: &str) {
        let body = json!({"phone": phone, "name": name});
        self.sandbox("POST", "/sandbox/accounts", Some(body)).await;
    }

    /// Creates session `name` through `node` and links it to `phone` by a QR read through
    /// `qr_node`; (session id, phone).
    pub async fn link(
        &self,
        node: usize,
        qr_node: usize,
        name: &str,
        phone: &str,
    ) -> (String, String) {
        let sid = self.create_session(node, name).await;
        self.scan(qr_node, &sid, phone).await;
        (sid, phone.to_string())
    }

    async fn create_session(&self, node: usize, name: &str) -> String {
        let body = json!({"name": name, "start": true});
        let (s, b) = self
            .call(node, "POST", "/api/v1/sessions", &self.key, Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b["id"].as_str().unwrap().to_string()
    }

    /// `phone` scans the QR session `sid` shows on `node`.
    async fn scan(&self, node: usize, sid: &str, phone: &str) {
        let code = self.wait_qr(node, sid).await;
        let scan = format!("/sandbox/accounts/{phone}/scan");
        self.sandbox("POST", &scan, Some(json!({"qr": code}))).await;
    }

    pub async fn tenant_key(&self) -> String {
        let tenant = Some(json!({"name": "acme"}));
        let (s, t) = self
            .call(0, "POST", "/api/v1/tenants", ADMIN_KEY, tenant)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let keys = format!("/api/v1/tenants/{}/keys", t["id"].as_str().unwrap());
        let owner = Some(json!({"name": "owner", "scopes": ["read", "send", "manage"]}));
        let (s, k) = self.call(0, "POST", &keys, ADMIN_KEY, owner).await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
        k["key"].as_str().unwrap().to_string()
    }

    /// Creates `n` sessions through rotating nodes and links each to its own sandbox account.
    pub async fn link_many(&self, n: usize) -> Vec<(String, String)> {
        self.account(ALICE, "Alice").await;
        let mut created = Vec::new();
        for i in 0..n {
            let phone = format!("49153{:08}", i + 1);
            self.account(&phone, &format!("Acct {i}")).await;
            let node = self.live_nodes()[i % self.live_nodes().len()];
            created.push((self.create_session(node, &format!("s{i}")).await, phone));
        }
        for (i, (sid, phone)) in created.iter().enumerate() {
            let node = self.live_nodes()[(i + 1) % self.live_nodes().len()];
            self.scan(node, sid, phone).await;
        }
        self.settled(&created, 30, true).await;
        created
    }

    pub async fn wait_qr(&self, node: usize, sid: &str) -> String {
        // Generous: in the benchmark hundreds of devices link at once on two cores.
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let sent = self
                .client
                .get(format!(
                    "{}/api/v1/sessions/{sid}/qr",
                    self.nodes[node].base
                ))
                .insert_header(("X-Api-Key", self.key.as_str()))
                .insert_header(("Accept", "application/json"))
                .send()
                .await;
            // A GET may be tried again: under load a pooled connection can be reset.
            let mut res = match sent {
                Ok(res) => res,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no QR for {sid}: {e}");
                    eprintln!("QR of {sid} on node {node}: {e}; again");
                    actix_rt::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if status == StatusCode::OK
                && let Some(code) = body["code"].as_str()
            {
                return code.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no QR for {sid}; last answer: {status} {body}"
            );
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every session is WORKING on a live node; answers the owners. A session that
    /// asks to be linked again fails the test.
    pub async fn all_working(
        &self,
        sessions: &[(String, String)],
        secs: u64,
    ) -> HashMap<String, String> {
        self.settled(sessions, secs, false).await
    }

    pub async fn settled(
        &self,
        sessions: &[(String, String)],
        secs: u64,
        linking: bool,
    ) -> HashMap<String, String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let live: Vec<String> = self
            .live_nodes()
            .iter()
            .map(|i| self.nodes[*i].id.clone())
            .collect();
        loop {
            let rows = self.all_sessions(self.live_nodes()[0]).await;
            let mut owners = HashMap::new();
            let mut waiting = Vec::new();
            for (sid, _) in sessions {
                let row = rows.iter().find(|r| r["id"] == json!(sid)).expect("listed");
                assert_ne!(row["status"], json!("LOGGED_OUT"), "{row}");
                if !linking {
                    assert_ne!(row["status"], json!("SCAN_QR"), "re-link asked: {row}");
                }
                match row["instance"].as_str() {
                    Some(i) if row["status"] == json!("WORKING") && live.iter().any(|l| l == i) => {
                        owners.insert(sid.clone(), i.to_string());
                    }
                    _ => waiting.push(format!("{} {} {}", sid, row["status"], row["instance"])),
                }
            }
            if waiting.is_empty() {
                return owners;
            }
            assert!(
                Instant::now() < deadline,
                "not WORKING on a live node: {waiting:?}"
            );
            actix_rt::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every session of the tenant, through all pages.
    pub async fn all_sessions(&self, node: usize) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, page) = self
                .call(
                    node,
                    "GET",
                    &format!("/api/v1/sessions?limit=200{cursor}"),
                    &self.key,
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{page}");
            rows.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return rows,
            }
        }
    }

    /// Accepts a text send through `node` (any node accepts any send: the outbox is shared);
    /// answers the text.
    pub async fn send(&self, node: usize, sid: &str, text: String) -> String {
        let body = json!({"to": ALICE, "type": "text", "text": text});
        let path = format!("/api/v1/sessions/{sid}/messages");
        let (s, b) = self.call(node, "POST", &path, &self.key, Some(body)).await;
        assert_eq!(s, StatusCode::ACCEPTED, "send through node {node}: {b}");
        text
    }

    /// The ids of every event of this type, through all pages (read through `node`).
    pub async fn event_ids(&self, node: usize, kind: &str) -> Vec<String> {
        let mut ids = Vec::new();
        loop {
            let after = ids
                .last()
                .map(|id| format!("&after={id}"))
                .unwrap_or_default();
            let path = format!("/api/v1/events?types={kind}&limit=200{after}");
            let page = self.ok(node, "GET", &path, None).await;
            let data = page["data"].as_array().unwrap();
            if data.is_empty() {
                return ids;
            }
            ids.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_string()));
        }
    }

    /// Every text in Alice's inbox, counted.
    pub async fn alice_counts(&self) -> BTreeMap<String, usize> {
        let inbox = self
            .sandbox("GET", &format!("/sandbox/accounts/{ALICE}/messages"), None)
            .await;
        let mut counts = BTreeMap::new();
        for m in inbox.as_array().cloned().unwrap_or_default() {
            if let Some(t) = m["text"].as_str() {
                *counts.entry(t.to_string()).or_insert(0) += 1;
            }
        }
        counts
    }

    pub async fn each_arrives_once(&self, texts: &[String], secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let counts = self.alice_counts().await;
            let missing: Vec<&String> = texts.iter().filter(|t| !counts.contains_key(*t)).collect();
            let doubled: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
            assert!(doubled.is_empty(), "delivered more than once: {doubled:?}");
            if missing.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "never delivered: {missing:?}");
            actix_rt::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Companion devices each account has linked: one each, or something re-linked.
    pub async fn companions(&self, phone: &str) -> usize {
        let devices = self
            .sandbox("GET", &format!("/sandbox/accounts/{phone}/devices"), None)
            .await;
        devices
            .as_array()
            .map(|a| a.iter().filter(|d| d["primary"] == json!(false)).count())
            .unwrap_or(0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

pub(super) fn per_owner(owners: &HashMap<String, String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for o in owners.values() {
        *counts.entry(o.clone()).or_insert(0) += 1;
    }
    counts
}

/// CPU seconds (user + system) a process has used, from /proc.
pub(super) fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
