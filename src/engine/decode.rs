//! Reading a received WhatsApp message into WARAS's typed [`Content`]: which kind it is, what a
//! user needs to see, and (in [`EngineRef`]) what is needed to download its media or decrypt its
//! poll votes later.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use buffa::Message as _;
use wacore::proto_helpers::MessageExt;
use waproto::whatsapp as wa;

use super::compose::EngineRef;
use crate::domain::{
    ContactCard, Content, Edit, EventType, Location, MediaInfo, MessageKind, MessageRef, Poll,
    PollVote, Reaction, Revoke,
};

/// A received message as WARAS records it.
pub struct Decoded {
    pub kind: MessageKind,
    pub content: Content,
    pub engine_ref: EngineRef,
}

impl Decoded {
    /// The event a received message of this kind raises.
    pub fn event_type_of(kind: MessageKind) -> EventType {
        kind.received_event()
    }
}

/// Where the message came from, to fill in the chat of the message an add-on points at.
pub struct Origin<'a> {
    pub chat: &'a str,
    pub sender: &'a str,
}

/// Decodes the user-visible content; `None` for messages WARAS does not record (protocol
/// housekeeping such as key shares and history-sync notices).
pub fn decode(message: &wa::Message, origin: &Origin<'_>) -> Option<Decoded> {
    let m = message.get_base_message();
    let mut engine_ref = EngineRef::default();
    let (kind, mut content) = if let Some(text) = &m.conversation {
        (MessageKind::Text, Content::text(text.clone()))
    } else if let Some(ext) = m.extended_text_message.as_option() {
        (
            MessageKind::Text,
            Content::text(ext.text.clone().unwrap_or_default()),
        )
    } else if let Some(found) = media_of(m, &mut engine_ref) {
        found
    } else if let Some(found) = shared_of(message, m, &mut engine_ref) {
        found
    } else {
        addon_of(m, origin)?
    };
    if let Some(ctx) = context_of(m) {
        with_context(&mut content, ctx, origin);
    }
    Some(Decoded {
        kind,
        content,
        engine_ref,
    })
}

/// An image, video, audio, document or sticker: its description, and the engine's own record
/// of it (for downloading) in `engine_ref`.
fn media_of(m: &wa::Message, engine_ref: &mut EngineRef) -> Option<(MessageKind, Content)> {
    if let Some(img) = m.image_message.as_option() {
        engine_ref.media = Some(B64.encode(img.encode_to_vec()));
        let info = media_info(
            &img.mimetype,
            img.file_length,
            &img.file_sha256,
            None,
            false,
        );
        Some((MessageKind::Image, with_media(info, img.caption.clone())))
    } else if let Some(v) = m.video_message.as_option() {
        engine_ref.media = Some(B64.encode(v.encode_to_vec()));
        let info = media_info(&v.mimetype, v.file_length, &v.file_sha256, None, false);
        Some((MessageKind::Video, with_media(info, v.caption.clone())))
    } else if let Some(a) = m.audio_message.as_option() {
        engine_ref.media = Some(B64.encode(a.encode_to_vec()));
        let voice = a.ptt.unwrap_or(false);
        let info = media_info(&a.mimetype, a.file_length, &a.file_sha256, None, voice);
        Some((MessageKind::Audio, with_media(info, None)))
    } else if let Some(d) = m.document_message.as_option() {
        engine_ref.media = Some(B64.encode(d.encode_to_vec()));
        let info = media_info(
            &d.mimetype,
            d.file_length,
            &d.file_sha256,
            d.file_name.clone(),
            false,
        );
        Some((MessageKind::Document, with_media(info, d.caption.clone())))
    } else if let Some(s) = m.sticker_message.as_option() {
        engine_ref.media = Some(B64.encode(s.encode_to_vec()));
        let info = media_info(&s.mimetype, s.file_length, &s.file_sha256, None, false);
        Some((MessageKind::Sticker, with_media(info, None)))
    } else {
        None
    }
}

/// A location, contact card or poll (whose secret, needed to read votes, goes in `engine_ref`).
fn shared_of(
    message: &wa::Message,
    m: &wa::Message,
    engine_ref: &mut EngineRef,
) -> Option<(MessageKind, Content)> {
    let found = if let Some(l) = m.location_message.as_option() {
        let location = Location {
            latitude: coordinate(l.degrees_latitude),
            longitude: coordinate(l.degrees_longitude),
            name: l.name.clone(),
            address: l.address.clone(),
        };
        (
            MessageKind::Location,
            Content {
                location: Some(location),
                ..Content::default()
            },
        )
    } else if let Some(c) = m.contact_message.as_option() {
        let vcard = c.vcard.clone().unwrap_or_default();
        let card = ContactCard {
            name: c.display_name.clone().unwrap_or_default(),
            phone: vcard_phone(&vcard),
            vcard,
        };
        (
            MessageKind::Contact,
            Content {
                contact: Some(card),
                ..Content::default()
            },
        )
    } else if let Some(p) = m
        .poll_creation_message
        .as_option()
        .or(m.poll_creation_message_v2.as_option())
        .or(m.poll_creation_message_v3.as_option())
    {
        if let Some(secret) = message
            .message_context_info
            .as_option()
            .or(m.message_context_info.as_option())
            .and_then(|c| c.message_secret.as_ref())
        {
            engine_ref.poll_secret = Some(B64.encode(secret));
        }
        let poll = Poll {
            name: p.name.clone().unwrap_or_default(),
            options: p
                .options
                .iter()
                .filter_map(|o| o.option_name.clone())
                .collect(),
            selectable_count: p.selectable_options_count.unwrap_or(0),
        };
        (
            MessageKind::Poll,
            Content {
                poll: Some(poll),
                ..Content::default()
            },
        )
    } else {
        return None;
    };
    Some(found)
}

