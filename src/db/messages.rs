//! Messages sent and received. Outgoing rows in status `queued` are the outbox (read and fed by
//! `super::outbox`): written (with their pre-generated WhatsApp id) before the API answers, sent
//! while the session is WORKING. Incoming rows are written with their `message.received` event
//! before the engine acknowledges them.

use diesel::prelude::*;

use super::authorship::{Change, may_change};
use super::cached::{CachedDsl, KEEP_UP_TO};
use super::contacts::{learn_contact, learn_sender};
use super::events::{EventLog, EventRow, NewEvent};
use super::rules::fire;
use super::schema::messages;
use super::{DbConn, DbPool, DbResult};
use crate::domain::{Content, EventType, MessageStatus};
use crate::with_conn;

// A message's status as stored: the names of `domain::MessageStatus`.
pub const QUEUED: &str = MessageStatus::Queued.as_str();
pub const SENT: &str = MessageStatus::Sent.as_str();
pub const DELIVERED: &str = MessageStatus::Delivered.as_str();
pub const READ: &str = MessageStatus::Read.as_str();
pub const FAILED: &str = MessageStatus::Failed.as_str();
pub const RECEIVED: &str = MessageStatus::Received.as_str();
pub const SCHEDULED: &str = MessageStatus::Scheduled.as_str();
pub const CANCELLED: &str = MessageStatus::Cancelled.as_str();

/// Idempotency keys are honoured this long.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Queryable)]
pub struct MessageRow {
    pub id: String,
    pub session_id: String,
    pub tenant_id: String,
    pub from_me: bool,
    pub chat_jid: String,
    pub sender_jid: String,
    pub sender_lid: Option<String>,
    pub sender_phone: Option<String>,
    pub wa_id: String,
    pub msg_type: String,
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub attempts: i32,
    pub reply_to: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub wa_timestamp: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Where the media can be had again (see the `media` table); not shown to API users.
    pub engine_ref: Option<String>,
    /// A scheduled send's time (unix ms).
    pub send_at: Option<i64>,
    /// The scheduled send went out more than a second after `send_at`.
    pub late: bool,
    /// The campaign this send is part of.
    pub campaign_id: Option<String>,
}

impl MessageRow {
    pub fn text(&self) -> Option<String> {
        self.content().text
    }

    pub fn content(&self) -> Content {
        Content::from_json(&self.body)
    }
}

/// The statuses a message moves forward from to reach `status` (never from `failed`).
fn below(status: &str) -> Vec<&'static str> {
    [QUEUED, SENT, DELIVERED, READ]
        .into_iter()
        .filter(|s| rank(s) < rank(status))
        .collect()
}

fn rank(status: &str) -> u8 {
    match status {
        QUEUED => 0,
        SENT => 1,
        DELIVERED => 2,
        READ => 3,
        _ => 0,
    }
}

macro_rules! insert_message {
    ($conn:expr, $m:expr) => {{
        use $crate::db::cached::CachedDsl as _;
        diesel::insert_into(messages::table)
            .values((
                messages::id.eq(&$m.id),
                messages::session_id.eq(&$m.session_id),
                messages::tenant_id.eq(&$m.tenant_id),
                messages::from_me.eq($m.from_me),
                messages::chat_jid.eq(&$m.chat_jid),
                messages::sender_jid.eq(&$m.sender_jid),
                messages::sender_lid.eq(&$m.sender_lid),
                messages::sender_phone.eq(&$m.sender_phone),
                messages::wa_id.eq(&$m.wa_id),
                messages::msg_type.eq(&$m.msg_type),
                messages::body.eq(&$m.body),
                messages::status.eq(&$m.status),
                messages::attempts.eq($m.attempts),
                messages::reply_to.eq(&$m.reply_to),
                messages::idempotency_key.eq(&$m.idempotency_key),
                messages::request_hash.eq(&$m.request_hash),
                messages::wa_timestamp.eq($m.wa_timestamp),
                messages::created_at.eq($m.created_at),
                messages::updated_at.eq($m.updated_at),
                messages::engine_ref.eq(&$m.engine_ref),
                messages::send_at.eq($m.send_at),
                messages::late.eq($m.late),
                messages::campaign_id.eq(&$m.campaign_id),
            ))
            .on_conflict_do_nothing()
            .returning(messages::id)
            .cached()
            .load::<String>($conn)
            .map(|inserted| inserted.len())
    }};
}
pub(super) use insert_message;

