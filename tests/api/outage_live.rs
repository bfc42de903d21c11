//! A message received while PostgreSQL is down is not lost: WARAS does not acknowledge it to
//! WhatsApp until it is stored, and stores it once the database is back — exactly once. The
//! session lets go of WhatsApp when it cannot renew its lease, and takes its connection back by
//! itself (without re-linking) once the database answers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::finish_passed_test;
use crate::own_postgres::OwnPostgres;
use crate::sandboxed::{Live, live_on, start_sandbox};

const ALICE: &str = "4915100000001";
const ME: &str = "4915100000002";

async fn received_with_text(live: &Live, sid: &str, text: &str) -> Vec<Value> {
    let r = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=message.received&limit=200"),
            &live.key,
        )
        .await;
    r.body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["data"]["text"] == json!(text))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the session's device (the linked companion of ME) is connected to the sandbox.
async fn linked_device_online(live: &Live) -> bool {
    let (_, devices) = live
        .sandbox_call("GET", &format!("/sandbox/accounts/{ME}/devices"), None)
        .await;
    devices.as_array().is_some_and(|all| {
        all.iter()
            .any(|d| d["primary"] == json!(false) && d["online"] == json!(true))
    })
}

async fn sends(live: &Live, text: &str) {
    live.phone_send(ALICE, json!({"to": ME, "text": text}))
        .await;
}

/// `first_contact`: Alice's message during the outage is her first to this session (a prekey
/// message, whose decryption needs keys from the store); otherwise the Signal session exists.
async fn message_during_outage_arrives_once(first_contact: bool) {
    let Some(mut pg) = OwnPostgres::start() else {
        return;
    };
    let live = live_on(pg.database_via(pg.port), start_sandbox().await, None).await;
    live.account(ALICE, "Alice").await;
    live.account(ME, "Me").await;
    let sid = live.link_by_qr("main", ME).await;
    if !first_contact {
        sends(&live, "before the outage").await;
        live.event(
            &sid,
            "message.received",
            |e| e["data"]["text"] == json!("before the outage"),
            15,
        )
        .await;
    }

    pg.down();
    sends(&live, "while the database is down").await;
    // Longer than any single wait for a database connection (the pool's checkout timeout was
    // 10 s). On PostgreSQL a session runs under a lease it must renew: an instance that cannot
    // reach the database stops its sessions before the lease runs out (another instance may
    // take them over), so the session lets go of WhatsApp, which keeps the message.
    let until = std::time::Instant::now() + Duration::from_secs(12);
    let mut let_go = false;
    while std::time::Instant::now() < until {
        let_go |= !linked_device_online(&live).await;
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(let_go, "the session kept WhatsApp without a lease");
    pg.up();

    live.event(
        &sid,
        "message.received",
        |e| e["data"]["text"] == json!("while the database is down"),
        30,
    )
    .await;
    live.wait_status(&sid, "WORKING", 30).await;
    sends(&live, "after the outage").await;
    live.event(
        &sid,
        "message.received",
        |e| e["data"]["text"] == json!("after the outage"),
        15,
    )
    .await;
    // Redeliveries (if any) have settled by now: still one event and one stored message.
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    let events = received_with_text(&live, &sid, "while the database is down").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let listed = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/messages"), &live.key)
        .await;
    let copies = listed.body["data"]
        .as_array()
        .expect("message list")
        .iter()
        .filter(|m| m["text"] == json!("while the database is down"))
        .count();
    assert_eq!(copies, 1, "{}", listed.text);

    pg.down();
    finish_passed_test();
}

#[actix_rt::test]
async fn first_message_during_outage_is_stored_once_afterwards() {
    message_during_outage_arrives_once(true).await;
}

#[actix_rt::test]
async fn message_on_known_session_during_outage_is_stored_once_afterwards() {
    message_during_outage_arrives_once(false).await;
}
