//! The body of a send: what users may write, and its checks. Everything that needs no database
//! or network is checked here, before anything is stored or fetched.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::error::ApiError;
use crate::domain::{ContactCard, Content, Location, MessageKind, Poll};
use crate::engine::jid::{chat_of, phone_digits};
use crate::media::MediaKind;

const MAX_TEXT_CHARS: usize = 65_536;
const MAX_CAPTION_CHARS: usize = 4_096;
const MAX_NAME_CHARS: usize = 256;
const MAX_MENTIONS: usize = 256;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// A phone number in international form (+4915…), a user JID or a group JID (`…@g.us`).
    pub to: String,
    /// text, image, video, audio, document, sticker, location, contact, reaction, poll, edit or
    /// revoke. Required, except in a send from a `template` (which has its type).
    #[serde(rename = "type", default)]
    #[schema(value_type = Option<SendableKind>)]
    pub kind: String,
    #[schema(max_length = 65536)]
    pub text: Option<String>,
    /// The caption of an image, video or document.
    #[schema(max_length = 4096)]
    pub caption: Option<String>,
    /// WARAS id of a message in this session to reply to.
    pub reply_to: Option<String>,
    /// Phone numbers or JIDs mentioned in the text or caption.
    #[schema(max_items = 256)]
    pub mentions: Option<Vec<String>>,
    pub image: Option<MediaInput>,
    pub video: Option<MediaInput>,
    pub audio: Option<MediaInput>,
    pub document: Option<MediaInput>,
    pub sticker: Option<MediaInput>,
    pub location: Option<LocationInput>,
    pub contact: Option<ContactInput>,
    pub reaction: Option<ReactionInput>,
    pub poll: Option<PollInput>,
    pub edit: Option<EditInput>,
    pub revoke: Option<RevokeInput>,
    /// Send at this time (RFC 3339, at most a year ahead) instead of now: the answer says
    /// `scheduled`. A time already past sends now.
    #[schema(format = DateTime)]
    pub send_at: Option<String>,
    /// A template of the tenant (its id or name) that gives this send its type and its text or
    /// caption; a media template's send brings the file.
    pub template: Option<String>,
    /// Values for the template's variables (`{"first_name": "Ana"}`).
    pub variables: Option<std::collections::BTreeMap<String, String>>,
}

/// A media file: inline base64 `data` or a `url` to fetch (or a multipart `file` part).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    pub data: Option<String>,
    pub url: Option<String>,
    pub mimetype: Option<String>,
    #[schema(min_length = 1, max_length = 256)]
    pub filename: Option<String>,
    /// Audio only: send as a voice note.
    pub voice: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: f64,
    #[schema(max_length = 256)]
    pub name: Option<String>,
    #[schema(max_length = 256)]
    pub address: Option<String>,
}

/// A contact card: a name and a phone number (a vCard is written from them), or a full `vcard`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    pub phone: Option<String>,
    #[schema(min_length = 1, max_length = 16384)]
    pub vcard: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionInput {
    /// WARAS id of the message reacted to.
    pub message_id: String,
    /// One emoji; an empty string removes the reaction.
    #[schema(max_length = 16)]
    pub emoji: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    /// 2 to 12 distinct options of 1 to 100 characters.
    #[schema(min_items = 2, max_items = 12)]
    pub options: Vec<String>,
    /// How many options a voter may pick (default 1), at most as many as there are options.
    #[schema(minimum = 1, maximum = 12)]
    pub selectable_count: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    /// WARAS id of a message this session sent.
    pub message_id: String,
    #[schema(min_length = 1, max_length = 65536)]
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    /// WARAS id of a message this session sent; it is deleted for everyone.
    pub message_id: String,
}

/// What a message can be; the part of that name carries its content. (The schema of
/// `domain::MessageKind`'s sendable names, as the OpenAPI document shows them.)
#[derive(ToSchema)]
#[schema(as = MessageKind, rename_all = "lowercase")]
pub enum SendableKind {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contact,
    Reaction,
    Poll,
    Edit,
    Revoke,
}