pub(super) fn status_event<C: EventLog>(
    conn: &mut C,
    m: &MessageRow,
    event_type: EventType,
    data: serde_json::Value,
    now: i64,
) -> DbResult<EventRow> {
    conn.append_event(&NewEvent {
        tenant_id: &m.tenant_id,
        session_id: Some(&m.session_id),
        event_type,
        data,
        created_at: now,
    })
}

/// The send went out: status `sent` and a `message.sent` event, together.
pub fn mark_sent(pool: &DbPool, id: &str, now: i64) -> DbResult<Option<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            // Only while still queued: a receipt recorded meanwhile (on PostgreSQL another
            // transaction may commit between the read and this write) stays. The usual case
            // (still queued) takes this one statement.
            let moved =
                diesel::update(messages::table.find(id).filter(messages::status.eq(QUEUED)))
                    .set((
                        messages::status.eq(SENT),
                        messages::error.eq(None::<String>),
                        messages::updated_at.eq(now),
                    ))
                    .returning(messages::all_columns)
                    .cached()
                    .get_result::<MessageRow>(conn)
                    .optional()?;
            let m = match moved {
                Some(m) => m,
                None => {
                    let Some(m) = messages::table
                        .find(id)
                        .first::<MessageRow>(conn)
                        .optional()?
                    else {
                        return Ok(None);
                    };
                    // The recipient's receipt was recorded before the send was: the status
                    // stays ahead, but the message was still sent, once, and says so.
                    if !matches!(m.status.as_str(), DELIVERED | READ) {
                        return Ok(None);
                    }
                    m
                }
            };
            let mut data = serde_json::json!({
                "id": m.id, "to": m.chat_jid, "wa_id": m.wa_id, "type": m.msg_type,
                "reply_to": m.reply_to, "status": SENT,
            });
            if let (Some(data), serde_json::Value::Object(content)) = (
                data.as_object_mut(),
                serde_json::to_value(m.content()).unwrap_or_default(),
            ) {
                data.extend(content);
            }
            Ok(Some(status_event(
                conn,
                &m,
                EventType::MessageSent,
                data,
                now,
            )?))
        })
    })
}

/// A send attempt failed; after `max_attempts` the message is `failed` (with a `message.ack`).
pub fn mark_attempt_failed(
    pool: &DbPool,
    id: &str,
    error: &str,
    max_attempts: i32,
    now: i64,
) -> DbResult<Option<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let Some(m) = messages::table.find(id).first::<MessageRow>(conn).optional()? else { return Ok(None) };
            let attempts = m.attempts + 1;
            let give_up = attempts >= max_attempts;
            let status = if give_up { FAILED } else { QUEUED };
            // A receipt recorded meanwhile says it went out after all: it stays as it is.
            let moved = diesel::update(messages::table.find(id).filter(messages::status.eq(QUEUED)))
                .set((
                    messages::attempts.eq(attempts),
                    messages::status.eq(status),
                    messages::error.eq(Some(error.chars().take(500).collect::<String>())),
                    messages::updated_at.eq(now),
                ))
                .execute(conn)?;
            if moved == 0 || !give_up {
                return Ok(None);
            }
            let data = serde_json::json!({ "id": m.id, "wa_id": m.wa_id, "status": FAILED, "error": error });
            Ok(Some(status_event(conn, &m, EventType::MessageAck, data, now)?))
        })
    })
}

/// Applies a delivery/read receipt to our own messages; statuses only move forward.
pub fn apply_receipt(
    pool: &DbPool,
    session_id: &str,
    wa_ids: &[String],
    status: &str,
    now: i64,
) -> DbResult<Vec<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let rows: Vec<MessageRow> = messages::table
                .filter(messages::session_id.eq(session_id))
                .filter(messages::from_me.eq(true))
                .filter(messages::wa_id.eq_any(wa_ids))
                .cached_if(wa_ids.len() <= KEEP_UP_TO)
                .load(conn)?;
            let mut out = Vec::new();
            for m in rows.into_iter().filter(|m| rank(&m.status) < rank(status) && m.status != FAILED) {
                // Only from a status below this one, checked by the update itself: on
                // PostgreSQL a send or receipt committed meanwhile is seen (the row is
                // re-checked after its lock), so the status moves forward and never back.
                let moved = diesel::update(
                    messages::table
                        .find(&m.id)
                        .filter(messages::status.eq_any(below(status))),
                )
                .set((messages::status.eq(status), messages::updated_at.eq(now)))
                .returning(messages::id)
                .cached()
                .get_result::<String>(conn)
                .optional()?;
                if moved.is_none() {
                    continue;
                }
                let data = serde_json::json!({ "id": m.id, "wa_id": m.wa_id, "chat": m.chat_jid, "status": status });
                out.push(status_event(conn, &m, EventType::MessageAck, data, now)?);
            }
            Ok(out)
        })
    })
}

