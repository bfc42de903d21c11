//! Typed messages between a companion and a phone: location, contact, edit, revoke, poll and
//! vote, reaction, reply and mention; then read receipts, chat states and presence.

use serde_json::{Value, json};
use wacore_binary::Jid;
use waproto::whatsapp as wa;

use crate::sandbox_support::{Admin, Companion, linked};

const AVA: &str = "15550002001";
const BEN: &str = "15550002002";

#[actix_web::test]
async fn rich_messages_receipts_and_chat_states_arrive_typed() {
    let (sandbox, admin, mut a) = linked(&[(AVA, "Ava"), (BEN, "Ben")]).await;
    let first = kinds_from_the_companion(&admin, &a).await;
    poll_voted_by_the_phone(&admin, &mut a).await;
    add_ons_from_the_phone(&admin, &mut a, &first).await;
    receipts_chat_states_and_presence(&admin, &mut a).await;

    // Bad requests are client errors.
    let both = json!({ "to": AVA, "text": "x", "location": { "latitude": 1.0, "longitude": 2.0 } });
    let body = admin
        .post_ok(&format!("/accounts/{BEN}/messages"), both, 400)
        .await;
    assert_eq!(body["code"], "invalid_request");
    let vote = json!({ "to": AVA, "poll_vote": { "id": "nope", "options": ["a"] } });
    admin
        .post_ok(&format!("/accounts/{BEN}/messages"), vote, 404)
        .await;
    sandbox.stop().await;
}

/// Location, contact card, a text with its edit and a revoke of another, from the companion to
/// Ben's phone; the first text's id.
async fn kinds_from_the_companion(admin: &Admin, a: &Companion) -> String {
    let client = a.bot.client();
    let ben = Jid::pn(BEN);
    let place = wa::message::LocationMessage {
        degrees_latitude: Some(52.52),
        degrees_longitude: Some(13.405),
        name: Some("Alexanderplatz".into()),
        address: Some("Berlin".into()),
        ..Default::default()
    };
    let location_message = buffa::MessageField::some(place);
    let message = wa::Message {
        location_message,
        ..Default::default()
    };
    let got = admin
        .inbox_entry(BEN, &a.send_message(BEN, message).await)
        .await;
    assert_eq!(got["type"], "location");
    assert_eq!(got["location"]["latitude"], 52.52);
    assert_eq!(got["location"]["longitude"], 13.405);
    assert_eq!(got["location"]["name"], "Alexanderplatz");
    assert_eq!(got["text"], Value::Null);

    let vcard = "BEGIN:VCARD\nVERSION:3.0\nFN:Dora\nEND:VCARD";
    let card = wa::message::ContactMessage {
        display_name: Some("Dora".into()),
        vcard: Some(vcard.into()),
        ..Default::default()
    };
    let card = wa::Message {
        contact_message: buffa::MessageField::some(card),
        ..Default::default()
    };
    let sent = a.send_message(BEN, card).await;
    let got = admin.inbox_entry(BEN, &sent).await;
    assert_eq!(got["type"], "contact");
    assert_eq!(got["contact"]["name"], "Dora");
    let vcard = got["contact"]["vcard"].as_str();
    assert!(vcard.is_some_and(|v| v.contains("FN:Dora")), "{got}");

    // A text, then its edit and a revoke of another.
    let first = client
        .send_text(ben.clone(), "first draft")
        .await
        .expect("text");
    let got = admin.inbox_entry(BEN, &first.message_id).await;
    assert_eq!(got["type"], "text");
    assert_eq!(got["text"], "first draft");
    let edited = wa::Message {
        conversation: Some("final text".into()),
        ..Default::default()
    };
    client
        .edit_message(ben.clone(), first.message_id.clone(), edited)
        .await
        .expect("edit");
    let inbox = format!("/accounts/{BEN}/messages");
    let got = admin
        .wait_entry(&inbox, "the edit", |m| m["type"] == "edit")
        .await;
    assert_eq!(got["edit"]["id"], first.message_id.as_str());
    assert_eq!(got["edit"]["text"], "final text");
    let doomed = client.send_text(ben.clone(), "oops").await.expect("text");
    admin.inbox_entry(BEN, &doomed.message_id).await;
    let by_sender = whatsapp_rust::send::RevokeType::Sender;
    client
        .revoke_message(ben, doomed.message_id.clone(), by_sender)
        .await
        .expect("revoke");
    let got = admin
        .wait_entry(&inbox, "the revoke", |m| m["type"] == "revoke")
        .await;
    assert_eq!(got["revoke"]["id"], doomed.message_id.as_str());
    first.message_id
}

/// A poll from the companion; Ben's phone votes; Ava's own phone decrypts the vote.
async fn poll_voted_by_the_phone(admin: &Admin, a: &mut Companion) {
    let client = a.bot.client();
    let options = ["Pizza".to_string(), "Sushi".to_string()];
    let (poll, _secret) = client
        .polls()
        .create(Jid::pn(BEN), "Lunch?", &options, 1)
        .await
        .expect("poll");
    let got = admin.inbox_entry(BEN, &poll.message_id).await;
    assert_eq!(got["type"], "poll");
    assert_eq!(got["poll"]["name"], "Lunch?");
    assert_eq!(got["poll"]["options"], json!(["Pizza", "Sushi"]));
    assert_eq!(got["poll"]["selectable_count"], 1);
    let vote = json!({ "to": AVA, "poll_vote": { "id": poll.message_id, "options": ["Sushi"] } });
    let vote = admin.send_as(BEN, vote).await;
    let update = a.message(&vote).await.message;
    assert!(update.poll_update_message.is_set(), "{update:?}");
    let on_phone = admin.inbox_entry(AVA, &vote).await;
    assert_eq!(on_phone["type"], "poll_vote");
    assert_eq!(on_phone["poll_vote"]["id"], poll.message_id.as_str());
    assert_eq!(on_phone["poll_vote"]["options"], json!(["Sushi"]));
}

