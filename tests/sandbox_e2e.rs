//! End to end through the sandbox: two engine clients link to two simulated accounts by QR, reach
//! Connected quickly, and exchange end-to-end encrypted texts and receipts with each other and with
//! the accounts' phones.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

mod sandbox_support;

use serde_json::{Value, json};
use wacore::types::events::Event;
use wacore_binary::Jid;
use waras::sandbox;

use sandbox_support::{linked, start, two_linked};

const ANN: &str = "15550000071";
const BEN: &str = "15550000072";
const CAT: &str = "15550000073";
const GUS: &str = "15550000091";
const HEP: &str = "15550000092";
const IDA: &str = "15550000093";

#[actix_web::test]
async fn two_companions_link_and_exchange_messages() {
    let _ = env_logger::builder().is_test(true).try_init();
    let (sandbox, admin) = start().await;

    let info = admin.get("/info").await;
    assert_eq!(info["ws_url"], sandbox.ws_url());
    assert_eq!(info["root_public_key"], sandbox.root_public_key_base64());

    let alice = admin.create_account("15550000001", "Alice").await;
    let bob = admin.create_account("+1 555 000 0002", "Bob").await;
    assert_eq!(bob["phone"], "15550000002");
    assert!(bob["lid"].as_str().is_some_and(|l| !l.is_empty()));
    let accounts = admin.get("/accounts").await;
    assert_eq!(accounts.as_array().map(Vec::len), Some(2));

    let mut a = admin.link(&sandbox, "15550000001").await;
    let mut b = admin.link(&sandbox, "15550000002").await;

    let devices = admin.get("/accounts/15550000002/devices").await;
    let linked: Vec<&Value> = devices
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| d["device"] != 0)
        .collect();
    assert_eq!(linked.len(), 1, "{devices}");
    assert_eq!(linked[0]["linked"], true);
    assert_eq!(linked[0]["online"], true);

    // Companion A → account B: B's companion and B's phone both decrypt it.
    let sent = a.send_text("15550000002", "hello from A's companion").await;
    let (_, sender) = b.text("hello from A's companion").await;
    assert_eq!(
        sender.user_base(),
        alice["lid"]
            .as_str()
            .filter(|_| sender.is_lid())
            .unwrap_or("15550000001")
    );
    let on_phone = admin
        .phone_received("15550000002", "hello from A's companion")
        .await;
    assert_eq!(on_phone["id"], sent.as_str());
    assert_eq!(on_phone["from"], "15550000001@s.whatsapp.net");
    // The receivers' delivery receipts come back to the sending companion, then a read receipt.
    a.receipt_for(&sent).await;
    b.bot
        .client()
        .mark_as_read(&Jid::pn("15550000001"), None, &[sent.as_str()])
        .await
        .expect("mark as read");
    a.wait_for("a read receipt", |e| match e {
        Event::Receipt(r)
            if r.r#type == wacore::types::presence::ReceiptType::Read
                && r.message_ids.contains(&sent) =>
        {
            Some(())
        }
        _ => None,
    })
    .await;

    // Account B's phone (admin API) → account A: A's companion decrypts it.
    let body = admin
        .post_ok(
            "/accounts/15550000002/messages",
            json!({ "to": "+15550000001", "text": "hi from B's phone" }),
            202,
        )
        .await;
    let (id, _) = a.text("hi from B's phone").await;
    assert_eq!(body["id"], id.as_str());

    // And back from companion B to account A's phone.
    let sent = b.send_text("15550000001", "reply from B").await;
    admin.phone_received("15550000001", "reply from B").await;
    b.receipt_for(&sent).await;

    // Who is on the network.
    let bob_found = a.on_whatsapp("15550000002", "19990000000").await;
    assert!(bob_found.is_registered);
    let lid = bob_found.lid.as_ref().map(|l| l.user.to_string());
    assert_eq!(lid, bob["lid"].as_str().map(String::from));
    let picture = a
        .bot
        .client()
        .contacts()
        .get_profile_picture(&Jid::pn("15550000002"), true)
        .await;
    assert!(matches!(picture, Ok(None)), "{picture:?}");

    // Presence and typing travel too.
    b.bot
        .client()
        .presence()
        .subscribe(Jid::pn("15550000001"))
        .await
        .expect("subscribe");
    b.wait_for("A's presence", |e| match e {
        Event::Presence(p) if p.from.user == "15550000001" => Some(()),
        _ => None,
    })
    .await;
    a.bot
        .client()
        .chatstate()
        .send_composing(&Jid::pn("15550000002"))
        .await
        .expect("composing");
    b.event("A typing", |e| matches!(e, Event::ChatPresence(_)))
        .await;

    sandbox.stop().await;
}

