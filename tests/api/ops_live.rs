//! Issue 13 against the sandbox: presence kept out of the log unless asked for (point 8), a
//! linked session surviving a master key rotation (point 9), and a session whose actor panics
//! or whose engine stops behind its back coming back WORKING without re-linking (point 10).

use std::time::Duration;

use serde_json::{Value, json};
use waras::actors::{HaltEngine, Panic, PanicWhenStopped, SessionActor};

use crate::common::{Backend, TestDatabase, eventually, waras_cli};
use crate::on_both_backends;
use crate::scenario::Scenario;

const ALICE: &str = "4915100000031";
const ME: &str = "4915100000032";
const BOB: &str = "4915100000033";

async fn linked(backend: Backend, adjust: impl FnOnce(&mut waras::config::Settings)) -> Scenario {
    Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], adjust).await
}

/// The session still sends and receives.
async fn still_works(sc: &Scenario, tag: &str) {
    let sent = sc
        .send_text(&format!("+{ALICE}"), &format!("out {tag}"))
        .await;
    sc.phone_got(ALICE, &sent).await;
    sc.receive_text(ALICE, &format!("in {tag}")).await;
}

/// Two linked sessions; the first types to the second's account: (scenario, typed-to sid).
async fn typing_pair(store: bool) -> (Scenario, String) {
    let sc = linked(Backend::Sqlite, |s| s.store_presence_events = store).await;
    sc.account(BOB, "Bob").await;
    let bob = sc.link_by_qr("bob", BOB).await;
    let typing = json!({"state": "composing", "chat": format!("+{BOB}")});
    sc.post("/presence", typing).await.success(200);
    (sc, bob)
}

#[actix_rt::test]
async fn typing_is_logged_when_asked_for() {
    let (sc, bob) = typing_pair(true).await;
    let composing = |e: &Value| e["data"]["state"] == json!("composing");
    sc.event(&bob, "presence.chat", composing, 20).await;
    crate::common::finish_passed_test();
}

#[actix_rt::test]
async fn typing_is_not_logged_by_default() {
    let (sc, bob) = typing_pair(false).await;
    // A message sent after the typing notice: once it is in, the notice has been handled.
    sc.send_text(&format!("+{BOB}"), "after typing").await;
    let after = |e: &Value| e["data"]["text"] == json!("after typing");
    sc.event(&bob, "message.received", after, 20).await;
    actix_rt::time::sleep(Duration::from_millis(1000)).await;
    let path = "/api/v1/events?types=presence.chat,presence.update&limit=200";
    let r = sc.app.get(path, &sc.key).await;
    assert_eq!(r.data(), Vec::<Value>::new(), "{}", r.text);
    crate::common::finish_passed_test();
}

/// The id of the session's newest status event.
async fn last_status_event(sc: &Scenario) -> i64 {
    let path = format!(
        "/api/v1/events?session_id={}&types=session.status&limit=200",
        sc.sid
    );
    let events = sc.app.get(&path, &sc.key).await.data();
    let ids = events.iter().filter_map(|e| e["id"].as_str()?.parse().ok());
    ids.max().unwrap_or(0)
}

async fn actor_of(sc: &Scenario) -> Option<actix::Addr<SessionActor>> {
    sc.app.actor_of(&sc.sid).await
}

/// Sends `poison` to the session's actor and waits for a new actor (`connected` when the old
/// one's engine connection must be taken over), then for a session.status WORKING after the
/// blow (the stored status may still say WORKING from before it); the session works again.
async fn recovers_from<M>(sc: &Scenario, poison: M, connected: bool, tag: &str)
where
    M: actix::Message + Send + 'static,
    M::Result: Send,
    SessionActor: actix::Handler<M>,
    <SessionActor as actix::Actor>::Context: actix::dev::ToEnvelope<SessionActor, M>,
{
    let before = actor_of(sc).await.expect("runs");
    let last = last_status_event(sc).await;
    before.do_send(poison);
    if !connected {
        let halted = |e: &Value| e["data"]["reason"] == json!("engine_stopped");
        sc.expect_event("session.status", halted).await;
    }
    eventually(20, "a new actor", || async {
        let new = actor_of(sc).await.filter(|a| *a != before);
        new.filter(|a| !connected || a.connected())
    })
    .await;
    let after = |e: &Value| {
        e["data"]["status"] == json!("WORKING")
            && e["id"].as_str().and_then(|i| i.parse::<i64>().ok()) > Some(last)
    };
    sc.event(&sc.sid, "session.status", after, 30).await;
    still_works(sc, tag).await;
}

async fn panicking_actor_is_restarted(backend: Backend) {
    let sc = linked(backend, |_| {}).await;
    recovers_from(&sc, Panic, true, "after the panic").await;
}

/// An actor that dies before it can report its exit is found by the supervisor's watchdog.
async fn silently_dead_actor_is_restarted(backend: Backend) {
    let sc = linked(backend, |_| {}).await;
    recovers_from(&sc, PanicWhenStopped, true, "after the silent death").await;
}

async fn stopped_engine_is_rebuilt(backend: Backend) {
    let sc = linked(backend, |_| {}).await;
    recovers_from(&sc, HaltEngine, false, "after the engine stopped").await;
}

/// After a rotation the linked session reconnects with its old keys under the new master key.
async fn rotation_keeps_the_link(backend: Backend) {
    let sc = linked(backend, |_| {}).await;
    still_works(&sc, "before").await;
    let new = "42".repeat(32);
    let rotate = |db: &TestDatabase| {
        let out = (waras_cli(db).env("WARAS_MASTER_KEY", "11".repeat(32)))
            .env("WARAS_NEW_MASTER_KEY", &new)
            .arg("rotate-master-key")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
    };
    let sc = sc
        .restarted(rotate, |s| s.master_key = new.clone().into())
        .await;
    still_works(&sc, "after the rotation").await;
}

on_both_backends!(
    panicking_actor_is_restarted,
    silently_dead_actor_is_restarted,
    stopped_engine_is_rebuilt,
    rotation_keeps_the_link
);
