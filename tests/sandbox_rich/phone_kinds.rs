//! A phone sends every kind through the admin API, one to one and in a group; the companion gets
//! each as the engine message it stands for.

use serde_json::{Value, json};

use crate::sandbox_support::{Admin, Companion, linked};

const EVE: &str = "15550005001";
const FAY: &str = "15550005002";
const GIL: &str = "15550005003";

#[actix_web::test]
async fn a_phone_sends_every_kind_through_the_admin_api() {
    let (sandbox, admin, mut a) = linked(&[(EVE, "Eve"), (FAY, "Fay"), (GIL, "Gil")]).await;
    one_to_one(&admin, &mut a).await;
    in_a_group(&admin, &mut a).await;
    sandbox.stop().await;
}

/// Fay's phone sends `body` to Eve; the message's id.
async fn to_eve(admin: &Admin, body: Value) -> String {
    let mut body = body;
    body["to"] = json!("15550005001@s.whatsapp.net");
    admin.send_as(FAY, body).await
}

async fn one_to_one(admin: &Admin, a: &mut Companion) {
    let place =
        json!({ "latitude": -33.86, "longitude": 151.21, "name": "Opera", "address": "Sydney" });
    let loc = to_eve(admin, json!({ "location": place })).await;
    let message = a.message(&loc).await.message;
    let got = message.location_message.as_option().expect("a location");
    assert_eq!(got.degrees_latitude, Some(-33.86));
    assert_eq!(got.name.as_deref(), Some("Opera"));
    let on_phone = admin.inbox_entry(EVE, &loc).await;
    assert_eq!(on_phone["location"]["address"], "Sydney");

    let card = to_eve(
        admin,
        json!({ "contact": { "name": "Hugo", "phone": "+49 151 234" } }),
    )
    .await;
    let message = a.message(&card).await.message;
    let got = message.contact_message.as_option().expect("a contact");
    assert_eq!(got.display_name.as_deref(), Some("Hugo"));
    let vcard = got.vcard.as_deref();
    assert!(
        vcard.is_some_and(|v| v.contains("waid=49151234")),
        "{got:?}"
    );

    let question =
        json!({ "name": "Where?", "options": ["Here", "There", "Nowhere"], "selectable_count": 2 });
    let poll = to_eve(admin, json!({ "poll": question })).await;
    let got = a.message(&poll).await.message;
    let creation = got.poll_creation_message.as_option();
    let creation = creation
        .or(got.poll_creation_message_v3.as_option())
        .expect("a poll creation");
    assert_eq!(creation.name.as_deref(), Some("Where?"));
    assert_eq!(creation.options.len(), 3);
    assert_eq!(creation.selectable_options_count, Some(2));
    // Eve's phone knows the poll, so it can vote on it too.
    let vote = json!({ "to": FAY, "poll_vote": { "id": poll, "options": ["Here", "Nowhere"] } });
    let vote = admin.send_as(EVE, vote).await;
    let got = admin.inbox_entry(FAY, &vote).await;
    assert_eq!(got["poll_vote"]["options"], json!(["Here", "Nowhere"]));

    let text = to_eve(admin, json!({ "text": "typo hree" })).await;
    a.text("typo hree").await;
    let edit = to_eve(
        admin,
        json!({ "edit": { "id": text, "text": "typo here" } }),
    )
    .await;
    let got = a.message(&edit).await;
    // The stanza's edit marker travels with it, as from the real server.
    assert_eq!(
        got.info.edit,
        wacore::types::message::EditAttribute::MessageEdit
    );
    let protocol = got.message.protocol_message.as_option().expect("an edit");
    assert_eq!(
        protocol.key.as_option().and_then(|k| k.id.clone()),
        Some(text.clone())
    );
    let edited = protocol
        .edited_message
        .as_option()
        .and_then(|m| m.conversation.clone());
    assert_eq!(edited.as_deref(), Some("typo here"));
    let revoke = to_eve(admin, json!({ "revoke": { "id": text } })).await;
    let on_phone = admin.inbox_entry(EVE, &revoke).await;
    assert_eq!(on_phone["type"], "revoke");
    assert_eq!(on_phone["revoke"]["id"], text.as_str());
}

/// In a group: a reply naming its sender, a mention, a reaction to another member, and typing.
async fn in_a_group(admin: &Admin, a: &mut Companion) {
    let client = a.bot.client();
    let gid = a.create_group("Kinds", &[FAY, GIL]).await;
    let group = gid.to_string();
    let hello = client
        .send_text(gid.clone(), "hello kinds")
        .await
        .expect("send");
    admin.inbox_entry(FAY, &hello.message_id).await;
    let reaction = json!({ "to": group, "reaction": { "id": hello.message_id, "emoji": "🎉", "sender": EVE } });
    let reaction = admin.send_as(FAY, reaction).await;
    let key = reaction_key(a, &reaction).await;
    assert_eq!(
        key.participant.as_deref(),
        Some("15550005001@s.whatsapp.net")
    );
    // Without a sender, a group reference means the phone's own message.
    let own = admin
        .send_as(FAY, json!({ "to": group, "text": "mine" }))
        .await;
    let self_reaction = json!({ "to": group, "reaction": { "id": own, "emoji": "❤" } });
    let self_reaction = admin.send_as(FAY, self_reaction).await;
    let key = reaction_key(a, &self_reaction).await;
    assert_eq!(key.from_me, Some(true));
    assert_eq!(key.id.as_deref(), Some(own.as_str()));
    let reply = admin
        .send_as(
            GIL,
            json!({
                "to": group,
                "text": "@15550005001 agreed",
                "reply_to": { "id": hello.message_id, "sender": "15550005001@s.whatsapp.net" },
                "mentions": [EVE],
            }),
        )
        .await;
    let got = admin.inbox_entry(FAY, &reply).await;
    assert_eq!(got["chat"], group);
    assert_eq!(got["participant"], "15550005003@s.whatsapp.net");
    assert_eq!(got["reply_to"], hello.message_id.as_str());
    assert_eq!(got["mentions"], json!(["15550005001@s.whatsapp.net"]));

    // Typing in the group reaches the members' phones, naming the group.
    client
        .chatstate()
        .send_composing(&gid)
        .await
        .expect("composing");
    let chatstates = format!("/accounts/{GIL}/chatstates");
    let state = admin
        .wait_entry(&chatstates, "group typing", |c| c["chat"] == group)
        .await;
    assert_eq!(state["from"], "15550005001@s.whatsapp.net");
    assert_eq!(state["state"], "composing");
}

/// The key of the reaction the companion got as message `id`.
async fn reaction_key(a: &mut Companion, id: &str) -> waproto::whatsapp::MessageKey {
    let reaction = a
        .message(id)
        .await
        .message
        .reaction_message
        .as_option()
        .cloned();
    reaction
        .expect("a reaction")
        .key
        .into_option()
        .expect("key")
}
