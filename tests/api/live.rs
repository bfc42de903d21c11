//! Live sessions end to end, through the REST API only, against the in-process sandbox (a
//! WhatsApp network whose people are real protocol clients): QR and pairing-code linking, text
//! both ways with receipts, restart without re-linking, dropped connections, logout, unlink.

use std::time::Duration;

use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use waras::sandbox::{self, SandboxConfig};

use crate::common::{Backend, TestDatabase};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_on, start_sandbox};
use crate::scenario::Scenario;

/// How many messages in `phone`'s inbox carry `text`, once late duplicates had time to come.
async fn copies_at(live: &Live, phone: &str, text: &str) -> usize {
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    let inbox = live.phone_list(phone, "messages").await;
    inbox.iter().filter(|m| m["text"] == json!(text)).count()
}

async fn qr_link_and_text_both_ways(backend: Backend) {
    let (alice, me) = ("4915100000001", "4915100000002");
    let sc = Scenario::linked(backend, me, &[(alice, "Alice")]).await;

    // Out: the sandbox account receives it decrypted; receipts come back.
    let sent = sc.send_text("+4915100000001", "hello Alice").await;
    assert_eq!(sent["status"], json!("queued"));
    let got = sc.phone_got(alice, &sent).await;
    assert_eq!(got["text"], json!("hello Alice"));
    assert_eq!(got["from"], json!("4915100000002@s.whatsapp.net"));
    sc.expect_event("message.sent", |e| e["data"]["id"] == sent["id"])
        .await;
    let delivered =
        |e: &Value| e["data"]["id"] == sent["id"] && e["data"]["status"] == json!("delivered");
    sc.expect_event("message.ack", delivered).await;
    let stored = sc.message(&sent["id"]).await;
    assert!(
        matches!(stored["status"].as_str(), Some("delivered" | "read")),
        "{stored}"
    );

    // In: a reply becomes message.received with the text and the sender's phone and LID.
    let e = sc.receive_text(alice, "hi back").await;
    assert_eq!(e["data"]["text"], json!("hi back"));
    assert_eq!(
        e["data"]["from_phone"],
        json!("4915100000001@s.whatsapp.net")
    );
    assert_eq!(e["data"]["from_lid"], json!(sc.lid(alice)));
    assert_eq!(sc.get("/messages").await.data().len(), 2);

    // Idempotency: the same key sends once; the same key with another body is 422.
    let send = |text: &'static str| {
        let url = format!("{}{}", sc.app.base, sc.path("/messages"));
        let body = json!({"to": "+4915100000001", "type": "text", "text": text});
        let req = sc
            .app
            .client
            .post(url)
            .insert_header(("X-Api-Key", sc.key.as_str()));
        let req = req.insert_header(("Idempotency-Key", "order-42"));
        async move {
            let mut r = req.send_json(&body).await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, b1) = send("once").await;
    let (s2, b2) = send("once").await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(b1["id"], b2["id"]);
    assert_eq!(send("different").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    sc.inbox_has(alice, "once", 10).await;
    assert_eq!(copies_at(&sc, alice, "once").await, 1, "sent once");
}

async fn pair_code_link(backend: Backend) {
    let live = live_on(TestDatabase::create(backend), start_sandbox().await, None).await;
    live.account("4915100000003", "Me").await;
    let sid = live.app.session_id(&live.key, "paired", true).await;
    live.wait_status(&sid, "SCAN_QR", 20).await;
    let path = format!("/api/v1/sessions/{sid}/pair-code");
    let r = live
        .app
        .post(&path, &live.key, json!({"phone": "+49 151 00000003"}))
        .await;
    let code = r.success(200)["code"].as_str().unwrap().to_string();
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
        .post(&path, &live.key, json!({"phone": "12"}))
        .await
        .problem(400);
}

/// How many QR codes the session has shown.
async fn qr_events(sc: &Scenario) -> usize {
    let path = format!(
        "/api/v1/events?session_id={}&types=session.qr&limit=200",
        sc.sid
    );
    sc.app.get(&path, &sc.key).await.data().len()
}

async fn restart_resumes_without_relinking(backend: Backend) {
    let (bob, me) = ("4915100000004", "4915100000005");
    let sc = Scenario::linked(backend, me, &[(bob, "Bob")]).await;
    let sc = sc.restarted(|_| {}, |_| {}).await;
    let before = qr_events(&sc).await;
    sc.send_text("+4915100000004", "after restart").await;
    sc.inbox_has(bob, "after restart", 10).await;
    assert_eq!(qr_events(&sc).await, before, "no new QR: the link was kept");
    // stop/start keeps the link too.
    sc.post("/stop", json!({})).await;
    let r = sc
        .post(
            "/messages",
            json!({"to": "+4915100000004", "type": "text", "text": "x"}),
        )
        .await;
    assert_eq!(r.problem(409), "session_not_working");
    sc.post("/start", json!({})).await;
    sc.wait_status(&sc.sid, "WORKING", 20).await;
}

async fn dropped_connection_recovers(backend: Backend) {
    let (carol, me) = ("4915100000006", "4915100000007");
    let sc = Scenario::linked(backend, me, &[(carol, "Carol")]).await;
    // Refuse logins for a while, then cut the connection: the session shows RECONNECTING and
    // queues sends, then recovers by itself and sends them.
    for fault in [
        json!({"kind": "refuse", "phone": me, "seconds": 3}),
        json!({"kind": "drop", "phone": me}),
    ] {
        sc.sandbox_call("POST", "/sandbox/faults", Some(fault))
            .await;
    }
    sc.wait_status(&sc.sid, "RECONNECTING", 10).await;
    let queued = sc
        .send_text("+4915100000006", "sent while reconnecting")
        .await;
    assert_eq!(queued["status"], json!("queued"));
    sc.wait_status(&sc.sid, "WORKING", 30).await;
    sc.inbox_has(carol, "sent while reconnecting", 15).await;
}

/// The account's linked (non-primary) devices.
async fn companions(live: &Live, phone: &str) -> Vec<Value> {
    let devices = live.phone_list(phone, "devices").await;
    devices
        .into_iter()
        .filter(|d| d["primary"] == json!(false))
        .collect()
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
    let r = r.success(200);
    assert_eq!(r["status"], json!("LOGGED_OUT"));
    assert_eq!(r["desired_state"], json!("stopped"));
    assert_eq!(r["me"], json!(null));
    let left = companions(&live, "4915100000008").await;
    assert!(left.iter().all(|d| d["linked"] == json!(false)), "{left:?}");
    assert_eq!(key_rows(&live, &a).await, 0);

    // The phone unlinks the other one.
    let device = companions(&live, "4915100000009").await[0]["device"]
        .as_u64()
        .unwrap();
    assert!(key_rows(&live, &b).await > 0);
    let unlink = format!("/sandbox/accounts/4915100000009/devices/{device}");
    let (s, _) = live.sandbox_call("DELETE", &unlink, None).await;
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
    let config = SandboxConfig {
        pairing_refs: 1,
        ..SandboxConfig::default()
    };
    let sandbox = sandbox::start(config).await.unwrap();
    let live = live_on(TestDatabase::create(Backend::Sqlite), sandbox, None).await;
    let sid = live.app.session_id(&live.key, "unscanned", true).await;
    let first = live.wait_status(&sid, "SCAN_QR", 20).await;
    let first_qr = live.qr_json(&sid).await;
    assert!(first["status_reason"].is_null());
    let s = live.wait_status(&sid, "STOPPED", 120).await;
    assert_eq!(s["status_reason"], json!("qr_codes_exhausted"));
    assert_eq!(s["desired_state"], json!("stopped"));
    let qr = format!("/api/v1/sessions/{sid}/qr");
    let r = live.app.raw(Method::GET, &qr, Some(&live.key), None).await;
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