/// A reaction, poll vote, revoke or edit: an add-on pointing at another message.
fn addon_of(m: &wa::Message, origin: &Origin<'_>) -> Option<(MessageKind, Content)> {
    let found = if let Some(r) = m.reaction_message.as_option() {
        let target = target_ref(r.key.as_option(), origin)?;
        let reaction = Reaction {
            emoji: r.text.clone().unwrap_or_default(),
            target,
        };
        (
            MessageKind::Reaction,
            Content {
                reaction: Some(reaction),
                ..Content::default()
            },
        )
    } else if let Some(u) = m.poll_update_message.as_option() {
        let target = target_ref(u.poll_creation_message_key.as_option(), origin)?;
        (
            MessageKind::PollVote,
            Content {
                poll_vote: Some(PollVote {
                    target,
                    options: None,
                }),
                ..Content::default()
            },
        )
    } else if let Some(p) = m.protocol_message.as_option() {
        use wa::message::protocol_message::Type;
        let target = target_ref(p.key.as_option(), origin)?;
        match p.r#type {
            Some(Type::Revoke) => (
                MessageKind::Revoke,
                Content {
                    revoke: Some(Revoke { target }),
                    ..Content::default()
                },
            ),
            Some(Type::MessageEdit) => {
                let text = p
                    .edited_message
                    .as_option()
                    .and_then(|e| e.text_content().or(e.get_caption()).map(str::to_string))
                    .unwrap_or_default();
                (
                    MessageKind::Edit,
                    Content {
                        edit: Some(Edit { target, text }),
                        ..Content::default()
                    },
                )
            }
            _ => return None,
        }
    } else {
        return None;
    };
    Some(found)
}

/// Mentions, and the message this one quotes.
fn with_context(content: &mut Content, ctx: &wa::ContextInfo, origin: &Origin<'_>) {
    content.mentions = ctx.mentioned_jid.clone();
    if let Some(stanza) = &ctx.stanza_id {
        let sender = ctx.participant.clone();
        content.quoted = Some(MessageRef {
            id: None,
            wa_id: stanza.clone(),
            chat: ctx
                .remote_jid
                .clone()
                .unwrap_or_else(|| origin.chat.to_string()),
            from_me: false,
            sender,
            text: ctx
                .quoted_message
                .as_option()
                .and_then(|q| q.text_content().or(q.get_caption()).map(str::to_string)),
        });
    }
}

/// A sender can put NaN or infinity on the wire; JSON has no such numbers, so the stored body would
/// not read back and the whole message would show as empty. Unknown stands in as 0.
fn coordinate(raw: Option<f64>) -> f64 {
    raw.filter(|v| v.is_finite()).unwrap_or_default()
}

fn with_media(media: MediaInfo, caption: Option<String>) -> Content {
    Content {
        media: Some(media),
        caption,
        ..Content::default()
    }
}

fn media_info(
    mimetype: &Option<String>,
    size: Option<u64>,
    sha256: &Option<Vec<u8>>,
    filename: Option<String>,
    voice: bool,
) -> MediaInfo {
    MediaInfo {
        mimetype: mimetype
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
        size: size.unwrap_or(0),
        filename,
        sha256: sha256.as_ref().map(hex::encode),
        voice,
    }
}

/// The context (reply, mentions) of whichever content the message carries.
fn context_of(m: &wa::Message) -> Option<&wa::ContextInfo> {
    m.extended_text_message
        .as_option()
        .and_then(|x| x.context_info.as_option())
        .or_else(|| {
            m.image_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.video_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.audio_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.document_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.sticker_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.location_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
        .or_else(|| {
            m.contact_message
                .as_option()
                .and_then(|x| x.context_info.as_option())
        })
}

/// The message a reaction, vote, edit or revoke points at. `from_me` in the key is from the
/// sender's point of view: their own message means not ours.
fn target_ref(key: Option<&wa::MessageKey>, origin: &Origin<'_>) -> Option<MessageRef> {
    let key = key?;
    let senders_own = key.from_me.unwrap_or(false);
    Some(MessageRef {
        id: None,
        wa_id: key.id.clone()?,
        chat: origin.chat.to_string(),
        // In a 1:1 chat the other side's message is ours; in a group it is resolved against
        // the stored messages when the add-on is recorded.
        from_me: !senders_own && !origin.chat.ends_with("@g.us"),
        sender: if senders_own {
            Some(origin.sender.to_string())
        } else {
            key.participant.clone()
        },
        text: None,
    })
}

/// The first `TEL` of a vCard, as digits with a leading `+`.
fn vcard_phone(vcard: &str) -> Option<String> {
    let line = vcard
        .lines()
        .find(|l| l.to_ascii_uppercase().starts_with("TEL"))?;
    let value = line.rsplit(':').next()?;
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("+{digits}"))
}
