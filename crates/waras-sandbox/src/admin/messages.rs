//! Sending as an account (every content kind) and reading what its phone received: messages,
//! receipts, chat states and presences.

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use wacore_binary::{Jid, Server};

use super::{AdminState, Result, invalid, known_phone, not_found};
use crate::net::core::Core;
use crate::phones::accounts::normalize_phone;
use crate::phones::actions;
use crate::phones::outgoing::{Content, Context, Forged, MediaContent, MediaKind};

/// Room for media up to ~16 MB once base64-encoded.
pub(super) const MAX_BODY_BYTES: usize = 24 * 1024 * 1024;
const MAX_TEXT_BYTES: usize = 65_536;

#[derive(Deserialize)]
pub(super) struct Outgoing {
    to: String,
    text: Option<String>,
    reply_to: Option<Reference>,
    mentions: Option<Vec<String>>,
    image: Option<MediaIn>,
    video: Option<MediaIn>,
    audio: Option<MediaIn>,
    document: Option<MediaIn>,
    sticker: Option<MediaIn>,
    caption: Option<String>,
    location: Option<LocationIn>,
    contact: Option<ContactIn>,
    reaction: Option<ReactionIn>,
    poll: Option<PollIn>,
    poll_vote: Option<PollVoteIn>,
    edit: Option<EditIn>,
    revoke: Option<RevokeIn>,
}

#[derive(Deserialize)]
struct Reference {
    id: String,
    sender: Option<String>,
}

#[derive(Deserialize)]
struct MediaIn {
    data: String,
    mimetype: Option<String>,
    filename: Option<String>,
    voice: Option<bool>,
    /// Written over the uploaded file's fields, as a modified client could (tests of a hostile
    /// sender): `url`, `static_url` (image and video), `direct_path`, `file_length`.
    #[serde(default)]
    forge: Option<ForgeIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgeIn {
    url: Option<String>,
    static_url: Option<String>,
    direct_path: Option<String>,
    file_length: Option<u64>,
}

#[derive(Deserialize)]
struct LocationIn {
    latitude: f64,
    longitude: f64,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct ContactIn {
    name: String,
    phone: String,
}

#[derive(Deserialize)]
struct ReactionIn {
    id: String,
    emoji: String,
    sender: Option<String>,
}

#[derive(Deserialize)]
struct PollIn {
    name: String,
    options: Vec<String>,
    selectable_count: Option<u32>,
}

#[derive(Deserialize)]
struct PollVoteIn {
    id: String,
    sender: Option<String>,
    options: Vec<String>,
}

#[derive(Deserialize)]
struct EditIn {
    id: String,
    text: String,
}

#[derive(Deserialize)]
struct RevokeIn {
    id: String,
    /// Whose message it is, for a group admin revoking someone else's (default: the phone's own).
    sender: Option<String>,
}

/// A phone number, a user JID (phone number or LID) or a group JID.
pub(crate) fn parse_jid(raw: &str) -> Result<Jid> {
    if raw.contains('@') {
        return raw
            .parse::<Jid>()
            .map(|j| j.to_non_ad())
            .map_err(|_| invalid(format!("invalid JID {raw:?}")));
    }
    Ok(Jid::pn(normalize_phone(raw)?.as_str()))
}

/// A group id with or without `@g.us`.
pub(crate) fn parse_group(raw: &str) -> Result<Jid> {
    let user = raw.strip_suffix("@g.us").unwrap_or(raw);
    if user.is_empty() || !user.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return Err(invalid(format!("invalid group id {raw:?}")));
    }
    Ok(Jid::group(user))
}

/// The phone-number JID of an account named by phone or JID.
fn account_jid(core: &Core, raw: &str) -> Result<Jid> {
    let jid = parse_jid(raw)?;
    if jid.server == Server::Group {
        return Err(invalid(format!("{raw:?} is a group, not a person")));
    }
    let phone = core
        .read_net()
        .phone_of(&jid)
        .ok_or_else(|| not_found(format!("{raw} is not on the sandbox network")))?;
    Ok(Jid::pn(phone.as_str()))
}

fn text_ok(text: &str, what: &str) -> Result<()> {
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(invalid(format!("{what} must be 1..{MAX_TEXT_BYTES} bytes")));
    }
    Ok(())
}

