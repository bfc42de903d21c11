//! Every media kind one to one and in a group: encrypted on the media host, byte-identical after
//! the phone's or the companion's download.

use serde_json::json;
use sha2::{Digest, Sha256};
use wacore_binary::Jid;

use super::engine_media::{companion_download, direct_path_of, engine_media};
use super::{b64, payload, unb64};
use crate::sandbox_support::{linked, truncate};

const ANA: &str = "15550001001";
const BO: &str = "15550001002";
const CY: &str = "15550001003";

#[actix_web::test]
async fn every_media_kind_round_trips_one_to_one_and_in_a_group() {
    let (sandbox, admin, mut a) = linked(&[(ANA, "Ana"), (BO, "Bo"), (CY, "Cy")]).await;
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
            .send_message(Jid::pn(BO), message)
            .await
            .expect("send media");
        let got = admin.inbox_entry(BO, &sent.message_id).await;
        let expected_type = if *kind == "voice" { "audio" } else { kind };
        assert_eq!(got["type"], expected_type, "{kind}: {}", truncate(&got));
        assert_eq!(got["from"], "15550001001@s.whatsapp.net");
        let media = &got["media"];
        let downloaded = unb64(media["data"].as_str().expect("downloaded data"));
        assert_eq!(
            downloaded, data,
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
        let mut body = json!({ "to": ANA });
        body[field] = media;
        if *kind == "video" {
            body["caption"] = json!("a video");
        }
        let id = admin.send_as(BO, body).await;
        let downloaded = companion_download(&mut a, &id).await;
        assert_eq!(downloaded, data, "{kind} bytes differ at the companion");
    }

    // A group of three accounts plus A's companion: media fans out to every member device.
    let gid = a.create_group("Media crew", &[BO, CY]).await;
    let picture = payload(7, 90_000);
    let message = engine_media(&client, "image", picture.clone()).await;
    let sent = client
        .send_message(gid.clone(), message)
        .await
        .expect("send image to group");
    for member in [BO, CY] {
        let got = admin.inbox_entry(member, &sent.message_id).await;
        assert_eq!(got["chat"], gid.to_string());
        assert_eq!(got["participant"], "15550001001@s.whatsapp.net");
        assert_eq!(unb64(got["media"]["data"].as_str().expect("data")), picture);
    }
    let doc = payload(9, 33_333);
    let document =
        json!({ "to": gid.to_string(), "document": { "data": b64(&doc), "filename": "g.bin" } });
    let id = admin.send_as(CY, document).await;
    assert_eq!(companion_download(&mut a, &id).await, doc);
    let got = admin.inbox_entry(BO, &id).await;
    assert_eq!(got["type"], "document");
    assert_eq!(got["participant"], "15550001003@s.whatsapp.net");
    assert_eq!(unb64(got["media"]["data"].as_str().expect("data")), doc);
    sandbox.stop().await;
}
