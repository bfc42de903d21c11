//! Edits and revokes name their target by WhatsApp id alone: only the author may edit or revoke
//! a message, in its own chat; in a group an admin may also revoke anyone's message.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_on, start_sandbox};

const ALICE: &str = "4915100000031";
const ME: &str = "4915100000032";
const BOB: &str = "4915100000033";

async fn linked(backend: Backend) -> (Live, String) {
    let live = live_on(TestDatabase::create(backend), start_sandbox().await, None).await;
    for (phone, name) in [(ALICE, "Alice"), (ME, "Me"), (BOB, "Bob")] {
        live.account(phone, name).await;
    }
    let sid = live.link_by_qr("main", ME).await;
    (live, sid)
}

/// Sends a text as `phone` to `to` and waits until the session has it; its `message.received`.
async fn received(live: &Live, sid: &str, phone: &str, to: &str, text: &str) -> Value {
    live.phone_send(phone, json!({"to": to, "text": text}))
        .await;
    live.event(
        sid,
        "message.received",
        |e| e["data"]["text"] == json!(text),
        20,
    )
    .await
}

async fn stored(live: &Live, sid: &str, id: &Value) -> Value {
    let id = id.as_str().expect("message id");
    let r = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/messages/{id}"), &live.key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn forged_changes_are_ignored(backend: Backend) {
    let (live, sid) = linked(backend).await;
    let original = received(&live, &sid, ALICE, ME, "pay the invoice to account A").await;
    let (id, wa_id) = (&original["data"]["id"], &original["data"]["wa_id"]);

    // Bob claims Alice's message id as his own, to edit and then revoke it.
    live.phone_send(
        BOB,
        json!({"to": ME, "edit": {"id": wa_id, "text": "pay to account B"}}),
    )
    .await;
    live.phone_send(BOB, json!({"to": ME, "revoke": {"id": wa_id}}))
        .await;
    // Bob's later message arrives after his forgeries were handled.
    received(&live, &sid, BOB, ME, "just saying hi").await;
    let m = stored(&live, &sid, id).await;
    assert_eq!(m["text"], json!("pay the invoice to account A"), "{m}");
    assert!(m["edited_at"].is_null() && m["revoked_at"].is_null(), "{m}");
    let r = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=message.edited,message.revoked"),
            &live.key,
        )
        .await;
    assert_eq!(
        r.body["data"],
        json!([]),
        "no event claims a change: {}",
        r.text
    );

    // Alice herself may.
    live.phone_send(
        ALICE,
        json!({"to": ME, "edit": {"id": wa_id, "text": "pay to account C"}}),
    )
    .await;
    live.event(
        &sid,
        "message.edited",
        |e| e["data"]["edit"]["target"]["id"] == *id,
        20,
    )
    .await;
    assert_eq!(
        stored(&live, &sid, id).await["text"],
        json!("pay to account C")
    );
}

async fn group_admins_may_revoke_others(backend: Backend) {
    let (live, sid) = linked(backend).await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/groups"),
            &live.key,
            json!({"subject": "Crew", "participants": [format!("+{ALICE}"), format!("+{BOB}")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let group = r.body["id"].as_str().expect("group id").to_string();
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/groups/{group}/participants"),
            &live.key,
            json!({"action": "promote", "participants": [format!("+{ALICE}")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let by_alice = received(&live, &sid, ALICE, &group, "agenda: budget").await;
    let by_bob = received(&live, &sid, BOB, &group, "I disagree").await;

    // Bob is no admin: his revoke of Alice's message is ignored.
    live.phone_send(
        BOB,
        json!({"to": group, "revoke": {"id": by_alice["data"]["wa_id"], "sender": ALICE}}),
    )
    .await;
    received(&live, &sid, BOB, &group, "sync").await;
    let m = stored(&live, &sid, &by_alice["data"]["id"]).await;
    assert!(m["revoked_at"].is_null(), "{m}");

    // Alice is: her revoke of Bob's message applies.
    live.phone_send(
        ALICE,
        json!({"to": group, "revoke": {"id": by_bob["data"]["wa_id"], "sender": BOB}}),
    )
    .await;
    live.event(
        &sid,
        "message.revoked",
        |e| e["data"]["revoke"]["target"]["id"] == by_bob["data"]["id"],
        20,
    )
    .await;
    let m = stored(&live, &sid, &by_bob["data"]["id"]).await;
    assert!(m["revoked_at"].is_string() && m["text"].is_null(), "{m}");
}

on_both_backends!(forged_changes_are_ignored, group_admins_may_revoke_others);