/// A send whose form is valid; what it points at and its media are resolved next.
pub struct Draft {
    /// The chat: the recipient's JID without a device part.
    pub to: String,
    pub kind: MessageKind,
    pub content: Content,
    pub media: Option<(MediaKind, MediaInput)>,
    /// The WARAS id of the message a reaction, edit or revoke points at.
    pub target: Option<String>,
    /// When to send it (unix ms), if not now.
    pub send_at: Option<i64>,
}

/// The furthest ahead a send may be scheduled.
const MAX_SCHEDULE_AHEAD_MS: i64 = 366 * 24 * 3600 * 1000;

/// A `send_at` as unix ms: RFC 3339, at most a year ahead.
pub fn send_time(raw: &str) -> Result<i64, ApiError> {
    let at = chrono::DateTime::parse_from_rfc3339(raw)
        .map_err(|_| invalid("send_at: an RFC 3339 time, e.g. 2026-12-24T18:00:00Z"))?
        .timestamp_millis();
    if at > crate::db::now_ms() + MAX_SCHEDULE_AHEAD_MS {
        return Err(invalid("send_at: at most a year ahead"));
    }
    Ok(at)
}

/// The kinds a send may have, as named in the `type` field.
fn sendable_kinds() -> Vec<&'static str> {
    MessageKind::ALL
        .iter()
        .filter(|k| k.sendable())
        .map(|k| k.as_str())
        .collect()
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::invalid(detail)
}

fn bounded(field: &str, value: &str, max: usize, required: bool) -> Result<(), ApiError> {
    let n = value.chars().count();
    if (required && value.trim().is_empty()) || n > max {
        return Err(invalid(format!(
            "{field}: {} to {max} characters",
            usize::from(required)
        )));
    }
    Ok(())
}

impl SendMessage {
    /// The content parts that are set, by name.
    fn parts(&self) -> Vec<&'static str> {
        let mut parts = Vec::new();
        let named: [(&'static str, bool); 11] = [
            ("image", self.image.is_some()),
            ("video", self.video.is_some()),
            ("audio", self.audio.is_some()),
            ("document", self.document.is_some()),
            ("sticker", self.sticker.is_some()),
            ("location", self.location.is_some()),
            ("contact", self.contact.is_some()),
            ("reaction", self.reaction.is_some()),
            ("poll", self.poll.is_some()),
            ("edit", self.edit.is_some()),
            ("revoke", self.revoke.is_some()),
        ];
        for (name, set) in named {
            if set {
                parts.push(name);
            }
        }
        parts
    }

    /// Takes the inline base64 file out of the request (the first media field holding one), so
    /// that a file of megabytes is not copied with the rest of the request.
    pub fn take_inline_data(&mut self) -> Option<String> {
        [
            &mut self.image,
            &mut self.video,
            &mut self.audio,
            &mut self.document,
            &mut self.sticker,
        ]
        .into_iter()
        .flatten()
        .find_map(|m| m.data.take())
    }