/// A received message to record: its row, the event it raises and that event's data (the
/// envelope fields; the content is merged in once the message it points at is resolved).
#[derive(Clone)]
pub struct Inbound {
    pub row: MessageRow,
    pub event_type: EventType,
    pub content: Content,
    pub envelope: serde_json::Map<String, serde_json::Value>,
    /// The sender is an admin of the group the message came in (looked up only for a revoke of
    /// someone else's message, the one change an admin may make; see [`may_change`]).
    pub sender_is_admin: bool,
}

/// Stores received messages with their events, all or nothing; edits and revokes also change the
/// message they point at. Messages seen before (WhatsApp redelivers what was not acknowledged)
/// are skipped. A new received message runs the reply rules ([`super::rules`]) in the same
/// transaction; `new_wa_id` names their answers.
pub fn store_inbound(
    pool: &DbPool,
    batch: &[Inbound],
    new_wa_id: super::campaigns::NewWaId<'_>,
    quotas: crate::domain::Quotas,
) -> DbResult<Stored> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let mut out = Vec::new();
            let mut answers = 0;
            for Inbound {
                mut row,
                event_type,
                mut content,
                mut envelope,
                sender_is_admin,
            } in batch.iter().cloned()
            {
                let change = match (&content.edit, &content.revoke) {
                    (Some(_), _) => Some(Change::Edit),
                    (_, Some(_)) => Some(Change::Revoke),
                    _ => None,
                };
                let mut target = None;
                if let Some(t) = target_of(&mut content) {
                    // WhatsApp ids are random per message: the id alone finds it, whichever
                    // address (phone number or LID) the chat was known by.
                    target = messages::table
                        .filter(messages::session_id.eq(&row.session_id))
                        .filter(messages::wa_id.eq(&t.wa_id))
                        .order(messages::id.asc())
                        .first::<MessageRow>(conn)
                        .optional()?;
                    if let (Some(found), Some(kind)) = (&target, change)
                        && !may_change(found, &row, kind, sender_is_admin)
                    {
                        log::info!(
                            "session {}: ignored {kind:?} of message {} by {}, who may not change it",
                            row.session_id,
                            found.id,
                            row.sender_jid
                        );
                        continue;
                    }
                    if let Some(found) = &target {
                        point_at(t, found);
                    }
                }
                row.body = content.to_json();
                if insert_message!(conn, row)? != 1 {
                    continue;
                }
                super::tenancy::meter_in!(conn, &row)?;
                if let (Some(found), Some(when)) = (&target, envelope.get("timestamp").cloned())
                    && let Some(changed) =
                        changed_by(found, &content, when.as_str().map(str::to_string))
                {
                    diesel::update(messages::table.find(&found.id))
                        .set((
                            messages::body.eq(changed.to_json()),
                            messages::updated_at.eq(row.created_at),
                        ))
                        .execute(conn)?;
                }
                if let serde_json::Value::Object(fields) =
                    serde_json::to_value(&content).unwrap_or_default()
                {
                    envelope.extend(fields);
                }
                let name = push_name(&envelope);
                out.push(status_event(
                    conn,
                    &row,
                    event_type,
                    serde_json::Value::Object(envelope),
                    row.created_at,
                )?);
                out.extend(learn_sender!(conn, &row, name.clone())?);
                if event_type == EventType::MessageReceived && change.is_none() {
                    answers += fire!(conn, &row, &content, name.as_deref(), new_wa_id, quotas).sends;
                }
            }
            Ok(Stored {
                events: out,
                answers,
            })
        })
    })
}

/// The sender's name as the envelope of a received message has it.
fn push_name(envelope: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    envelope.get("push_name")?.as_str().map(str::to_string)
}

/// What [`store_inbound`] stored: the events of new messages, and how many answers the reply
/// rules put into the outbox.
pub struct Stored {
    pub events: Vec<EventRow>,
    pub answers: usize,
}

/// The message a reaction, poll vote, edit or revoke points at.
fn target_of(content: &mut Content) -> Option<&mut crate::domain::MessageRef> {
    content
        .reaction
        .as_mut()
        .map(|r| &mut r.target)
        .or(content.poll_vote.as_mut().map(|v| &mut v.target))
        .or(content.edit.as_mut().map(|e| &mut e.target))
        .or(content.revoke.as_mut().map(|r| &mut r.target))
}

