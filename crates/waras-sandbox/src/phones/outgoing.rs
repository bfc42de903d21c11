//! What a phone can send for the admin API: text, media (uploaded encrypted to the media host by
//! the phone's engine client), location, contact cards, reactions, polls and votes, edits and
//! revokes, with replies and mentions.

use anyhow::{Context as _, Result, anyhow, bail};
use wacore::download::MediaType;
use wacore_binary::Jid;
use waproto::whatsapp as wa;
use whatsapp_rust::Client;
use whatsapp_rust::media::{self, AudioOptions, DocumentOptions, ImageOptions, VideoOptions};
use whatsapp_rust::upload::UploadOptions;

use crate::net::core::Core;
use crate::net::records::KnownPoll;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

pub(crate) struct MediaContent {
    pub kind: MediaKind,
    pub data: Vec<u8>,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    pub voice: bool,
    pub caption: Option<String>,
    pub forged: Forged,
}

/// Fields of a media message written over what the upload produced, the way a modified client
/// could: where the receiver's engine downloads from, and the size it is told.
#[derive(Default)]
pub(crate) struct Forged {
    pub url: Option<String>,
    pub static_url: Option<String>,
    pub direct_path: Option<String>,
    pub file_length: Option<u64>,
}

impl Forged {
    fn apply(self, message: &mut wa::Message) {
        macro_rules! forge {
            ($field:ident $(, $static_url:ident)?) => {
                if let Some(m) = message.$field.as_option_mut() {
                    if self.url.is_some() {
                        m.url = self.url.clone();
                    }
                    if self.direct_path.is_some() {
                        m.direct_path = self.direct_path.clone();
                    }
                    if self.file_length.is_some() {
                        m.file_length = self.file_length;
                    }
                    $(if self.static_url.is_some() {
                        m.$static_url = self.static_url.clone();
                    })?
                }
            };
        }
        forge!(image_message, static_url);
        forge!(video_message, static_url);
        forge!(audio_message);
        forge!(document_message);
        forge!(sticker_message);
    }
}

/// The one kind of content a send carries.
pub(crate) enum Content {
    Text(String),
    Media(MediaContent),
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Contact {
        name: String,
        phone: String,
    },
    Reaction {
        id: String,
        sender: Jid,
        emoji: String,
    },
    Poll {
        name: String,
        options: Vec<String>,
        selectable_count: u32,
    },
    PollVote {
        id: String,
        sender: Jid,
        options: Vec<String>,
    },
    Edit {
        id: String,
        text: String,
    },
    Revoke {
        id: String,
        /// Someone else's message (a group admin's revoke); `None`: the phone's own.
        sender: Option<Jid>,
    },
}

/// Reply and mentions, for the kinds that carry a context.
#[derive(Default)]
pub(crate) struct Context {
    /// The quoted message's id and its sender.
    pub reply_to: Option<(String, Jid)>,
    pub mentions: Vec<Jid>,
}

