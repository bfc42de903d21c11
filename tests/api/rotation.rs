//! Master key rotation (issue 13, point 9): `waras rotate-master-key` re-seals every data key,
//! webhook secret and event sink URL and secret under the new key in one transaction; afterwards
//! only the new key opens them.

use std::process::Output;

use serde_json::json;
use waras::app::Application;
use waras::crypto::Sealer as SecretSealer;
use waras::db::{DatabaseTarget, DbPool, webhooks};
use waras::engine::sealing::RowId;
use waras::engine::{Sealer, check_master_key};

use crate::common::{Backend, TestApp, TestDatabase, settings_for, waras_cli};
use crate::on_both_backends;

const OLD: [u8; 32] = [0x11; 32];
const NEW: [u8; 32] = [0x42; 32];

fn rotate(db: &TestDatabase, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = waras_cli(db);
    cmd.arg("rotate-master-key").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("waras runs")
}

fn pool(db: &TestDatabase) -> DbPool {
    DbPool::connect(&DatabaseTarget::parse(&db.url).unwrap(), 2).unwrap()
}

fn row(sid: &str) -> RowId<'_> {
    RowId {
        table: "rotation_test",
        session_id: sid,
        key: &[b"k"],
    }
}

async fn rotation_reseals_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "s", true).await;
    let headers = json!({"Authorization": "Bearer hook-token"});
    let hook = json!({"url": "http://127.0.0.1:9/h", "events": ["*"], "headers": headers});
    let (hook_id, first_secret) = app.webhook(&key, hook).await;
    let secret = app.rotate_secret(&key, &hook_id).await;
    // A value sealed under the session's data key, as the engine store seals key material.
    let pool_now = app.running().db.pool().clone();
    let sealed = Sealer::load_or_create(&pool_now, &sid, &OLD)
        .unwrap()
        .seal(&row(&sid), b"identity key")
        .unwrap();
    // An event sink: its broker URL (with a password) and signing secret are sealed too.
    let sink = app
        .post(
            "/api/v1/sinks",
            &key,
            json!({"kind": "redis", "url": "redis://:sink-pass@127.0.0.1:9"}),
        )
        .await
        .success(201);
    let sink_id = sink["id"].as_str().unwrap().to_string();
    let sink_secret = sink["secret"].as_str().unwrap().to_string();
    let db = app.into_db().await;

    // The wrong current key changes nothing.
    let wrong = rotate(
        &db,
        &[
            ("WARAS_MASTER_KEY", "33".repeat(32)),
            ("WARAS_NEW_MASTER_KEY", hex::encode(NEW)),
        ],
        &[],
    );
    assert!(!wrong.status.success());
    let p = pool(&db);
    check_master_key(&p, &OLD).expect("still the old key");

    let out = rotate(
        &db,
        &[
            ("WARAS_MASTER_KEY", hex::encode(OLD)),
            ("WARAS_NEW_MASTER_KEY", hex::encode(NEW)),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains(&hex::encode(NEW)),
        "the key must not be printed"
    );

    assert!(
        check_master_key(&p, &OLD).is_err(),
        "the canary refuses the old key"
    );
    check_master_key(&p, &NEW).unwrap();
    assert!(Sealer::load_or_create(&p, &sid, &OLD).is_err());
    let opened = Sealer::load_or_create(&p, &sid, &NEW)
        .unwrap()
        .open(&row(&sid), &sealed)
        .unwrap();
    assert_eq!(&opened[..], b"identity key");
    let w = webhooks::get(&p, &tenant, &hook_id).unwrap().unwrap();
    let (old_s, new_s) = (
        SecretSealer::new(&OLD, "webhook-secret"),
        SecretSealer::new(&NEW, "webhook-secret"),
    );
    let aad = hook_id.as_bytes();
    assert_eq!(
        new_s.open(&w.secret_sealed, aad).unwrap(),
        secret.as_bytes()
    );
    let previous = w.previous_secret_sealed.unwrap();
    let previous = new_s.open(&previous, aad).unwrap();
    assert!(
        String::from_utf8_lossy(&previous).contains(&first_secret),
        "the rotated-out secret, still in its grace period"
    );
    assert!(old_s.open(&w.secret_sealed, aad).is_err());
    // Custom header values are sealed too, and re-sealed.
    let headers_aad = format!("{hook_id}:headers");
    let headers = new_s.open(&w.headers, headers_aad.as_bytes()).unwrap();
    assert!(String::from_utf8_lossy(&headers).contains("Bearer hook-token"));
    assert!(old_s.open(&w.headers, headers_aad.as_bytes()).is_err());

    let s = waras::db::sinks::get(&p, &tenant, &sink_id)
        .unwrap()
        .unwrap();
    let (old_k, new_k) = (
        SecretSealer::new(&OLD, "event-sink"),
        SecretSealer::new(&NEW, "event-sink"),
    );
    let (url_aad, secret_aad) = (
        waras::db::sinks::url_aad(&sink_id),
        waras::db::sinks::secret_aad(&sink_id),
    );
    let url = new_k.open(&s.url_sealed, &url_aad).unwrap();
    assert!(String::from_utf8_lossy(&url).contains("sink-pass"));
    assert_eq!(
        new_k.open(&s.secret_sealed, &secret_aad).unwrap(),
        sink_secret.as_bytes()
    );
    assert!(old_k.open(&s.secret_sealed, &secret_aad).is_err());
    assert!(old_k.open(&s.url_sealed, &url_aad).is_err());

    // The service refuses the old key and starts with the new one.
    let mut settings = settings_for(&db);
    settings.master_key = hex::encode(OLD).into();
    assert!(Application::build(settings).await.is_err());
    let app = TestApp::spawn_configured(db, |s| s.master_key = hex::encode(NEW).into()).await;
    let r = app.get(&format!("/api/v1/webhooks/{hook_id}"), &key).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
}

on_both_backends!(rotation_reseals_everything);

/// With a generated `master.key` and no configured key, the file is replaced; a rotation that a
/// crash interrupted after its commit is finished at the next start.
#[actix_rt::test]
async fn generated_key_file_is_replaced() {
    let db = TestDatabase::create(Backend::Sqlite);
    let app = TestApp::spawn_configured(db, |s| s.master_key = String::new().into()).await;
    let (_t, key) = app.tenant("acme").await;
    app.session(&key, "s", true).await;
    let db = app.into_db().await;
    let key_file = db.dir.path().join("master.key");
    let old_hex = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_string();
    let new_file = db.dir.path().join("new.key");
    std::fs::write(&new_file, hex::encode(NEW)).unwrap();

    let both = rotate(
        &db,
        &[("WARAS_NEW_MASTER_KEY", hex::encode(NEW))],
        &["--new-key-file", new_file.to_str().unwrap()],
    );
    assert!(!both.status.success(), "one source of the new key only");
    let out = rotate(&db, &[], &["--new-key-file", new_file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        hex::encode(NEW)
    );
    assert!(!db.dir.path().join("master.key.new").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // As if the process died between the commit and the rename.
    std::fs::write(db.dir.path().join("master.key.new"), hex::encode(NEW)).unwrap();
    std::fs::write(&key_file, &old_hex).unwrap();
    let app = TestApp::spawn_configured(db, |s| s.master_key = String::new().into()).await;
    let r = app.get("/api/v1/sessions", &key).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let db = app.into_db().await;
    assert_eq!(
        std::fs::read_to_string(db.dir.path().join("master.key"))
            .unwrap()
            .trim(),
        hex::encode(NEW)
    );
    crate::common::finish_passed_test();
}
