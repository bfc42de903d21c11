//! History at link against the sandbox: what the account's phone received before WARAS was
//! linked arrives as history (`history_sync: full`): stored messages in their chats, unread as on
//! the phone, senders' push names, a `history.progress` event; with the default (`none`) nothing.

use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase, wait_until};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_with, start_sandbox};
use crate::scenario::WAIT_SECS;

const ME: &str = "4915100000111";
const ALICE: &str = "4915100000112";
const BOB: &str = "4915100000113";

/// Creates a session with `config` and links it to [`ME`] by QR; its id.
async fn linked(live: &Live, name: &str, config: Value) -> String {
    let body = json!({"name": name, "config": config});
    let s = live
        .app
        .post("/api/v1/sessions", &live.key, body)
        .await
        .success(201);
    let sid = s["id"].as_str().unwrap().to_string();
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let qr = live.qr_json(&sid).await;
    let (status, b) = live
        .sandbox_call(
            "POST",
            &format!("/sandbox/accounts/{ME}/scan"),
            Some(json!({"qr": qr["code"]})),
        )
        .await;
    assert!(status.is_success(), "scan: {b}");
    live.wait_status(&sid, "WORKING", 20).await;
    sid
}

async fn texts(live: &Live, sid: &str, chat: &str) -> Vec<Value> {
    let path = format!("/api/v1/sessions/{sid}/chats/{chat}/messages");
    live.app.get(&path, &live.key).await.data()
}

async fn what_the_phone_received_before_linking_becomes_history(backend: Backend) {
    let live = live_with(
        TestDatabase::create(backend),
        start_sandbox().await,
        None,
        |_| {},
    )
    .await;
    for (phone, name) in [(ME, "Me"), (ALICE, "Alice"), (BOB, "Bob")] {
        live.account(phone, name).await;
    }
    for (from, text) in [(ALICE, "old one"), (ALICE, "old two"), (BOB, "hi from bob")] {
        live.phone_send(from, json!({"to": ME, "text": text})).await;
        live.inbox_has(ME, text, WAIT_SECS).await;
    }
    let bad = live
        .app
        .post(
            "/api/v1/sessions",
            &live.key,
            json!({"name": "x", "config": {"history_sync": "all"}}),
        )
        .await;
    assert_eq!(bad.problem(400), "invalid_request");

    let sid = linked(&live, "with-history", json!({"history_sync": "full"})).await;
    let progress = live
        .event(
            &sid,
            "history.progress",
            |e| e["data"]["messages"].as_u64() >= Some(3),
            WAIT_SECS,
        )
        .await;
    assert_eq!(progress["data"]["conversations"], json!(2), "{progress}");
    assert_eq!(progress["data"]["sync_type"], json!("initial_bootstrap"));
    let alice: Vec<Value> = texts(&live, &sid, &format!("+{ALICE}")).await;
    let got: Vec<&Value> = alice.iter().map(|m| &m["text"]).collect();
    assert_eq!(got, [&json!("old one"), &json!("old two")], "{alice:?}");
    assert!(
        alice
            .iter()
            .all(|m| m["from_me"] == json!(false) && m["status"] == json!("received"))
    );
    let chats = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/chats"), &live.key)
        .await
        .data();
    assert_eq!(chats.len(), 2, "{chats:?}");
    let contact = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/contacts/+{BOB}"),
            &live.key,
        )
        .await
        .success(200);
    assert_eq!(contact["push_name"], json!("Bob"), "{contact}");

    // The default takes no history: a second device of the same account stores none of it.
    let plain = linked(&live, "no-history", json!({})).await;
    actix_rt::time::sleep(std::time::Duration::from_secs(3)).await;
    let stored = live
        .app
        .get(&format!("/api/v1/sessions/{plain}/messages"), &live.key)
        .await
        .data();
    assert!(stored.is_empty(), "{stored:?}");
    let events = format!("/api/v1/events?session_id={plain}&types=history.progress");
    assert!(live.app.get(&events, &live.key).await.data().is_empty());
    // New messages still arrive at both.
    live.phone_send(ALICE, json!({"to": ME, "text": "new"}))
        .await;
    wait_until(WAIT_SECS, "the new message at both sessions", || async {
        let a = texts(&live, &sid, &format!("+{ALICE}")).await;
        let b = texts(&live, &plain, &format!("+{ALICE}")).await;
        if a.len() == 3 && b.len() == 1 {
            Ok(())
        } else {
            Err(format!("{a:?} {b:?}"))
        }
    })
    .await;
}

on_both_backends!(what_the_phone_received_before_linking_becomes_history);
