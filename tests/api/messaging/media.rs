//! Every media kind out to a sandbox phone, byte-identical there and in the session's store, and
//! bad media refused before anything is stored.

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;

use super::files::{mp4, multipart_send, ogg, pdf, png, serve_file, webp};
use super::{ALICE, linked, media_of, phone_media};
use crate::common::Backend;

pub async fn media_out(backend: Backend) {
    let sc = linked(backend).await;
    let to = format!("+{ALICE}");

    // An image inline, with caption and a mention.
    let image = png(40_000);
    let sent = sc
        .send(json!({"to": to, "type": "image", "caption": "look @Alice",
                     "mentions": [to], "image": {"data": B64.encode(&image)}}))
        .await;
    let got = sc.phone_got(ALICE, &sent).await;
    assert_eq!(got["type"], json!("image"), "{got}");
    assert_eq!(got["caption"], json!("look @Alice"));
    assert_eq!(got["media"]["mimetype"], json!("image/png"));
    assert_eq!(phone_media(&got), image, "byte-identical at the phone");
    assert_eq!(got["mentions"], json!([format!("{ALICE}@s.whatsapp.net")]));
    let (status, ct, bytes) = media_of(&sc, &sent["id"]).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(bytes, image);

    // A document by multipart upload, keeping its file name.
    let doc = pdf(60_000);
    let fields = [
        ("to", to.as_str()),
        ("type", "document"),
        ("caption", "the contract"),
    ];
    let (status, sent) =
        multipart_send(&sc, &fields, "contract.pdf", "application/pdf", &doc).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let got = sc.phone_got(ALICE, &sent).await;
    assert_eq!(got["type"], json!("document"), "{got}");
    assert_eq!(got["media"]["filename"], json!("contract.pdf"));
    assert_eq!(got["media"]["mimetype"], json!("application/pdf"));
    assert_eq!(phone_media(&got), doc);

    // A voice note fetched from a URL.
    let voice = ogg(30_000);
    let base = serve_file(voice.clone());
    let url = format!("{base}/voice.ogg");
    let sent = sc
        .send(json!({"to": to, "type": "audio", "audio": {"url": url, "voice": true}}))
        .await;
    let got = sc.phone_got(ALICE, &sent).await;
    assert_eq!(got["type"], json!("audio"), "{got}");
    assert_eq!(got["media"]["voice"], json!(true));
    assert_eq!(phone_media(&got), voice);

    // Video and sticker inline.
    for (kind, bytes, mime) in [
        ("video", mp4(50_000), "video/mp4"),
        ("sticker", webp(20_000), "image/webp"),
    ] {
        let sent = sc
            .send(json!({"to": to, "type": kind, kind: {"data": B64.encode(&bytes)}}))
            .await;
        let got = sc.phone_got(ALICE, &sent).await;
        assert_eq!(got["type"], json!(kind), "{got}");
        assert_eq!(got["media"]["mimetype"], json!(mime));
        assert_eq!(phone_media(&got), bytes, "{kind}");
    }

    // Bad media: too big, wrong type, unreachable URL, and nothing of them is stored.
    let before = sc.messages().await.len();
    let refused = [
        (
            json!({"image": {"data": B64.encode(png(300_000))}}),
            413,
            "payload_too_large",
        ),
        (
            json!({"type": "video", "video": {"data": B64.encode(png(1000))}}),
            415,
            "unsupported_media_type",
        ),
        (
            json!({"image": {"data": B64.encode(png(1000)), "mimetype": "image/jpeg"}}),
            415,
            "unsupported_media_type",
        ),
        (
            json!({"image": {"url": "http://127.0.0.1:9/none.png"}}),
            422,
            "media_unreachable",
        ),
        (
            json!({"image": {"url": format!("{base}/missing.png")}}),
            422,
            "media_unreachable",
        ),
        (json!({"image": {}}), 400, "invalid_request"),
    ];
    for (part, status, code) in refused {
        let mut body = json!({"to": to, "type": "image"});
        body.as_object_mut()
            .unwrap()
            .extend(part.as_object().unwrap().clone());
        let r = sc.post("/messages", body.clone()).await;
        assert_eq!(r.problem(status), code, "{body}");
    }
    let fields = [("to", to.as_str()), ("type", "image")];
    let (status, body) = multipart_send(&sc, &fields, "big.png", "image/png", &png(300_000)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{body}"
    );
    assert_eq!(
        before,
        sc.messages().await.len(),
        "refused sends store nothing"
    );
}
