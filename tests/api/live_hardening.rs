//! Against the sandbox: racing sends with one Idempotency-Key get one answer and one message,
//! deleting a session unlinks its device (running or stopped), and QR codes reach only keys that
//! may link.

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase, finish_passed_test};
use crate::sandboxed::{Live, live_on, start_sandbox};
use crate::scenario::Scenario;

const RACES: usize = 25;

/// A text send with an Idempotency-Key: status and answer.
async fn send_with_key(sc: &Scenario, idem: &str, text: &str) -> (StatusCode, Value) {
    let url = format!("{}{}", sc.app.base, sc.path("/messages"));
    let req = sc
        .app
        .client
        .post(url)
        .insert_header(("X-Api-Key", sc.key.as_str()));
    let req = req.insert_header(("Idempotency-Key", idem));
    let body = json!({"to": "+4915100000001", "type": "text", "text": text});
    let mut r = req.send_json(&body).await.unwrap();
    (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
}

#[actix_rt::test]
async fn racing_duplicate_sends_get_one_answer_on_postgres() {
    let alice = "4915100000001";
    let sc = Scenario::linked(Backend::Postgres, "4915100000002", &[(alice, "Alice")]).await;
    for i in 0..RACES {
        let (idem, text) = (format!("race-{i}"), format!("race {i}"));
        let (a, b) = futures_util::join!(
            send_with_key(&sc, &idem, &text),
            send_with_key(&sc, &idem, &text)
        );
        assert_eq!((a.0, b.0), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
        assert_eq!(
            a.1["id"], b.1["id"],
            "round {i}: two answers {} / {}",
            a.1, b.1
        );
    }
    let rows = sc.get("/messages?limit=100").await.data();
    assert_eq!(rows.len(), RACES, "one row per key: {rows:?}");
    sc.inbox_has(alice, &format!("race {}", RACES - 1), 20)
        .await;
    actix_rt::time::sleep(std::time::Duration::from_millis(500)).await;
    let inbox = sc.phone_list(alice, "messages").await;
    let raced = |m: &&Value| m["text"].as_str().is_some_and(|t| t.starts_with("race "));
    assert_eq!(inbox.iter().filter(raced).count(), RACES, "each sent once");
    finish_passed_test();
}

/// The account's linked companion devices.
async fn companions_of(live: &Live, phone: &str) -> Vec<Value> {
    let devices = live.phone_list(phone, "devices").await;
    let linked = |d: &Value| d["primary"] == json!(false) && d["linked"] == json!(true);
    devices.into_iter().filter(linked).collect()
}

async fn sandboxed_sqlite() -> Live {
    live_on(
        TestDatabase::create(Backend::Sqlite),
        start_sandbox().await,
        None,
    )
    .await
}

#[actix_rt::test]
async fn deleting_a_session_unlinks_its_device() {
    let live = sandboxed_sqlite().await;
    live.account("4915100000008", "Running").await;
    live.account("4915100000009", "Stopped").await;
    let running = live.link_by_qr("running", "4915100000008").await;
    let stopped = live.link_by_qr("stopped", "4915100000009").await;
    assert_eq!(companions_of(&live, "4915100000008").await.len(), 1);
    let stop = format!("/api/v1/sessions/{stopped}/stop");
    live.app
        .post(&stop, &live.key, json!({}))
        .await
        .success(200);
    live.wait_status(&stopped, "STOPPED", 10).await;

    for (sid, phone) in [(running, "4915100000008"), (stopped, "4915100000009")] {
        let path = format!("/api/v1/sessions/{sid}");
        live.app.delete(&path, &live.key).await.success(204);
        let left = companions_of(&live, phone).await;
        assert!(left.is_empty(), "{phone} still has {left:?}");
        live.app.get(&path, &live.key).await.problem(404);
    }
    finish_passed_test();
}

/// A `read` key sees that a QR was issued, not the code: the code links any phone to the session.
#[actix_rt::test]
async fn qr_codes_in_events_only_for_manage_keys() {
    let live = sandboxed_sqlite().await;
    let sid = live.app.session_id(&live.key, "unlinked", true).await;
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let has_code = |e: &Value| e["data"]["code"].is_string();
    let owner_view = live.event(&sid, "session.qr", has_code, 10).await;
    let reader = live.app.scoped_key(&live.key, &["read"]).await;
    let path = format!("/api/v1/events?session_id={sid}&types=session.qr");
    let seen = live.app.get(&path, &reader).await;
    let same = seen
        .data()
        .into_iter()
        .find(|e| e["id"] == owner_view["id"]);
    let same = same.unwrap_or_else(|| panic!("the reader sees the event: {}", seen.text));
    assert_eq!(same["data"]["code"], Value::Null);
    assert_eq!(same["data"]["expires_at"], owner_view["data"]["expires_at"]);
    let code = owner_view["data"]["code"].as_str().unwrap();
    assert!(!seen.text.contains(code), "{}", seen.text);
    finish_passed_test();
}
