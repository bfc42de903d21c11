//! Scheduled sends end to end against the sandbox: a send with `send_at` waits (listed as
//! `scheduled`), goes out at its time exactly once even across a restart, can be moved or
//! cancelled while it waits, goes out late when its session was not WORKING at its time, and
//! fails with an event once it is later than `schedule_max_lateness_secs`.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::common::{Backend, wait_until};
use crate::on_both_backends;
use crate::scenario::{Scenario, WAIT_SECS};

const ME: &str = "4915100000061";
const ALICE: &str = "4915100000062";

/// `secs` from now, as RFC 3339 with milliseconds.
fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn millis(rfc3339: &Value) -> i64 {
    let text = rfc3339.as_str().expect("an RFC 3339 time");
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp_millis()
}

async fn linked(backend: Backend, lateness_secs: u64) -> Scenario {
    Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], |s| {
        s.schedule_max_lateness_secs = lateness_secs;
    })
    .await
}

/// A text to Alice at `send_at`; the 202's body.
async fn schedule(sc: &Scenario, text: &str, send_at: &str) -> Value {
    let body = json!({"to": format!("+{ALICE}"), "type": "text", "text": text, "send_at": send_at});
    sc.send(body).await
}

/// The session's `message.sent` events for the message `id`.
async fn sent_events(sc: &Scenario, id: &Value) -> Vec<Value> {
    let path = format!(
        "/api/v1/events?session_id={}&types=message.sent&limit=200",
        sc.sid
    );
    let events = sc.app.get(&path, &sc.key).await.data();
    events
        .into_iter()
        .filter(|e| e["data"]["id"] == *id)
        .collect()
}

/// The ids of the session's messages in `status`.
async fn ids_in(sc: &Scenario, status: &str) -> Vec<Value> {
    let r = sc.get(&format!("/messages?status={status}")).await;
    r.data().into_iter().map(|m| m["id"].clone()).collect()
}

async fn a_scheduled_send_goes_out_on_time_once_across_a_restart(backend: Backend) {
    let sc = linked(backend, 3600).await;
    let send_at = in_secs(6);
    let accepted = schedule(&sc, "on time", &send_at).await;
    assert_eq!(accepted["status"], json!("scheduled"), "{accepted}");
    assert_eq!(millis(&accepted["send_at"]), millis(&json!(send_at)));
    assert_eq!(ids_in(&sc, "scheduled").await, vec![accepted["id"].clone()]);
    // A send with a time already past goes out now, as any send.
    let now = sc
        .send(json!({"to": format!("+{ALICE}"), "type": "text", "text": "now", "send_at": in_secs(-60)}))
        .await;
    assert_eq!(now["status"], json!("queued"), "{now}");
    sc.phone_got(ALICE, &now).await;

    let sc = sc
        .restarted(|_| {}, |s| s.schedule_max_lateness_secs = 3600)
        .await;
    let waiting = sc.message(&accepted["id"]).await;
    assert_eq!(
        waiting["status"],
        json!("scheduled"),
        "sent early: {waiting}"
    );
    sc.phone_got(ALICE, &accepted).await;
    let stored = sc.wait_receipt(&accepted, "sent").await;
    let sent = sent_events(&sc, &accepted["id"]).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let went_out = millis(&sent[0]["created_at"]);
    let due = millis(&json!(send_at));
    assert!(
        went_out >= due,
        "sent {} ms before its time",
        due - went_out
    );
    // Within a second of its time (with room for a loaded test machine).
    assert!(went_out - due < 2_000, "sent {} ms late", went_out - due);
    eprintln!("scheduled send: sent {} ms after its time", went_out - due);
    assert_eq!(stored["late"], Value::Null, "{stored}");
    // Nothing goes out twice: the restarted instance's outbox and timer saw it once.
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sent_events(&sc, &accepted["id"]).await.len(), 1);
    assert!(ids_in(&sc, "scheduled").await.is_empty());
}

