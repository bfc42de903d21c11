//! The `waras` binary: bootstrap, configuration checks, version.

use std::process::Command;

use actix_web::http::StatusCode;

use crate::common::{Backend, TestApp, TestDatabase, waras_cli as waras};

#[actix_rt::test]
async fn bootstrap_prints_a_working_key_once() {
    let db = TestDatabase::create(Backend::Sqlite);
    let out = waras(&db)
        .args(["tenant", "create", "--name", "acme"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("key="))
        .expect("key line")
        .to_string();
    assert!(key.starts_with("waras_"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(&key),
        "the key must not reach the log"
    );
    let app = TestApp::spawn_on(db).await;
    let r = app.get("/api/v1/sessions", &key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[test]
fn unknown_configuration_keys_are_named() {
    let db = TestDatabase::create(Backend::Sqlite);
    std::fs::create_dir_all(db.dir.path().join("config")).unwrap();
    std::fs::write(
        db.dir.path().join("config/10-local.toml"),
        "listne = \"127.0.0.1:1\"\n",
    )
    .unwrap();
    let migrate_fails_naming = |env: Option<(&str, &str)>, named: &str| {
        let mut cmd = waras(&db);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd.arg("migrate").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{env:?} must fail");
        assert!(err.contains(named), "{env:?} must name {named:?}: {err}");
    };
    migrate_fails_naming(None, "listne");

    std::fs::remove_file(db.dir.path().join("config/10-local.toml")).unwrap();
    migrate_fails_naming(Some(("WARAS_ADMN_KEY", "x")), "admn_key");
    migrate_fails_naming(
        Some(("WARAS_MASTER_KEY", "abc")),
        "master_key must be 64 hex",
    );

    let out = waras(&db).arg("migrate").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
}

#[test]
fn secrets_never_print() {
    let mut s = waras::config::Settings::defaults().unwrap();
    s.admin_key = "super-secret-admin-value".to_string().into();
    s.database_url = "postgres://u:hunter2@db/waras".to_string().into();
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("super-secret-admin-value") && !shown.contains("hunter2"),
        "{shown}"
    );
}

#[test]
fn version_reports_certificate_verification() {
    let out = Command::new(env!("CARGO_BIN_EXE_waras"))
        .arg("--version")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = if cfg!(feature = "sandbox") {
        "cert_verification off"
    } else {
        "cert_verification on"
    };
    assert!(text.contains(expected), "{text}");
}