    pub fn check(&self) -> Result<Draft, ApiError> {
        if self.kind.is_empty() {
            return Err(invalid(format!(
                "type: required (one of {}), unless the send names a template",
                sendable_kinds().join(", ")
            )));
        }
        let message_kind = MessageKind::parse(&self.kind)
            .filter(|k| k.sendable())
            .ok_or_else(|| {
                invalid(format!(
                    "type: `{}` is not one of {}",
                    self.kind,
                    sendable_kinds().join(", ")
                ))
            })?;
        let kind = message_kind.as_str();
        let to = chat_of(&self.to).map_err(|e| invalid(format!("to: {e}")))?;
        self.check_fields(kind)?;
        let mut content = self.shared_content()?;
        let mut media = None;
        let mut target = None;
        // The checks above make each kind's field present; this keeps a gap in them a 422.
        let required = || invalid(format!("{kind}: required for a message of type `{kind}`"));
        match message_kind {
            MessageKind::Text => {
                let text = self.text.as_deref().unwrap_or_default();
                bounded("text", text, MAX_TEXT_CHARS, true)?;
                content.text = Some(text.to_string());
            }
            MessageKind::Location => {
                content.location = Some(location(self.location.as_ref().ok_or_else(required)?)?)
            }
            MessageKind::Contact => {
                content.contact = Some(contact_card(self.contact.as_ref().ok_or_else(required)?)?)
            }
            MessageKind::Poll => {
                content.poll = Some(poll(self.poll.as_ref().ok_or_else(required)?)?)
            }
            MessageKind::Reaction => {
                let r = self.reaction.as_ref().ok_or_else(required)?;
                if r.emoji.chars().count() > 16 {
                    return Err(invalid("reaction.emoji: one emoji (or empty to remove)"));
                }
                target = Some(r.message_id.clone());
            }
            MessageKind::Edit => {
                let e = self.edit.as_ref().ok_or_else(required)?;
                if self.text.is_some() {
                    return Err(invalid("text: an edit carries its new text in edit.text"));
                }
                bounded("edit.text", &e.text, MAX_TEXT_CHARS, true)?;
                target = Some(e.message_id.clone());
            }
            MessageKind::Revoke => {
                target = Some(
                    self.revoke
                        .as_ref()
                        .ok_or_else(required)?
                        .message_id
                        .clone(),
                )
            }
            // Refused above: a poll vote is never sent.
            MessageKind::PollVote => return Err(required()),
            MessageKind::Image
            | MessageKind::Video
            | MessageKind::Audio
            | MessageKind::Document
            | MessageKind::Sticker => {
                media = Some(self.media_input(kind)?.ok_or_else(required)?);
            }
        }
        Ok(Draft {
            to,
            kind: message_kind,
            content,
            media,
            target,
            send_at: self.send_at.as_deref().map(send_time).transpose()?,
        })
    }

    /// Only the fields a message of type `kind` has, and the one it needs.
    fn check_fields(&self, kind: &str) -> Result<(), ApiError> {
        let parts = self.parts();
        if let Some(extra) = parts.iter().find(|p| **p != kind) {
            return Err(invalid(format!(
                "{extra}: not allowed in a message of type `{kind}`"
            )));
        }
        if kind != "text" && kind != "edit" && self.text.is_some() {
            return Err(invalid(format!(
                "text: not allowed in a message of type `{kind}` (use caption for media)"
            )));
        }
        if self.caption.is_some() && !matches!(kind, "image" | "video" | "document") {
            return Err(invalid(format!(
                "caption: only images, videos and documents have one, not `{kind}`"
            )));
        }
        if MediaKind::parse(kind).is_none() && kind != "text" && parts.is_empty() {
            return Err(invalid(format!(
                "{kind}: required for a message of type `{kind}`"
            )));
        }
        if matches!(kind, "reaction" | "edit" | "revoke") && self.reply_to.is_some() {
            return Err(invalid(format!("reply_to: not allowed with `{kind}`")));
        }
        Ok(())
    }

    /// What any kind may carry: a caption (checked against its kind above) and mentions.
    fn shared_content(&self) -> Result<Content, ApiError> {
        let mut content = Content::default();
        if let Some(caption) = &self.caption {
            bounded("caption", caption, MAX_CAPTION_CHARS, false)?;
            content.caption = Some(caption.clone());
        }
        if let Some(mentions) = &self.mentions {
            if mentions.len() > MAX_MENTIONS {
                return Err(invalid(format!("mentions: at most {MAX_MENTIONS}")));
            }
            for m in mentions {
                let jid = chat_of(m).map_err(|e| invalid(format!("mentions: {e}")))?;
                content.mentions.push(jid);
            }
        }
        Ok(content)
    }

