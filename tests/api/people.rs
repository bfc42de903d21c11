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

    // A number check tells Bob's LID before he ever wrote, and that he runs a business account.
    let (s, b) = sc
        .sandbox_call(
            "PUT",
            &format!("/sandbox/accounts/{BOB}/profile"),
            Some(json!({"business": true})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let checked = sc
        .post("/contacts/check", json!({"phones": [format!("+{BOB}")]}))
        .await
        .success(200);
    assert_eq!(checked["data"][0]["business"], json!(true), "{checked}");
    let bob = sc.get(&format!("/contacts/+{BOB}")).await.success(200);
    assert_eq!(bob["lid"], json!(sc.lid(BOB)), "{bob}");
    assert_eq!(bob["business"], json!(true), "{bob}");
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

/// The sandbox's record of whom `phone` blocked.
async fn blocked_by(sc: &Scenario, phone: &str) -> Vec<Value> {
    sc.phone_list(phone, "blocklist").await
}

async fn a_blocked_person_no_longer_reaches_the_account(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice"), (BOB, "Bob")]).await;
    sc.receive_text(ALICE, "before").await;
    let blocked = sc
        .post(&format!("/contacts/+{ALICE}/block"), json!({}))
        .await
        .success(200);
    assert_eq!(blocked["blocked"], json!(true), "{blocked}");
    assert_eq!(
        blocked_by(&sc, ME).await,
        [json!(ALICE)],
        "WhatsApp has the block"
    );
    let list = sc.get("/blocklist").await.data();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["lid"], json!(sc.lid(ALICE)));
    assert_eq!(
        list[0]["phone_jid"],
        json!(format!("{ALICE}@s.whatsapp.net"))
    );

    sc.phone_send(ALICE, json!({"to": ME, "text": "while blocked"}))
        .await;
    // Bob, never heard from, is blocked by number; a block made on the phone shows too.
    sc.post(&format!("/contacts/+{BOB}/block"), json!({}))
        .await
        .success(200);
    sc.post(&format!("/contacts/+{ALICE}/unblock"), json!({}))
        .await
        .success(200);
    assert_eq!(blocked_by(&sc, ME).await, [json!(BOB)]);
    let after = sc.receive_text(ALICE, "after").await;
    let texts: Vec<Value> = sc
        .messages()
        .await
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert!(!texts.contains(&json!("while blocked")), "{texts:?}");
    assert!(after["data"]["id"].is_string());

    let (s, b) = sc
        .sandbox_call(
            "POST",
            &format!("/sandbox/accounts/{ME}/blocklist"),
            Some(json!({"phone": ALICE, "action": "block"})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    // The session hears of the block made on the phone.
    let heard = sc
        .expect_event("blocklist.updated", |e| {
            e["data"]["changes"][0]["lid"] == json!(sc.lid(ALICE))
        })
        .await;
    assert_eq!(
        heard["data"]["changes"][0]["blocked"],
        json!(true),
        "{heard}"
    );
    assert_eq!(
        heard["data"]["changes"][0]["phone_jid"],
        json!(format!("{ALICE}@s.whatsapp.net")),
        "{heard}"
    );
    let jids: Vec<Value> = sc
        .get("/blocklist")
        .await
        .data()
        .iter()
        .map(|b| b["lid"].clone())
        .collect();
    assert!(
        jids.contains(&json!(sc.lid(ALICE))) && jids.contains(&json!(sc.lid(BOB))),
        "{jids:?}"
    );
    let unknown = sc.post("/contacts/+4915100000098/block", json!({})).await;
    assert_eq!(unknown.problem(404), "not_found");
}

on_both_backends!(
    a_blocked_person_no_longer_reaches_the_account,
    a_sender_is_one_contact_by_number_and_lid,
    own_messages_from_the_phone_arrive_as_from_me,
);