/// Completes a reference with what the stored message it points at says.
fn point_at(t: &mut crate::domain::MessageRef, found: &MessageRow) {
    t.chat = found.chat_jid.clone();
    t.id = Some(found.id.clone());
    t.from_me = found.from_me;
    if !found.from_me && t.sender.is_none() {
        t.sender = Some(found.sender_jid.clone());
    }
}

/// What an edit (new text or caption) or a revoke (nothing left) makes of the message `found`;
/// `None` for any other add-on.
fn changed_by(found: &MessageRow, content: &Content, when: Option<String>) -> Option<Content> {
    if let Some(edit) = &content.edit {
        let mut changed = Content::from_json(&found.body);
        if changed.caption.is_some() {
            changed.caption = Some(edit.text.clone());
        } else {
            changed.text = Some(edit.text.clone());
        }
        changed.edited_at = when;
        Some(changed)
    } else if content.revoke.is_some() {
        Some(Content {
            revoked_at: when,
            ..Content::default()
        })
    } else {
        None
    }
}

/// A message of the session by its WhatsApp id.
pub fn find_by_wa_id(pool: &DbPool, session_id: &str, wa_id: &str) -> DbResult<Option<MessageRow>> {
    with_conn!(pool, |conn| {
        Ok(messages::table
            .filter(messages::session_id.eq(session_id))
            .filter(messages::wa_id.eq(wa_id))
            .order(messages::id.asc())
            .first(conn)
            .optional()?)
    })
}

pub fn get(pool: &DbPool, session_id: &str, id: &str) -> DbResult<Option<MessageRow>> {
    with_conn!(pool, |conn| {
        Ok(messages::table
            .find(id)
            .filter(messages::session_id.eq(session_id))
            .first(conn)
            .optional()?)
    })
}

/// Which messages a listing shows.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Only these chats (none: every chat); one person's chat may be known by number and LID.
    pub chats: Vec<String>,
    pub status: Option<MessageStatus>,
}

pub fn list(
    pool: &DbPool,
    session_id: &str,
    filter: &MessageFilter,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<MessageRow>> {
    with_conn!(pool, |conn| {
        let mut q = messages::table
            .filter(messages::session_id.eq(session_id))
            .order(messages::id.asc())
            .limit(limit)
            .into_boxed();
        if !filter.chats.is_empty() {
            q = q.filter(messages::chat_jid.eq_any(filter.chats.clone()));
        }
        if let Some(status) = filter.status {
            q = q.filter(messages::status.eq(status.as_str()));
        }
        if let Some(after) = after {
            q = q.filter(messages::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

/// A chat of a session: its latest message and counts.
pub struct ChatSummary {
    pub chat: String,
    pub messages: i64,
    pub unread: i64,
    pub last: MessageRow,
}

/// The chats with stored messages, ordered by JID, after `after`.
pub fn chats(
    pool: &DbPool,
    session_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ChatSummary>> {
    use diesel::dsl::{count_star, max};
    with_conn!(pool, |conn| {
        let mut q = messages::table
            .filter(messages::session_id.eq(session_id))
            .group_by(messages::chat_jid)
            .select((messages::chat_jid, count_star(), max(messages::id)))
            .order(messages::chat_jid.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(messages::chat_jid.gt(after.to_string()));
        }
        let groups: Vec<(String, i64, Option<String>)> = q.load(conn)?;
        let mut out = Vec::with_capacity(groups.len());
        for (chat, count, last) in groups {
            let Some(last) = last else { continue };
            let last: MessageRow = messages::table.find(&last).first(conn)?;
            let unread: i64 = messages::table
                .filter(messages::session_id.eq(session_id))
                .filter(messages::chat_jid.eq(&chat))
                .filter(messages::status.eq(RECEIVED))
                .count()
                .get_result(conn)?;
            out.push(ChatSummary {
                chat,
                messages: count,
                unread,
                last,
            });
        }
        Ok(out)
    })
}

/// A received message was marked read through WARAS.
pub fn mark_read(pool: &DbPool, session_id: &str, id: &str, now: i64) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::update(
            messages::table
                .find(id)
                .filter(messages::session_id.eq(session_id))
                .filter(messages::status.eq(RECEIVED)),
        )
        .set((messages::status.eq(READ), messages::updated_at.eq(now)))
        .execute(conn)?;
        Ok(())
    })
}
