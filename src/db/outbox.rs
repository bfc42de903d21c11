//! The outbox: a session's queued sends, which its owner sends while WORKING, and the scheduled
//! sends that join the queue when due (`send_at`), are moved or cancelled while they wait, or fail
//! once they are later than the configured lateness.

use diesel::prelude::*;

use super::events::EventRow;
use super::media::MediaRow;
use super::messages::{
    CANCELLED, FAILED, IDEMPOTENCY_WINDOW_MS, MessageRow, QUEUED, SCHEDULED, insert_message,
    status_event,
};
use super::schema::messages;
use super::{DbConn, DbPool, DbResult};
use crate::domain::EventType;
use crate::with_conn;

/// A scheduled send that goes out this long after its time is marked `late`.
pub const LATE_AFTER_MS: i64 = 1000;

/// What the session's owner sends next.
pub struct Outbox {
    /// Queued sends, oldest first.
    pub batch: Vec<MessageRow>,
    /// When the next scheduled send of the session is due (unix ms).
    pub next_due: Option<i64>,
}

/// The session's queued sends, oldest first, after moving its due scheduled sends into the queue
/// (those more than `max_lateness_ms` overdue are left to [`fail_overdue`]); only for the
/// session's owner (`fence`).
pub fn outbox(
    pool: &DbPool,
    session_id: &str,
    limit: i64,
    max_lateness_ms: i64,
    now: i64,
    fence: Option<&super::cluster::Fence>,
) -> DbResult<Outbox> {
    with_conn!(pool, |conn| {
        // What this owner will still send: those later than the lateness are left to
        // `fail_overdue`, so they never count as due here.
        let pending = messages::table
            .filter(messages::session_id.eq(session_id))
            .filter(messages::status.eq(SCHEDULED))
            .filter(messages::send_at.gt(now - max_lateness_ms));
        let earliest_pending = pending.select(diesel::dsl::min(messages::send_at));
        let queued = messages::table
            .filter(messages::session_id.eq(session_id))
            .filter(messages::from_me.eq(true))
            .filter(messages::status.eq(QUEUED))
            .order((messages::created_at.asc(), messages::id.asc()))
            .limit(limit);
        // Most passes find nothing due: they read, in a transaction that takes no write lock.
        let quiet = conn.transaction(|conn| -> DbResult<Option<Outbox>> {
            conn.check_fence(session_id, fence)?;
            let earliest: Option<i64> = earliest_pending.first(conn)?;
            if earliest.is_some_and(|at| at <= now) {
                return Ok(None);
            }
            let batch = queued.load(conn)?;
            Ok(Some(Outbox {
                batch,
                next_due: earliest,
            }))
        })?;
        if let Some(read) = quiet {
            return Ok(read);
        }
        conn.write_txn(|conn| {
            conn.check_fence(session_id, fence)?;
            for (late, to) in [(true, now - LATE_AFTER_MS), (false, now)] {
                diesel::update(pending.filter(messages::send_at.le(to)))
                    .set((
                        messages::status.eq(QUEUED),
                        messages::late.eq(late),
                        messages::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            let next_due = earliest_pending.first(conn)?;
            let batch = queued.load(conn)?;
            Ok(Outbox { batch, next_due })
        })
    })
}

/// Scheduled sends more than `max_lateness_ms` past their time (their session was not WORKING
/// meanwhile) fail, each with a `message.ack` event; at most `limit` per call. Any instance may
/// run it: a row moves only from `scheduled`, so a send its owner took meanwhile is left alone.
pub fn fail_overdue(
    pool: &DbPool,
    max_lateness_ms: i64,
    limit: i64,
    now: i64,
) -> DbResult<Vec<EventRow>> {
    let error = format!(
        "not sent within {} s of its send_at: the session was not WORKING",
        max_lateness_ms / 1000
    );
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let overdue: Vec<MessageRow> = messages::table
                .filter(messages::status.eq(SCHEDULED))
                .filter(messages::send_at.le(now - max_lateness_ms))
                .order(messages::send_at.asc())
                .limit(limit)
                .load(conn)?;
            let mut events = Vec::new();
            for m in overdue {
                let moved = diesel::update(
                    messages::table
                        .find(&m.id)
                        .filter(messages::status.eq(SCHEDULED)),
                )
                .set((
                    messages::status.eq(FAILED),
                    messages::error.eq(Some(&error)),
                    messages::updated_at.eq(now),
                ))
                .execute(conn)?;
                if moved == 1 {
                    let data = serde_json::json!({
                        "id": m.id, "wa_id": m.wa_id, "status": FAILED, "error": error,
                        "send_at": crate::time::rfc3339_opt(m.send_at),
                    });
                    events.push(status_event(conn, &m, EventType::MessageAck, data, now)?);
                }
            }
            Ok(events)
        })
    })
}

