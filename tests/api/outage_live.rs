//! A message received while PostgreSQL is down is not lost: WARAS does not acknowledge it to
//! WhatsApp until it is stored, and stores it once the database is back — exactly once. The
//! session lets go of WhatsApp when it cannot renew its lease, and takes its connection back by
//! itself (without re-linking) once the database answers.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::finish_passed_test;
use crate::own_postgres::OwnPostgres;
use crate::sandboxed::{live_on, start_sandbox};
use crate::scenario::Scenario;

const ALICE: &str = "4915100000001";
const ME: &str = "4915100000002";

/// The session's `message.received` events with this text.
async fn received_with_text(sc: &Scenario, text: &str) -> Vec<Value> {
    let path = format!(
        "/api/v1/events?session_id={}&types=message.received&limit=200",
        sc.sid
    );
    let events = sc.app.get(&path, &sc.key).await.data();
    events
        .into_iter()
        .filter(|e| e["data"]["text"] == json!(text))
        .collect()
}

/// Whether the session's device (the linked companion of ME) is connected to the sandbox.
async fn linked_device_online(sc: &Scenario) -> bool {
    let devices = sc.phone_list(ME, "devices").await;
    devices
        .iter()
        .any(|d| d["primary"] == json!(false) && d["online"] == json!(true))
}

/// Alice sends `text` and the session stores it (within `secs`).
async fn arrives(sc: &Scenario, text: &str, secs: u64) {
    sc.phone_send(ALICE, json!({"to": ME, "text": text})).await;
    sc.event(
        &sc.sid,
        "message.received",
        |e| e["data"]["text"] == json!(text),
        secs,
    )
    .await;
}

/// `first_contact`: Alice's message during the outage is her first to this session (a prekey
/// message, whose decryption needs keys from the store); otherwise the Signal session exists.
async fn message_during_outage_arrives_once(first_contact: bool) {
    let Some(mut pg) = OwnPostgres::start() else {
        return;
    };
    let live = live_on(pg.database_via(pg.port), start_sandbox().await, None).await;
    let sc = Scenario::link(live, ME, &[(ALICE, "Alice")]).await;
    if !first_contact {
        arrives(&sc, "before the outage", 15).await;
    }

    pg.down();
    let during = "while the database is down";
    sc.phone_send(ALICE, json!({"to": ME, "text": during}))
        .await;
    // Longer than any single wait for a database connection (the pool's checkout timeout was
    // 10 s). On PostgreSQL a session runs under a lease it must renew: an instance that cannot
    // reach the database stops its sessions before the lease runs out (another instance may
    // take them over), so the session lets go of WhatsApp, which keeps the message.
    let until = std::time::Instant::now() + Duration::from_secs(12);
    let mut let_go = false;
    while std::time::Instant::now() < until {
        let_go |= !linked_device_online(&sc).await;
        actix_rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(let_go, "the session kept WhatsApp without a lease");
    pg.up();

    sc.event(
        &sc.sid,
        "message.received",
        |e| e["data"]["text"] == json!(during),
        30,
    )
    .await;
    sc.wait_status(&sc.sid, "WORKING", 30).await;
    arrives(&sc, "after the outage", 15).await;
    // Redeliveries (if any) have settled by now: still one event and one stored message.
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    let events = received_with_text(&sc, during).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let stored = sc.get("/messages").await.data();
    let copies = stored.iter().filter(|m| m["text"] == json!(during)).count();
    assert_eq!(copies, 1, "{stored:?}");

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
