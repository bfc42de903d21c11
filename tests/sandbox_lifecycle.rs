//! Device lifecycle through the sandbox: offline queues, reconnects after dropped connections,
//! and unlinking from the phone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

mod sandbox_support;

use serde_json::json;
use wacore::types::events::Event;
use wacore_binary::Jid;
use waras::sandbox::{self, SandboxConfig};

use sandbox_support::{Admin, Companion, linked, start, two_linked, wait_until};

#[actix_web::test]
async fn messages_for_an_offline_device_arrive_when_it_comes_back() {
    let (sandbox, admin, a, b) = two_linked(("15550000011", "Dora"), ("15550000012", "Eve")).await;

    // B's companion goes away cleanly; its store survives.
    let store = b.store.clone();
    b.bot.shutdown().await;
    admin.wait_online("15550000012", 1, false).await;

    let sent = a.send_text("15550000012", "while you were away").await;
    // The phone is online, so the account has it at once; the companion gets it from the queue.
    admin
        .phone_received("15550000012", "while you were away")
        .await;

    let mut b = Companion::connect_with(&sandbox, store).await;
    b.connected().await;
    let (id, _) = b.text("while you were away").await;
    assert_eq!(id, sent);
    sandbox.stop().await;
}

#[actix_web::test]
async fn a_dropped_connection_reconnects_and_keeps_working() {
    let (sandbox, admin, mut a, mut b) =
        two_linked(("15550000021", "Finn"), ("15550000022", "Gina")).await;

    admin
        .fault(json!({ "kind": "drop", "phone": "15550000022" }))
        .await;
    b.event("Disconnected", |e| matches!(e, Event::Disconnected(_)))
        .await;
    // The engine reconnects by itself (Noise IK with the cached certificate chain).
    b.connected().await;

    a.says_to(&mut b, "15550000022", "still there?").await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn unlinking_a_device_logs_it_out() {
    let (sandbox, admin, mut a) = linked(&[("15550000031", "Hal")]).await;

    assert_eq!(admin.delete("/accounts/15550000031/devices/1").await, 204);
    a.event("LoggedOut", |e| matches!(e, Event::LoggedOut(_)))
        .await;
    let devices = admin.get("/accounts/15550000031/devices").await;
    assert_eq!(
        devices.as_array().map(Vec::len),
        Some(1),
        "only the phone is left: {devices}"
    );

    // The same credentials are refused at the next login.
    let store = a.store.clone();
    a.bot.abort();
    let mut again = Companion::connect_with(&sandbox, store).await;
    again
        .event("LoggedOut at login", |e| matches!(e, Event::LoggedOut(_)))
        .await;

    assert_eq!(admin.delete("/accounts/15550000031/devices/1").await, 404);

    // A companion that logs out by itself is gone from the account too.
    let second = admin.link(&sandbox, "15550000031").await;
    second.bot.client().logout().await;
    wait_until("the logged-out companion gone", || async {
        let devices = admin.get("/accounts/15550000031/devices").await;
        let left = devices.as_array().map(Vec::len);
        if left == Some(1) {
            Ok(())
        } else {
            Err(devices)
        }
    })
    .await;
    assert_eq!(admin.delete("/accounts/15550000031/devices/0").await, 400);
    sandbox.stop().await;
}

#[actix_web::test]
async fn a_companion_links_with_a_pairing_code() {
    let (sandbox, admin) = start().await;
    admin.create_account("15550000041", "Ivy").await;
    admin.create_account("15550000042", "Jon").await;
    let mut b = admin.link(&sandbox, "15550000042").await;

    let mut a = Companion::connect_for_code(&sandbox, "15550000041").await;
    let code = a
        .wait_for("a pairing code", |e| match e {
            Event::PairingCode(c) => Some(c.code.clone()),
            _ => None,
        })
        .await;
    admin
        .post_ok(
            "/accounts/15550000041/link-code",
            json!({ "code": code }),
            202,
        )
        .await;
    a.connected().await;
    admin.wait_online("15550000041", 1, true).await;

    a.says_to(&mut b, "15550000042", "linked by code").await;

    // A code for a number nobody is linking is refused.
    admin
        .post_ok(
            "/accounts/15550000042/link-code",
            json!({ "code": "ABCD-EFGH" }),
            404,
        )
        .await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn accounts_and_links_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = sandbox_support::persistent(&dir);
    let sandbox = sandbox::start(cfg.clone()).await.expect("start sandbox");
    let root = sandbox.root_public_key();
    let admin = Admin::new(&sandbox);
    admin.create_account("15550000051", "Kim").await;
    admin.create_account("15550000052", "Lou").await;
    let a = admin.link(&sandbox, "15550000051").await;
    let mut b = admin.link(&sandbox, "15550000052").await;
    // Sessions with B's phone exist before the restart, so the phone's loss of them is exercised.
    a.send_text("15550000052", "before the restart").await;
    b.text("before the restart").await;
    admin
        .phone_received("15550000052", "before the restart")
        .await;
    let (a_store, b_store) = (a.store.clone(), b.store.clone());
    // B's companion goes offline; a message queued for it must survive the restart.
    b.bot.shutdown().await;
    admin.wait_online("15550000052", 1, false).await;
    a.send_text("15550000052", "queued across the restart")
        .await;
    admin
        .phone_received("15550000052", "queued across the restart")
        .await;
    a.bot.shutdown().await;
    let listen = sandbox.addr();
    sandbox.stop().await;

    // Same port, so the companions' stored endpoint still works; same keys, so their cached
    // certificate chain (Noise IK) does too.
    let sandbox = sandbox::start(SandboxConfig { listen, ..cfg })
        .await
        .expect("restart sandbox");
    assert_eq!(sandbox.root_public_key(), root);
    let admin = Admin::new(&sandbox);
    let accounts = admin.get("/accounts").await;
    assert_eq!(accounts.as_array().map(Vec::len), Some(2), "{accounts}");

    let mut a = Companion::connect_with(&sandbox, a_store).await;
    let mut b = Companion::connect_with(&sandbox, b_store).await;
    a.connected().await;
    b.connected().await;
    b.text("queued across the restart").await;
    a.says_to(&mut b, "15550000052", "after the restart").await;
    // The phone lost its Signal sessions with the restart; clients recover them by retrying.
    admin
        .phone_received("15550000052", "after the restart")
        .await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn refused_logins_recover_when_the_fault_ends() {
    let (sandbox, admin, mut a) = linked(&[("15550000061", "Max")]).await;

    admin
        .fault(json!({ "kind": "refuse", "phone": "15550000061", "seconds": 2 }))
        .await;
    admin
        .fault(json!({ "kind": "drop", "phone": "15550000061" }))
        .await;
    a.event("a refused login", |e| matches!(e, Event::ConnectFailure(_)))
        .await;
    a.connected().await;
    admin.wait_online("15550000061", 1, true).await;

    admin
        .post_ok("/faults", json!({ "kind": "flood" }), 400)
        .await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn many_companions_link_at_once_and_message_in_a_ring() {
    const N: usize = 8;
    let (sandbox, admin) = start().await;
    let phones: Vec<String> = (0..N).map(|i| format!("155500001{i:02}")).collect();
    futures_util::future::join_all(phones.iter().map(|p| admin.create_account(p, "Ring"))).await;
    let mut companions =
        futures_util::future::join_all(phones.iter().map(|p| admin.link(&sandbox, p))).await;

    for i in 0..N {
        let to = Jid::pn(phones[(i + 1) % N].as_str());
        companions[i]
            .bot
            .client()
            .send_text(to, format!("ring {i}"))
            .await
            .expect("send");
    }
    for i in 0..N {
        let from = (i + N - 1) % N;
        companions[i].text(&format!("ring {from}")).await;
        admin
            .phone_received(&phones[i], &format!("ring {from}"))
            .await;
    }
    sandbox.stop().await;
}
