//! Channels against the sandbox: the session follows a channel someone runs and gets its posts
//! as `channel.message` (stored under the channel's JID); it creates its own channel, posts to it
//! (the sandbox numbers the post for the followers) and may not post to someone else's.

use serde_json::{Value, json};

use crate::common::{Backend, wait_until};
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915100000141";
const ALICE: &str = "4915100000142";

/// The session's view of one channel from its list.
async fn listed(sc: &Scenario, jid: &str) -> Option<Value> {
    let list = sc.get("/channels").await.success(200);
    list["data"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["jid"] == json!(jid)).cloned())
}

async fn channels_are_followed_read_and_run(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let (s, alices) = sc
        .sandbox_call(
            "POST",
            &format!("/sandbox/accounts/{ALICE}/channels"),
            Some(json!({"name": "Alice's bakery", "description": "Fresh bread daily"})),
        )
        .await;
    assert!(s.is_success(), "{alices}");
    let jid = alices["jid"].as_str().unwrap_or_default().to_string();
    assert!(jid.ends_with("@newsletter"), "{alices}");

    // Looking it up, then following it.
    let info = sc.get(&format!("/channels/{jid}")).await.success(200);
    assert_eq!(info["name"], json!("Alice's bakery"), "{info}");
    assert_eq!(info["role"], json!("guest"), "{info}");
    assert!(listed(&sc, &jid).await.is_none());
    let followed = sc
        .post(&format!("/channels/{jid}/follow"), json!({}))
        .await
        .success(200);
    assert_eq!(followed["role"], json!("subscriber"), "{followed}");
    assert_eq!(followed["subscribers"], json!(1), "{followed}");
    assert!(listed(&sc, &jid).await.is_some());

    // Alice posts; the session gets it as an event and keeps it under the channel's JID.
    let (s, b) = sc
        .sandbox_call(
            "POST",
            &format!("/sandbox/channels/{jid}/posts"),
            Some(json!({"text": "Croissants are out of the oven"})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let e = sc
        .expect_event("channel.message", |e| {
            e["data"]["text"] == json!("Croissants are out of the oven")
        })
        .await;
    assert_eq!(e["data"]["chat"], json!(jid), "{e}");
    let stored = sc.get(&format!("/chats/{jid}/messages")).await.success(200);
    assert_eq!(stored["data"].as_array().map(Vec::len), Some(1), "{stored}");
    assert_eq!(
        stored["data"][0]["text"],
        json!("Croissants are out of the oven"),
        "{stored}"
    );
    // A channel is nobody's contact.
    let contacts = sc.get("/contacts").await.success(200);
    assert!(!contacts.to_string().contains("@newsletter"), "{contacts}");

    // Someone else's channel takes no posts from the session.
    let refused = sc
        .post(&format!("/channels/{jid}/messages"), json!({"text": "hi"}))
        .await;
    assert_eq!(refused.problem(403), "whatsapp_forbidden");

    let left = sc
        .post(&format!("/channels/{jid}/unfollow"), json!({}))
        .await
        .success(200);
    assert_eq!(left["role"], json!("guest"), "{left}");
    assert!(listed(&sc, &jid).await.is_none());

    // The session's own channel: created, posted to, the post numbered for its followers.
    let mine = sc
        .post("/channels", json!({"name": "Opening hours"}))
        .await
        .success(201);
    assert_eq!(mine["role"], json!("owner"), "{mine}");
    let own = mine["jid"].as_str().unwrap_or_default().to_string();
    let posted = sc
        .post(
            &format!("/channels/{own}/messages"),
            json!({"text": "Closed on Sunday"}),
        )
        .await
        .success(201);
    assert!(posted["id"].is_string(), "{posted}");
    // The 201 means WhatsApp took the post; the sandbox files it for its followers just after.
    let channel = format!("/sandbox/channels/{own}");
    let seen = wait_until(10, "the sandbox to file the post", || async {
        let (s, seen) = sc.sandbox_call("GET", &channel, None).await;
        assert!(s.is_success(), "{seen}");
        if seen["posts"][0]["text"] == json!("Closed on Sunday") {
            Ok(seen)
        } else {
            Err(seen)
        }
    })
    .await;
    assert_eq!(seen["posts"][0]["id"], posted["id"], "{seen}");

    // Bad input is a 400 before WhatsApp is asked.
    let bad = sc.get("/channels/not-a-channel").await;
    assert_eq!(bad.problem(400), "invalid_request");
    let bad = sc.post("/channels", json!({"name": " "})).await;
    assert_eq!(bad.problem(400), "invalid_request");
}

on_both_backends!(channels_are_followed_read_and_run);
