//! Status posts against the sandbox: the session posts a text status that the chosen contact's
//! phone receives, and a contact's status reaches the session as `status.received`.

use serde_json::json;

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::{Scenario, WAIT_SECS};

const ME: &str = "4915100000131";
const ALICE: &str = "4915100000132";

async fn statuses_go_out_to_chosen_contacts_and_come_in_as_events(backend: Backend) {
    // Alice never wrote: her LID is looked up for the post.
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let posted = sc
        .post(
            "/status",
            json!({"type": "text", "text": "Open until 8 today", "to": [format!("+{ALICE}")]}),
        )
        .await
        .success(201);
    assert!(posted["id"].is_string(), "{posted}");
    let seen = sc
        .phone_seen(
            ALICE,
            "messages",
            "the status",
            |m| m["text"] == json!("Open until 8 today"),
            WAIT_SECS,
        )
        .await;
    assert_eq!(seen["chat"], json!("status@broadcast"), "{seen}");
    let bad = sc.post("/status", json!({"type": "text", "to": []})).await;
    assert_eq!(bad.problem(400), "invalid_request");

    let (s, b) = sc
        .sandbox_call(
            "POST",
            &format!("/sandbox/accounts/{ALICE}/status"),
            Some(json!({"text": "Gone fishing", "to": [ME]})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let e = sc
        .expect_event("status.received", |e| {
            e["data"]["text"] == json!("Gone fishing")
        })
        .await;
    assert_eq!(
        e["data"]["from_phone"],
        json!(format!("{ALICE}@s.whatsapp.net")),
        "{e}"
    );
}

on_both_backends!(statuses_go_out_to_chosen_contacts_and_come_in_as_events);
