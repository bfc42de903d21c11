//! Live sessions end to end, through the REST API only, against the in-process sandbox (a
//! WhatsApp network whose people are real protocol clients): QR and pairing-code linking, text
//! both ways with receipts, restart without re-linking, dropped connections, logout, unlink.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::{Value, json};
use waras::sandbox::{self, SandboxConfig};

use crate::common::{Backend, TestDatabase};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_on, start_sandbox};

async fn qr_link_and_text_both_ways(backend: Backend) {
    let live = live_on(TestDatabase::create(backend), start_sandbox().await, None).await;
    let alice = live.account("4915100000001", "Alice").await;
    live.account("4915100000002", "Me").await;
    let sid = live.link_by_qr("main", "4915100000002").await;

    // Out: the sandbox account receives it decrypted; receipts come back.
    let sent = live.send(&sid, "+4915100000001", "hello Alice").await;
    assert_eq!(sent["status"], json!("queued"));
    let got = live.inbox_has("4915100000001", "hello Alice", 10).await;
    assert_eq!(got["from"], json!("4915100000002@s.whatsapp.net"));
    assert_eq!(
        got["id"], sent["wa_id"],
        "the pre-generated WhatsApp id is the one sent"
    );
    let id = sent["id"].as_str().unwrap().to_string();
    live.event(&sid, "message.sent", |e| e["data"]["id"] == json!(id), 10)
        .await;
    live.event(
        &sid,
        "message.ack",
        |e| e["data"]["id"] == json!(id) && e["data"]["status"] == json!("delivered"),
        10,
    )
    .await;
    let m = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/messages/{id}"), &live.key)
        .await;
    assert!(
        matches!(m.body["status"].as_str(), Some("delivered" | "read")),
        "{}",
        m.text
    );

    // In: a reply becomes message.received with the text and the sender's phone and LID.
    let (s, _) = live
        .sandbox_call(
            "POST",
            "/sandbox/accounts/4915100000001/messages",
            Some(json!({"to": "4915100000002", "text": "hi back"})),
        )
        .await;
    assert!(s.is_success());
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["text"] == json!("hi back"),
            10,
        )
        .await;
    assert_eq!(
        e["data"]["from_phone"],
        json!("4915100000001@s.whatsapp.net")
    );
    assert_eq!(
        e["data"]["from_lid"],
        json!(format!("{}@lid", alice["lid"].as_str().unwrap()))
    );
    let listed = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/messages"), &live.key)
        .await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

    // Idempotency: the same key sends once; the same key with another body is 422.
    let path = format!("/api/v1/sessions/{sid}/messages");
    let send = |text: &'static str| {
        let (client, url, key) = (
            live.app.client.clone(),
            format!("{}{path}", live.app.base),
            live.key.clone(),
        );
        async move {
            let mut r = client
                .post(url)
                .insert_header(("X-Api-Key", key.as_str()))
                .insert_header(("Idempotency-Key", "order-42"))
                .send_json(&json!({"to": "+4915100000001", "type": "text", "text": text}))
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, b1) = send("once").await;
    let (s2, b2) = send("once").await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(b1["id"], b2["id"]);
    assert_eq!(send("different").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    live.inbox_has("4915100000001", "once", 10).await;
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    let (_, inbox) = live
        .sandbox_call("GET", "/sandbox/accounts/4915100000001/messages", None)
        .await;
    assert_eq!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["text"] == json!("once"))
            .count(),
        1,
        "sent once"
    );
}

