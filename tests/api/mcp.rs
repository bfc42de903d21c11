//! The MCP server at `/mcp`, driven by the official MCP client SDK (npm
//! `@modelcontextprotocol/sdk`, `npm ci --prefix tests/mcp`) against a linked sandbox session:
//! the tools list sessions, check numbers, send (the phone gets it), list chats and read
//! messages; a key without the `send` scope gets the send refused as a tool error, and a call
//! without a key is refused before the protocol starts.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915100000161";
const ALICE: &str = "4915100000162";

/// Runs the SDK client off the test's thread (the instance's actors live there); its exit code,
/// its JSON summary (when it connected) and its stderr.
async fn agent(base: &str, key: &str, sid: &str) -> (i32, Value, String) {
    let (base, key, sid) = (base.to_string(), key.to_string(), sid.to_string());
    actix_rt::task::spawn_blocking(move || run_agent(&base, &key, &sid))
        .await
        .expect("the agent ran")
}

fn run_agent(base: &str, key: &str, sid: &str) -> (i32, Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/mcp/node_modules/@modelcontextprotocol/sdk")
            .is_dir(),
        "tests/mcp/node_modules is missing: run `npm ci --prefix tests/mcp`"
    );
    let out = Command::new("node")
        .arg(root.join("tests/mcp/client.mjs"))
        .args([base, key, sid, &format!("+{ALICE}")])
        .output()
        .expect("cannot run `node` (install Node.js 20 or later)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let summary = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), summary, stderr)
}

async fn an_agent_works_through_the_tools(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    sc.receive_text(ALICE, "hi agent").await;
    let base = sc.app.base.clone();

    let (code, out, err) = agent(&base, &sc.key, &sc.sid).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["server"]["name"], json!("waras"), "{out}");
    for tool in [
        "list_sessions",
        "list_chats",
        "read_messages",
        "send_message",
        "check_numbers",
    ] {
        assert!(
            out["tools"].as_array().unwrap().contains(&json!(tool)),
            "{tool}: {out}"
        );
    }
    let sessions = &out["sessions"]["structuredContent"]["data"];
    assert_eq!(sessions[0]["id"], json!(sc.sid), "{out}");
    let checked = &out["check"]["structuredContent"]["data"];
    assert_eq!(checked[0]["on_whatsapp"], json!(true), "{out}");
    assert_eq!(checked[1]["on_whatsapp"], json!(false), "{out}");
    assert_eq!(out["send"]["isError"], json!(false), "{out}");
    let sent = out["send"]["structuredContent"].clone();
    let got = sc.phone_got(ALICE, &sent).await;
    assert_eq!(got["text"], json!("hello from an agent"), "{got}");
    let chats = out["chats"]["structuredContent"]["data"].to_string();
    assert!(chats.contains(ALICE), "{chats}");
    let messages = out["messages"]["structuredContent"]["data"].to_string();
    assert!(messages.contains("hi agent"), "{messages}");
    assert!(
        out["unknown"].as_str().unwrap().contains("unknown tool"),
        "{out}"
    );

    // Scopes hold: a read-only key reads, and its send is a tool error naming the scope.
    let reader = sc.app.scoped_key(&sc.key, &["read"]).await;
    let (code, out, err) = agent(&base, &reader, &sc.sid).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["sessions"]["isError"], json!(false), "{out}");
    assert_eq!(out["send"]["isError"], json!(true), "{out}");
    let refusal = out["send"]["content"][0]["text"].as_str().unwrap();
    assert!(refusal.contains("send"), "{refusal}");

    // No key: refused before the protocol starts.
    let (code, _, err) = agent(&base, "waras_not_a_key", &sc.sid).await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("401"), "{err}");
}

on_both_backends!(an_agent_works_through_the_tools);
