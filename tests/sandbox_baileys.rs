//! The sandbox must not lean on quirks of our engine: Baileys (a WhatsApp Web client from the npm
//! registry that no one here wrote) links to a sandbox account by QR and exchanges a 1:1 text both
//! ways with another account's phone. Needs `npm ci` in tests/sandbox_baileys (`.ci/run` does it).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use std::path::Path;
use std::process::Command;

use waras::sandbox::{self, SandboxConfig};

#[actix_rt::test]
async fn baileys_links_and_exchanges_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sandbox_baileys");
    assert!(
        dir.join("node_modules/baileys").is_dir(),
        "Baileys is not installed: run `npm ci --prefix tests/sandbox_baileys` (.ci/run does)"
    );
    let sandbox = sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts");
    let admin = sandbox.admin_url();
    let client = awc::Client::default();
    for (phone, name) in [("15551110001", "Baileys user"), ("15551110002", "Peer")] {
        let r = client
            .post(format!("{admin}/accounts"))
            .send_json(&serde_json::json!({"phone": phone, "name": name}))
            .await
            .expect("create account");
        assert!(r.status().is_success());
    }
    let auth = tempfile::tempdir().unwrap();
    let (ws, root) = (
        sandbox.ws_url().to_string(),
        sandbox.root_public_key_base64(),
    );
    let auth_dir = auth.path().to_str().unwrap().to_string();
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .current_dir(&dir)
            .args([
                "link.mjs",
                &ws,
                &admin,
                &root,
                "15551110001",
                "15551110002",
                &auth_dir,
            ])
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "Baileys check failed:\n{log}");
    assert!(log.contains("OPEN"), "{log}");
    sandbox.stop().await;
}