async fn pair_code_link(backend: Backend) {
    let live = live_on(TestDatabase::create(backend), start_sandbox().await, None).await;
    live.account("4915100000003", "Me").await;
    let sid = live.app.session(&live.key, "paired", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/pair-code"),
            &live.key,
            json!({"phone": "+49 151 00000003"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_string();
    assert_eq!(live.session(&sid).await["status"], json!("PAIR_CODE"));
    let (s, b) = live
        .sandbox_call(
            "POST",
            "/sandbox/accounts/4915100000003/link-code",
            Some(json!({"code": code})),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let s = live.wait_status(&sid, "WORKING", 20).await;
    assert_eq!(s["me"]["phone_jid"], json!("4915100000003@s.whatsapp.net"));
    live.app
        .post(
            &format!("/api/v1/sessions/{sid}/pair-code"),
            &live.key,
            json!({"phone": "12"}),
        )
        .await
        .problem(400);
}

async fn restart_resumes_without_relinking(backend: Backend) {
    let sandbox = start_sandbox().await;
    let live = live_on(TestDatabase::create(backend), sandbox.clone(), None).await;
    live.account("4915100000004", "Bob").await;
    live.account("4915100000005", "Me").await;
    let sid = live.link_by_qr("main", "4915100000005").await;
    let Live { app, key, .. } = live;
    let live = live_on(app.into_db().await, sandbox, Some(key)).await;
    live.wait_status(&sid, "WORKING", 20).await;
    let events = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=session.qr&limit=200"),
            &live.key,
        )
        .await;
    let qrs = events.body["data"].as_array().unwrap().len();
    live.send(&sid, "+4915100000004", "after restart").await;
    live.inbox_has("4915100000004", "after restart", 10).await;
    let events = live
        .app
        .get(
            &format!("/api/v1/events?session_id={sid}&types=session.qr&limit=200"),
            &live.key,
        )
        .await;
    assert_eq!(
        events.body["data"].as_array().unwrap().len(),
        qrs,
        "no new QR: the link was kept"
    );
    // stop/start keeps the link too.
    live.app
        .post(
            &format!("/api/v1/sessions/{sid}/stop"),
            &live.key,
            json!({}),
        )
        .await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/messages"),
            &live.key,
            json!({"to": "+4915100000004", "type": "text", "text": "x"}),
        )
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    live.app
        .post(
            &format!("/api/v1/sessions/{sid}/start"),
            &live.key,
            json!({}),
        )
        .await;
    live.wait_status(&sid, "WORKING", 20).await;
}

async fn dropped_connection_recovers(backend: Backend) {
    let live = live_on(TestDatabase::create(backend), start_sandbox().await, None).await;
    live.account("4915100000006", "Carol").await;
    live.account("4915100000007", "Me").await;
    let sid = live.link_by_qr("main", "4915100000007").await;
    // Refuse logins for a while, then cut the connection: the session shows RECONNECTING and
    // queues sends, then recovers by itself and sends them.
    live.sandbox_call(
        "POST",
        "/sandbox/faults",
        Some(json!({"kind": "refuse", "phone": "4915100000007", "seconds": 3})),
    )
    .await;
    live.sandbox_call(
        "POST",
        "/sandbox/faults",
        Some(json!({"kind": "drop", "phone": "4915100000007"})),
    )
    .await;
    live.wait_status(&sid, "RECONNECTING", 10).await;
    let queued = live
        .send(&sid, "+4915100000006", "sent while reconnecting")
        .await;
    assert_eq!(queued["status"], json!("queued"));
    live.wait_status(&sid, "WORKING", 30).await;
    live.inbox_has("4915100000006", "sent while reconnecting", 15)
        .await;
}

async fn logout_and_phone_unlink(backend: Backend) {
    let db = TestDatabase::create(backend);
    let live = live_on(db, start_sandbox().await, None).await;
    live.account("4915100000008", "Me").await;
    live.account("4915100000009", "Me too").await;
    let a = live.link_by_qr("a", "4915100000008").await;
    let b = live.link_by_qr("b", "4915100000009").await;

    // Logout through the API: unlinked on the server, key material gone.
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{a}/logout"),
            &live.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], json!("LOGGED_OUT"));
    assert_eq!(r.body["desired_state"], json!("stopped"));
    assert_eq!(r.body["me"], json!(null));
    let (_, devices) = live
        .sandbox_call("GET", "/sandbox/accounts/4915100000008/devices", None)
        .await;
    assert!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["primary"] == json!(true) || d["linked"] == json!(false)),
        "{devices}"
    );
    assert_eq!(key_rows(&live, &a).await, 0);

    // The phone unlinks the other one.
    let (_, devices) = live
        .sandbox_call("GET", "/sandbox/accounts/4915100000009/devices", None)
        .await;
    let device = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["primary"] == json!(false))
        .unwrap()["device"]
        .as_u64()
        .unwrap();
    assert!(key_rows(&live, &b).await > 0);
    let (s, _) = live
        .sandbox_call(
            "DELETE",
            &format!("/sandbox/accounts/4915100000009/devices/{device}"),
            None,
        )
        .await;
    assert!(s.is_success());
    let s = live.wait_status(&b, "LOGGED_OUT", 15).await;
    assert_eq!(s["status_reason"], json!("unlinked_from_phone"));
    assert_eq!(s["desired_state"], json!("stopped"));
    crate::common::eventually(5, "keys wiped", || async {
        (key_rows(&live, &b).await == 0).then_some(())
    })
    .await;

    // Start begins a fresh link.
    live.app
        .post(&format!("/api/v1/sessions/{b}/start"), &live.key, json!({}))
        .await;
    live.wait_status(&b, "SCAN_QR", 20).await;
}

