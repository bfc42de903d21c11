//! The phone's inbox: every message kind it receives, typed for the admin API. Media is
//! downloaded from the media host and decrypted by the phone's own engine client, so the inbox
//! shows the bytes a real recipient would get.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use wacore::download::Downloadable;
use wacore::proto_helpers::MessageExt;
use wacore::types::message::MessageInfo;
use wacore_binary::Jid;
use waproto::whatsapp as wa;
use whatsapp_rust::Client;

use crate::net::core::Core;
use crate::net::network::Network;
use crate::net::records::{
    ContactRecord, EditRecord, KnownPoll, LocationRecord, MediaRecord, PollRecord, PollVoteRecord,
    ReactionRecord, ReceivedMessage, RevokeRecord,
};

/// The phone-number JID (no device) of whoever `jid` names, where the network knows it.
pub(crate) fn as_pn(net: &Network, jid: &Jid) -> String {
    match net.phone_of(jid) {
        Some(phone) if jid.is_lid() => Jid::pn(phone.as_str()).to_string(),
        _ => jid.to_non_ad().to_string(),
    }
}

/// A media payload to fetch before the message is recorded.
enum Media {
    Image(wa::message::ImageMessage),
    Video(wa::message::VideoMessage),
    Audio(wa::message::AudioMessage),
    Document(wa::message::DocumentMessage),
    Sticker(wa::message::StickerMessage),
}

impl Media {
    fn downloadable(&self) -> &dyn Downloadable {
        match self {
            Media::Image(m) => m,
            Media::Video(m) => m,
            Media::Audio(m) => m,
            Media::Document(m) => m,
            Media::Sticker(m) => m,
        }
    }
}

fn context_of(ctx: &wa::ContextInfo, out: &mut ReceivedMessage, net: &Network) {
    if let Some(id) = ctx.stanza_id.as_ref().filter(|s| !s.is_empty()) {
        out.reply_to = Some(id.clone());
    }
    out.mentions = ctx
        .mentioned_jid
        .iter()
        .map(|j| match j.parse::<Jid>() {
            Ok(jid) => as_pn(net, &jid),
            Err(_) => j.clone(),
        })
        .collect();
}

fn poll_record(p: &wa::message::PollCreationMessage) -> PollRecord {
    PollRecord {
        name: p.name.clone().unwrap_or_default(),
        options: p
            .options
            .iter()
            .filter_map(|o| o.option_name.clone())
            .collect(),
        selectable_count: p.selectable_options_count.unwrap_or(0),
    }
}

/// A media record with the size and type the message announces (the download fills in the rest).
fn media_record(mimetype: Option<String>, size: Option<u64>) -> MediaRecord {
    MediaRecord {
        mimetype,
        size: size.unwrap_or(0),
        ..Default::default()
    }
}

/// Fills the typed fields; returns the media to download, or `Err(())` for messages that are
/// not shown in an inbox (key shares, sender-key distribution only, …).
fn classify(
    msg: &wa::Message,
    out: &mut ReceivedMessage,
    net: &Network,
) -> Result<Option<Media>, ()> {
    let m = msg.get_base_message();
    if let Some(p) = m.protocol_message.as_option() {
        return classify_protocol(p, out).map(|()| None);
    }
    if let Some(text) = m.conversation.as_ref().filter(|t| !t.is_empty()) {
        out.text = Some(text.clone());
        return Ok(None);
    }
    if let Some(ext) = m.extended_text_message.as_option() {
        out.text = ext.text.clone();
        if let Some(ctx) = ext.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return Ok(None);
    }
    if let Some(media) = classify_media(m, out, net) {
        return Ok(Some(media));
    }
    if classify_shared(m, out, net) || classify_reference(m, out, net) {
        return Ok(None);
    }
    Err(())
}

/// An edit or a revoke; `Err(())` for the other protocol messages, which no inbox shows.
fn classify_protocol(
    p: &wa::message::ProtocolMessage,
    out: &mut ReceivedMessage,
) -> Result<(), ()> {
    use wa::message::protocol_message::Type;
    let target = p
        .key
        .as_option()
        .and_then(|k| k.id.clone())
        .unwrap_or_default();
    match p.r#type {
        Some(Type::Revoke) => {
            out.kind = "revoke".into();
            out.revoke = Some(RevokeRecord { id: target });
        }
        Some(Type::MessageEdit) => {
            let text = p.edited_message.as_option().and_then(|e| {
                e.text_content()
                    .or_else(|| e.get_caption())
                    .map(str::to_string)
            });
            out.kind = "edit".into();
            out.text = text.clone();
            out.edit = Some(EditRecord { id: target, text });
        }
        _ => return Err(()),
    }
    Ok(())
}

