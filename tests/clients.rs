//! The typed clients under `clients/`: that they match what the service serves, and that they work.
//!
//! - `committed_clients_match_the_served_document` runs `clients/generate.sh --out <tmp>` against
//!   the `waras` binary cargo just built (the script starts it, reads `/openapi.json` and generates
//!   both clients), then asserts that the served document, pretty-printed with its key order kept
//!   (`clients/prepare_spec.py normalise`), equals `clients/openapi.json` byte for byte, and that
//!   every generated file equals the committed one (no file missing, none left over).
//! - `typescript_client_against_the_sandbox` and `python_client_against_the_sandbox` run each
//!   client's own test (`clients/typescript/test/`, `clients/python/tests/`) against a real
//!   `waras serve --sandbox` of that binary: link by QR, send, receive, signed webhook.
//!
//! Needs bash, curl, Node.js 20 with `npm ci --prefix clients/typescript`, and python3 with
//! `python3 -m pip install -r clients/python/requirements.txt`; fails, never skips, without them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const REGENERATE: &str = "run `WARAS_WRITE_OPENAPI=1 cargo test --lib the_served_document` (the \
     document from the handlers' annotations), then `clients/generate.sh` (it starts \
     target/debug/waras: build it first with `cargo build --features sandbox --bin waras`) and commit \
     what changed";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn require_node_modules(packages: &[&str]) {
    for package in packages {
        assert!(
            root()
                .join("clients/typescript/node_modules")
                .join(package)
                .is_dir(),
            "clients/typescript/node_modules/{package} is missing: run `npm ci --prefix clients/typescript`"
        );
    }
}

fn require_python_modules(modules: &str) {
    let out = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .expect("cannot run `python3` (install Python 3.11 or later)");
    assert!(
        out.status.success(),
        "python3 cannot import {modules}: run `python3 -m pip install -r clients/python/requirements.txt`\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(what: &str, command: &mut Command) -> Output {
    let out = command
        .current_dir(root())
        .env("WARAS_BIN", env!("CARGO_BIN_EXE_waras"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The files under `dir`, relative to it, without caches Python or ruff may leave behind.
fn files_under(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, into: &mut BTreeSet<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if name == "__pycache__" || name == ".ruff_cache" || name.ends_with(".pyc") {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, into);
            } else {
                into.insert(path.strip_prefix(base).unwrap().to_path_buf());
            }
        }
    }
    let mut files = BTreeSet::new();
    walk(dir, dir, &mut files);
    files
}

fn assert_same_file(generated: &Path, committed: &Path, name: &str) {
    let want = std::fs::read(generated).unwrap_or_else(|e| panic!("{}: {e}", generated.display()));
    let have = std::fs::read(committed)
        .unwrap_or_else(|e| panic!("clients/{name} is missing ({e}): {REGENERATE}"));
    if want != have {
        let line = String::from_utf8_lossy(&want)
            .lines()
            .zip(String::from_utf8_lossy(&have).lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "at its end".to_string(),
                |n| format!("from line {}", n + 1),
            );
        panic!("clients/{name} differs from what the generator makes now ({line}): {REGENERATE}");
    }
}

#[test]
fn committed_clients_match_the_served_document() {
    require_node_modules(&["openapi-typescript"]);
    require_python_modules("openapi_python_client");
    let out = tempfile::tempdir().unwrap();
    run(
        "clients/generate.sh",
        Command::new("bash")
            .arg("clients/generate.sh")
            .arg("--out")
            .arg(out.path()),
    );
    let clients = root().join("clients");

    // (a) The document the fresh server served, normalised, is the committed one.
    let served = std::fs::read(out.path().join("openapi.json")).unwrap();
    let committed = std::fs::read(clients.join("openapi.json")).unwrap_or_default();
    assert!(
        served == committed,
        "the served /openapi.json (pretty-printed, key order kept) differs from clients/openapi.json: {REGENERATE}"
    );

    // (b) The clients generated from it are the committed ones.
    assert_same_file(
        &out.path().join("typescript/src/schema.ts"),
        &clients.join("typescript/src/schema.ts"),
        "typescript/src/schema.ts",
    );
    let generated = out.path().join("python/waras-client");
    let committed = clients.join("python/waras-client");
    let (want, have) = (files_under(&generated), files_under(&committed));
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "clients/python/waras-client lacks {missing:?} and has {extra:?} that the generator does not make: {REGENERATE}"
    );
    assert!(
        want.len() > 100,
        "the Python client is a few hundred files, not {}",
        want.len()
    );
    for file in &want {
        let name = format!("python/waras-client/{}", file.display());
        assert_same_file(&generated.join(file), &committed.join(file), &name);
    }
}

#[test]
fn typescript_client_against_the_sandbox() {
    require_node_modules(&[
        "openapi-fetch",
        "typescript",
        "standardwebhooks",
        "@types/node",
    ]);
    // Compiled afresh each time, so no test of an older checkout is left in dist/ to run.
    let dist = root().join("clients/typescript/dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).unwrap();
    }
    // tsc type-checks the test against the generated types: a client that no longer fits fails here.
    run(
        "tsc -p clients/typescript",
        Command::new("node").args([
            "clients/typescript/node_modules/typescript/bin/tsc",
            "-p",
            "clients/typescript",
        ]),
    );
    run(
        "node --test clients/typescript/dist/test/",
        Command::new("node").args(["--test", "clients/typescript/dist/test/"]),
    );
}

#[test]
fn python_client_against_the_sandbox() {
    require_python_modules("httpx, attrs, standardwebhooks");
    run(
        "python3 -m unittest discover -s clients/python/tests",
        Command::new("python3").args([
            "-m",
            "unittest",
            "discover",
            "-v",
            "-s",
            "clients/python/tests",
        ]),
    );
}