/// Moves a scheduled send to `send_at`, or cancels it (`send_at` `None`); `Ok(None)` when the
/// message is not (or no longer) scheduled.
pub fn reschedule(
    pool: &DbPool,
    session_id: &str,
    id: &str,
    send_at: Option<i64>,
    now: i64,
) -> DbResult<Option<MessageRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = messages::table
                .filter(messages::session_id.eq(session_id))
                .filter(messages::id.eq(id))
                .filter(messages::status.eq(SCHEDULED));
            let moved = match send_at {
                Some(at) => diesel::update(target)
                    .set((
                        messages::send_at.eq(at),
                        messages::wa_timestamp.eq(at),
                        messages::updated_at.eq(now),
                    ))
                    .execute(conn)?,
                None => diesel::update(target)
                    .set((messages::status.eq(CANCELLED), messages::updated_at.eq(now)))
                    .execute(conn)?,
            };
            if moved == 0 {
                return Ok(None);
            }
            Ok(messages::table.find(id).first(conn).optional()?)
        })
    })
}

/// A text send from the session's account to `to`, queued now: `body` is its content JSON and
/// `wa_id` its pre-generated WhatsApp id (the automatic answers of reply rules and of declined
/// calls).
pub fn queued_text(
    session: &super::sessions::SessionRow,
    to: String,
    body: String,
    wa_id: String,
    now: i64,
) -> MessageRow {
    MessageRow {
        id: crate::domain::MessageId::generate().into_string(),
        session_id: session.id.clone(),
        tenant_id: session.tenant_id.clone(),
        from_me: true,
        chat_jid: to,
        sender_jid: session.me_phone_jid.clone().unwrap_or_default(),
        sender_lid: session.me_lid.clone(),
        sender_phone: session.me_phone_jid.clone(),
        wa_id,
        msg_type: "text".into(),
        body,
        status: QUEUED.into(),
        error: None,
        attempts: 0,
        reply_to: None,
        idempotency_key: None,
        request_hash: None,
        wa_timestamp: Some(now),
        created_at: now,
        updated_at: now,
        engine_ref: None,
        send_at: None,
        late: false,
        campaign_id: None,
    }
}

pub enum Enqueued {
    New(MessageRow),
    /// The same Idempotency-Key with the same request: the earlier answer.
    Existing(MessageRow),
    /// The same Idempotency-Key with a different request.
    Mismatch,
}

/// Writes an outgoing message (and the media file it will upload) in one transaction, unless its
/// Idempotency-Key was seen: then the earlier answer, or a mismatch. The tenant's daily message
/// and media quotas (its own, else `default_quotas`) are checked in the same transaction; the
/// message and its bytes are metered.
pub fn enqueue(
    pool: &DbPool,
    row: &MessageRow,
    file: Option<&MediaRow>,
    default_quotas: crate::domain::Quotas,
) -> DbResult<Enqueued> {
    use super::tenancy::{check_quota, day_of, meter_out, metric, usage_of};
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let day = day_of(row.created_at);
            let tenant = row.tenant_id.as_str();
            // In the same transaction (and connection) as the send it limits.
            let quotas = super::tenancy::read_controls!(conn, tenant)?
                .quotas()
                .or(default_quotas);
            // Twice at most: a second pass happens only when a concurrent request with the same
            // key committed between our look-up and our insert (the unique index made the insert
            // wait for it, then skip); on PostgreSQL the look-up then sees its row.
            for _ in 0..2 {
                if let Some(key) = &row.idempotency_key {
                    let earlier = messages::table
                        .filter(messages::session_id.eq(&row.session_id))
                        .filter(messages::idempotency_key.eq(key))
                        .first::<MessageRow>(conn)
                        .optional()?;
                    if let Some(earlier) = earlier {
                        if earlier.created_at > row.created_at - IDEMPOTENCY_WINDOW_MS {
                            return Ok(if earlier.request_hash == row.request_hash {
                                Enqueued::Existing(earlier)
                            } else {
                                Enqueued::Mismatch
                            });
                        }
                        // Expired: the key may be used again.
                        diesel::update(messages::table.find(&earlier.id))
                            .set(messages::idempotency_key.eq(None::<String>))
                            .execute(conn)?;
                    }
                }
                // An earlier answer above needs no quota; a new message does.
                check_quota!(
                    conn,
                    tenant,
                    "messages_per_day",
                    quotas.messages_per_day,
                    usage_of!(conn, tenant, &day, metric::MESSAGES_OUT)?
                )?;
                if let (Some(limit), Some(file)) = (quotas.media_bytes, file) {
                    let stored = super::tenants::media_bytes_of!(conn, tenant)?;
                    if u64::try_from(stored + file.size).unwrap_or(u64::MAX) > limit {
                        return Err(super::tenancy::exceeded("media_bytes", limit));
                    }
                }
                if insert_message!(conn, row)? == 1 {
                    meter_out!(conn, row)?;
                    if let Some(file) = file {
                        super::media::insert_file!(conn, file);
                    }
                    return Ok(Enqueued::New(row.clone()));
                }
            }
            Err(diesel::result::Error::NotFound.into())
        })
    })
}