/// Who sent a referenced message: given; else in a direct chat the chat partner, in a group
/// the phone itself.
fn sender_of(core: &Core, to: &Jid, own: &str, sender: Option<&str>) -> Result<Jid> {
    match sender {
        Some(s) => account_jid(core, s),
        None if to.server == Server::Group => Ok(Jid::pn(own)),
        None => Ok(to.clone()),
    }
}

fn media_of(body: &mut Outgoing) -> Result<Option<(MediaKind, MediaIn)>> {
    let all = [
        (MediaKind::Image, body.image.take()),
        (MediaKind::Video, body.video.take()),
        (MediaKind::Audio, body.audio.take()),
        (MediaKind::Document, body.document.take()),
        (MediaKind::Sticker, body.sticker.take()),
    ];
    let mut found: Vec<(MediaKind, MediaIn)> = all
        .into_iter()
        .filter_map(|(k, m)| m.map(|m| (k, m)))
        .collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(invalid("only one media kind per message")),
    }
}

/// Turns the request into exactly one kind of content.
fn content_of(core: &Core, to: &Jid, own: &str, mut body: Outgoing) -> Result<(Content, Context)> {
    let ctx = context_of(core, to, own, &mut body)?;
    let mut kinds: Vec<Content> = Vec::new();
    if let Some((kind, m)) = media_of(&mut body)? {
        let caption = body.caption.take().or(body.text.take());
        kinds.push(media_content(kind, m, caption)?);
    }
    if body.caption.is_some() {
        return Err(invalid("caption goes with image, video or document"));
    }
    kinds.extend(body.text.take().map(text_content).transpose()?);
    kinds.extend(body.location.take().map(location_content).transpose()?);
    kinds.extend(body.contact.take().map(contact_content).transpose()?);
    if let Some(r) = body.reaction.take() {
        kinds.push(Content::Reaction {
            sender: sender_of(core, to, own, r.sender.as_deref())?,
            id: r.id,
            emoji: r.emoji,
        });
    }
    kinds.extend(body.poll.take().map(poll_content).transpose()?);
    if let Some(v) = body.poll_vote.take() {
        kinds.push(Content::PollVote {
            sender: sender_of(core, to, own, v.sender.as_deref())?,
            id: v.id,
            options: v.options,
        });
    }
    kinds.extend(body.edit.take().map(edit_content).transpose()?);
    if let Some(r) = body.revoke.take() {
        let sender = match r.sender.as_deref() {
            Some(s) => Some(account_jid(core, s)?),
            None => None,
        };
        kinds.push(Content::Revoke { id: r.id, sender });
    }
    let content = match (kinds.pop(), kinds.is_empty()) {
        (Some(content), true) => content,
        _ => {
            return Err(invalid(
                "exactly one of text, image, video, audio, document, sticker, location, contact, \
                 reaction, poll, poll_vote, edit, revoke",
            ));
        }
    };
    context_fits(&content, &ctx)?;
    Ok((content, ctx))
}

/// The reply and mentions the request asks for, with their senders resolved.
fn context_of(core: &Core, to: &Jid, own: &str, body: &mut Outgoing) -> Result<Context> {
    let mut ctx = Context::default();
    if let Some(r) = body.reply_to.take() {
        let sender = sender_of(core, to, own, r.sender.as_deref())?;
        ctx.reply_to = Some((r.id, sender));
    }
    for m in body.mentions.take().unwrap_or_default() {
        ctx.mentions.push(account_jid(core, &m)?);
    }
    Ok(ctx)
}

/// Only text, media, location and contact carry a reply or mentions.
fn context_fits(content: &Content, ctx: &Context) -> Result<()> {
    let with_context = matches!(
        content,
        Content::Text(_) | Content::Media(_) | Content::Location { .. } | Content::Contact { .. }
    );
    if !with_context && (ctx.reply_to.is_some() || !ctx.mentions.is_empty()) {
        return Err(invalid(
            "reply_to and mentions go with text, media, location or contact",
        ));
    }
    Ok(())
}

