//! Receipts, chat states and presences the phones receive, kept for the admin API.

use wacore::types::events::{ChatPresenceUpdate, PresenceUpdate, Receipt};
use wacore::types::presence::{ChatPresence, ChatPresenceMedia, ReceiptType};

use super::inbox::as_pn;
use crate::net::core::Core;
use crate::net::records::{ChatStateRecord, PresenceRecord, ReceiptRecord, push_capped};

fn receipt_kind(kind: &ReceiptType) -> String {
    match kind {
        ReceiptType::Delivered => "delivery".into(),
        ReceiptType::Read => "read".into(),
        ReceiptType::ReadSelf => "read-self".into(),
        ReceiptType::Played => "played".into(),
        ReceiptType::PlayedSelf => "played-self".into(),
        ReceiptType::Sender => "sender".into(),
        ReceiptType::Retry => "retry".into(),
        ReceiptType::Inactive => "inactive".into(),
        ReceiptType::Sent => "sent".into(),
        ReceiptType::Other(s) => s.clone(),
        other => format!("{other:?}").to_lowercase(),
    }
}

pub(crate) fn receipt(core: &Core, phone: &str, r: &Receipt) {
    let mut net = core.lock_net();
    let from = as_pn(&net, &r.source.sender);
    let chat = if r.source.is_group {
        r.source.chat.to_string()
    } else {
        as_pn(&net, &r.source.chat)
    };
    let kind = receipt_kind(&r.r#type);
    let timestamp = r.timestamp.timestamp();
    let activity = net.activity.entry(phone.to_string()).or_default();
    for id in &r.message_ids {
        push_capped(
            &mut activity.receipts,
            ReceiptRecord {
                id: id.clone(),
                from: from.clone(),
                chat: chat.clone(),
                kind: kind.clone(),
                timestamp,
            },
        );
    }
}

pub(crate) fn chatstate(core: &Core, phone: &str, c: &ChatPresenceUpdate) {
    let mut net = core.lock_net();
    let state = match (&c.state, &c.media) {
        (ChatPresence::Composing, ChatPresenceMedia::Audio) => "recording",
        (ChatPresence::Composing, _) => "composing",
        (ChatPresence::Paused, _) => "paused",
    };
    let from = as_pn(&net, &c.source.sender);
    let chat = if c.source.is_group {
        c.source.chat.to_string()
    } else {
        as_pn(&net, &c.source.chat)
    };
    let record = ChatStateRecord {
        from,
        chat,
        state: state.into(),
        timestamp: chrono::Utc::now().timestamp(),
    };
    let activity = net.activity.entry(phone.to_string()).or_default();
    push_capped(&mut activity.chatstates, record);
}

pub(crate) fn presence(core: &Core, phone: &str, p: &PresenceUpdate) {
    let mut net = core.lock_net();
    let record = PresenceRecord {
        from: as_pn(&net, &p.from),
        available: !p.unavailable,
        timestamp: chrono::Utc::now().timestamp(),
    };
    let activity = net.activity.entry(phone.to_string()).or_default();
    push_capped(&mut activity.presences, record);
}
