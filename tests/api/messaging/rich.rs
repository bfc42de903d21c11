//! Rich message kinds both ways: location, contact, poll, reply, edit and revoke out to a phone;
//! every media kind and typed message in from it, with reactions, votes, edits and revokes tied to
//! the messages they point at; then read receipts, typing and the chat list.

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::files::{jpeg, mp4, ogg, webp};
use super::{ALICE, ME, linked, media_of};
use crate::common::Backend;
use crate::scenario::Scenario;

pub async fn rich_messages_both_ways(backend: Backend) {
    let sc = linked(backend).await;
    let (hello, poll) = rich_kinds_out(&sc).await;
    let photo_id = media_in(&sc, &hello).await;
    typed_kinds_in(&sc).await;
    add_ons_in(&sc, &poll).await;
    read_and_typing(&sc, &photo_id).await;

    // Chats list the conversation with Alice.
    let chats = sc.get("/chats").await;
    let alice_chat = chats
        .data()
        .into_iter()
        .find(|c| c["chat"] == json!(format!("{ALICE}@s.whatsapp.net")));
    let alice_chat = alice_chat.unwrap_or_else(|| panic!("no chat with Alice: {}", chats.text));
    assert!(
        alice_chat["messages"].as_i64().unwrap() >= 10,
        "{alice_chat}"
    );
}

/// Out: text, then location, contact, poll, a reply, an edit and a revoke; (hello, poll).
async fn rich_kinds_out(sc: &Scenario) -> (Value, Value) {
    let to = format!("+{ALICE}");
    let hello = sc.send_text(&to, "hello").await;
    sc.phone_got(ALICE, &hello).await;
    sc.wait_receipt(&hello, "delivered").await;

    let loc = sc
        .send(json!({"to": to, "type": "location", "location":
                     {"latitude": 52.52, "longitude": 13.405, "name": "Berlin", "address": "Pariser Platz"}}))
        .await;
    let got = sc.phone_got(ALICE, &loc).await;
    assert_eq!(got["type"], json!("location"), "{got}");
    assert_eq!(got["location"]["latitude"], json!(52.52));
    assert_eq!(got["location"]["name"], json!("Berlin"));

    let card = sc
        .send(json!({"to": to, "type": "contact",
                     "contact": {"name": "Bob Builder", "phone": "+4915100000099"}}))
        .await;
    let got = sc.phone_got(ALICE, &card).await;
    assert_eq!(got["type"], json!("contact"), "{got}");
    assert_eq!(got["contact"]["name"], json!("Bob Builder"));
    let vcard = got["contact"]["vcard"].as_str().unwrap();
    assert!(vcard.contains("4915100000099"), "{got}");

    let poll = sc
        .send(json!({"to": to, "type": "poll",
                     "poll": {"name": "Lunch?", "options": ["Pizza", "Sushi", "Salad"]}}))
        .await;
    let got = sc.phone_got(ALICE, &poll).await;
    assert_eq!(got["type"], json!("poll"), "{got}");
    assert_eq!(got["poll"]["options"], json!(["Pizza", "Sushi", "Salad"]));

    let reply = sc
        .send(json!({"to": to, "type": "text", "text": "replying", "reply_to": hello["id"]}))
        .await;
    let got = sc.phone_got(ALICE, &reply).await;
    assert_eq!(got["reply_to"], hello["wa_id"], "{got}");

    // An edit and a revoke reach the phone tied to the messages they change.
    let edit = json!({"message_id": hello["id"], "text": "hello, edited"});
    let revoke = json!({"message_id": reply["id"]});
    for (kind, part, target) in [("edit", edit, &hello), ("revoke", revoke, &reply)] {
        sc.send(json!({"to": to, "type": kind, kind: part})).await;
        let of_kind = |m: &Value| m["type"] == json!(kind);
        let got = sc.phone_seen(ALICE, "messages", kind, of_kind, 15).await;
        assert_eq!(got[kind]["id"], target["wa_id"], "{got}");
        if kind == "edit" {
            assert_eq!(got["edit"]["text"], json!("hello, edited"));
        }
    }
    (hello, poll)
}