    /// The media of a media message (its file still to be read); `None` for another kind.
    fn media_input(&self, kind: &str) -> Result<Option<(MediaKind, MediaInput)>, ApiError> {
        let Some(mk) = MediaKind::parse(kind) else {
            return Ok(None);
        };
        let input = match mk {
            MediaKind::Image => self.image.clone(),
            MediaKind::Video => self.video.clone(),
            MediaKind::Audio => self.audio.clone(),
            MediaKind::Document => self.document.clone(),
            MediaKind::Sticker => self.sticker.clone(),
        }
        .unwrap_or_default();
        if input.voice.is_some() && mk != MediaKind::Audio {
            return Err(invalid(format!(
                "{kind}.voice: only audio can be a voice note"
            )));
        }
        if let Some(name) = &input.filename {
            bounded(&format!("{kind}.filename"), name, MAX_NAME_CHARS, true)?;
        }
        Ok(Some((mk, input)))
    }
}

fn location(l: &LocationInput) -> Result<Location, ApiError> {
    if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude) {
        return Err(invalid(
            "location: latitude must be within ±90 and longitude within ±180",
        ));
    }
    for (field, v) in [("location.name", &l.name), ("location.address", &l.address)] {
        if let Some(v) = v {
            bounded(field, v, MAX_NAME_CHARS, false)?;
        }
    }
    Ok(Location {
        latitude: l.latitude,
        longitude: l.longitude,
        name: l.name.clone(),
        address: l.address.clone(),
    })
}

fn poll(p: &PollInput) -> Result<Poll, ApiError> {
    bounded("poll.name", &p.name, MAX_NAME_CHARS, true)?;
    if !(2..=12).contains(&p.options.len()) {
        return Err(invalid("poll.options: 2 to 12 options"));
    }
    let mut seen = std::collections::HashSet::new();
    for o in &p.options {
        bounded("poll.options", o, 100, true)?;
        if !seen.insert(o) {
            return Err(invalid(format!("poll.options: `{o}` appears twice")));
        }
    }
    let selectable = p.selectable_count.unwrap_or(1);
    if selectable < 1 || selectable as usize > p.options.len() {
        return Err(invalid(format!(
            "poll.selectable_count: 1 to {}",
            p.options.len()
        )));
    }
    Ok(Poll {
        name: p.name.clone(),
        options: p.options.clone(),
        selectable_count: selectable,
    })
}

fn contact_card(c: &ContactInput) -> Result<ContactCard, ApiError> {
    bounded("contact.name", &c.name, MAX_NAME_CHARS, true)?;
    if c.name.chars().any(char::is_control) {
        return Err(invalid("contact.name: no control characters"));
    }
    match (&c.phone, &c.vcard) {
        (Some(phone), None) => {
            let digits = phone_digits(phone).map_err(|e| invalid(format!("contact.phone: {e}")))?;
            let vcard = format!(
                "BEGIN:VCARD\nVERSION:3.0\nFN:{}\nTEL;type=CELL;waid={digits}:+{digits}\nEND:VCARD",
                c.name
            );
            Ok(ContactCard {
                name: c.name.clone(),
                phone: Some(format!("+{digits}")),
                vcard,
            })
        }
        (None, Some(vcard)) => {
            bounded("contact.vcard", vcard, 16_384, true)?;
            if !vcard
                .trim_start()
                .to_ascii_uppercase()
                .starts_with("BEGIN:VCARD")
            {
                return Err(invalid("contact.vcard: must be a vCard (BEGIN:VCARD …)"));
            }
            Ok(ContactCard {
                name: c.name.clone(),
                phone: None,
                vcard: vcard.clone(),
            })
        }
        _ => Err(invalid("contact: give either phone or vcard")),
    }
}

#[cfg(test)]
mod kind_tests {
    use utoipa::OpenApi as _;

    /// The OpenAPI document names exactly the kinds a send accepts.
    #[test]
    fn documented_kinds_are_the_sendable_ones() {
        let doc = serde_json::to_value(crate::api::openapi::ApiDoc::openapi()).unwrap();
        let documented: Vec<String> = doc["components"]["schemas"]["MessageKind"]["enum"]
            .as_array()
            .expect("MessageKind schema")
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let sendable: Vec<String> = super::sendable_kinds()
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(documented, sendable);
    }
}
