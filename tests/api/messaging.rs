//! Messaging breadth end to end, through the REST API only, against the in-process sandbox:
//! every media kind (inline, multipart, URL) and rich message kind out to a sandbox phone and in
//! from it, media downloads byte-identical, add-ons (reactions, votes, edits, revokes) tied to
//! the messages they point at, read receipts and typing, and bad media refused with a problem.

use std::net::TcpListener;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::common::{Backend, TestDatabase};
use crate::on_both_backends;
use crate::sandboxed::{Live, live_with, start_sandbox};

const ALICE: &str = "4915100000021";
const ME: &str = "4915100000022";

/// Bytes that sniff as `magic`'s type, padded with a varied tail so a truncated or re-encoded
/// copy cannot pass as the same file.
fn file(magic: &[u8], len: usize) -> Vec<u8> {
    let mut out = magic.to_vec();
    let mut x: u32 = 0x9e37_79b9;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x & 0xff) as u8);
    }
    out
}

fn png(len: usize) -> Vec<u8> {
    file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", len)
}
fn jpeg(len: usize) -> Vec<u8> {
    file(b"\xff\xd8\xff\xe0\0\x10JFIF\0", len)
}
fn mp4(len: usize) -> Vec<u8> {
    file(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", len)
}
fn ogg(len: usize) -> Vec<u8> {
    file(b"OggS\0\x02\0\0\0\0\0\0\0\0", len)
}
fn webp(len: usize) -> Vec<u8> {
    let mut f = file(b"RIFF\0\0\0\0WEBPVP8 ", len);
    let size = (len as u32 - 8).to_le_bytes();
    f[4..8].copy_from_slice(&size);
    f
}
fn pdf(len: usize) -> Vec<u8> {
    file(b"%PDF-1.4\n", len)
}

/// A loopback HTTP server with one file at `/voice.ogg`.
fn serve_file(bytes: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let bytes = bytes.clone();
        App::new().route(
            "/voice.ogg",
            web::get().to(move || {
                let bytes = bytes.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/octet-stream")
                        .body(bytes)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_rt::spawn(server);
    format!("http://{addr}")
}

async fn media_of(live: &Live, sid: &str, id: &str) -> (StatusCode, String, Vec<u8>) {
    let mut res = live
        .app
        .client
        .get(format!(
            "{}/api/v1/sessions/{sid}/messages/{id}/media",
            live.app.base
        ))
        .insert_header(("X-Api-Key", live.key.as_str()))
        .send()
        .await
        .unwrap();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = res.body().limit(64 << 20).await.unwrap().to_vec();
    (res.status(), ct, body)
}

fn accepted(r: &crate::common::Reply) -> Value {
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    r.body.clone()
}

async fn multipart_send(
    live: &Live,
    sid: &str,
    fields: &[(&str, &str)],
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "waras-test-boundary-7d1";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut res = live
        .app
        .client
        .post(format!("{}/api/v1/sessions/{sid}/messages", live.app.base))
        .insert_header(("X-Api-Key", live.key.as_str()))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_body(body)
        .await
        .unwrap();
    let status = res.status();
    let v = res
        .json::<Value>()
        .limit(1 << 20)
        .await
        .unwrap_or(Value::Null);
    (status, v)
}

async fn linked(backend: Backend) -> (Live, String) {
    let live = live_with(
        TestDatabase::create(backend),
        start_sandbox().await,
        None,
        |s| {
            s.webhook_allow_private = true;
            s.media_max_bytes = 256 * 1024;
        },
    )
    .await;
    live.account(ALICE, "Alice").await;
    live.account(ME, "Me").await;
    let sid = live.link_by_qr("main", ME).await;
    (live, sid)
}

fn alice_got<'a>(wa_id: &'a Value) -> impl Fn(&Value) -> bool + 'a {
    move |m: &Value| m["id"] == *wa_id
}

async fn media_out(backend: Backend) {
    let (live, sid) = linked(backend).await;
    let to = format!("+{ALICE}");
    let alice_jid = format!("{ALICE}@s.whatsapp.net");

    // An image inline, with caption and a mention.
    let image = png(40_000);
    let sent = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "image", "caption": "look @Alice",
                       "mentions": [to], "image": {"data": B64.encode(&image)}}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the image",
            alice_got(&sent["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["type"], json!("image"), "{got}");
    assert_eq!(got["caption"], json!("look @Alice"));
    assert_eq!(got["media"]["mimetype"], json!("image/png"));
    assert_eq!(
        B64.decode(got["media"]["data"].as_str().unwrap()).unwrap(),
        image,
        "byte-identical at the phone"
    );
    assert_eq!(got["mentions"], json!([alice_jid]));
    let (status, ct, bytes) = media_of(&live, &sid, sent["id"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(bytes, image);

    // A document by multipart upload, keeping its file name.
    let doc = pdf(60_000);
    let (status, sent) = multipart_send(
        &live,
        &sid,
        &[
            ("to", &to),
            ("type", "document"),
            ("caption", "the contract"),
        ],
        "contract.pdf",
        "application/pdf",
        &doc,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the document",
            alice_got(&sent["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["type"], json!("document"), "{got}");
    assert_eq!(got["media"]["filename"], json!("contract.pdf"));
    assert_eq!(got["media"]["mimetype"], json!("application/pdf"));
    assert_eq!(
        B64.decode(got["media"]["data"].as_str().unwrap()).unwrap(),
        doc
    );

    // A voice note fetched from a URL.
    let voice = ogg(30_000);
    let base = serve_file(voice.clone());
    let sent = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "audio", "audio": {"url": format!("{base}/voice.ogg"), "voice": true}}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the voice note",
            alice_got(&sent["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["type"], json!("audio"), "{got}");
    assert_eq!(got["media"]["voice"], json!(true));
    assert_eq!(
        B64.decode(got["media"]["data"].as_str().unwrap()).unwrap(),
        voice
    );

    // Video and sticker inline.
    for (kind, bytes, mime) in [
        ("video", mp4(50_000), "video/mp4"),
        ("sticker", webp(20_000), "image/webp"),
    ] {
        let sent = accepted(
            &live
                .post_message(
                    &sid,
                    json!({"to": to, "type": kind, kind: {"data": B64.encode(&bytes)}}),
                )
                .await,
        );
        let got = live
            .phone_seen(ALICE, "messages", kind, alice_got(&sent["wa_id"]), 15)
            .await;
        assert_eq!(got["type"], json!(kind), "{got}");
        assert_eq!(got["media"]["mimetype"], json!(mime));
        assert_eq!(
            B64.decode(got["media"]["data"].as_str().unwrap()).unwrap(),
            bytes,
            "{kind}"
        );
    }

    // Bad media: too big, wrong type, unreachable URL, and nothing of them is stored.
    let before = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages?limit=200"),
            &live.key,
        )
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .len();
    let too_big = live
        .post_message(
            &sid,
            json!({"to": to, "type": "image", "image": {"data": B64.encode(png(300_000))}}),
        )
        .await;
    assert_eq!(too_big.problem(413), "payload_too_large");
    let (status, body) = multipart_send(
        &live,
        &sid,
        &[("to", &to), ("type", "image")],
        "big.png",
        "image/png",
        &png(300_000),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{body}"
    );
    let wrong = live
        .post_message(
            &sid,
            json!({"to": to, "type": "video", "video": {"data": B64.encode(png(1000))}}),
        )
        .await;
    assert_eq!(wrong.problem(415), "unsupported_media_type");
    let lying = live
        .post_message(&sid, json!({"to": to, "type": "image", "image": {"data": B64.encode(png(1000)), "mimetype": "image/jpeg"}}))
        .await;
    assert_eq!(lying.problem(415), "unsupported_media_type");
    let gone = live
        .post_message(
            &sid,
            json!({"to": to, "type": "image", "image": {"url": "http://127.0.0.1:9/none.png"}}),
        )
        .await;
    assert_eq!(gone.problem(422), "media_unreachable");
    let missing = live
        .post_message(
            &sid,
            json!({"to": to, "type": "image", "image": {"url": format!("{base}/missing.png")}}),
        )
        .await;
    assert_eq!(missing.problem(422), "media_unreachable");
    let neither = live
        .post_message(&sid, json!({"to": to, "type": "image", "image": {}}))
        .await;
    assert_eq!(neither.problem(400), "invalid_request");
    let after = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages?limit=200"),
            &live.key,
        )
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "refused sends store nothing");
}

async fn rich_messages_both_ways(backend: Backend) {
    let (live, sid) = linked(backend).await;
    let to = format!("+{ALICE}");

    // Out: text, then location, contact, poll, a reply, an edit and a revoke.
    let hello = accepted(
        &live
            .post_message(&sid, json!({"to": to, "type": "text", "text": "hello"}))
            .await,
    );
    live.phone_seen(ALICE, "messages", "hello", alice_got(&hello["wa_id"]), 15)
        .await;
    let loc = accepted(&live.post_message(&sid, json!({"to": to, "type": "location",
        "location": {"latitude": 52.52, "longitude": 13.405, "name": "Berlin", "address": "Pariser Platz"}})).await);
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the location",
            alice_got(&loc["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["type"], json!("location"), "{got}");
    assert_eq!(got["location"]["latitude"], json!(52.52));
    assert_eq!(got["location"]["name"], json!("Berlin"));
    let card = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "contact",
        "contact": {"name": "Bob Builder", "phone": "+4915100000099"}}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the contact",
            alice_got(&card["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["type"], json!("contact"), "{got}");
    assert_eq!(got["contact"]["name"], json!("Bob Builder"));
    assert!(
        got["contact"]["vcard"]
            .as_str()
            .unwrap()
            .contains("4915100000099"),
        "{got}"
    );
    let poll = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "poll",
        "poll": {"name": "Lunch?", "options": ["Pizza", "Sushi", "Salad"]}}),
            )
            .await,
    );
    let got = live
        .phone_seen(ALICE, "messages", "the poll", alice_got(&poll["wa_id"]), 15)
        .await;
    assert_eq!(got["type"], json!("poll"), "{got}");
    assert_eq!(got["poll"]["options"], json!(["Pizza", "Sushi", "Salad"]));
    let reply = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "text", "text": "replying",
        "reply_to": hello["id"]}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the reply",
            alice_got(&reply["wa_id"]),
            15,
        )
        .await;
    assert_eq!(got["reply_to"], hello["wa_id"], "{got}");
    let edit = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "edit",
        "edit": {"message_id": hello["id"], "text": "hello, edited"}}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the edit",
            |m| m["type"] == json!("edit"),
            15,
        )
        .await;
    assert_eq!(got["edit"]["id"], hello["wa_id"], "{got}");
    assert_eq!(got["edit"]["text"], json!("hello, edited"));
    let _ = edit;
    let revoke = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": to, "type": "revoke",
        "revoke": {"message_id": reply["id"]}}),
            )
            .await,
    );
    let got = live
        .phone_seen(
            ALICE,
            "messages",
            "the revoke",
            |m| m["type"] == json!("revoke"),
            15,
        )
        .await;
    assert_eq!(got["revoke"]["id"], reply["wa_id"], "{got}");
    let _ = revoke;

    // In: Alice's image arrives typed, and its media downloads byte-identical.
    let photo = jpeg(50_000);
    let sent = live.phone_send(ALICE, json!({"to": ME, "image": {"data": B64.encode(&photo), "mimetype": "image/jpeg"}, "caption": "from Alice"})).await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    let d = &e["data"];
    assert_eq!(d["type"], json!("image"), "{e}");
    assert_eq!(d["caption"], json!("from Alice"));
    assert_eq!(d["media"]["mimetype"], json!("image/jpeg"));
    assert_eq!(d["media"]["size"], json!(photo.len()));
    assert_eq!(d["from_phone"], json!(format!("{ALICE}@s.whatsapp.net")));
    assert!(
        d["from_lid"].as_str().is_some_and(|l| l.ends_with("@lid")),
        "{e}"
    );
    let photo_id = d["id"].as_str().unwrap().to_string();
    let (status, ct, bytes) = media_of(&live, &sid, &photo_id).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(bytes, photo, "the received image downloads byte-identical");
    let (status, _, again) = media_of(&live, &sid, &photo_id).await;
    assert_eq!(
        (status, again.len()),
        (StatusCode::OK, photo.len()),
        "served again from storage"
    );
    let (status, _, _) = media_of(&live, &sid, hello["id"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a text has no media");

    // In: the other media kinds arrive typed and download byte-identical too.
    for (kind, bytes, extra) in [
        ("video", mp4(40_000), json!({"mimetype": "video/mp4"})),
        (
            "audio",
            ogg(20_000),
            json!({"mimetype": "audio/ogg; codecs=opus", "voice": true}),
        ),
        ("sticker", webp(15_000), json!({"mimetype": "image/webp"})),
    ] {
        let mut part = extra.clone();
        part["data"] = json!(B64.encode(&bytes));
        let sent = live.phone_send(ALICE, json!({"to": ME, kind: part})).await;
        let e = live
            .event(
                &sid,
                "message.received",
                |e| e["data"]["wa_id"] == sent["id"],
                15,
            )
            .await;
        assert_eq!(e["data"]["type"], json!(kind), "{e}");
        assert_eq!(e["data"]["media"]["size"], json!(bytes.len()), "{e}");
        if kind == "audio" {
            assert_eq!(e["data"]["media"]["voice"], json!(true), "{e}");
        }
        let (status, ct, got) = media_of(&live, &sid, e["data"]["id"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{kind}");
        assert_eq!(ct, extra["mimetype"].as_str().unwrap(), "{kind}");
        assert_eq!(got, bytes, "the received {kind} downloads byte-identical");
    }

    // In: location, contact and a poll, typed.
    let sent = live.phone_send(ALICE, json!({"to": ME, "location": {"latitude": 48.137, "longitude": 11.575, "name": "Munich"}})).await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    assert_eq!(e["data"]["type"], json!("location"), "{e}");
    assert_eq!(e["data"]["location"]["longitude"], json!(11.575));
    let sent = live
        .phone_send(
            ALICE,
            json!({"to": ME, "contact": {"name": "Carol", "phone": "4915100000077"}}),
        )
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    assert_eq!(e["data"]["type"], json!("contact"), "{e}");
    assert_eq!(e["data"]["contact"]["name"], json!("Carol"));
    assert_eq!(e["data"]["contact"]["phone"], json!("+4915100000077"));
    let sent = live
        .phone_send(
            ALICE,
            json!({"to": ME, "poll": {"name": "Movie?", "options": ["A", "B"]}}),
        )
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    assert_eq!(e["data"]["type"], json!("poll"), "{e}");
    assert_eq!(e["data"]["poll"]["name"], json!("Movie?"));

    // In: a text, then Alice reacts to our poll, votes in it, edits and deletes her text.
    let sent = live
        .phone_send(ALICE, json!({"to": ME, "text": "typo here"}))
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    let typo_id = e["data"]["id"].as_str().unwrap().to_string();
    let typo_wa = sent["id"].clone();
    live.phone_send(
        ALICE,
        json!({"to": ME, "reaction": {"id": poll["wa_id"], "sender": ME, "emoji": "👍"}}),
    )
    .await;
    let e = live.event(&sid, "message.reaction", |_| true, 15).await;
    assert_eq!(e["data"]["reaction"]["emoji"], json!("👍"), "{e}");
    assert_eq!(
        e["data"]["reaction"]["target"]["id"], poll["id"],
        "tied to our message: {e}"
    );
    assert_eq!(e["data"]["reaction"]["target"]["from_me"], json!(true));
    live.phone_send(
        ALICE,
        json!({"to": ME, "poll_vote": {"id": poll["wa_id"], "sender": ME, "options": ["Sushi"]}}),
    )
    .await;
    let e = live.event(&sid, "message.poll_vote", |_| true, 15).await;
    assert_eq!(e["data"]["poll_vote"]["target"]["id"], poll["id"], "{e}");
    assert_eq!(
        e["data"]["poll_vote"]["options"],
        json!(["Sushi"]),
        "the vote is opened: {e}"
    );
    live.phone_send(
        ALICE,
        json!({"to": ME, "edit": {"id": typo_wa, "text": "no typo"}}),
    )
    .await;
    let e = live.event(&sid, "message.edited", |_| true, 15).await;
    assert_eq!(e["data"]["edit"]["target"]["id"], json!(typo_id), "{e}");
    let m = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages/{typo_id}"),
            &live.key,
        )
        .await;
    assert_eq!(m.body["text"], json!("no typo"), "{}", m.text);
    assert!(m.body["edited_at"].is_string(), "{}", m.text);
    live.phone_send(ALICE, json!({"to": ME, "revoke": {"id": typo_wa}}))
        .await;
    live.event(
        &sid,
        "message.revoked",
        |e| e["data"]["revoke"]["target"]["id"] == json!(typo_id),
        15,
    )
    .await;
    let m = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages/{typo_id}"),
            &live.key,
        )
        .await;
    assert!(
        m.body["revoked_at"].is_string() && m.body["text"].is_null(),
        "{}",
        m.text
    );

    // Mark read and typing reach Alice's phone.
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/messages/{photo_id}/read"),
            &live.key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], json!("read"));
    let photo_wa = live
        .app
        .get(
            &format!("/api/v1/sessions/{sid}/messages/{photo_id}"),
            &live.key,
        )
        .await
        .body["wa_id"]
        .clone();
    live.phone_seen(
        ALICE,
        "receipts",
        "the read receipt",
        |r| r["id"] == photo_wa && r["type"] == json!("read"),
        15,
    )
    .await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/presence"),
            &live.key,
            json!({"state": "composing", "chat": to}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    live.phone_seen(
        ALICE,
        "chatstates",
        "typing",
        |c| c["state"] == json!("composing"),
        15,
    )
    .await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/presence"),
            &live.key,
            json!({"state": "available"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // Chats list the conversation with Alice.
    let chats = live
        .app
        .get(&format!("/api/v1/sessions/{sid}/chats"), &live.key)
        .await;
    let alice_chat = chats.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chat"] == json!(format!("{ALICE}@s.whatsapp.net")))
        .cloned();
    let alice_chat = alice_chat.unwrap_or_else(|| panic!("no chat with Alice: {}", chats.text));
    assert!(
        alice_chat["messages"].as_i64().unwrap() >= 10,
        "{alice_chat}"
    );
}

const BOB: &str = "4915100000023";
const CAROL: &str = "4915100000024";

/// A group of three sandbox accounts and the WARAS session: text and media both ways (sender
/// keys fanned out to every member), and participant changes as events.
async fn group_messages_both_ways(backend: Backend) {
    let (live, sid) = linked(backend).await;
    live.account(BOB, "Bob").await;
    live.account(CAROL, "Carol").await;
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/groups"),
            &live.key,
            json!({"subject": "Crew", "participants": [format!("+{ALICE}"), format!("+{BOB}")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let group = r.body["id"].as_str().unwrap().to_string();

    // Adding Carol raises a participants event.
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/groups/{group}/participants"),
            &live.key,
            json!({"action": "add", "participants": [format!("+{CAROL}")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let e = live
        .event(
            &sid,
            "group.participants",
            |e| e["data"]["action"] == json!("add"),
            15,
        )
        .await;
    assert_eq!(e["data"]["group"], json!(group), "{e}");
    let added: Vec<&Value> = e["data"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(
        added
            .iter()
            .any(|p| p["phone"] == json!(format!("{CAROL}@s.whatsapp.net"))),
        "{e}"
    );

    // Out: a text and an image reach all three phones.
    let text = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": group, "type": "text", "text": "hi crew"}),
            )
            .await,
    );
    let photo = png(30_000);
    let image = accepted(
        &live
            .post_message(&sid, json!({"to": group, "type": "image", "caption": "team photo", "image": {"data": B64.encode(&photo)}}))
            .await,
    );
    for phone in [ALICE, BOB, CAROL] {
        let got = live
            .phone_seen(
                phone,
                "messages",
                "the group text",
                alice_got(&text["wa_id"]),
                15,
            )
            .await;
        assert_eq!(got["chat"], json!(group), "{phone}: {got}");
        let got = live
            .phone_seen(
                phone,
                "messages",
                "the group image",
                alice_got(&image["wa_id"]),
                15,
            )
            .await;
        assert_eq!(got["chat"], json!(group), "{phone}: {got}");
        assert_eq!(
            B64.decode(got["media"]["data"].as_str().unwrap()).unwrap(),
            photo,
            "{phone}"
        );
    }

    // In: Bob's text and Carol's document arrive as group messages with their senders.
    let sent = live
        .phone_send(BOB, json!({"to": group, "text": "hi from Bob"}))
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    assert_eq!(e["data"]["chat"], json!(group), "{e}");
    assert_eq!(e["data"]["is_group"], json!(true));
    assert_eq!(e["data"]["text"], json!("hi from Bob"));
    assert_eq!(
        e["data"]["from_phone"],
        json!(format!("{BOB}@s.whatsapp.net")),
        "{e}"
    );
    let doc = pdf(40_000);
    let sent = live
        .phone_send(CAROL, json!({"to": group, "document": {"data": B64.encode(&doc), "mimetype": "application/pdf", "filename": "plan.pdf"}}))
        .await;
    let e = live
        .event(
            &sid,
            "message.received",
            |e| e["data"]["wa_id"] == sent["id"],
            15,
        )
        .await;
    assert_eq!(e["data"]["type"], json!("document"), "{e}");
    assert_eq!(e["data"]["media"]["filename"], json!("plan.pdf"));
    let (status, ct, bytes) = media_of(&live, &sid, e["data"]["id"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(bytes, doc, "the group document downloads byte-identical");

    // Removing Bob is an event too, and he gets no further messages.
    let r = live
        .app
        .post(
            &format!("/api/v1/sessions/{sid}/groups/{group}/participants"),
            &live.key,
            json!({"action": "remove", "participants": [format!("+{BOB}")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    live.event(
        &sid,
        "group.participants",
        |e| e["data"]["action"] == json!("remove"),
        15,
    )
    .await;
    let after = accepted(
        &live
            .post_message(
                &sid,
                json!({"to": group, "type": "text", "text": "without Bob"}),
            )
            .await,
    );
    live.phone_seen(
        CAROL,
        "messages",
        "the later text",
        alice_got(&after["wa_id"]),
        15,
    )
    .await;
    let (_, bob_inbox) = live
        .sandbox_call("GET", &format!("/sandbox/accounts/{BOB}/messages"), None)
        .await;
    assert!(
        !bob_inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == after["wa_id"]),
        "a removed member gets nothing: {bob_inbox}"
    );
}

on_both_backends!(media_out, rich_messages_both_ways, group_messages_both_ways);