async fn a_scheduled_send_can_be_moved_or_cancelled_while_it_waits(backend: Backend) {
    let sc = linked(backend, 3600).await;
    let moved = schedule(&sc, "moved", &in_secs(3600)).await;
    let cancelled = schedule(&sc, "cancelled", &in_secs(3600)).await;
    let soon = in_secs(3);
    let path = |m: &Value, rest: &str| format!("/messages/{}{rest}", m["id"].as_str().unwrap());
    let r = sc.patch(&path(&moved, ""), json!({"send_at": soon})).await;
    let changed = r.success(200);
    assert_eq!(changed["status"], json!("scheduled"));
    assert_eq!(millis(&changed["send_at"]), millis(&json!(soon)));
    let r = sc.post(&path(&cancelled, "/cancel"), json!({})).await;
    assert_eq!(r.success(200)["status"], json!("cancelled"));

    sc.phone_got(ALICE, &moved).await;
    let sent = sc.wait_receipt(&moved, "sent").await;
    assert!(
        millis(&sent["updated_at"]) >= millis(&json!(soon)),
        "{sent}"
    );
    // What no longer waits cannot be moved or cancelled.
    for (m, rest, body) in [
        (&cancelled, "/cancel", None),
        (&moved, "/cancel", None),
        (&cancelled, "", Some(json!({"send_at": in_secs(60)}))),
    ] {
        let r = match body {
            Some(b) => sc.patch(&path(m, rest), b).await,
            None => sc.post(&path(m, rest), json!({})).await,
        };
        assert_eq!(r.status.as_u16(), 409, "{}", r.text);
        assert_eq!(r.body["code"], json!("not_scheduled"), "{}", r.text);
    }
    let r = sc
        .patch(&path(&moved, ""), json!({"send_at": "tomorrow"}))
        .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    let r = sc.get("/messages?status=waiting").await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert!(ids_in(&sc, "scheduled").await.is_empty());
    assert_eq!(
        ids_in(&sc, "cancelled").await,
        vec![cancelled["id"].clone()]
    );
    // The cancelled one never reached Alice.
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    let got = sc.phone_list(ALICE, "messages").await;
    assert!(
        !got.iter().any(|m| m["id"] == cancelled["wa_id"]),
        "{got:?}"
    );
}

async fn a_send_due_while_stopped_goes_out_late_or_fails(backend: Backend) {
    let sc = linked(backend, 8).await;
    let r = sc.post("/stop", json!({})).await;
    r.success(200);
    sc.wait_status(&sc.sid, "STOPPED", WAIT_SECS).await;
    let expired = schedule(&sc, "too late", &in_secs(1)).await;
    assert_eq!(
        expired["status"],
        json!("scheduled"),
        "a stopped linked session takes it"
    );
    let failed = sc
        .expect_event("message.ack", |e| {
            e["data"]["id"] == expired["id"] && e["data"]["status"] == json!("failed")
        })
        .await;
    assert!(
        failed["data"]["error"]
            .as_str()
            .unwrap()
            .contains("not sent within 8 s"),
        "{failed}"
    );
    assert_eq!(failed["data"]["send_at"], expired["send_at"], "{failed}");
    assert_eq!(sc.message(&expired["id"]).await["status"], json!("failed"));

    let late = schedule(&sc, "late", &in_secs(1)).await;
    wait_until(WAIT_SECS, "the send to be due", || async {
        let due = millis(&late["send_at"]) + 1_500;
        match Utc::now().timestamp_millis() >= due {
            true => Ok(()),
            false => Err("not yet"),
        }
    })
    .await;
    sc.post("/start", json!({})).await.success(200);
    sc.wait_status(&sc.sid, "WORKING", WAIT_SECS).await;
    sc.phone_got(ALICE, &late).await;
    let stored = sc.wait_receipt(&late, "sent").await;
    assert_eq!(stored["late"], json!(true), "{stored}");
    let got = sc.phone_list(ALICE, "messages").await;
    assert!(!got.iter().any(|m| m["id"] == expired["wa_id"]), "{got:?}");
}

on_both_backends!(
    a_scheduled_send_goes_out_on_time_once_across_a_restart,
    a_scheduled_send_can_be_moved_or_cancelled_while_it_waits,
    a_send_due_while_stopped_goes_out_late_or_fails,
);