/// Sends `content` from `client` (the phone of `own`) to `to`; returns the new message's id.
pub(crate) async fn send(
    core: &Core,
    client: &Client,
    own: &Jid,
    to: Jid,
    content: Content,
    ctx: Context,
) -> Result<String> {
    let context_info = context_info(core, &to, &ctx);
    let message = match content {
        Content::Text(text) => text_message(text, context_info),
        Content::Media(m) => media_message(client, m, context_info).await?,
        Content::Location {
            latitude,
            longitude,
            name,
            address,
        } => wa::Message {
            location_message: buffa::MessageField::some(wa::message::LocationMessage {
                degrees_latitude: Some(latitude),
                degrees_longitude: Some(longitude),
                name,
                address,
                context_info: context_info.map(|c| *c).into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Content::Contact { name, phone } => wa::Message {
            contact_message: buffa::MessageField::some(wa::message::ContactMessage {
                vcard: Some(vcard(&name, &phone)),
                display_name: Some(name),
                context_info: context_info.map(|c| *c).into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Content::Reaction { id, sender, emoji } => {
            return send_reaction(client, own, to, &id, &sender, &emoji).await;
        }
        Content::Poll {
            name,
            options,
            selectable_count,
        } => return create_poll(core, client, own, to, &name, options, selectable_count).await,
        Content::PollVote {
            id,
            sender,
            options,
        } => return vote(core, client, own, to, &id, &sender, &options).await,
        Content::Edit { id, text } => edit_message(&to, own, &id, text),
        Content::Revoke { id, sender } => revoke_message(&to, own, &id, sender.as_ref()),
    };
    // The stanza's edit attribute and meta node are inferred from the content by the engine.
    let sent = client
        .send_message(to, message)
        .await
        .map_err(|e| anyhow!("phone send failed: {e}"))?;
    Ok(sent.message_id)
}

/// A text message: a plain conversation, or an extended text when it replies or mentions.
fn text_message(text: String, context_info: Option<Box<wa::ContextInfo>>) -> wa::Message {
    match context_info {
        Some(ci) => wa::Message {
            extended_text_message: buffa::MessageField::some(wa::message::ExtendedTextMessage {
                text: Some(text),
                context_info: buffa::MessageField::some(*ci),
                ..Default::default()
            }),
            ..Default::default()
        },
        None => wa::Message {
            conversation: Some(text),
            ..Default::default()
        },
    }
}

/// Reacts with `emoji` to message `id` that `sender` sent in `to`; returns the reaction's id.
async fn send_reaction(
    client: &Client,
    own: &Jid,
    to: Jid,
    id: &str,
    sender: &Jid,
    emoji: &str,
) -> Result<String> {
    let key = message_key(&to, own, id, sender);
    let sent = client
        .send_reaction(to, key, emoji)
        .await
        .map_err(|e| anyhow!("sending the reaction failed: {e}"))?;
    Ok(sent.message_id)
}

/// Creates a poll in `to` and remembers its secret, so the phone can vote on it and read the
/// votes; returns the poll's id.
async fn create_poll(
    core: &Core,
    client: &Client,
    own: &Jid,
    to: Jid,
    name: &str,
    options: Vec<String>,
    selectable_count: u32,
) -> Result<String> {
    let (sent, secret) = client
        .polls()
        .create(to, name, &options, selectable_count)
        .await
        .map_err(|e| anyhow!("creating the poll failed: {e}"))?;
    core.lock_net().polls.insert(
        sent.message_id.clone(),
        KnownPoll {
            secret,
            creator: own.to_non_ad(),
            options,
        },
    );
    Ok(sent.message_id)
}

/// Votes `options` on poll `id` that `sender` created in `to` (the poll must be known to the
/// phone); returns the vote's id.
async fn vote(
    core: &Core,
    client: &Client,
    own: &Jid,
    to: Jid,
    id: &str,
    sender: &Jid,
    options: &[String],
) -> Result<String> {
    let known = core
        .read_net()
        .polls
        .get(id)
        .cloned()
        .ok_or_else(|| anyhow!("poll {id} is unknown to this phone"))?;
    let creator = if sender.user == own.user {
        known.creator.clone()
    } else {
        sender.to_non_ad()
    };
    let sent = client
        .polls()
        .vote(to, id, &creator, &known.secret, options)
        .await
        .map_err(|e| anyhow!("voting failed: {e}"))?;
    Ok(sent.message_id)
}

/// An edit of the phone's own message `id` in `chat`, with `text` as the new content.
fn edit_message(chat: &Jid, own: &Jid, id: &str, text: String) -> wa::Message {
    let participant =
        (chat.server == wacore_binary::Server::Group).then(|| own.to_non_ad().to_string());
    protocol(
        chat,
        id,
        participant,
        wa::message::protocol_message::Type::MessageEdit,
        Some(wa::Message {
            conversation: Some(text),
            ..Default::default()
        }),
    )
}

/// A revoke of message `id` in `chat`: the phone's own, or `sender`'s (a group admin's revoke).
fn revoke_message(chat: &Jid, own: &Jid, id: &str, sender: Option<&Jid>) -> wa::Message {
    let mut message = protocol(
        chat,
        id,
        None,
        wa::message::protocol_message::Type::Revoke,
        None,
    );
    if let (Some(sender), Some(p)) = (sender, message.protocol_message.as_option_mut()) {
        p.key = buffa::MessageField::some(message_key(chat, own, id, sender));
    }
    message
}

/// An edit or revoke of the phone's own message `id` in `chat`.
fn protocol(
    chat: &Jid,
    id: &str,
    participant: Option<String>,
    kind: wa::message::protocol_message::Type,
    edited: Option<wa::Message>,
) -> wa::Message {
    wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            key: buffa::MessageField::some(wa::MessageKey {
                remote_jid: Some(chat.to_string()),
                from_me: Some(true),
                id: Some(id.to_string()),
                participant,
            }),
            r#type: Some(kind),
            edited_message: edited.into(),
            timestamp_ms: Some(chrono::Utc::now().timestamp_millis()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The key of message `id` that `sender` sent in `chat`, as seen by the phone `own`.
fn message_key(chat: &Jid, own: &Jid, id: &str, sender: &Jid) -> wa::MessageKey {
    let from_me = sender.user == own.user;
    wa::MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(from_me),
        id: Some(id.to_string()),
        participant: (chat.server == wacore_binary::Server::Group && !from_me)
            .then(|| sender.to_non_ad().to_string()),
    }
}

/// `contextInfo` for a reply and mentions; the quoted text comes from the phone's inbox when the
/// phone received the quoted message.
fn context_info(core: &Core, chat: &Jid, ctx: &Context) -> Option<Box<wa::ContextInfo>> {
    if ctx.reply_to.is_none() && ctx.mentions.is_empty() {
        return None;
    }
    let mut ci = wa::ContextInfo {
        mentioned_jid: ctx
            .mentions
            .iter()
            .map(|j| j.to_non_ad().to_string())
            .collect(),
        ..Default::default()
    };
    if let Some((id, sender)) = &ctx.reply_to {
        ci.stanza_id = Some(id.clone());
        ci.participant = Some(sender.to_non_ad().to_string());
        if chat.server == wacore_binary::Server::Group {
            ci.remote_jid = Some(chat.to_string());
        }
        let quoted_text = {
            let net = core.read_net();
            net.accounts
                .values()
                .flat_map(|a| a.inbox.iter())
                .find(|m| m.id == *id)
                .and_then(|m| m.text.clone())
        };
        ci.quoted_message = buffa::MessageField::some(wa::Message {
            conversation: Some(quoted_text.unwrap_or_default()),
            ..Default::default()
        });
    }
    Some(Box::new(ci))
}

fn vcard(name: &str, phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!(
        "BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nTEL;type=CELL;type=VOICE;waid={digits}:+{digits}\nEND:VCARD"
    )
}

async fn media_message(
    client: &Client,
    m: MediaContent,
    context_info: Option<Box<wa::ContextInfo>>,
) -> Result<wa::Message> {
    let media_type = match m.kind {
        MediaKind::Image => MediaType::Image,
        MediaKind::Video => MediaType::Video,
        MediaKind::Audio => MediaType::Audio,
        MediaKind::Document => MediaType::Document,
        MediaKind::Sticker => MediaType::Sticker,
    };
    if m.data.is_empty() {
        bail!("media data is empty");
    }
    let uploaded = client
        .upload(m.data, media_type, UploadOptions::default())
        .await
        .context("uploading to the media host")?;
    let mut message = match m.kind {
        MediaKind::Image => media::image_message(
            uploaded,
            ImageOptions {
                caption: m.caption,
                mimetype: m.mimetype,
                context_info,
                ..Default::default()
            },
        ),
        MediaKind::Video => media::video_message(
            uploaded,
            VideoOptions {
                caption: m.caption,
                mimetype: m.mimetype,
                context_info,
                ..Default::default()
            },
        ),
        MediaKind::Audio => media::audio_message(
            uploaded,
            AudioOptions {
                mimetype: m.mimetype,
                ptt: Some(m.voice),
                context_info,
                ..Default::default()
            },
        ),
        MediaKind::Document => media::document_message(
            uploaded,
            DocumentOptions {
                mimetype: m.mimetype,
                title: m.filename.clone(),
                file_name: m.filename,
                caption: m.caption,
                context_info,
                ..Default::default()
            },
        ),
        MediaKind::Sticker => wa::Message {
            sticker_message: buffa::MessageField::some(wa::message::StickerMessage {
                url: Some(uploaded.url),
                direct_path: Some(uploaded.direct_path),
                media_key: Some(uploaded.media_key.to_vec()),
                file_sha256: Some(uploaded.file_sha256.to_vec()),
                file_enc_sha256: Some(uploaded.file_enc_sha256.to_vec()),
                file_length: Some(uploaded.file_length),
                media_key_timestamp: Some(uploaded.media_key_timestamp),
                mimetype: Some(m.mimetype.unwrap_or_else(|| "image/webp".into())),
                context_info: context_info.map(|c| *c).into(),
                ..Default::default()
            }),
            ..Default::default()
        },
    };
    m.forged.apply(&mut message);
    Ok(message)
}
