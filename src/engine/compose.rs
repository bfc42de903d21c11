//! Turning a stored outgoing message (its type and [`Content`]) into the WhatsApp message the
//! engine sends. Media is uploaded (encrypted by the engine) right before the send.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use wacore::download::MediaType;
use wacore::proto_helpers::{MessageBuilderExt, MessageExt};
use waproto::whatsapp as wa;
use whatsapp_rust::client::Client;
use whatsapp_rust::media::{self, AudioOptions, DocumentOptions, ImageOptions, VideoOptions};
use whatsapp_rust::upload::{UploadOptions, UploadResponse};

use crate::domain::{Content, MessageKind, MessageRef};

/// What the engine needs to act on a message again (the `engine_ref` column); never shown to
/// API users.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineRef {
    /// The stored file a sent message uploads (`media` table id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A received media message's encrypted-media descriptor: base64 of the encoded sub-message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// Base64 of a poll's message secret (its votes are encrypted with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_secret: Option<String>,
}

impl EngineRef {
    pub fn parse(raw: Option<&str>) -> Self {
        raw.and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn poll_secret(&self) -> Option<Vec<u8>> {
        self.poll_secret.as_ref().and_then(|s| B64.decode(s).ok())
    }
}

/// The WhatsApp message id of a new outgoing message, as WhatsApp Web makes them (derived from
/// the account's JID and the time): chosen at accept time, so a retried send keeps its id.
pub fn new_message_id(me_phone_jid: Option<&str>, now_ms: i64) -> String {
    let me = me_phone_jid.and_then(|j| j.parse().ok());
    wacore::request::RequestUtils::message_id_at(me.as_ref(), (now_ms / 1000) as u64)
}

/// A new poll secret (32 random bytes), generated when the poll is accepted so every retry
/// sends the same poll.
pub fn new_poll_secret() -> String {
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    B64.encode(secret)
}

/// Builds the message of `kind` from `content`; `file` holds the bytes of a media message.
pub async fn compose(
    client: &Arc<Client>,
    kind: MessageKind,
    content: &Content,
    file: Option<Vec<u8>>,
    engine_ref: &EngineRef,
) -> Result<wa::Message, String> {
    let context = context_info(content);
    let mut message = match kind {
        MessageKind::Text => wa::Message::text(content.text.clone().unwrap_or_default()),
        MessageKind::Image
        | MessageKind::Video
        | MessageKind::Audio
        | MessageKind::Document
        | MessageKind::Sticker => media_message(client, kind, content, file).await?,
        MessageKind::Location => {
            let l = content.location.clone().ok_or("the location is missing")?;
            wa::Message {
                location_message: buffa::MessageField::some(wa::message::LocationMessage {
                    degrees_latitude: Some(l.latitude),
                    degrees_longitude: Some(l.longitude),
                    name: l.name,
                    address: l.address,
                    ..Default::default()
                }),
                ..Default::default()
            }
        }
        MessageKind::Contact => {
            let c = content
                .contact
                .clone()
                .ok_or("the contact card is missing")?;
            wa::Message {
                contact_message: buffa::MessageField::some(wa::message::ContactMessage {
                    display_name: Some(c.name),
                    vcard: Some(c.vcard),
                    ..Default::default()
                }),
                ..Default::default()
            }
        }
        MessageKind::Poll => {
            let p = content.poll.clone().ok_or("the poll is missing")?;
            let secret = engine_ref
                .poll_secret()
                .ok_or("the poll secret is missing")?;
            poll_message(&p.name, &p.options, p.selectable_count, secret)
        }
        MessageKind::Reaction => {
            let r = content.reaction.clone().ok_or("the reaction is missing")?;
            wacore::proto_helpers::build_reaction_message(
                message_key(&r.target),
                r.emoji,
                chrono::Utc::now().timestamp_millis(),
            )
        }
        MessageKind::Edit => {
            let e = content.edit.clone().ok_or("the edit is missing")?;
            protocol_message(
                &e.target,
                wa::message::protocol_message::Type::MessageEdit,
                Some(wa::Message::text(e.text)),
            )
        }
        MessageKind::Revoke => {
            let r = content.revoke.clone().ok_or("the revoke is missing")?;
            protocol_message(&r.target, wa::message::protocol_message::Type::Revoke, None)
        }
        MessageKind::PollVote => return Err("a poll vote is never sent".into()),
    };
    if let Some(context) = context {
        message.set_context_info(context);
    }
    Ok(message)
}

/// Uploads `file` and builds the media message of `kind` around it.
async fn media_message(
    client: &Arc<Client>,
    kind: MessageKind,
    content: &Content,
    file: Option<Vec<u8>>,
) -> Result<wa::Message, String> {
    let info = content
        .media
        .clone()
        .ok_or("the media description is missing")?;
    let data = file.ok_or("the media file is missing")?;
    let media_type = match kind {
        MessageKind::Image => MediaType::Image,
        MessageKind::Video => MediaType::Video,
        MessageKind::Audio => MediaType::Audio,
        MessageKind::Sticker => MediaType::Sticker,
        _ => MediaType::Document,
    };
    let upload = client
        .upload(data, media_type, UploadOptions::default())
        .await
        .map_err(|e| format!("media upload failed: {e}"))?;
    let caption = content.caption.clone();
    let mimetype = Some(info.mimetype.clone());
    Ok(match kind {
        MessageKind::Image => media::image_message(
            upload,
            ImageOptions {
                caption,
                mimetype,
                ..Default::default()
            },
        ),
        MessageKind::Video => media::video_message(
            upload,
            VideoOptions {
                caption,
                mimetype,
                ..Default::default()
            },
        ),
        MessageKind::Audio => media::audio_message(
            upload,
            AudioOptions {
                mimetype,
                ptt: Some(info.voice),
                ..Default::default()
            },
        ),
        MessageKind::Sticker => sticker_message(upload, info.mimetype),
        _ => media::document_message(
            upload,
            DocumentOptions {
                mimetype,
                title: info.filename.clone(),
                file_name: info.filename,
                caption,
                ..Default::default()
            },
        ),
    })
}

fn context_info(content: &Content) -> Option<wa::ContextInfo> {
    if content.quoted.is_none() && content.mentions.is_empty() {
        return None;
    }
    let mut ctx = match &content.quoted {
        Some(q) => {
            let quoted = wa::Message::text(q.text.clone().unwrap_or_default());
            let mut ctx = wacore::proto_helpers::build_quote_context(
                q.wa_id.clone(),
                q.sender.clone().unwrap_or_default(),
                &quoted,
            );
            if q.sender.is_none() {
                ctx.participant = None;
            }
            ctx
        }
        None => wa::ContextInfo::default(),
    };
    ctx.mentioned_jid = content.mentions.clone();
    Some(ctx)
}

/// The key of the message a reaction, edit or revoke points at.
fn message_key(target: &MessageRef) -> wa::MessageKey {
    let group = target.chat.ends_with("@g.us");
    wa::MessageKey {
        remote_jid: Some(target.chat.clone()),
        from_me: Some(target.from_me),
        id: Some(target.wa_id.clone()),
        participant: if group && !target.from_me {
            target.sender.clone()
        } else {
            None
        },
    }
}

fn protocol_message(
    target: &MessageRef,
    kind: wa::message::protocol_message::Type,
    edited: Option<wa::Message>,
) -> wa::Message {
    wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            key: buffa::MessageField::some(message_key(target)),
            r#type: Some(kind),
            edited_message: edited.map(buffa::MessageField::some).unwrap_or_default(),
            timestamp_ms: Some(chrono::Utc::now().timestamp_millis()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn sticker_message(upload: UploadResponse, mimetype: String) -> wa::Message {
    wa::Message {
        sticker_message: buffa::MessageField::some(wa::message::StickerMessage {
            url: Some(upload.url),
            direct_path: Some(upload.direct_path),
            media_key: Some(upload.media_key.to_vec()),
            file_sha256: Some(upload.file_sha256.to_vec()),
            file_enc_sha256: Some(upload.file_enc_sha256.to_vec()),
            file_length: Some(upload.file_length),
            media_key_timestamp: Some(upload.media_key_timestamp),
            mimetype: Some(mimetype),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A poll as WhatsApp Web sends it: single-choice polls as v3, others as v1, with the secret
/// voters derive their vote keys from.
fn poll_message(name: &str, options: &[String], selectable: u32, secret: Vec<u8>) -> wa::Message {
    let poll = wa::message::PollCreationMessage {
        name: Some(name.to_string()),
        options: options
            .iter()
            .map(|o| wa::message::poll_creation_message::Option {
                option_name: Some(o.clone()),
                option_hash: Some(hex::encode(wacore::poll::compute_option_hash(o))),
            })
            .collect(),
        selectable_options_count: Some(selectable),
        ..Default::default()
    };
    let mut message = wa::Message::default();
    if selectable == 1 {
        message.poll_creation_message_v3 = buffa::MessageField::some(poll);
    } else {
        message.poll_creation_message = buffa::MessageField::some(poll);
    }
    message.message_context_info = buffa::MessageField::some(wa::MessageContextInfo {
        message_secret: Some(secret),
        ..Default::default()
    });
    message
}