/// Ben's phone reacts to, replies to and mentions in Ava's messages; the companion quotes Ben.
async fn add_ons_from_the_phone(admin: &Admin, a: &mut Companion, first: &str) {
    let reaction = json!({ "to": AVA, "reaction": { "id": first, "emoji": "👍" } });
    let reaction = admin.send_as(BEN, reaction).await;
    let message = a.message(&reaction).await.message;
    let got = message.reaction_message.as_option().expect("a reaction");
    assert_eq!(got.text.as_deref(), Some("👍"));
    let key = got.key.as_option().expect("the reaction's key");
    assert_eq!(key.id.as_deref(), Some(first));
    // The key is the reactor's view: the message was not theirs.
    assert_eq!(key.from_me, Some(false));
    let on_phone = admin.inbox_entry(AVA, &reaction).await;
    assert_eq!(on_phone["type"], "reaction");
    assert_eq!(on_phone["reaction"]["id"], first);
    assert_eq!(on_phone["reaction"]["emoji"], "👍");

    let reply = admin
        .send_as(
            BEN,
            json!({
                "to": AVA,
                "text": "replying to you, @15550002001",
                "reply_to": { "id": first, "sender": AVA },
                "mentions": [AVA],
            }),
        )
        .await;
    let got = a.message(&reply).await.message;
    let text = got
        .extended_text_message
        .as_option()
        .expect("an extended text");
    let ctx = text.context_info.as_option().expect("a context");
    assert_eq!(ctx.stanza_id.as_deref(), Some(first));
    assert_eq!(
        ctx.mentioned_jid,
        vec!["15550002001@s.whatsapp.net".to_string()]
    );
    let on_phone = admin.inbox_entry(AVA, &reply).await;
    assert_eq!(on_phone["reply_to"], first);
    assert_eq!(on_phone["mentions"], json!(["15550002001@s.whatsapp.net"]));
    assert_eq!(on_phone["text"], "replying to you, @15550002001");

    // The companion replies to Ben's message; Ben's phone records the quote.
    let quoted = wa::Message {
        extended_text_message: buffa::MessageField::some(wa::message::ExtendedTextMessage {
            text: Some("quoting you".into()),
            context_info: buffa::MessageField::some(wa::ContextInfo {
                stanza_id: Some(reply.clone()),
                participant: Some("15550002002@s.whatsapp.net".into()),
                mentioned_jid: vec!["15550002002@s.whatsapp.net".into()],
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sent = a
        .bot
        .client()
        .send_message(Jid::pn(BEN), quoted)
        .await
        .expect("reply");
    let got = admin.inbox_entry(BEN, &sent.message_id).await;
    assert_eq!(got["reply_to"], reply.as_str());
    assert_eq!(got["mentions"], json!(["15550002002@s.whatsapp.net"]));
}

/// Read receipts reach the sender's phone; chat states and presence reach Ben's phone.
async fn receipts_chat_states_and_presence(admin: &Admin, a: &mut Companion) {
    let client = a.bot.client();
    let ben = Jid::pn(BEN);
    let read_me = admin
        .send_as(BEN, json!({ "to": AVA, "text": "read me" }))
        .await;
    a.text("read me").await;
    client
        .mark_as_read(&ben, None, &[read_me.as_str()])
        .await
        .expect("mark as read");
    let receipts = format!("/accounts/{BEN}/receipts");
    let read = |r: &Value| r["id"] == read_me.as_str() && r["type"] == "read";
    let receipt = admin.wait_entry(&receipts, "the read receipt", read).await;
    assert_eq!(receipt["from"], "15550002001@s.whatsapp.net");
    let own_receipts = format!("/accounts/{AVA}/receipts");
    admin
        .wait_entry(&own_receipts, "a delivery receipt", |r| {
            r["type"] == "delivery"
        })
        .await;

    let chatstate = client.chatstate();
    let chatstates = format!("/accounts/{BEN}/chatstates");
    chatstate.send_composing(&ben).await.expect("composing");
    let composing =
        |c: &Value| c["state"] == "composing" && c["from"] == "15550002001@s.whatsapp.net";
    admin.wait_entry(&chatstates, "composing", composing).await;
    chatstate.send_recording(&ben).await.expect("recording");
    admin
        .wait_entry(&chatstates, "recording", |c| c["state"] == "recording")
        .await;
    chatstate.send_paused(&ben).await.expect("paused");
    admin
        .wait_entry(&chatstates, "paused", |c| c["state"] == "paused")
        .await;

    client
        .profile()
        .set_push_name("Ava at work")
        .await
        .expect("push name");
    let presences = format!("/accounts/{BEN}/presences");
    let from_ava = |p: &Value, available: bool| {
        p["from"] == "15550002001@s.whatsapp.net" && p["available"] == available
    };
    client
        .presence()
        .set_unavailable()
        .await
        .expect("unavailable");
    admin
        .wait_entry(&presences, "Ava unavailable", |p| from_ava(p, false))
        .await;
    client.presence().set_available().await.expect("available");
    admin
        .wait_entry(&presences, "Ava available", |p| from_ava(p, true))
        .await;
}