/// Image, video, audio, document or sticker: the record without its bytes, and the media to
/// download; `None` when the message carries no media.
fn classify_media(m: &wa::Message, out: &mut ReceivedMessage, net: &Network) -> Option<Media> {
    if let Some(img) = m.image_message.as_option() {
        out.kind = "image".into();
        out.caption = img.caption.clone();
        out.media = Some(media_record(img.mimetype.clone(), img.file_length));
        if let Some(ctx) = img.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return Some(Media::Image(img.clone()));
    }
    if let Some(v) = m.video_message.as_option() {
        out.kind = "video".into();
        out.caption = v.caption.clone();
        out.media = Some(media_record(v.mimetype.clone(), v.file_length));
        if let Some(ctx) = v.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return Some(Media::Video(v.clone()));
    }
    if let Some(a) = m.audio_message.as_option() {
        out.kind = "audio".into();
        let mut rec = media_record(a.mimetype.clone(), a.file_length);
        rec.voice = a.ptt.unwrap_or(false);
        out.media = Some(rec);
        if let Some(ctx) = a.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return Some(Media::Audio(a.clone()));
    }
    if let Some(d) = m.document_message.as_option() {
        out.kind = "document".into();
        out.caption = d.caption.clone();
        let mut rec = media_record(d.mimetype.clone(), d.file_length);
        rec.filename = d.file_name.clone();
        out.media = Some(rec);
        if let Some(ctx) = d.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return Some(Media::Document(d.clone()));
    }
    let s = m.sticker_message.as_option()?;
    out.kind = "sticker".into();
    out.media = Some(media_record(s.mimetype.clone(), s.file_length));
    if let Some(ctx) = s.context_info.as_option() {
        context_of(ctx, out, net);
    }
    Some(Media::Sticker(s.clone()))
}

/// A shared location or contact card; false when the message is neither.
fn classify_shared(m: &wa::Message, out: &mut ReceivedMessage, net: &Network) -> bool {
    if let Some(l) = m.location_message.as_option() {
        out.kind = "location".into();
        out.location = Some(LocationRecord {
            latitude: l.degrees_latitude.unwrap_or_default(),
            longitude: l.degrees_longitude.unwrap_or_default(),
            name: l.name.clone(),
            address: l.address.clone(),
        });
        if let Some(ctx) = l.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return true;
    }
    if let Some(c) = m.contact_message.as_option() {
        out.kind = "contact".into();
        out.contact = Some(ContactRecord {
            name: c.display_name.clone(),
            vcard: c.vcard.clone(),
        });
        if let Some(ctx) = c.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return true;
    }
    false
}

/// A reaction, a poll or a poll vote; false when the message is none of them.
fn classify_reference(m: &wa::Message, out: &mut ReceivedMessage, net: &Network) -> bool {
    if let Some(r) = m.reaction_message.as_option() {
        out.kind = "reaction".into();
        out.reaction = Some(ReactionRecord {
            id: r
                .key
                .as_option()
                .and_then(|k| k.id.clone())
                .unwrap_or_default(),
            emoji: r.text.clone().unwrap_or_default(),
        });
        return true;
    }
    let poll = m
        .poll_creation_message
        .as_option()
        .or(m.poll_creation_message_v2.as_option())
        .or(m.poll_creation_message_v3.as_option());
    if let Some(p) = poll {
        out.kind = "poll".into();
        out.poll = Some(poll_record(p));
        if let Some(ctx) = p.context_info.as_option() {
            context_of(ctx, out, net);
        }
        return true;
    }
    if let Some(u) = m.poll_update_message.as_option() {
        out.kind = "poll_vote".into();
        out.poll_vote = Some(PollVoteRecord {
            id: u
                .poll_creation_message_key
                .as_option()
                .and_then(|k| k.id.clone())
                .unwrap_or_default(),
            options: None,
        });
        return true;
    }
    false
}

