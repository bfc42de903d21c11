//! Downloading and decrypting a received message's media through the engine.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use buffa::Message as _;
use serde::{Deserialize, Serialize};
use wacore::download::Downloadable;
use waproto::whatsapp as wa;
use whatsapp_rust::client::Client;

use super::{Refusal, b64};
use crate::domain::MessageKind;
use crate::engine::compose::EngineRef;
use crate::engine::http::EngineHttpError;

/// Code of the refusal when the file is larger than `media_max_bytes`.
pub const TOO_LARGE: u16 = 413;

/// A received message's file: its kind (`image`, `video`, …) and its stored engine reference,
/// which holds the media descriptor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadMedia {
    pub kind: String,
    pub engine_ref: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MediaBytes {
    #[serde(with = "b64")]
    pub data: Vec<u8>,
}

impl DownloadMedia {
    pub(super) const WHAT: &'static str = "media";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<MediaBytes, Refusal> {
        let encoded = EngineRef::parse(self.engine_ref.as_deref())
            .media
            .and_then(|b| B64.decode(b).ok())
            .ok_or_else(|| Refusal::failed("the media descriptor of this message is gone"))?;
        let bad = |e: buffa::DecodeError| Refusal::failed(format!("bad media descriptor: {e}"));
        let Some(kind) = MessageKind::parse(&self.kind) else {
            return Err(Refusal::failed("this message has no media"));
        };
        let data = match kind {
            MessageKind::Image => {
                fetch(
                    c,
                    wa::message::ImageMessage::decode_from_slice(&encoded).map_err(bad)?,
                )
                .await
            }
            MessageKind::Video => {
                fetch(
                    c,
                    wa::message::VideoMessage::decode_from_slice(&encoded).map_err(bad)?,
                )
                .await
            }
            MessageKind::Audio => {
                fetch(
                    c,
                    wa::message::AudioMessage::decode_from_slice(&encoded).map_err(bad)?,
                )
                .await
            }
            MessageKind::Document => {
                fetch(
                    c,
                    wa::message::DocumentMessage::decode_from_slice(&encoded).map_err(bad)?,
                )
                .await
            }
            MessageKind::Sticker => {
                fetch(
                    c,
                    wa::message::StickerMessage::decode_from_slice(&encoded).map_err(bad)?,
                )
                .await
            }
            MessageKind::Text
            | MessageKind::Location
            | MessageKind::Contact
            | MessageKind::Reaction
            | MessageKind::Poll
            | MessageKind::PollVote
            | MessageKind::Edit
            | MessageKind::Revoke => return Err(Refusal::failed("this message has no media")),
        };
        data.map(|data| MediaBytes { data })
    }
}

/// A download that failed names no URL, host or hash (they are the sender's choice): only
/// "too large" keeps its meaning.
async fn fetch<M: Downloadable + Sync>(c: &Arc<Client>, media: M) -> Result<Vec<u8>, Refusal> {
    c.download(&media).await.map_err(|e| {
        log::debug!("media download failed: {e:#}");
        match e.chain().find_map(|c| c.downcast_ref::<EngineHttpError>()) {
            Some(EngineHttpError::TooLarge { .. }) => Refusal {
                code: Some(TOO_LARGE),
                detail: "the file is larger than the media limit".into(),
            },
            _ => Refusal::failed("the file could not be downloaded from WhatsApp's media host"),
        }
    })
}