/// In: Alice's image arrives typed, and its media downloads byte-identical, then the other media
/// kinds; the image's id.
async fn media_in(sc: &Scenario, hello: &Value) -> Value {
    let photo = jpeg(50_000);
    let e = sc
        .receive(ALICE, json!({"to": ME, "image": {"data": B64.encode(&photo), "mimetype": "image/jpeg"}, "caption": "from Alice"}))
        .await;
    let d = &e["data"];
    assert_eq!(d["type"], json!("image"), "{e}");
    assert_eq!(d["caption"], json!("from Alice"));
    assert_eq!(d["media"]["mimetype"], json!("image/jpeg"));
    assert_eq!(d["media"]["size"], json!(photo.len()));
    assert_eq!(d["from_phone"], json!(format!("{ALICE}@s.whatsapp.net")));
    assert!(
        d["from_lid"].as_str().is_some_and(|l| l.ends_with("@lid")),
        "{e}"
    );
    let (status, ct, bytes) = media_of(sc, &d["id"]).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(bytes, photo, "the received image downloads byte-identical");
    let (status, _, again) = media_of(sc, &d["id"]).await;
    let served_again = (status, again.len());
    assert_eq!(
        served_again,
        (StatusCode::OK, photo.len()),
        "served again from storage"
    );
    let (status, _, _) = media_of(sc, &hello["id"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a text has no media");

    for (kind, bytes, extra) in [
        ("video", mp4(40_000), json!({"mimetype": "video/mp4"})),
        (
            "audio",
            ogg(20_000),
            json!({"mimetype": "audio/ogg; codecs=opus", "voice": true}),
        ),
        ("sticker", webp(15_000), json!({"mimetype": "image/webp"})),
    ] {
        let mut part = extra.clone();
        part["data"] = json!(B64.encode(&bytes));
        let e = sc.receive(ALICE, json!({"to": ME, kind: part})).await;
        assert_eq!(e["data"]["type"], json!(kind), "{e}");
        assert_eq!(e["data"]["media"]["size"], json!(bytes.len()), "{e}");
        if kind == "audio" {
            assert_eq!(e["data"]["media"]["voice"], json!(true), "{e}");
        }
        let (status, ct, got) = media_of(sc, &e["data"]["id"]).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(ct, extra["mimetype"].as_str().unwrap(), "{kind}");
        assert_eq!(got, bytes, "the received {kind} downloads byte-identical");
    }
    d["id"].clone()
}

/// In: location, contact and a poll, typed.
async fn typed_kinds_in(sc: &Scenario) {
    let location = json!({"latitude": 48.137, "longitude": 11.575, "name": "Munich"});
    let e = sc
        .receive(ALICE, json!({"to": ME, "location": location}))
        .await;
    assert_eq!(e["data"]["type"], json!("location"), "{e}");
    assert_eq!(e["data"]["location"]["longitude"], json!(11.575));
    let contact = json!({"name": "Carol", "phone": "4915100000077"});
    let e = sc
        .receive(ALICE, json!({"to": ME, "contact": contact}))
        .await;
    assert_eq!(e["data"]["type"], json!("contact"), "{e}");
    assert_eq!(e["data"]["contact"]["name"], json!("Carol"));
    assert_eq!(e["data"]["contact"]["phone"], json!("+4915100000077"));
    let poll = json!({"name": "Movie?", "options": ["A", "B"]});
    let e = sc.receive(ALICE, json!({"to": ME, "poll": poll})).await;
    assert_eq!(e["data"]["type"], json!("poll"), "{e}");
    assert_eq!(e["data"]["poll"]["name"], json!("Movie?"));
}

/// In: a text, then Alice reacts to our poll, votes in it, edits and deletes her text.
async fn add_ons_in(sc: &Scenario, poll: &Value) {
    let e = sc.receive_text(ALICE, "typo here").await;
    let (typo_id, typo_wa) = (e["data"]["id"].clone(), e["data"]["wa_id"].clone());
    let reaction = json!({"id": poll["wa_id"], "sender": ME, "emoji": "👍"});
    sc.phone_send(ALICE, json!({"to": ME, "reaction": reaction}))
        .await;
    let e = sc.expect_event("message.reaction", |_| true).await;
    assert_eq!(e["data"]["reaction"]["emoji"], json!("👍"), "{e}");
    let target = &e["data"]["reaction"]["target"];
    assert_eq!(target["id"], poll["id"], "tied to our message: {e}");
    assert_eq!(target["from_me"], json!(true));

    let vote = json!({"id": poll["wa_id"], "sender": ME, "options": ["Sushi"]});
    sc.phone_send(ALICE, json!({"to": ME, "poll_vote": vote}))
        .await;
    let e = sc.expect_event("message.poll_vote", |_| true).await;
    assert_eq!(e["data"]["poll_vote"]["target"]["id"], poll["id"], "{e}");
    let options = &e["data"]["poll_vote"]["options"];
    assert_eq!(*options, json!(["Sushi"]), "the vote is opened: {e}");

    let edit = json!({"id": typo_wa, "text": "no typo"});
    sc.phone_send(ALICE, json!({"to": ME, "edit": edit})).await;
    let e = sc.expect_event("message.edited", |_| true).await;
    assert_eq!(e["data"]["edit"]["target"]["id"], typo_id, "{e}");
    let m = sc.message(&typo_id).await;
    assert_eq!(m["text"], json!("no typo"), "{m}");
    assert!(m["edited_at"].is_string(), "{m}");

    sc.phone_send(ALICE, json!({"to": ME, "revoke": {"id": typo_wa}}))
        .await;
    sc.expect_event("message.revoked", |e| {
        e["data"]["revoke"]["target"]["id"] == typo_id
    })
    .await;
    let m = sc.message(&typo_id).await;
    assert!(m["revoked_at"].is_string() && m["text"].is_null(), "{m}");
}

/// Mark read and typing reach Alice's phone.
async fn read_and_typing(sc: &Scenario, photo_id: &Value) {
    let id = photo_id.as_str().unwrap();
    let r = sc
        .post(&format!("/messages/{id}/read"), json!({}))
        .await
        .success(200);
    assert_eq!(r["status"], json!("read"));
    let photo_wa = sc.message(photo_id).await["wa_id"].clone();
    let read = |r: &Value| r["id"] == photo_wa && r["type"] == json!("read");
    sc.phone_seen(ALICE, "receipts", "the read receipt", read, 15)
        .await;
    let typing = json!({"state": "composing", "chat": format!("+{ALICE}")});
    sc.post("/presence", typing).await.success(200);
    let composing = |c: &Value| c["state"] == json!("composing");
    sc.phone_seen(ALICE, "chatstates", "typing", composing, 15)
        .await;
    sc.post("/presence", json!({"state": "available"}))
        .await
        .success(200);
}