/// A media message from its base64 data, with the caption (or text) and any forged fields.
fn media_content(kind: MediaKind, m: MediaIn, caption: Option<String>) -> Result<Content> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(m.data.trim())
        .map_err(|_| invalid("media data must be base64"))?;
    if data.is_empty() {
        return Err(invalid("media data is empty"));
    }
    Ok(Content::Media(MediaContent {
        kind,
        data,
        mimetype: m.mimetype,
        filename: m.filename,
        voice: m.voice.unwrap_or(false),
        caption,
        forged: m
            .forge
            .map(|f| Forged {
                url: f.url,
                static_url: f.static_url,
                direct_path: f.direct_path,
                file_length: f.file_length,
            })
            .unwrap_or_default(),
    }))
}

/// A text message of acceptable length.
fn text_content(text: String) -> Result<Content> {
    text_ok(&text, "text")?;
    Ok(Content::Text(text))
}

/// A location with coordinates on the globe.
fn location_content(l: LocationIn) -> Result<Content> {
    if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude) {
        return Err(invalid("latitude must be -90..90 and longitude -180..180"));
    }
    Ok(Content::Location {
        latitude: l.latitude,
        longitude: l.longitude,
        name: l.name,
        address: l.address,
    })
}

/// A contact card with a name and a phone number.
fn contact_content(c: ContactIn) -> Result<Content> {
    if c.name.trim().is_empty() || !c.phone.chars().any(|d| d.is_ascii_digit()) {
        return Err(invalid("contact needs a name and a phone number"));
    }
    Ok(Content::Contact {
        name: c.name,
        phone: c.phone,
    })
}

/// A poll with a name, 2 to 12 options and a selectable count within them (default 1).
fn poll_content(p: PollIn) -> Result<Content> {
    let count = p.selectable_count.unwrap_or(1);
    if p.name.trim().is_empty()
        || !(2..=12).contains(&p.options.len())
        || count == 0
        || count as usize > p.options.len()
    {
        return Err(invalid(
            "poll needs a name, 2..12 options and selectable_count 1..options",
        ));
    }
    Ok(Content::Poll {
        name: p.name,
        options: p.options,
        selectable_count: count,
    })
}

/// An edit with a new text of acceptable length.
fn edit_content(e: EditIn) -> Result<Content> {
    text_ok(&e.text, "edit.text")?;
    Ok(Content::Edit {
        id: e.id,
        text: e.text,
    })
}

pub(super) async fn send(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<Outgoing>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let body = body.into_inner();
    let to = parse_jid(&body.to)?;
    let known = {
        let net = state.core.read_net();
        match to.server {
            Server::Group => net.groups.contains_key(to.user.as_str()),
            _ => net.phone_of(&to).is_some(),
        }
    };
    if !known {
        return Err(not_found(format!("{to} is not on the sandbox network")));
    }
    let (content, ctx) = content_of(&state.core, &to, &phone, body)?;
    if let Content::PollVote { id, .. } = &content
        && !state.core.read_net().polls.contains_key(id)
    {
        return Err(not_found(format!(
            "poll {id} is unknown to {phone}'s phone"
        )));
    }
    let id = actions::send(&state.core, &phone, to.clone(), content, ctx)
        .await
        .map_err(super::AdminError::internal)?;
    Ok(HttpResponse::Accepted().json(json!({ "id": id, "to": to.to_string() })))
}

pub(super) async fn received(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let inbox = net
        .accounts
        .get(&phone)
        .map(|a| a.inbox.messages().to_vec())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(inbox))
}

pub(super) async fn receipts(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let list = net.activity.get(&phone).map(|a| &a.receipts);
    Ok(HttpResponse::Ok().json(list.cloned().unwrap_or_default()))
}

pub(super) async fn chatstates(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let list = net.activity.get(&phone).map(|a| &a.chatstates);
    Ok(HttpResponse::Ok().json(list.cloned().unwrap_or_default()))
}

pub(super) async fn presences(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let list = net.activity.get(&phone).map(|a| &a.presences);
    Ok(HttpResponse::Ok().json(list.cloned().unwrap_or_default()))
}
