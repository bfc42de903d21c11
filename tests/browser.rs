//! Runs the web UI's browser tests (`tests/browser/*.test.mjs`, headless Chromium through
//! playwright-core) against the `waras` binary cargo just built. Needs node, `/usr/bin/chromium`
//! (`apt-get install -y chromium`) and `npm ci` in `tests/browser`; fails, never skips, without them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use std::path::Path;
use std::process::Command;

#[test]
fn web_ui_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: run `npm ci` in tests/browser first"
    );
    let chromium = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install it with `apt-get install -y chromium` (or set CHROMIUM_BIN)"
    );
    let status = Command::new("node")
        .args(["--test", "tests/browser/"])
        .current_dir(root)
        .env("WARAS_BIN", env!("CARGO_BIN_EXE_waras"))
        .status()
        .expect("cannot run `node` (install Node.js 20 or later)");
    assert!(status.success(), "the browser tests failed: {status}");
}
