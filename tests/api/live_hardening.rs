//! Against the sandbox: racing sends with one Idempotency-Key get one answer and one message,
//! deleting a session unlinks its device (running or stopped), and QR codes reach only keys that
//! may link.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase, finish_passed_test};
use crate::sandboxed::{Live, live_on, start_sandbox};

const RACES: usize = 25;

async fn send_with_key(live: &Live, sid: &str, idem: &str, text: &str) -> (StatusCode, Value) {
    let mut r = live
        .app
        .client
        .post(format!("{}/api/v1/sessions/{sid}/messages", live.app.base))
        .insert_header(("X-Api-Key", live.key.as_str()))
        .insert_header(("Idempotency-Key", idem))
        .send_json(&json!({"to": "+4915100000001", "type": "text", "text": text}))
        .await
        .unwrap();
    (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
}

#[actix_rt::test]
async fn racing_duplicate_sends_get_one_answer_on_postgres() {
    let live = live_on(
        TestDatabase::create(Backend::Postgres),
        start_sandbox().await,
        None,
    )
    .await;
    live.account("4915100000001", "Alice").await;
    live.account("4915100000002", "Me").await;
    let sid = live.link_by_qr("main", "4915100000002").await;
    for i in 0..RACES {
        let (idem, text) = (format!("race-{i}"), format!("race {i}"));
        let (a, b) = futures_util::join!(
            send_with_key(&live, &sid, &idem, &text),
            send_with_key(&live, &sid, &idem, &text)
        );
        assert_eq!((a.0, b.0), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
        assert_eq!(
            a.1["id"], b.1["id"],
            "round {i}: two answers {} / {}",
            a.1, b.1
        );
    }
    let listed = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages?limit=100"),
            &live.key,
        )
        .await;
    let rows = listed.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), RACES, "one row per key: {}", listed.text);
    let last = format!("race {}", RACES - 1);
    live.inbox_has("4915100000001", &last, 20).await;
    actix_rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let (_, inbox) = live
        .sandbox_call("GET", "/sandbox/accounts/4915100000001/messages", None)
        .await;
    let received = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"].as_str().is_some_and(|t| t.starts_with("race ")))
        .count();
    assert_eq!(received, RACES, "each sent once");
    finish_passed_test();
}

async fn companions_of(live: &Live, phone: &str) -> Vec<Value> {
    let (_, devices) = live
        .sandbox_call("GET", &format!("/sandbox/accounts/{phone}/devices"), None)
        .await;
    devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["primary"] == json!(false) && d["linked"] == json!(true))
        .cloned()
        .collect()
}

#[actix_rt::test]
async fn deleting_a_session_unlinks_its_device() {
    let live = live_on(
        TestDatabase::create(Backend::Sqlite),
        start_sandbox().await,
        None,
    )
    .await;
    live.account("4915100000008", "Running").await;
    live.account("4915100000009", "Stopped").await;
    let running = live.link_by_qr("running", "4915100000008").await;
    let stopped = live.link_by_qr("stopped", "4915100000009").await;
    assert_eq!(companions_of(&live, "4915100000008").await.len(), 1);
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{stopped}/stop"),
            &live.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    live.wait_status(&stopped, "STOPPED", 10).await;

    for (sid, phone) in [(running, "4915100000008"), (stopped, "4915100000009")] {
        let r = live
            .app
            .delete(&format!("/api/v1/sessions/{sid}"), &live.key)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        let left = companions_of(&live, phone).await;
        assert!(left.is_empty(), "{phone} still has {left:?}");
        live.app
            .get(&format!("/api/v1/sessions/{sid}"), &live.key)
            .await
            .problem(404);
    }
    finish_passed_test();
}

/// A `read` key sees that a QR was issued, not the code: the code links any phone to the session.
#[actix_rt::test]
async fn qr_codes_in_events_only_for_manage_keys() {
    let live = live_on(
        TestDatabase::create(Backend::Sqlite),
        start_sandbox().await,
        None,
    )
    .await;
    let sid = live.app.session(&live.key, "unlinked", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let owner_view = live
        .event(&sid, "session.qr", |e| e["data"]["code"].is_string(), 10)
        .await;
    let reader = live
        .app
        .key(&live.key, json!({"name": "r", "scopes": ["read"]}))
        .await;
    assert_eq!(reader.status, StatusCode::CREATED, "{}", reader.text);
    let reader = reader.body["key"].as_str().unwrap();
    let seen = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=session.qr"),
            reader,
        )
        .await;
    let events = seen.body["data"].as_array().unwrap();
    let same = events
        .iter()
        .find(|e| e["id"] == owner_view["id"])
        .unwrap_or_else(|| panic!("the reader sees the event: {}", seen.text));
    assert_eq!(same["data"]["code"], Value::Null);
    assert_eq!(same["data"]["expires_at"], owner_view["data"]["expires_at"]);
    assert!(
        !seen
            .text
            .contains(owner_view["data"]["code"].as_str().unwrap()),
        "{}",
        seen.text
    );
    finish_passed_test();
}
