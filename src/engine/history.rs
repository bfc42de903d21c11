//! Reading a history sync (the conversations the phone hands a newly linked device) into
//! WARAS's stored messages: every message WARAS can show, within the session's `history_days`,
//! from the account's contacts (with their push names) and from the account itself.

use waproto::whatsapp as wa;

use super::decode::{Origin, decode};
use crate::db::contacts::Seen;
use crate::db::messages::{MessageRow, READ, RECEIVED, SENT};
use crate::domain::MessageId;

/// Who stores the history: the session, its tenant, its own phone-number JID.
pub struct Owner<'a> {
    pub session_id: &'a str,
    pub tenant_id: &'a str,
    pub me: Option<&'a str>,
}

/// The messages and people of one history sync chunk.
#[derive(Default)]
pub struct History {
    pub rows: Vec<MessageRow>,
    pub seen: Vec<Seen>,
    pub conversations: usize,
}

/// The user JID (no device) in a JID text.
fn user(jid: &str) -> String {
    match jid.split_once('@') {
        Some((u, server)) => format!("{}@{server}", u.split(':').next().unwrap_or(u)),
        None => jid.to_string(),
    }
}

/// The stored rows of `sync`, leaving out messages before `since_ms` (none: keep all).
pub fn read(sync: &wa::HistorySync, owner: &Owner<'_>, since_ms: Option<i64>, now: i64) -> History {
    let mut out = History::default();
    for p in &sync.pushnames {
        if let (Some(id), Some(name)) = (&p.id, &p.pushname)
            && id.ends_with("@s.whatsapp.net")
        {
            out.seen.push(Seen {
                phone: Some(user(id)),
                push_name: Some(name.clone()),
                ..Seen::default()
            });
        }
    }
    for conversation in &sync.conversations {
        let chat = user(&conversation.id);
        let before = out.rows.len();
        let mut messages: Vec<&wa::WebMessageInfo> = conversation
            .messages
            .iter()
            .filter_map(|h| h.message.as_option())
            .collect();
        // Oldest first, so that stored ids (which order a chat's messages) follow time.
        messages.sort_by_key(|m| m.message_timestamp.unwrap_or(0));
        for (seq, m) in messages.into_iter().enumerate() {
            let seq = u16::try_from(seq).unwrap_or(u16::MAX);
            if let Some(row) = row(&chat, m, (owner, seq), since_ms, now) {
                out.rows.push(row);
            }
        }
        // The newest `unread_count` received messages stay unread, the rest were read.
        let unread = conversation.unread_count.unwrap_or(0) as usize;
        let mut left = unread;
        for row in out.rows[before..].iter_mut().rev() {
            if row.status == RECEIVED {
                if left == 0 {
                    row.status = READ.to_string();
                } else {
                    left -= 1;
                }
            }
        }
        if out.rows.len() > before {
            out.conversations += 1;
        }
    }
    out
}

/// One history message as a stored row; `seq` is its place in the conversation (oldest first).
fn row(
    chat: &str,
    m: &wa::WebMessageInfo,
    (owner, seq): (&Owner<'_>, u16),
    since_ms: Option<i64>,
    now: i64,
) -> Option<MessageRow> {
    let key = m.key.as_option()?;
    let wa_id = key.id.clone()?;
    let from_me = key.from_me.unwrap_or(false);
    let timestamp = i64::try_from(m.message_timestamp?).ok()? * 1000;
    if since_ms.is_some_and(|since| timestamp < since) {
        return None;
    }
    let sender = if from_me {
        owner.me.map(str::to_string)?
    } else {
        key.participant
            .as_deref()
            .map(user)
            .unwrap_or_else(|| chat.to_string())
    };
    let decoded = decode(
        m.message.as_option()?,
        &Origin {
            chat,
            sender: &sender,
        },
    )?;
    let (phone, lid) = if sender.ends_with("@lid") {
        (None, Some(sender.clone()))
    } else {
        (Some(sender.clone()), None)
    };
    let engine_ref = decoded.engine_ref.to_json();
    Some(MessageRow {
        // Sorted where it happened: a chat's history reads in order after newer live messages.
        id: MessageId::generate_at(timestamp, seq).into_string(),
        session_id: owner.session_id.to_string(),
        tenant_id: owner.tenant_id.to_string(),
        from_me,
        chat_jid: chat.to_string(),
        sender_jid: sender,
        sender_lid: lid,
        sender_phone: phone,
        wa_id,
        msg_type: decoded.kind.to_string(),
        body: decoded.content.to_json(),
        status: if from_me { SENT } else { RECEIVED }.to_string(),
        error: None,
        attempts: 0,
        reply_to: decoded.content.quoted.as_ref().map(|q| q.wa_id.clone()),
        idempotency_key: None,
        request_hash: None,
        wa_timestamp: Some(timestamp),
        created_at: now,
        updated_at: now,
        engine_ref: (engine_ref != "{}").then_some(engine_ref),
        send_at: None,
        late: false,
        campaign_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str, secs: u64, from_me: bool) -> wa::HistorySyncMsg {
        wa::HistorySyncMsg {
            message: buffa::MessageField::some(wa::WebMessageInfo {
                key: buffa::MessageField::some(wa::MessageKey {
                    remote_jid: Some("4915100000001@s.whatsapp.net".into()),
                    from_me: Some(from_me),
                    id: Some(id.into()),
                    participant: None,
                }),
                message: buffa::MessageField::some(wa::Message {
                    conversation: Some(format!("text {id}")),
                    ..Default::default()
                }),
                message_timestamp: Some(secs),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_chunk_becomes_rows_in_time_order_within_the_window() {
        let sync = wa::HistorySync {
            conversations: vec![wa::Conversation {
                id: "4915100000001@s.whatsapp.net".into(),
                unread_count: Some(1),
                messages: vec![
                    message("C", 3_000, false),
                    message("A", 1_000, false),
                    message("B", 2_000, true),
                    message("D", 4_000, false),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let owner = Owner {
            session_id: "ses_1",
            tenant_id: "tnt_1",
            me: Some("4915100000002@s.whatsapp.net"),
        };
        let all = read(&sync, &owner, None, 0);
        let ids: Vec<&str> = all.rows.iter().map(|r| r.wa_id.as_str()).collect();
        assert_eq!(ids, ["A", "B", "C", "D"]);
        let statuses: Vec<&str> = all.rows.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(
            statuses,
            [READ, SENT, READ, RECEIVED],
            "only the newest one unread"
        );
        assert_eq!(all.rows[1].sender_jid, "4915100000002@s.whatsapp.net");
        let recent = read(&sync, &owner, Some(2_500_000), 0);
        let ids: Vec<&str> = recent.rows.iter().map(|r| r.wa_id.as_str()).collect();
        assert_eq!(ids, ["C", "D"]);
    }
}