#[actix_web::test]
async fn scanning_an_unknown_qr_is_a_client_error() {
    let (sandbox, admin) = start().await;
    admin.create_account("15550000009", "Carol").await;
    let body = admin
        .post_ok(
            "/accounts/15550000009/scan",
            json!({ "qr": "not,a,real,qr" }),
            400,
        )
        .await;
    assert_eq!(body["code"], "invalid_request");
    admin
        .post_ok("/accounts/19999999999/scan", json!({ "qr": "x" }), 404)
        .await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn the_admin_scope_mounts_in_another_app() {
    let (sandbox, _) = start().await;
    let app = actix_web::test::init_service(
        actix_web::App::new().service(sandbox::admin_scope(&sandbox)),
    )
    .await;
    let req = actix_web::test::TestRequest::get()
        .uri("/sandbox/info")
        .to_request();
    let info: Value = actix_web::test::call_and_read_body_json(&app, req).await;
    assert_eq!(info["ws_url"], sandbox.ws_url());

    let req = actix_web::test::TestRequest::post()
        .uri("/sandbox/accounts")
        .set_json(json!({ "phone": "12" }))
        .to_request();
    let resp = actix_web::test::call_service(&app, req).await;
    assert_eq!(resp.status(), 400);
    sandbox.stop().await;
}

#[actix_web::test]
async fn a_group_message_reaches_every_member_device() {
    let (sandbox, admin, mut a) = linked(&[(ANN, "Ann"), (BEN, "Ben"), (CAT, "Cat")]).await;
    let mut b = admin.link(&sandbox, BEN).await;
    let group = a.create_group_answer("Sandbox crew", &[BEN, CAT]).await;
    assert_eq!(group.subject, "Sandbox crew");
    assert_eq!(group.participants.len(), 3);

    let gid = group.id.to_string();
    let sent = a.send_text(&gid, "hello group").await;
    let (_, sender) = b.text("hello group").await;
    assert_eq!(sender.user, ANN);
    let on_phone = admin.phone_received(CAT, "hello group").await;
    assert_eq!(on_phone["chat"], gid);
    assert_eq!(on_phone["from"], "15550000071@s.whatsapp.net");
    admin.phone_received(BEN, "hello group").await;
    a.receipt_for(&sent).await;

    // And back from a member who has never sent to the group before.
    b.send_text(&gid, "hi all").await;
    a.text("hi all").await;
    admin.phone_received(CAT, "hi all").await;
    sandbox.stop().await;
}

#[actix_web::test]
async fn an_image_travels_through_the_media_host() {
    use whatsapp_rust::download::MediaType;
    use whatsapp_rust::upload::UploadOptions;

    let (sandbox, _, a, mut b) = two_linked(("15550000081", "Dee"), ("15550000082", "Eli")).await;

    let image: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let client = a.bot.client();
    let uploaded = client
        .upload(image.clone(), MediaType::Image, UploadOptions::default())
        .await
        .expect("upload to the sandbox media host");
    let message = whatsapp_rust::media::image_message(uploaded, Default::default());
    client
        .send_message(Jid::pn("15550000082"), message)
        .await
        .expect("send image");

    let received = b
        .wait_for("an image", |e| match e {
            Event::Messages(batch) => batch.iter().find_map(|m| {
                m.message
                    .image_message
                    .as_option()
                    .map(|_| m.message.clone())
            }),
            _ => None,
        })
        .await;
    let image_message = received.image_message.as_option().expect("image");
    let downloaded = b
        .bot
        .client()
        .download(image_message)
        .await
        .expect("download");
    assert_eq!(downloaded, image);
    sandbox.stop().await;
}

#[actix_web::test]
async fn group_membership_changes_reach_the_new_and_the_removed() {
    let (sandbox, admin, a) = linked(&[(GUS, "Gus"), (HEP, "Hep"), (IDA, "Ida")]).await;
    let gid = a.create_group("Changing crew", &[HEP]).await;
    let client = a.bot.client();

    let added = client
        .groups()
        .add_participants(gid.clone(), &[Jid::pn(IDA), Jid::pn("19990000000")])
        .await
        .expect("add");
    assert!(
        added.iter().any(|r| r.jid.user == IDA && r.is_ok()),
        "{added:?}"
    );
    assert!(
        added
            .iter()
            .any(|r| r.jid.user == "19990000000" && !r.is_ok()),
        "{added:?}"
    );
    client
        .send_text(gid.clone(), "welcome Ida")
        .await
        .expect("send");
    admin.phone_received(IDA, "welcome Ida").await;

    let removed = client
        .groups()
        .remove_participants(gid.clone(), &[Jid::pn(HEP)])
        .await
        .expect("remove");
    assert!(removed.iter().all(|r| r.is_ok()), "{removed:?}");
    let groups = admin.get("/accounts/15550000092/groups").await;
    assert_eq!(groups.as_array().map(Vec::len), Some(0), "{groups}");
    let metadata = client.groups().get_metadata(&gid).await.expect("metadata");
    assert_eq!(metadata.participants.len(), 2);
    sandbox.stop().await;
}