/// Rows of key material the engine keeps for a session.
async fn key_rows(live: &Live, sid: &str) -> i64 {
    use diesel::prelude::*;
    use waras::engine::store::schema::{
        engine_device, engine_identities, engine_prekeys, session_keys,
    };
    let sid = sid.to_string();
    live.app
        .running()
        .db
        .run(move |pool| {
            waras::with_conn!(pool, |conn| {
                let mut n: i64 = engine_device::table
                    .filter(engine_device::session_id.eq(&sid))
                    .count()
                    .get_result(conn)?;
                n += engine_prekeys::table
                    .filter(engine_prekeys::session_id.eq(&sid))
                    .count()
                    .get_result::<i64>(conn)?;
                n += engine_identities::table
                    .filter(engine_identities::session_id.eq(&sid))
                    .count()
                    .get_result::<i64>(conn)?;
                n += session_keys::table
                    .filter(session_keys::session_id.eq(&sid))
                    .count()
                    .get_result::<i64>(conn)?;
                Ok(n)
            })
        })
        .await
        .unwrap()
}

on_both_backends!(
    qr_link_and_text_both_ways,
    pair_code_link,
    restart_resumes_without_relinking,
    dropped_connection_recovers,
    logout_and_phone_unlink,
);

/// Nobody scans: when the engine runs out of QR codes the session ends in a clear status, and
/// start begins a fresh link. (The sandbox offers a single QR ref here, so this takes ~60 s
/// instead of ~160 s.)
#[actix_rt::test]
async fn qr_exhaustion_ends_clearly_and_start_relinks() {
    let sandbox = sandbox::start(SandboxConfig {
        pairing_refs: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let live = live_on(TestDatabase::create(Backend::Sqlite), sandbox, None).await;
    let sid = live.app.session(&live.key, "unscanned", true).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = live.wait_status(&sid, "SCAN_QR", 20).await;
    let first_qr = live.qr_json(&sid).await;
    assert!(first["status_reason"].is_null());
    let s = live.wait_status(&sid, "STOPPED", 120).await;
    assert_eq!(s["status_reason"], json!("qr_codes_exhausted"));
    assert_eq!(s["desired_state"], json!("stopped"));
    let r = live
        .app
        .raw(
            actix_web::http::Method::GET,
            &format!("/api/v1/sessions/{sid}/qr"),
            Some(&live.key),
            None,
        )
        .await;
    assert_eq!(r.problem(409), "session_not_waiting_for_qr");
    live.app
        .post(
            &format!("/api/v1/sessions/{sid}/start"),
            &live.key,
            json!({}),
        )
        .await;
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let again = live.qr_json(&sid).await;
    assert_ne!(again["code"], first_qr["code"], "a fresh link");
}
