//! The history a phone hands a newly linked device: what the account's phone received, as one
//! initial-bootstrap history sync with its payload inline (zlib-compressed `HistorySync`), so
//! the companion needs no media download to read it.

use std::collections::BTreeMap;
use std::io::Write;

use buffa::Message as _;
use waproto::whatsapp as wa;

use crate::net::core::Core;
use crate::net::records::ReceivedMessage;

/// One received message as history: its text (or caption), sender and time.
fn web_message(chat: &str, m: &ReceivedMessage) -> wa::HistorySyncMsg {
    let group = chat.ends_with("@g.us");
    let text = m.text.clone().or(m.caption.clone()).unwrap_or_default();
    let info = wa::WebMessageInfo {
        key: buffa::MessageField::some(wa::MessageKey {
            remote_jid: Some(chat.to_string()),
            from_me: Some(false),
            id: Some(m.id.clone()),
            participant: if group {
                m.participant.clone().or(Some(m.from.clone()))
            } else {
                None
            },
        }),
        message: buffa::MessageField::some(wa::Message {
            conversation: Some(text),
            ..Default::default()
        }),
        message_timestamp: u64::try_from(m.timestamp).ok(),
        ..Default::default()
    };
    wa::HistorySyncMsg {
        message: buffa::MessageField::some(info),
        ..Default::default()
    }
}

/// The history sync notification for `phone`'s new device; `None` when there is no history.
pub(crate) fn notification(core: &Core, phone: &str) -> Option<wa::Message> {
    let (conversations, pushnames) = {
        let net = core.read_net();
        let account = net.accounts.get(phone)?;
        let mut chats: BTreeMap<String, Vec<&ReceivedMessage>> = BTreeMap::new();
        for m in account.inbox.iter().filter(|m| m.kind == "text") {
            let chat = if m.chat.is_empty() {
                m.from.clone()
            } else {
                m.chat.clone()
            };
            chats.entry(chat).or_default().push(m);
        }
        let mut names = BTreeMap::new();
        let conversations: Vec<wa::Conversation> = chats
            .into_iter()
            .map(|(chat, list)| {
                for m in &list {
                    let sender = m.participant.clone().unwrap_or(m.from.clone());
                    let user = sender
                        .split(['@', ':'])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    if let Some(acc) = net.accounts.get(&user) {
                        names.insert(acc.pn_jid().to_string(), acc.name.clone());
                    }
                }
                wa::Conversation {
                    id: chat.clone(),
                    unread_count: u32::try_from(list.len()).ok(),
                    messages: list.iter().map(|m| web_message(&chat, m)).collect(),
                    ..Default::default()
                }
            })
            .collect();
        let pushnames: Vec<wa::Pushname> = names
            .into_iter()
            .map(|(id, name)| wa::Pushname {
                id: Some(id),
                pushname: Some(name),
            })
            .collect();
        (conversations, pushnames)
    };
    if conversations.is_empty() {
        return None;
    }
    let history = wa::HistorySync {
        sync_type: wa::history_sync::HistorySyncType::INITIAL_BOOTSTRAP,
        conversations,
        pushnames,
        chunk_order: Some(0),
        progress: Some(100),
        ..Default::default()
    };
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&history.encode_to_vec()).ok()?;
    let payload = zlib.finish().ok()?;
    Some(wa::Message {
        protocol_message: buffa::MessageField::some(wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::HISTORY_SYNC_NOTIFICATION),
            history_sync_notification: buffa::MessageField::some(
                wa::message::HistorySyncNotification {
                    sync_type: Some(wa::message::HistorySyncType::INITIAL_BOOTSTRAP),
                    chunk_order: Some(0),
                    progress: Some(100),
                    file_length: u64::try_from(payload.len()).ok(),
                    initial_hist_bootstrap_inline_payload: Some(payload),
                    ..Default::default()
                },
            ),
            ..Default::default()
        }),
        ..Default::default()
    })
}