/// Records one received message in the phone's inbox (downloading media first).
pub(crate) async fn record(
    core: &Core,
    phone: &str,
    client: &Client,
    msg: &wa::Message,
    info: &MessageInfo,
) {
    let src = &info.source;
    let mut out = ReceivedMessage {
        id: info.id.clone(),
        timestamp: info.timestamp.timestamp(),
        kind: "text".into(),
        ..Default::default()
    };
    let media = {
        let net = core.read_net();
        let from = match (&src.sender, &src.sender_alt) {
            (s, Some(alt)) if s.is_lid() => alt.to_non_ad().to_string(),
            (s, _) => as_pn(&net, s),
        };
        // A copy of the account's own message (sent by another of its devices) belongs to the
        // chat it was sent to.
        out.chat = if src.is_group {
            src.chat.to_string()
        } else if src.is_from_me {
            as_pn(&net, &src.chat)
        } else {
            from.clone()
        };
        if src.is_group {
            out.participant = Some(from.clone());
        }
        out.from = from;
        match classify(msg, &mut out, &net) {
            Ok(media) => media,
            Err(()) => return,
        }
    };
    if out.text.is_none() {
        out.text = out.caption.clone();
    }
    remember_poll(core, msg, &out);
    if out.kind == "poll_vote" {
        decrypt_vote(client, core, msg, &mut out).await;
    }
    if let (Some(media), Some(rec)) = (media, out.media.as_mut()) {
        match client.download(media.downloadable()).await {
            Ok(bytes) => {
                rec.size = bytes.len() as u64;
                rec.sha256 = Some(hex::encode(Sha256::digest(&bytes)));
                rec.data = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
            }
            Err(e) => {
                log::warn!("sandbox phone {phone}: media download failed: {e:#}");
                rec.error = Some(format!("{e:#}"));
            }
        }
    }
    let mut net = core.lock_net();
    if let Some(acc) = net.accounts.get_mut(phone) {
        let id = out.id.clone();
        if !acc.inbox.push_once(out) {
            log::debug!("sandbox phone {phone}: message {id} again; dropped");
        }
    }
}

/// A received poll's secret, so the phone can vote on it and read votes for it.
fn remember_poll(core: &Core, msg: &wa::Message, out: &ReceivedMessage) {
    let (Some(poll), Some(secret)) = (
        out.poll.as_ref(),
        msg.message_context_info
            .as_option()
            .and_then(|c| c.message_secret.clone()),
    ) else {
        return;
    };
    let Ok(creator) = out.from.parse::<Jid>() else {
        return;
    };
    core.lock_net().polls.insert(
        out.id.clone(),
        KnownPoll {
            secret,
            creator,
            options: poll.options.clone(),
        },
    );
}

/// Opens a vote with the poll's secret, when the phone knows the poll.
async fn decrypt_vote(client: &Client, core: &Core, msg: &wa::Message, out: &mut ReceivedMessage) {
    let Some(update) = msg.get_base_message().poll_update_message.as_option() else {
        return;
    };
    let Some(vote) = out.poll_vote.as_mut() else {
        return;
    };
    let Some(known) = core.read_net().polls.get(&vote.id).cloned() else {
        return;
    };
    let Some(enc) = update.vote.as_option() else {
        return;
    };
    let (Some(payload), Some(iv)) = (enc.enc_payload.as_deref(), enc.enc_iv.as_deref()) else {
        return;
    };
    let Ok(voter) = out.from.parse::<Jid>() else {
        return;
    };
    let ciphertext = wacore::poll::PollVoteCiphertext {
        enc_payload: payload,
        enc_iv: iv,
    };
    match client
        .polls()
        .decrypt_vote(ciphertext, &known.secret, &vote.id, &known.creator, &voter)
        .await
    {
        Ok(hashes) => {
            let chosen = known
                .options
                .iter()
                .filter(|o| {
                    let h = wacore::poll::compute_option_hash(o);
                    hashes.iter().any(|x| x.as_slice() == h.as_slice())
                })
                .cloned()
                .collect();
            vote.options = Some(chosen);
        }
        Err(e) => log::debug!("sandbox phone could not open a poll vote: {e}"),
    }
}
