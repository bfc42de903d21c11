//! A group of three sandbox accounts and the WARAS session: text and media both ways (sender keys
//! fanned out to every member), and participant changes as events.

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::files::{pdf, png};
use super::{ALICE, BOB, CAROL, linked, media_of, phone_media};
use crate::common::Backend;
use crate::scenario::Scenario;

/// Adds or removes one member; waits for the session's `group.participants` event of it.
async fn change_members(sc: &Scenario, group: &str, action: &str, phone: &str) -> Value {
    let body = json!({"action": action, "participants": [format!("+{phone}")]});
    sc.post(&format!("/groups/{group}/participants"), body)
        .await
        .success(200);
    let e = sc
        .expect_event("group.participants", |e| {
            e["data"]["action"] == json!(action)
        })
        .await;
    assert_eq!(e["data"]["group"], json!(group), "{e}");
    e
}

pub async fn group_messages_both_ways(backend: Backend) {
    let sc = linked(backend).await;
    sc.account(BOB, "Bob").await;
    sc.account(CAROL, "Carol").await;
    let crew = json!({"subject": "Crew", "participants": [format!("+{ALICE}"), format!("+{BOB}")]});
    let group = sc.post("/groups", crew).await.success(201)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Adding Carol raises a participants event.
    let e = change_members(&sc, &group, "add", CAROL).await;
    let carol = json!(format!("{CAROL}@s.whatsapp.net"));
    let added = e["data"]["participants"].as_array().unwrap();
    assert!(added.iter().any(|p| p["phone"] == carol), "{e}");

    // Out: a text and an image reach all three phones.
    let text = sc.send_text(&group, "hi crew").await;
    let photo = png(30_000);
    let image = sc
        .send(json!({"to": group, "type": "image", "caption": "team photo", "image": {"data": B64.encode(&photo)}}))
        .await;
    for phone in [ALICE, BOB, CAROL] {
        let got = sc.phone_got(phone, &text).await;
        assert_eq!(got["chat"], json!(group), "{phone}: {got}");
        let got = sc.phone_got(phone, &image).await;
        assert_eq!(got["chat"], json!(group), "{phone}: {got}");
        assert_eq!(phone_media(&got), photo, "{phone}");
    }

    // In: Bob's text and Carol's document arrive as group messages with their senders.
    let e = sc
        .receive(BOB, json!({"to": group, "text": "hi from Bob"}))
        .await;
    assert_eq!(e["data"]["chat"], json!(group), "{e}");
    assert_eq!(e["data"]["is_group"], json!(true));
    assert_eq!(e["data"]["text"], json!("hi from Bob"));
    let bob = json!(format!("{BOB}@s.whatsapp.net"));
    assert_eq!(e["data"]["from_phone"], bob, "{e}");
    let doc = pdf(40_000);
    let document =
        json!({"data": B64.encode(&doc), "mimetype": "application/pdf", "filename": "plan.pdf"});
    let e = sc
        .receive(CAROL, json!({"to": group, "document": document}))
        .await;
    assert_eq!(e["data"]["type"], json!("document"), "{e}");
    assert_eq!(e["data"]["media"]["filename"], json!("plan.pdf"));
    let (status, ct, bytes) = media_of(&sc, &e["data"]["id"]).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(bytes, doc, "the group document downloads byte-identical");

    // Removing Bob is an event too, and he gets no further messages.
    change_members(&sc, &group, "remove", BOB).await;
    let after = sc.send_text(&group, "without Bob").await;
    sc.phone_got(CAROL, &after).await;
    let bob_inbox = sc.phone_list(BOB, "messages").await;
    let reached_bob = bob_inbox.iter().any(|m| m["id"] == after["wa_id"]);
    assert!(!reached_bob, "a removed member gets nothing: {bob_inbox:?}");
}
