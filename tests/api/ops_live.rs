//! Issue 13 against the sandbox: presence kept out of the log unless asked for (point 8), a
//! linked session surviving a master key rotation (point 9), and a session whose actor panics
//! or whose engine stops behind its back coming back WORKING without re-linking (point 10).

use std::time::Duration;

use serde_json::{Value, json};
use waras::actors::{ActorAddr, HaltEngine, Panic, PanicWhenStopped};
use waras::domain::SessionId;

use crate::common::{Backend, TestDatabase, eventually};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_with, start_sandbox};

const ALICE: &str = "4915100000031";
const ME: &str = "4915100000032";
const BOB: &str = "4915100000033";

async fn linked(
    backend: Backend,
    adjust: impl FnOnce(&mut waras::config::Settings),
) -> (Live, String) {
    let live = live_with(
        TestDatabase::create(backend),
        start_sandbox().await,
        None,
        adjust,
    )
    .await;
    live.account(ALICE, "Alice").await;
    live.account(ME, "Me").await;
    let sid = live.link_by_qr("main", ME).await;
    (live, sid)
}

/// The session still sends and receives.
async fn still_works(live: &Live, sid: &str, tag: &str) {
    let text = format!("out {tag}");
    live.send(sid, &format!("+{ALICE}"), &text).await;
    live.inbox_has(ALICE, &text, 20).await;
    let sent = live
        .phone_send(ALICE, json!({"to": ME, "text": format!("in {tag}")}))
        .await;
    live.event(
        sid,
        "message.received",
        |e| e["data"]["wa_id"] == sent["id"],
        20,
    )
    .await;
}

/// Two linked sessions; the first types to the second's account: (live, typing sid, typed-to sid).
async fn typing_pair(store: bool) -> (Live, String, String) {
    let (live, me) = linked(Backend::Sqlite, |s| s.store_presence_events = store).await;
    live.account(BOB, "Bob").await;
    let bob = live.link_by_qr("bob", BOB).await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{me}/presence"),
            &live.key,
            json!({"state": "composing", "chat": format!("+{BOB}")}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    (live, me, bob)
}

fn data_of(body: &Value) -> Vec<Value> {
    body["data"].as_array().cloned().unwrap_or_default()
}

#[actix_rt::test]
async fn typing_is_logged_when_asked_for() {
    let (live, _me, bob) = typing_pair(true).await;
    live.event(
        &bob,
        "presence.chat",
        |e| e["data"]["state"] == json!("composing"),
        20,
    )
    .await;
    crate::common::finish_passed_test();
}

#[actix_rt::test]
async fn typing_is_not_logged_by_default() {
    let (live, me, bob) = typing_pair(false).await;
    // A message sent after the typing notice: once it is in, the notice has been handled.
    live.send(&me, &format!("+{BOB}"), "after typing").await;
    live.event(
        &bob,
        "message.received",
        |e| e["data"]["text"] == json!("after typing"),
        20,
    )
    .await;
    actix_rt::time::sleep(Duration::from_millis(1000)).await;
    let r = live
        .app
        .get(
            "/api/v1/events?types=presence.chat,presence.update&limit=200",
            &live.key,
        )
        .await;
    assert_eq!(data_of(&r.body), Vec::<Value>::new(), "{}", r.text);
    crate::common::finish_passed_test();
}

/// The id of the session's newest status event.
async fn last_status_event(live: &Live, sid: &str) -> i64 {
    let r = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=session.status&limit=200"),
            &live.key,
        )
        .await;
    data_of(&r.body)
        .iter()
        .filter_map(|e| e["id"].as_str()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// Waits until a session.status event after `after` says WORKING (the stored status may still
/// say WORKING from before a crash).
async fn working_again(live: &Live, sid: &str, after: i64) {
    live.event(
        sid,
        "session.status",
        |e| {
            e["data"]["status"] == json!("WORKING")
                && e["id"].as_str().and_then(|i| i.parse::<i64>().ok()) > Some(after)
        },
        30,
    )
    .await;
}

async fn actor_of(live: &Live, sid: &str) -> Option<actix::Addr<waras::actors::SessionActor>> {
    live.app
        .running()
        .supervisor
        .send(ActorAddr(SessionId::parse(sid).unwrap()))
        .await
        .unwrap()
}

async fn panicking_actor_is_restarted(backend: Backend) {
    let (live, sid) = linked(backend, |_| {}).await;
    let before = actor_of(&live, &sid).await.expect("runs");
    let last = last_status_event(&live, &sid).await;
    before.do_send(Panic);
    eventually(20, "a new actor", || async {
        actor_of(&live, &sid)
            .await
            .filter(|a| *a != before && a.connected())
    })
    .await;
    working_again(&live, &sid, last).await;
    still_works(&live, &sid, "after the panic").await;
}

/// An actor that dies before it can report its exit is found by the supervisor's watchdog.
async fn silently_dead_actor_is_restarted(backend: Backend) {
    let (live, sid) = linked(backend, |_| {}).await;
    let before = actor_of(&live, &sid).await.expect("runs");
    let last = last_status_event(&live, &sid).await;
    before.do_send(PanicWhenStopped);
    eventually(20, "a new actor", || async {
        actor_of(&live, &sid)
            .await
            .filter(|a| *a != before && a.connected())
    })
    .await;
    working_again(&live, &sid, last).await;
    still_works(&live, &sid, "after the silent death").await;
}

async fn stopped_engine_is_rebuilt(backend: Backend) {
    let (live, sid) = linked(backend, |_| {}).await;
    let before = actor_of(&live, &sid).await.expect("runs");
    let last = last_status_event(&live, &sid).await;
    before.do_send(HaltEngine);
    live.event(
        &sid,
        "session.status",
        |e| e["data"]["reason"] == json!("engine_stopped"),
        20,
    )
    .await;
    eventually(20, "a new actor", || async {
        actor_of(&live, &sid).await.filter(|a| *a != before)
    })
    .await;
    working_again(&live, &sid, last).await;
    still_works(&live, &sid, "after the engine stopped").await;
}

/// After a rotation the linked session reconnects with its old keys under the new master key.
async fn rotation_keeps_the_link(backend: Backend) {
    let (live, sid) = linked(backend, |_| {}).await;
    still_works(&live, &sid, "before").await;
    let Live { app, sandbox, key } = live;
    let db = app.into_db().await;
    let new = "42".repeat(32);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_waras"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("WARAS_DATA_DIR", db.dir.path())
        .env("WARAS_DATABASE_URL", &db.url)
        .env("WARAS_MASTER_KEY", "11".repeat(32))
        .env("WARAS_NEW_MASTER_KEY", &new)
        .args(["--config-dir", "/nonexistent", "rotate-master-key"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let live = live_with(db, sandbox, Some(key), move |s| s.master_key = new.into()).await;
    live.wait_status(&sid, "WORKING", 30).await;
    still_works(&live, &sid, "after the rotation").await;
}

on_both_backends!(
    panicking_actor_is_restarted,
    silently_dead_actor_is_restarted,
    stopped_engine_is_rebuilt,
    rotation_keeps_the_link
);
