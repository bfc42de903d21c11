//! Rich traffic through the sandbox with real engine clients on both sides: every media kind
//! (encrypted on the media host, byte-identical after download), typed messages (location,
//! contact, reaction, poll and vote, edit, revoke, reply, mention), receipts, chat states and
//! presence, the group lifecycle, and profiles.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test and benchmark code: a panic is the failure report"
)]

mod sandbox_support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wacore::stanza::groups::GroupNotificationAction;
use wacore::types::events::Event;
use wacore_binary::Jid;
use waproto::whatsapp as wa;
use waras::sandbox::{self, SandboxConfig, SandboxHandle};
use whatsapp_rust::download::MediaType;
use whatsapp_rust::upload::UploadOptions;

use sandbox_support::{Admin, Companion, EVENT_TIMEOUT};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

/// Distinct bytes per kind, big enough to span several AES blocks and sidecar chunks.
fn payload(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32 * 31 + seed as u32) as u8)
        .collect()
}

async fn put(admin: &Admin, path: &str, body: Value) -> (u16, Value) {
    let mut resp = admin
        .http
        .put(format!("{}{path}", admin.base))
        .send_json(&body)
        .await
        .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
    let json = resp
        .json::<Value>()
        .limit(32 << 20)
        .await
        .unwrap_or(Value::Null);
    (resp.status().as_u16(), json)
}

async fn get_big(admin: &Admin, path: &str) -> Value {
    let mut resp = admin
        .http
        .get(format!("{}{path}", admin.base))
        .send()
        .await
        .expect("GET");
    assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
    resp.json::<Value>().limit(64 << 20).await.expect("json")
}

