//! Chat management through app state against the sandbox: archive, pin, mute until a time, mark
//! unread through the API reach WhatsApp (the account's app state moves) and show in the chat
//! list, one `chat.updated` each; the same changes made on the phone arrive as `chat.updated`;
//! deleting a chat removes its stored messages.

use serde_json::{Value, json};

use crate::common::{Backend, wait_until};
use crate::on_both_backends;
use crate::scenario::{Scenario, WAIT_SECS};

const ME: &str = "4915100000121";
const ALICE: &str = "4915100000122";

/// The account's app state versions on the sandbox server, summed over collections.
async fn app_state_version(sc: &Scenario) -> u64 {
    let (_, v) = sc
        .sandbox_call("GET", &format!("/sandbox/accounts/{ME}/app-state"), None)
        .await;
    v.as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

async fn chat(sc: &Scenario) -> Value {
    let chats = sc.get("/chats").await.data();
    chats
        .into_iter()
        .find(|c| c["chat"] == json!(format!("{ALICE}@s.whatsapp.net")))
        .expect("Alice's chat")
}

async fn chat_changes_go_both_ways_through_app_state(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    sc.receive_text(ALICE, "hello").await;
    let alice = format!("+{ALICE}");

    let before = app_state_version(&sc).await;
    let archived = sc
        .post(&format!("/chats/{alice}/archive"), json!({}))
        .await
        .success(200);
    assert_eq!(archived["archived"], json!(true), "{archived}");
    sc.expect_event("chat.updated", |e| e["data"]["archived"] == json!(true))
        .await;
    assert!(
        app_state_version(&sc).await > before,
        "the patch reached WhatsApp"
    );
    // The engine reads the session's own change back from app state: still one event.
    actix_rt::time::sleep(std::time::Duration::from_secs(1)).await;
    let path = format!("/api/v1/events?session_id={}&types=chat.updated", sc.sid);
    let events = sc.app.get(&path, &sc.key).await.data();
    assert_eq!(events.len(), 1, "{events:?}");

    let until = "2030-01-01T00:00:00Z";
    let muted = sc
        .post(&format!("/chats/{alice}/mute"), json!({"until": until}))
        .await
        .success(200);
    assert_eq!(
        muted["muted_until"],
        json!("2030-01-01T00:00:00.000Z"),
        "{muted}"
    );
    sc.post(&format!("/chats/{alice}/unread"), json!({}))
        .await
        .success(200);
    let listed = chat(&sc).await;
    assert_eq!(listed["archived"], json!(true), "{listed}");
    assert_eq!(listed["muted"], json!(true));
    assert_eq!(listed["marked_unread"], json!(true));
    let bad = sc
        .post(
            &format!("/chats/{alice}/mute"),
            json!({"until": "tomorrow"}),
        )
        .await;
    assert_eq!(bad.problem(400), "invalid_request");
    let unknown = sc.post(&format!("/chats/{alice}/explode"), json!({})).await;
    assert_eq!(unknown.problem(404), "not_found");

    // Changed on the phone: the session learns it from app state.
    let (s, b) = sc
        .sandbox_call(
            "POST",
            &format!("/sandbox/accounts/{ME}/chats/{ALICE}/pin"),
            None,
        )
        .await;
    assert!(s.is_success(), "{b}");
    sc.expect_event("chat.updated", |e| e["data"]["pinned"] == json!(true))
        .await;
    wait_until(WAIT_SECS, "the chat list to show the pin", || async {
        let c = chat(&sc).await;
        if c["pinned"] == json!(true) {
            Ok(())
        } else {
            Err(c)
        }
    })
    .await;

    let deleted = sc.delete(&format!("/chats/{alice}")).await.success(200);
    assert_eq!(deleted["deleted"], json!(true), "{deleted}");
    assert!(
        sc.get(&format!("/chats/{alice}/messages"))
            .await
            .data()
            .is_empty()
    );
}

on_both_backends!(chat_changes_go_both_ways_through_app_state);
