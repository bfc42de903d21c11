//! Media bytes in an S3-compatible bucket, against a real S3 server (moto's server mode, from
//! PyPI; `.ci/run` installs it): sent and received files land in the bucket and the database keeps
//! only their key, they are read back from there (to send and to download), deleted objects are
//! swept, and `waras media migrate` moves existing files into the bucket and back.

use std::process::{Child, Command, Stdio};

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use waras::config::MediaStoreKind;

use crate::common::{Backend, TestDatabase, wait_until, waras_cli};
use crate::crash::free_port;
use crate::messaging::files::{jpeg, pdf};
use crate::on_both_backends;
use crate::scenario::Scenario;

const ALICE: &str = "4915100000041";
const ME: &str = "4915100000042";
const BUCKET: &str = "waras-media";

/// A moto S3 server on a free loopback port, with one empty bucket; stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> Self {
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with moto[server] (pip install 'moto[server]'; .ci/run does)");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let url = format!("{}/{BUCKET}", server.endpoint);
        wait_until(30, "moto's S3 server to create the bucket", || async {
            match awc::Client::default().put(url.as_str()).send().await {
                Ok(res) if res.status().is_success() => Ok(()),
                Ok(res) => Err(format!("{}", res.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        server
    }

    /// Settings that keep media in this server's bucket.
    fn configure(&self, s: &mut waras::config::Settings) {
        s.media_store = MediaStoreKind::S3;
        self.name_bucket(s);
    }

    /// The bucket's settings without choosing it for new files.
    fn name_bucket(&self, s: &mut waras::config::Settings) {
        s.s3_bucket = BUCKET.into();
        s.s3_endpoint = self.endpoint.clone();
        s.s3_region = "eu-central-1".into();
        s.s3_access_key_id = "waras-test".into();
        s.s3_secret_access_key = "waras-test-secret".to_string().into();
        s.s3_path_style = true;
    }

    /// The same as `WARAS_*` variables, for the command line.
    fn env(&self, cmd: &mut Command) {
        cmd.env("WARAS_S3_BUCKET", BUCKET)
            .env("WARAS_S3_ENDPOINT", &self.endpoint)
            .env("WARAS_S3_REGION", "eu-central-1")
            .env("WARAS_S3_ACCESS_KEY_ID", "waras-test")
            .env("WARAS_S3_SECRET_ACCESS_KEY", "waras-test-secret")
            .env("WARAS_S3_PATH_STYLE", "true");
    }

    /// The keys in the bucket, as the server lists them.
    async fn keys(&self) -> Vec<String> {
        let url = format!("{}/{BUCKET}?list-type=2", self.endpoint);
        let mut res = awc::Client::default().get(url).send().await.expect("list");
        assert!(res.status().is_success(), "list: {}", res.status());
        let body = res.body().await.expect("list body");
        let xml = String::from_utf8_lossy(&body);
        let mut keys: Vec<String> = xml
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET the session's media of message `id`: status and bytes.
async fn download(sc: &Scenario, id: &Value) -> (StatusCode, Vec<u8>) {
    let id = id.as_str().expect("message id");
    let r = sc.get(&format!("/messages/{id}/media")).await;
    (r.status, r.bytes)
}

/// What the database holds of the file of message `id`: its bytes and its object key.
async fn stored_row(sc: &Scenario, id: &Value) -> (Vec<u8>, Option<String>) {
    let (sid, mid) = (sc.sid.clone(), id.as_str().expect("id").to_string());
    let row = sc
        .app
        .running()
        .db
        .run(move |pool| waras::db::media::of_message(pool, &sid, &mid))
        .await
        .expect("media row")
        .expect("a stored file");
    (row.data, row.object_key)
}

/// An image sent to Alice (who gets it byte for byte) and a document received from her and
/// downloaded: the two files WARAS then stores. Answers their message ids and bytes.
async fn send_and_receive(sc: &Scenario) -> [(Value, Vec<u8>); 2] {
    let photo = jpeg(30_000);
    let sent = sc
        .send(json!({"to": format!("+{ALICE}"), "type": "image", "image": {"data": B64.encode(&photo)}}))
        .await;
    let got = sc.phone_got(ALICE, &sent).await;
    let at_phone = B64
        .decode(
            got["media"]["data"]
                .as_str()
                .expect("phone downloaded the image"),
        )
        .expect("base64");
    assert_eq!(at_phone, photo, "the phone got the image byte for byte");
    let doc = pdf(20_000);
    let part =
        json!({"data": B64.encode(&doc), "mimetype": "application/pdf", "filename": "a.pdf"});
    let e = sc.receive(ALICE, json!({"to": ME, "document": part})).await;
    let received = e["data"]["id"].clone();
    assert_eq!(download(sc, &received).await, (StatusCode::OK, doc.clone()));
    [(sent["id"].clone(), photo), (received, doc)]
}

async fn files_live_in_the_bucket(backend: Backend) {
    let s3 = S3Server::start().await;
    let sc = Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], |s| s3.configure(s)).await;
    let files = send_and_receive(&sc).await;

    let keys = s3.keys().await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    for (id, bytes) in &files {
        let (data, key) = stored_row(&sc, id).await;
        assert!(data.is_empty(), "the database keeps no bytes");
        let key = key.expect("an object key");
        assert!(keys.contains(&key), "{key} not in {keys:?}");
        assert!(key.starts_with("media/"), "{key}");
        // Served from the bucket, again and again.
        assert_eq!(download(&sc, id).await, (StatusCode::OK, bytes.clone()));
    }

    // Deleting the session deletes its files: their objects are swept from the bucket.
    let r = sc.delete("").await;
    assert!(r.status.is_success(), "{}", r.text);
    let swept = sc
        .app
        .running()
        .db
        .sweep_orphan_objects()
        .await
        .expect("sweep");
    assert_eq!(swept, 2);
    assert_eq!(s3.keys().await, Vec::<String>::new());
}

/// Runs `waras media migrate` with `args` on the (stopped) instance's database; its stdout.
fn migrate_media(db: &TestDatabase, s3: &S3Server, args: &[&str]) -> String {
    let mut cmd = waras_cli(db);
    cmd.args(["media", "migrate"]).args(args);
    s3.env(&mut cmd);
    let out = cmd.output().expect("run waras media migrate");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn migrate_moves_files_there_and_back(backend: Backend) {
    let s3 = S3Server::start().await;
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let files = send_and_receive(&sc).await;
    for (id, _) in &files {
        let (data, key) = stored_row(&sc, id).await;
        assert!(
            !data.is_empty() && key.is_none(),
            "kept in the database first"
        );
    }
    assert!(s3.keys().await.is_empty());

    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mut said = String::new();
    let sc = sc
        .restarted(|db| said = migrate_media(db, &s3, &[]), |s| s3.configure(s))
        .await;
    assert_eq!(
        said.trim(),
        format!("moved 2 file(s), {bytes} bytes, into bucket {BUCKET}")
    );
    assert_eq!(s3.keys().await.len(), 2);
    for (id, bytes) in &files {
        let (data, key) = stored_row(&sc, id).await;
        assert!(data.is_empty() && key.is_some(), "moved into the bucket");
        assert_eq!(download(&sc, id).await, (StatusCode::OK, bytes.clone()));
    }
    // Nothing is left to move.
    let mut again = String::new();
    let sc = sc
        .restarted(
            |db| again = migrate_media(db, &s3, &[]),
            |s| s3.configure(s),
        )
        .await;
    assert!(again.starts_with("moved 0 file(s)"), "{again}");

    // And back: the database holds the bytes again and the bucket is emptied.
    let mut back = String::new();
    let sc = sc
        .restarted(
            |db| back = migrate_media(db, &s3, &["--to", "database"]),
            |s| s3.name_bucket(s),
        )
        .await;
    assert_eq!(
        back.trim(),
        format!("moved 2 file(s), {bytes} bytes, into the database")
    );
    assert!(s3.keys().await.is_empty());
    for (id, bytes) in &files {
        let (data, key) = stored_row(&sc, id).await;
        assert_eq!((&data, key), (bytes, None));
        assert_eq!(download(&sc, id).await, (StatusCode::OK, bytes.clone()));
    }
}

on_both_backends!(files_live_in_the_bucket, migrate_moves_files_there_and_back);
