//! Media with the engine's own calls: a message of each kind uploaded by a companion, and a
//! companion's download of one it received.

use waproto::whatsapp as wa;
use whatsapp_rust::download::MediaType;
use whatsapp_rust::media;
use whatsapp_rust::upload::UploadOptions;

use crate::sandbox_support::Companion;

/// The engine message for each kind, uploaded by `client`.
pub async fn engine_media(
    client: &whatsapp_rust::Client,
    kind: &str,
    data: Vec<u8>,
) -> wa::Message {
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
pub async fn companion_download(c: &mut Companion, id: &str) -> Vec<u8> {
    let msg = c.message(id).await.message;
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

/// Where the media host keeps an image's or a document's blob.
pub fn direct_path_of(m: &wa::Message) -> Option<String> {
    let image = m
        .image_message
        .as_option()
        .and_then(|x| x.direct_path.clone());
    image.or_else(|| {
        m.document_message
            .as_option()
            .and_then(|x| x.direct_path.clone())
    })
}
