//! One identity per person against the sandbox: a sender becomes a contact with phone number,
//! LID and push name (`contact.updated`), is found by either address, can be written to by LID,
//! and a chat lists its messages under both addresses; a number check adds the LID of a person
//! never heard from; the account's own messages from its phone arrive with `from_me`.

use serde_json::{Value, json};

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915100000095";
const ALICE: &str = "4915100000096";
const BOB: &str = "4915100000097";

async fn a_sender_is_one_contact_by_number_and_lid(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice"), (BOB, "Bob")]).await;
    let alice = format!("{ALICE}@s.whatsapp.net");
    let alice_lid = sc.lid(ALICE);
    let hello = sc.receive_text(ALICE, "hello").await;
    assert_eq!(hello["data"]["from_lid"], json!(alice_lid), "{hello}");
    // The mapping (from the engine) and the push name (from the message) both arrive.
    let learned = sc
        .expect_event("contact.updated", |e| {
            e["data"]["phone_jid"] == json!(alice) && e["data"]["push_name"] == json!("Alice")
        })
        .await;
    assert_eq!(learned["data"]["lid"], json!(alice_lid), "{learned}");

    let by_phone = sc.get(&format!("/contacts/+{ALICE}")).await.success(200);
    let by_lid = sc.get(&format!("/contacts/{alice_lid}")).await.success(200);
    assert_eq!(by_phone, by_lid);
    assert_eq!(by_phone["phone"], json!(format!("+{ALICE}")));
    assert_eq!(by_phone["business"], json!(false));
    let all = sc.get("/contacts").await.data();
    let alices = all
        .iter()
        .filter(|c| c["phone_jid"] == json!(alice))
        .count();
    assert_eq!(alices, 1, "{all:?}");
    let nobody = sc.get("/contacts/+4915100000099").await;
    assert_eq!(nobody.problem(404), "not_found");

    // A send to the LID reaches Alice; her chat shows both directions under either address.
    let sent = sc.send_text(&alice_lid, "answer by lid").await;
    sc.inbox_has(ALICE, "answer by lid", 20).await;
    for chat in [format!("+{ALICE}"), alice_lid.clone()] {
        let page = sc.get(&format!("/chats/{chat}/messages")).await.data();
        let ids: Vec<&Value> = page.iter().map(|m| &m["id"]).collect();
        assert_eq!(ids, [&hello["data"]["id"], &sent["id"]], "{chat}: {page:?}");
    }
    let paged = sc
        .get(&format!("/chats/+{ALICE}/messages?limit=1"))
        .await
        .success(200);
    assert_eq!(paged["data"].as_array().unwrap().len(), 1);
    assert!(paged["next_cursor"].is_string(), "{paged}");

    // A number check tells Bob's LID before he ever wrote.
    sc.post("/contacts/check", json!({"phones": [format!("+{BOB}")]}))
        .await
        .success(200);
    let bob = sc.get(&format!("/contacts/+{BOB}")).await.success(200);
    assert_eq!(bob["lid"], json!(sc.lid(BOB)), "{bob}");
}

async fn own_messages_from_the_phone_arrive_as_from_me(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let sent = sc
        .phone_send(ME, json!({"to": ALICE, "text": "typed on my phone"}))
        .await;
    let e = sc
        .expect_event("message.received", |e| e["data"]["wa_id"] == sent["id"])
        .await;
    assert_eq!(e["data"]["from_me"], json!(true), "{e}");
    assert_eq!(e["data"]["text"], json!("typed on my phone"));
    let chat = e["data"]["chat"].as_str().unwrap();
    assert!(
        chat == format!("{ALICE}@s.whatsapp.net") || chat == sc.lid(ALICE),
        "{e}"
    );
    let stored = sc.message(&e["data"]["id"]).await;
    assert_eq!(stored["from_me"], json!(true), "{stored}");
    sc.inbox_has(ALICE, "typed on my phone", 20).await;
}

on_both_backends!(
    a_sender_is_one_contact_by_number_and_lid,
    own_messages_from_the_phone_arrive_as_from_me,
);
