//! Edits and revokes name their target by WhatsApp id alone: only the author may edit or revoke
//! a message, in its own chat; in a group an admin may also revoke anyone's message.

use serde_json::json;

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::Scenario;

const ALICE: &str = "4915100000031";
const ME: &str = "4915100000032";
const BOB: &str = "4915100000033";

async fn linked(backend: Backend) -> Scenario {
    Scenario::linked(backend, ME, &[(ALICE, "Alice"), (BOB, "Bob")]).await
}

async fn forged_changes_are_ignored(backend: Backend) {
    let sc = linked(backend).await;
    let original = sc.receive_text(ALICE, "pay the invoice to account A").await;
    let (id, wa_id) = (&original["data"]["id"], &original["data"]["wa_id"]);

    // Bob claims Alice's message id as his own, to edit and then revoke it.
    let forged_edit = json!({"id": wa_id, "text": "pay to account B"});
    sc.phone_send(BOB, json!({"to": ME, "edit": forged_edit}))
        .await;
    sc.phone_send(BOB, json!({"to": ME, "revoke": {"id": wa_id}}))
        .await;
    // Bob's later message arrives after his forgeries were handled.
    sc.receive_text(BOB, "just saying hi").await;
    let m = sc.message(id).await;
    assert_eq!(m["text"], json!("pay the invoice to account A"), "{m}");
    assert!(m["edited_at"].is_null() && m["revoked_at"].is_null(), "{m}");
    let path = format!(
        "/api/v1/events?session_id={}&types=message.edited,message.revoked",
        sc.sid
    );
    let r = sc.app.get(&path, &sc.key).await;
    assert_eq!(
        r.body["data"],
        json!([]),
        "no event claims a change: {}",
        r.text
    );

    // Alice herself may.
    let edit = json!({"id": wa_id, "text": "pay to account C"});
    sc.phone_send(ALICE, json!({"to": ME, "edit": edit})).await;
    sc.expect_event("message.edited", |e| {
        e["data"]["edit"]["target"]["id"] == *id
    })
    .await;
    assert_eq!(sc.message(id).await["text"], json!("pay to account C"));
}

async fn group_admins_may_revoke_others(backend: Backend) {
    let sc = linked(backend).await;
    let crew = json!({"subject": "Crew", "participants": [format!("+{ALICE}"), format!("+{BOB}")]});
    let group = sc.post("/groups", crew).await.success(201)["id"].clone();
    let group = group.as_str().expect("group id");
    let promote = json!({"action": "promote", "participants": [format!("+{ALICE}")]});
    sc.post(&format!("/groups/{group}/participants"), promote)
        .await
        .success(200);

    let said = |phone, text| sc.receive(phone, json!({"to": group, "text": text}));
    let by_alice = said(ALICE, "agenda: budget").await;
    let by_bob = said(BOB, "I disagree").await;

    // Bob is no admin: his revoke of Alice's message is ignored.
    let revoke = json!({"id": by_alice["data"]["wa_id"], "sender": ALICE});
    sc.phone_send(BOB, json!({"to": group, "revoke": revoke}))
        .await;
    said(BOB, "sync").await;
    let m = sc.message(&by_alice["data"]["id"]).await;
    assert!(m["revoked_at"].is_null(), "{m}");

    // Alice is: her revoke of Bob's message applies.
    let revoke = json!({"id": by_bob["data"]["wa_id"], "sender": BOB});
    sc.phone_send(ALICE, json!({"to": group, "revoke": revoke}))
        .await;
    let target = &by_bob["data"]["id"];
    sc.expect_event("message.revoked", |e| {
        e["data"]["revoke"]["target"]["id"] == *target
    })
    .await;
    let m = sc.message(target).await;
    assert!(m["revoked_at"].is_string() && m["text"].is_null(), "{m}");
}

on_both_backends!(forged_changes_are_ignored, group_admins_may_revoke_others);