/// Polls `GET path` until an entry satisfies `pick`.
async fn wait_entry(admin: &Admin, path: &str, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let list = get_big(admin, path).await;
        if let Some(found) = list.as_array().and_then(|a| a.iter().find(|e| pick(e))) {
            return found.clone();
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed {what}; it has: {}",
            truncate(&list)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 4000 {
        format!("{}…", &s[..4000])
    } else {
        s
    }
}

async fn inbox_entry(admin: &Admin, phone: &str, id: &str) -> Value {
    wait_entry(
        admin,
        &format!("/accounts/{phone}/messages"),
        &format!("message {id}"),
        |m| m["id"] == id,
    )
    .await
}

async fn send_as(admin: &Admin, phone: &str, body: Value) -> String {
    let (status, answer) = admin
        .post(&format!("/accounts/{phone}/messages"), body.clone())
        .await;
    assert_eq!(status, 202, "send as {phone}: {answer}");
    answer["id"].as_str().expect("message id").to_string()
}

async fn start() -> (SandboxHandle, Admin) {
    let sandbox = sandbox::start(SandboxConfig::default())
        .await
        .expect("start sandbox");
    let admin = Admin::new(&sandbox);
    (sandbox, admin)
}

/// The engine message for each kind, uploaded by `client`.
async fn engine_media(client: &whatsapp_rust::Client, kind: &str, data: Vec<u8>) -> wa::Message {
    use whatsapp_rust::media;
    let media_type = match kind {
        "image" => MediaType::Image,
        "video" => MediaType::Video,
        "audio" | "voice" => MediaType::Audio,
        "document" => MediaType::Document,
        _ => MediaType::Sticker,
    };
    let up = client
        .upload(data, media_type, UploadOptions::default())
        .await
        .unwrap_or_else(|e| panic!("upload {kind}: {e}"));
    match kind {
        "image" => media::image_message(
            up,
            media::ImageOptions {
                caption: Some("an image".into()),
                ..Default::default()
            },
        ),
        "video" => media::video_message(up, Default::default()),
        "audio" => media::audio_message(up, Default::default()),
        "voice" => media::audio_message(
            up,
            media::AudioOptions {
                ptt: Some(true),
                ..Default::default()
            },
        ),
        "document" => media::document_message(
            up,
            media::DocumentOptions {
                file_name: Some("report.pdf".into()),
                mimetype: Some("application/pdf".into()),
                ..Default::default()
            },
        ),
        _ => wa::Message {
            sticker_message: buffa::MessageField::some(wa::message::StickerMessage {
                url: Some(up.url),
                direct_path: Some(up.direct_path),
                media_key: Some(up.media_key.to_vec()),
                file_sha256: Some(up.file_sha256.to_vec()),
                file_enc_sha256: Some(up.file_enc_sha256.to_vec()),
                file_length: Some(up.file_length),
                mimetype: Some("image/webp".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

/// Waits for a media message with id `id` and downloads it with the companion's client.
async fn companion_download(c: &mut Companion, id: &str) -> Vec<u8> {
    let msg = c
        .wait_for(&format!("media message {id}"), |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == id)
                .map(|m| m.message.clone()),
            _ => None,
        })
        .await;
    let client = c.bot.client();
    let m = &*msg;
    let result = if let Some(x) = m.image_message.as_option() {
        client.download(x).await
    } else if let Some(x) = m.video_message.as_option() {
        client.download(x).await
    } else if let Some(x) = m.audio_message.as_option() {
        client.download(x).await
    } else if let Some(x) = m.document_message.as_option() {
        client.download(x).await
    } else if let Some(x) = m.sticker_message.as_option() {
        client.download(x).await
    } else {
        panic!("message {id} carries no media: {m:?}")
    };
    result.unwrap_or_else(|e| panic!("download {id}: {e}"))
}

fn direct_path_of(m: &wa::Message) -> Option<String> {
    m.image_message
        .as_option()
        .and_then(|x| x.direct_path.clone())
        .or_else(|| {
            m.document_message
                .as_option()
                .and_then(|x| x.direct_path.clone())
        })
}

#[actix_web::test]
async fn every_media_kind_round_trips_one_to_one_and_in_a_group() {
    let (sandbox, admin) = start().await;
    admin.create_account("15550001001", "Ana").await;
    admin.create_account("15550001002", "Bo").await;
    admin.create_account("15550001003", "Cy").await;
    let mut a = admin.link(&sandbox, "15550001001").await;
    let client = a.bot.client();

    // Companion A → B's phone: every kind; B's phone downloads and decrypts each.
    let kinds = ["image", "video", "audio", "voice", "document", "sticker"];
    for (i, kind) in kinds.iter().enumerate() {
        let data = payload(i as u8, 70_000 + i * 1_000);
        let message = engine_media(&client, kind, data.clone()).await;
        let stored = direct_path_of(&message).and_then(|p| sandbox.media_object(&p));
        if let Some(blob) = stored {
            assert_ne!(
                blob, data,
                "the media host must hold only the encrypted blob"
            );
            assert!(blob.len() > data.len(), "ciphertext carries a MAC");
        }
        let sent = client
            .send_message(Jid::pn("15550001002"), message)
            .await
            .expect("send media");
        let got = inbox_entry(&admin, "15550001002", &sent.message_id).await;
        let expected_type = if *kind == "voice" { "audio" } else { kind };
        assert_eq!(got["type"], expected_type, "{kind}: {}", truncate(&got));
        assert_eq!(got["from"], "15550001001@s.whatsapp.net");
        let media = &got["media"];
        assert_eq!(
            unb64(media["data"].as_str().expect("downloaded data")),
            data,
            "{kind} bytes differ after the phone's download"
        );
        assert_eq!(media["sha256"], hex::encode(Sha256::digest(&data)));
        assert_eq!(media["size"], data.len() as u64);
        assert_eq!(media["voice"], *kind == "voice", "{kind}");
        if *kind == "document" {
            assert_eq!(media["filename"], "report.pdf");
            assert_eq!(media["mimetype"], "application/pdf");
        }
        if *kind == "image" {
            assert_eq!(got["caption"], "an image");
            assert_eq!(got["text"], "an image");
        }
    }

    // B's phone → companion A: every kind through the admin API; A downloads byte-identical.
    for (i, kind) in kinds.iter().enumerate() {
        let data = payload(100 + i as u8, 40_000 + i * 500);
        let field = if *kind == "voice" { "audio" } else { kind };
        let mut media = json!({ "data": b64(&data) });
        if *kind == "voice" {
            media["voice"] = json!(true);
        }
        if *kind == "document" {
            media["filename"] = json!("notes.txt");
            media["mimetype"] = json!("text/plain");
        }
        let mut body = json!({ "to": "15550001001" });
        body[field] = media;
        if *kind == "video" {
            body["caption"] = json!("a video");
        }
        let id = send_as(&admin, "15550001002", body).await;
        let downloaded = companion_download(&mut a, &id).await;
        assert_eq!(downloaded, data, "{kind} bytes differ at the companion");
    }

    // A group of three accounts plus A's companion: media fans out to every member device.
    let options = wacore::iq::groups::GroupCreateOptions::builder()
        .subject("Media crew")
        .participants(vec![
            wacore::iq::groups::GroupParticipantOptions::from_phone(Jid::pn("15550001002")),
            wacore::iq::groups::GroupParticipantOptions::from_phone(Jid::pn("15550001003")),
        ])
        .build();
    let gid = client
        .groups()
        .create_group(options)
        .await
        .expect("create group")
        .metadata
        .id;
    let picture = payload(7, 90_000);
    let message = engine_media(&client, "image", picture.clone()).await;
    let sent = client
        .send_message(gid.clone(), message)
        .await
        .expect("send image to group");
    for member in ["15550001002", "15550001003"] {
        let got = inbox_entry(&admin, member, &sent.message_id).await;
        assert_eq!(got["chat"], gid.to_string());
        assert_eq!(got["participant"], "15550001001@s.whatsapp.net");
        assert_eq!(unb64(got["media"]["data"].as_str().expect("data")), picture);
    }
    let doc = payload(9, 33_333);
    let id = send_as(
        &admin,
        "15550001003",
        json!({ "to": gid.to_string(), "document": { "data": b64(&doc), "filename": "g.bin" } }),
    )
    .await;
    assert_eq!(companion_download(&mut a, &id).await, doc);
    let got = inbox_entry(&admin, "15550001002", &id).await;
    assert_eq!(got["type"], "document");
    assert_eq!(got["participant"], "15550001003@s.whatsapp.net");
    assert_eq!(unb64(got["media"]["data"].as_str().expect("data")), doc);
    sandbox.stop().await;
}

#[actix_web::test]
async fn rich_messages_receipts_and_chat_states_arrive_typed() {
    let (sandbox, admin) = start().await;
    admin.create_account("15550002001", "Ava").await;
    admin.create_account("15550002002", "Ben").await;
    let mut a = admin.link(&sandbox, "15550002001").await;
    let client = a.bot.client();
    let bob = Jid::pn("15550002002");

    // Location and contact card from the companion.
    let loc = wa::Message {
        location_message: buffa::MessageField::some(wa::message::LocationMessage {
            degrees_latitude: Some(52.52),
            degrees_longitude: Some(13.405),
            name: Some("Alexanderplatz".into()),
            address: Some("Berlin".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sent = client
        .send_message(bob.clone(), loc)
        .await
        .expect("location");
    let got = inbox_entry(&admin, "15550002002", &sent.message_id).await;
    assert_eq!(got["type"], "location");
    assert_eq!(got["location"]["latitude"], 52.52);
    assert_eq!(got["location"]["longitude"], 13.405);
    assert_eq!(got["location"]["name"], "Alexanderplatz");
    assert_eq!(got["text"], Value::Null);

    let card = wa::Message {
        contact_message: buffa::MessageField::some(wa::message::ContactMessage {
            display_name: Some("Dora".into()),
            vcard: Some("BEGIN:VCARD\nVERSION:3.0\nFN:Dora\nEND:VCARD".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sent = client
        .send_message(bob.clone(), card)
        .await
        .expect("contact");
    let got = inbox_entry(&admin, "15550002002", &sent.message_id).await;
    assert_eq!(got["type"], "contact");
    assert_eq!(got["contact"]["name"], "Dora");
    assert!(
        got["contact"]["vcard"]
            .as_str()
            .is_some_and(|v| v.contains("FN:Dora"))
    );

    // A text, then its edit and a revoke of another.
    let first = client
        .send_text(bob.clone(), "first draft")
        .await
        .expect("text");
    let got = inbox_entry(&admin, "15550002002", &first.message_id).await;
    assert_eq!(got["type"], "text");
    assert_eq!(got["text"], "first draft");
    let edited = wa::Message {
        conversation: Some("final text".into()),
        ..Default::default()
    };
    client
        .edit_message(bob.clone(), first.message_id.clone(), edited)
        .await
        .expect("edit");
    let got = wait_entry(&admin, "/accounts/15550002002/messages", "the edit", |m| {
        m["type"] == "edit"
    })
    .await;
    assert_eq!(got["edit"]["id"], first.message_id.as_str());
    assert_eq!(got["edit"]["text"], "final text");
    let doomed = client.send_text(bob.clone(), "oops").await.expect("text");
    inbox_entry(&admin, "15550002002", &doomed.message_id).await;
    client
        .revoke_message(
            bob.clone(),
            doomed.message_id.clone(),
            whatsapp_rust::send::RevokeType::Sender,
        )
        .await
        .expect("revoke");
    let got = wait_entry(
        &admin,
        "/accounts/15550002002/messages",
        "the revoke",
        |m| m["type"] == "revoke",
    )
    .await;
    assert_eq!(got["revoke"]["id"], doomed.message_id.as_str());

    // A poll from the companion; B's phone votes; A's own phone decrypts the vote.
    let (poll, _secret) = client
        .polls()
        .create(
            bob.clone(),
            "Lunch?",
            &["Pizza".to_string(), "Sushi".to_string()],
            1,
        )
        .await
        .expect("poll");
    let got = inbox_entry(&admin, "15550002002", &poll.message_id).await;
    assert_eq!(got["type"], "poll");
    assert_eq!(got["poll"]["name"], "Lunch?");
    assert_eq!(got["poll"]["options"], json!(["Pizza", "Sushi"]));
    assert_eq!(got["poll"]["selectable_count"], 1);
    let vote = send_as(
        &admin,
        "15550002002",
        json!({ "to": "15550002001", "poll_vote": { "id": poll.message_id, "options": ["Sushi"] } }),
    )
    .await;
    let update = a
        .wait_for("the poll vote", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == vote)
                .map(|m| m.message.clone()),
            _ => None,
        })
        .await;
    assert!(update.poll_update_message.is_set(), "{update:?}");
    let on_phone = inbox_entry(&admin, "15550002001", &vote).await;
    assert_eq!(on_phone["type"], "poll_vote");
    assert_eq!(on_phone["poll_vote"]["id"], poll.message_id.as_str());
    assert_eq!(on_phone["poll_vote"]["options"], json!(["Sushi"]));

    // B's phone reacts to, replies to and mentions in A's messages.
    let reaction = send_as(
        &admin,
        "15550002002",
        json!({ "to": "15550002001", "reaction": { "id": first.message_id, "emoji": "👍" } }),
    )
    .await;
    let got = a
        .wait_for("the reaction", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == reaction)
                .and_then(|m| m.message.reaction_message.as_option().cloned()),
            _ => None,
        })
        .await;
    assert_eq!(got.text.as_deref(), Some("👍"));
    assert_eq!(
        got.key.as_option().and_then(|k| k.id.clone()),
        Some(first.message_id.clone())
    );
    // The key is the reactor's view: the message was not theirs.
    assert_eq!(got.key.as_option().and_then(|k| k.from_me), Some(false));
    let on_phone = inbox_entry(&admin, "15550002001", &reaction).await;
    assert_eq!(on_phone["type"], "reaction");
    assert_eq!(on_phone["reaction"]["id"], first.message_id.as_str());
    assert_eq!(on_phone["reaction"]["emoji"], "👍");

    let reply = send_as(
        &admin,
        "15550002002",
        json!({
            "to": "15550002001",
            "text": "replying to you, @15550002001",
            "reply_to": { "id": first.message_id, "sender": "15550002001" },
            "mentions": ["15550002001"],
        }),
    )
    .await;
    let ctx = a
        .wait_for("the reply", |e| match e {
            Event::Messages(batch) => batch.iter().find(|m| m.info.id == reply).and_then(|m| {
                m.message
                    .extended_text_message
                    .as_option()
                    .and_then(|x| x.context_info.as_option().cloned())
            }),
            _ => None,
        })
        .await;
    assert_eq!(ctx.stanza_id.as_deref(), Some(first.message_id.as_str()));
    assert_eq!(
        ctx.mentioned_jid,
        vec!["15550002001@s.whatsapp.net".to_string()]
    );
    let on_phone = inbox_entry(&admin, "15550002001", &reply).await;
    assert_eq!(on_phone["reply_to"], first.message_id.as_str());
    assert_eq!(on_phone["mentions"], json!(["15550002001@s.whatsapp.net"]));
    assert_eq!(on_phone["text"], "replying to you, @15550002001");

    // The companion replies to B's message; B's phone records the quote.
    let quoted = wa::Message {
        extended_text_message: buffa::MessageField::some(wa::message::ExtendedTextMessage {
            text: Some("quoting you".into()),
            context_info: buffa::MessageField::some(wa::ContextInfo {
                stanza_id: Some(reply.clone()),
                participant: Some("15550002002@s.whatsapp.net".into()),
                mentioned_jid: vec!["15550002002@s.whatsapp.net".into()],
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let sent = client
        .send_message(bob.clone(), quoted)
        .await
        .expect("reply");
    let got = inbox_entry(&admin, "15550002002", &sent.message_id).await;
    assert_eq!(got["reply_to"], reply.as_str());
    assert_eq!(got["mentions"], json!(["15550002002@s.whatsapp.net"]));

    // Read receipts reach the sender's phone.
    let read_me = send_as(
        &admin,
        "15550002002",
        json!({ "to": "15550002001", "text": "read me" }),
    )
    .await;
    a.text("read me").await;
    client
        .mark_as_read(&Jid::pn("15550002002"), None, &[read_me.as_str()])
        .await
        .expect("mark as read");
    let receipt = wait_entry(
        &admin,
        "/accounts/15550002002/receipts",
        "the read receipt",
        |r| r["id"] == read_me.as_str() && r["type"] == "read",
    )
    .await;
    assert_eq!(receipt["from"], "15550002001@s.whatsapp.net");
    wait_entry(
        &admin,
        "/accounts/15550002001/receipts",
        "a delivery receipt",
        |r| r["type"] == "delivery",
    )
    .await;

    // Chat states and presence reach B's phone.
    let chatstate = client.chatstate();
    chatstate.send_composing(&bob).await.expect("composing");
    wait_entry(
        &admin,
        "/accounts/15550002002/chatstates",
        "composing",
        |c| c["state"] == "composing" && c["from"] == "15550002001@s.whatsapp.net",
    )
    .await;
    chatstate.send_recording(&bob).await.expect("recording");
    wait_entry(
        &admin,
        "/accounts/15550002002/chatstates",
        "recording",
        |c| c["state"] == "recording",
    )
    .await;
    chatstate.send_paused(&bob).await.expect("paused");
    wait_entry(&admin, "/accounts/15550002002/chatstates", "paused", |c| {
        c["state"] == "paused"
    })
    .await;
    client
        .profile()
        .set_push_name("Ava at work")
        .await
        .expect("push name");
    client
        .presence()
        .set_unavailable()
        .await
        .expect("unavailable");
    wait_entry(
        &admin,
        "/accounts/15550002002/presences",
        "A unavailable",
        |p| p["from"] == "15550002001@s.whatsapp.net" && p["available"] == false,
    )
    .await;
    client.presence().set_available().await.expect("available");
    wait_entry(
        &admin,
        "/accounts/15550002002/presences",
        "A available",
        |p| p["from"] == "15550002001@s.whatsapp.net" && p["available"] == true,
    )
    .await;

    // Bad requests are client errors.
    let (status, body) = admin
        .post(
            "/accounts/15550002002/messages",
            json!({ "to": "15550002001", "text": "x", "location": { "latitude": 1.0, "longitude": 2.0 } }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "invalid_request");
    let (status, _) = admin
        .post(
            "/accounts/15550002002/messages",
            json!({ "to": "15550002001", "poll_vote": { "id": "nope", "options": ["a"] } }),
        )
        .await;
    assert_eq!(status, 404);
    sandbox.stop().await;
}

#[actix_web::test]
async fn the_group_lifecycle_flows_through_engine_and_admin_api() {
    let (sandbox, admin) = start().await;
    for (phone, name) in [
        ("15550003001", "Gia"),
        ("15550003002", "Hal"),
        ("15550003003", "Ivy"),
        ("15550003004", "Jo"),
    ] {
        admin.create_account(phone, name).await;
    }
    let mut a = admin.link(&sandbox, "15550003001").await;
    let client = a.bot.client();
    let options = wacore::iq::groups::GroupCreateOptions::builder()
        .subject("Lifecycle")
        .participants(vec![
            wacore::iq::groups::GroupParticipantOptions::from_phone(Jid::pn("15550003002")),
        ])
        .build();
    let gid = client
        .groups()
        .create_group(options)
        .await
        .expect("create")
        .metadata
        .id;
    let path = format!("/groups/{}", gid.user);
    let view = admin.get(&path).await;
    assert_eq!(view["id"], gid.to_string());
    assert_eq!(view["subject"], "Lifecycle");
    assert_eq!(view["creator"], "15550003001");
    assert_eq!(view["participants"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        admin.get(&format!("/groups/{gid}")).await["id"],
        gid.to_string()
    );

    // Membership changes by A's phone through the admin API reach A's companion as events.
    let (status, body) = admin
        .post(
            &format!("/accounts/15550003001/groups/{gid}/participants"),
            json!({ "action": "add", "participants": ["15550003003"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["participants"][0]["ok"], true, "{body}");
    let added = a
        .wait_for("the add", |e| match e {
            Event::GroupUpdate(u) => match &u.action {
                GroupNotificationAction::Add { participants, .. } => Some(
                    participants
                        .iter()
                        .map(|p| p.jid.user.to_string())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            },
            _ => None,
        })
        .await;
    assert_eq!(added, vec!["15550003003".to_string()]);
    for (action, check) in [("promote", true), ("demote", false)] {
        let (status, body) = admin
            .post(
                &format!("/accounts/15550003001/groups/{}/participants", gid.user),
                json!({ "action": action, "participants": ["15550003002"] }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let seen = a
            .wait_for(action, |e| match e {
                Event::GroupUpdate(u) => match (&u.action, action) {
                    (GroupNotificationAction::Promote { participants }, "promote")
                    | (GroupNotificationAction::Demote { participants }, "demote") => {
                        Some(participants.len())
                    }
                    _ => None,
                },
                _ => None,
            })
            .await;
        assert_eq!(seen, 1);
        let view = admin.get(&path).await;
        let hal = view["participants"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["phone"] == "15550003002"))
            .cloned()
            .expect("Hal");
        assert_eq!(hal["admin"], check, "{view}");
    }

    // Subject and description by the phone, settings by the companion.
    let (status, body) = put(
        &admin,
        &format!("/accounts/15550003001/groups/{gid}"),
        json!({ "subject": "Renamed", "description": "All about it" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subject"], "Renamed");
    assert_eq!(body["description"], "All about it");
    a.wait_for("the subject", |e| match e {
        Event::GroupUpdate(u) => match &u.action {
            GroupNotificationAction::Subject { subject, .. } if subject == "Renamed" => Some(()),
            _ => None,
        },
        _ => None,
    })
    .await;
    a.wait_for("the description", |e| match e {
        Event::GroupUpdate(u) => match &u.action {
            GroupNotificationAction::Description { description, .. } => {
                (description.as_deref() == Some("All about it")).then_some(())
            }
            _ => None,
        },
        _ => None,
    })
    .await;
    let metadata = client.groups().get_metadata(&gid).await.expect("metadata");
    assert_eq!(metadata.subject, "Renamed");
    assert_eq!(metadata.description.as_deref(), Some("All about it"));
    client
        .groups()
        .set_announce(gid.clone(), true)
        .await
        .expect("announce");
    client
        .groups()
        .set_locked(gid.clone(), true)
        .await
        .expect("lock");
    let view = admin.get(&path).await;
    assert_eq!(view["announce"], true);
    assert_eq!(view["locked"], true);
    a.wait_for("announcement mode", |e| match e {
        Event::GroupUpdate(u) => {
            matches!(u.action, GroupNotificationAction::Announce).then_some(())
        }
        _ => None,
    })
    .await;
    // Hal is no admin: he cannot change a locked group or speak in an announcement group.
    let (status, body) = put(
        &admin,
        &format!("/accounts/15550003002/groups/{gid}"),
        json!({ "subject": "Hijacked" }),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = admin
        .post(
            &format!("/accounts/15550003002/groups/{gid}/participants"),
            json!({ "action": "remove", "participants": ["15550003003"] }),
        )
        .await;
    assert_eq!(status, 403);
    let muted = send_as(
        &admin,
        "15550003002",
        json!({ "to": gid.to_string(), "text": "muted?" }),
    )
    .await;
    let spoken = send_as(
        &admin,
        "15550003001",
        json!({ "to": gid.to_string(), "text": "admins speak" }),
    )
    .await;
    inbox_entry(&admin, "15550003002", &spoken).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox = get_big(&admin, "/accounts/15550003003/messages").await;
    assert!(
        inbox
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["id"] != muted.as_str())),
        "a non-admin's message went out in announcement mode: {}",
        truncate(&inbox)
    );
    client
        .groups()
        .set_announce(gid.clone(), false)
        .await
        .expect("unannounce");
    client
        .groups()
        .set_locked(gid.clone(), false)
        .await
        .expect("unlock");
    let view = admin.get(&path).await;
    assert_eq!(view["announce"], false);
    assert_eq!(view["locked"], false);

    // Invite links: get, revoke, join by code, leave.
    let link = client
        .groups()
        .get_invite_link(gid.clone(), false)
        .await
        .expect("invite");
    let code = link.rsplit('/').next().expect("code").to_string();
    assert_eq!(admin.get(&path).await["invite_code"], code.as_str());
    let revoked = client
        .groups()
        .get_invite_link(gid.clone(), true)
        .await
        .expect("revoke");
    assert_ne!(revoked, link);
    let code = revoked.rsplit('/').next().expect("code").to_string();
    let (status, _) = admin
        .post("/accounts/15550003004/groups/join", json!({ "code": link }))
        .await;
    assert_eq!(status, 404, "the old code is dead");
    let (status, body) = admin
        .post("/accounts/15550003004/groups/join", json!({ "code": code }))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["participants"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["phone"] == "15550003004")),
        "{body}"
    );
    a.wait_for("the join", |e| match e {
        Event::GroupUpdate(u) => match &u.action {
            GroupNotificationAction::Add { participants, .. }
                if participants.iter().any(|p| p.jid.user == "15550003004") =>
            {
                Some(())
            }
            _ => None,
        },
        _ => None,
    })
    .await;
    let (status, body) = admin
        .post(
            &format!("/accounts/15550003003/groups/{gid}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    a.wait_for("the leave", |e| match e {
        Event::GroupUpdate(u) => match &u.action {
            GroupNotificationAction::Remove { participants, .. }
                if participants.iter().any(|p| p.jid.user == "15550003003") =>
            {
                Some(())
            }
            _ => None,
        },
        _ => None,
    })
    .await;
    let (status, body) = admin
        .post(
            &format!("/accounts/15550003001/groups/{gid}/participants"),
            json!({ "action": "remove", "participants": ["15550003004"] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let view = admin.get(&path).await;
    let members: Vec<&str> = view["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["phone"].as_str())
        .collect();
    assert_eq!(members, vec!["15550003001", "15550003002"], "{view}");
    let participating = client
        .groups()
        .get_participating()
        .await
        .expect("participating");
    let mine = participating.get(&gid).expect("the group is listed");
    assert_eq!(mine.participants.len(), 2);
    assert_eq!(mine.subject, "Renamed");

    // A non-member may not act on the group.
    let (status, _) = admin
        .post(
            &format!("/accounts/15550003003/groups/{gid}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403);
    sandbox.stop().await;
}

#[actix_web::test]
async fn profiles_are_set_on_one_account_and_read_from_another() {
    let (sandbox, admin) = start().await;
    let carl = admin.create_account("15550004001", "Carl").await;
    admin.create_account("15550004002", "Dina").await;
    let mut a = admin.link(&sandbox, "15550004001").await;
    let client = a.bot.client();

    // The companion sets its account's picture, about and name; the admin API shows them.
    let picture = payload(42, 12_345);
    client
        .profile()
        .set_profile_picture(picture.clone())
        .await
        .expect("set picture");
    client
        .profile()
        .set_status_text("Busy building")
        .await
        .expect("about");
    client
        .profile()
        .set_push_name("Carl C.")
        .await
        .expect("name");
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let profile = loop {
        let p = get_big(&admin, "/accounts/15550004001/profile").await;
        if p["name"] == "Carl C." || Instant::now() > deadline {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(profile["phone"], "15550004001");
    assert_eq!(profile["lid"], carl["lid"]);
    assert_eq!(profile["name"], "Carl C.");
    assert_eq!(profile["about"], "Busy building");
    assert_eq!(
        unb64(profile["picture"].as_str().expect("picture")),
        picture
    );

    // Dina's phone sets her profile; Carl's companion reads it with engine calls.
    let dina_picture = payload(43, 4_321);
    let (status, body) = put(
        &admin,
        "/accounts/15550004002/profile",
        json!({ "name": "Dina D.", "about": "On holiday", "picture": b64(&dina_picture) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Dina D.");
    assert_eq!(body["about"], "On holiday");
    let dina = Jid::pn("15550004002");
    let info = client
        .contacts()
        .get_user_info(std::slice::from_ref(&dina))
        .await
        .expect("user info");
    let dina_info = info.get(&dina).expect("Dina's info");
    assert_eq!(dina_info.status.as_deref(), Some("On holiday"));
    assert!(dina_info.picture_id.is_some(), "{dina_info:?}");
    let pic = client
        .contacts()
        .get_profile_picture(&dina, false)
        .await
        .expect("picture query")
        .expect("Dina has a picture");
    assert_eq!(Some(pic.id.clone()), dina_info.picture_id);
    let path = pic.direct_path.clone().expect("direct path");
    assert_eq!(sandbox.media_object(&path), Some(dina_picture.clone()));
    assert!(pic.url.starts_with("https://"), "{}", pic.url);

    // The new name travels with Dina's messages.
    send_as(
        &admin,
        "15550004002",
        json!({ "to": "15550004001", "text": "new name, who dis" }),
    )
    .await;
    let push_name = a
        .wait_for("Dina's message", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.source.sender.user == "15550004002")
                .map(|m| m.info.push_name.clone()),
            _ => None,
        })
        .await;
    assert_eq!(push_name, "Dina D.");

    // Removing the picture.
    let (status, body) = put(
        &admin,
        "/accounts/15550004002/profile",
        json!({ "picture": "" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["picture"], Value::Null);
    let none = client.contacts().get_profile_picture(&dina, true).await;
    assert!(matches!(none, Ok(None)), "{none:?}");

    // Who is on WhatsApp: a sandbox account (with its LID) and a number that is not.
    let found = client
        .contacts()
        .is_on_whatsapp(&[dina.clone(), Jid::pn("19990004999")])
        .await
        .expect("is_on_whatsapp");
    let d = found
        .iter()
        .find(|r| r.jid.user == "15550004002")
        .expect("Dina");
    assert!(d.is_registered);
    assert!(d.lid.is_some(), "{d:?}");
    assert!(
        found
            .iter()
            .all(|r| r.jid.user != "19990004999" || !r.is_registered),
        "{found:?}"
    );
    let (status, _) = put(
        &admin,
        "/accounts/15550004002/profile",
        json!({ "picture": "!!" }),
    )
    .await;
    assert_eq!(status, 400);
    sandbox.stop().await;
}

#[actix_web::test]
async fn a_phone_sends_every_kind_through_the_admin_api() {
    let (sandbox, admin) = start().await;
    admin.create_account("15550005001", "Eve").await;
    admin.create_account("15550005002", "Fay").await;
    admin.create_account("15550005003", "Gil").await;
    let mut a = admin.link(&sandbox, "15550005001").await;
    let client = a.bot.client();
    let to_a = |body: Value| {
        let mut body = body;
        body["to"] = json!("15550005001@s.whatsapp.net");
        body
    };

    let loc = send_as(
        &admin,
        "15550005002",
        to_a(json!({ "location": { "latitude": -33.86, "longitude": 151.21, "name": "Opera", "address": "Sydney" } })),
    )
    .await;
    let got = a
        .wait_for("the location", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == loc)
                .and_then(|m| m.message.location_message.as_option().cloned()),
            _ => None,
        })
        .await;
    assert_eq!(got.degrees_latitude, Some(-33.86));
    assert_eq!(got.name.as_deref(), Some("Opera"));
    let on_phone = inbox_entry(&admin, "15550005001", &loc).await;
    assert_eq!(on_phone["location"]["address"], "Sydney");

    let card = send_as(
        &admin,
        "15550005002",
        to_a(json!({ "contact": { "name": "Hugo", "phone": "+49 151 234" } })),
    )
    .await;
    let got = a
        .wait_for("the contact", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == card)
                .and_then(|m| m.message.contact_message.as_option().cloned()),
            _ => None,
        })
        .await;
    assert_eq!(got.display_name.as_deref(), Some("Hugo"));
    assert!(
        got.vcard
            .as_deref()
            .is_some_and(|v| v.contains("waid=49151234")),
        "{got:?}"
    );

    let poll = send_as(
        &admin,
        "15550005002",
        to_a(json!({ "poll": { "name": "Where?", "options": ["Here", "There", "Nowhere"], "selectable_count": 2 } })),
    )
    .await;
    let got = a
        .wait_for("the poll", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == poll)
                .map(|m| m.message.clone()),
            _ => None,
        })
        .await;
    let creation = got
        .poll_creation_message
        .as_option()
        .or(got.poll_creation_message_v3.as_option())
        .expect("a poll creation");
    assert_eq!(creation.name.as_deref(), Some("Where?"));
    assert_eq!(creation.options.len(), 3);
    assert_eq!(creation.selectable_options_count, Some(2));
    // A's phone knows the poll, so it can vote on it too.
    let vote = send_as(
        &admin,
        "15550005001",
        json!({ "to": "15550005002", "poll_vote": { "id": poll, "options": ["Here", "Nowhere"] } }),
    )
    .await;
    let got = inbox_entry(&admin, "15550005002", &vote).await;
    assert_eq!(got["poll_vote"]["options"], json!(["Here", "Nowhere"]));

    let text = send_as(&admin, "15550005002", to_a(json!({ "text": "typo hree" }))).await;
    a.text("typo hree").await;
    let edit = send_as(
        &admin,
        "15550005002",
        to_a(json!({ "edit": { "id": text, "text": "typo here" } })),
    )
    .await;
    let got = a
        .wait_for("the edit", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == edit)
                .map(|m| (m.message.clone(), m.info.edit.clone())),
            _ => None,
        })
        .await;
    let (got, marker) = got;
    // The stanza's edit marker travels with it, as from the real server.
    assert_eq!(marker, wacore::types::message::EditAttribute::MessageEdit);
    let protocol = got.protocol_message.as_option().expect("an edit");
    assert_eq!(
        protocol.key.as_option().and_then(|k| k.id.clone()),
        Some(text.clone())
    );
    assert_eq!(
        protocol
            .edited_message
            .as_option()
            .and_then(|m| m.conversation.clone())
            .as_deref(),
        Some("typo here")
    );
    let revoke = send_as(
        &admin,
        "15550005002",
        to_a(json!({ "revoke": { "id": text } })),
    )
    .await;
    let on_phone = inbox_entry(&admin, "15550005001", &revoke).await;
    assert_eq!(on_phone["type"], "revoke");
    assert_eq!(on_phone["revoke"]["id"], text.as_str());

    // In a group: a reply naming its sender, a mention, and a reaction to another member.
    let options = wacore::iq::groups::GroupCreateOptions::builder()
        .subject("Kinds")
        .participants(vec![
            wacore::iq::groups::GroupParticipantOptions::from_phone(Jid::pn("15550005002")),
            wacore::iq::groups::GroupParticipantOptions::from_phone(Jid::pn("15550005003")),
        ])
        .build();
    let gid = client
        .groups()
        .create_group(options)
        .await
        .expect("create")
        .metadata
        .id;
    let hello = client
        .send_text(gid.clone(), "hello kinds")
        .await
        .expect("send");
    inbox_entry(&admin, "15550005002", &hello.message_id).await;
    let reaction = send_as(
        &admin,
        "15550005002",
        json!({ "to": gid.to_string(), "reaction": { "id": hello.message_id, "emoji": "🎉", "sender": "15550005001" } }),
    )
    .await;
    let key = a
        .wait_for("the group reaction", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == reaction)
                .and_then(|m| m.message.reaction_message.as_option().cloned()),
            _ => None,
        })
        .await
        .key
        .into_option()
        .expect("key");
    assert_eq!(
        key.participant.as_deref(),
        Some("15550005001@s.whatsapp.net")
    );
    // Without a sender, a group reference means the phone's own message.
    let own = send_as(
        &admin,
        "15550005002",
        json!({ "to": gid.to_string(), "text": "mine" }),
    )
    .await;
    let self_reaction = send_as(
        &admin,
        "15550005002",
        json!({ "to": gid.to_string(), "reaction": { "id": own, "emoji": "❤" } }),
    )
    .await;
    let key = a
        .wait_for("the self reaction", |e| match e {
            Event::Messages(batch) => batch
                .iter()
                .find(|m| m.info.id == self_reaction)
                .and_then(|m| m.message.reaction_message.as_option().cloned()),
            _ => None,
        })
        .await
        .key
        .into_option()
        .expect("key");
    assert_eq!(key.from_me, Some(true));
    assert_eq!(key.id.as_deref(), Some(own.as_str()));
    let reply = send_as(
        &admin,
        "15550005003",
        json!({
            "to": gid.to_string(),
            "text": "@15550005001 agreed",
            "reply_to": { "id": hello.message_id, "sender": "15550005001@s.whatsapp.net" },
            "mentions": ["15550005001"],
        }),
    )
    .await;
    let got = inbox_entry(&admin, "15550005002", &reply).await;
    assert_eq!(got["chat"], gid.to_string());
    assert_eq!(got["participant"], "15550005003@s.whatsapp.net");
    assert_eq!(got["reply_to"], hello.message_id.as_str());
    assert_eq!(got["mentions"], json!(["15550005001@s.whatsapp.net"]));

    // Typing in the group reaches the members' phones, naming the group.
    client
        .chatstate()
        .send_composing(&gid)
        .await
        .expect("composing");
    let state = wait_entry(
        &admin,
        "/accounts/15550005003/chatstates",
        "group typing",
        |c| c["chat"] == gid.to_string(),
    )
    .await;
    assert_eq!(state["from"], "15550005001@s.whatsapp.net");
    assert_eq!(state["state"], "composing");
    sandbox.stop().await;
}

#[actix_web::test]
async fn profiles_and_group_settings_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = SandboxConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let sandbox = sandbox::start(config.clone()).await.expect("start sandbox");
    let admin = Admin::new(&sandbox);
    admin.create_account("15550006001", "Kim").await;
    admin.create_account("15550006002", "Lou").await;
    let picture = payload(5, 2_000);
    let (status, body) = put(
        &admin,
        "/accounts/15550006001/profile",
        json!({ "about": "Persistent", "picture": b64(&picture) }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, group) = admin
        .post(
            "/accounts/15550006001/groups",
            json!({ "subject": "Kept", "participants": ["15550006002"] }),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().expect("group id").to_string();
    let (status, body) = put(
        &admin,
        &format!("/accounts/15550006001/groups/{gid}"),
        json!({ "description": "Still here", "announce": true }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["announce"], true);
    let code = body["invite_code"]
        .as_str()
        .expect("invite code")
        .to_string();
    sandbox.stop().await;

    let sandbox = sandbox::start(config).await.expect("restart sandbox");
    let admin = Admin::new(&sandbox);
    let profile = admin.get("/accounts/15550006001/profile").await;
    assert_eq!(profile["about"], "Persistent");
    assert_eq!(
        unb64(profile["picture"].as_str().expect("picture")),
        picture
    );
    let view = admin.get(&format!("/groups/{gid}")).await;
    assert_eq!(view["description"], "Still here");
    assert_eq!(view["announce"], true);
    assert_eq!(view["invite_code"], code.as_str());
    sandbox.stop().await;
}
