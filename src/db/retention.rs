//! Retention: deleting what is older than the operator keeps, a batch at a time so no purge holds
//! a long write lock (SQLite has one writer) or a large transaction. What the service still needs
//! is never deleted: events a webhook has yet to deliver, queued and scheduled sends (the outbox
//! and what will join it) and the files those sends will upload.

use diesel::prelude::*;

use super::messages::{QUEUED, SCHEDULED};
use super::schema::{campaigns, events, media, messages, webhook_deliveries};
use super::webhooks::{DELIVERING, PENDING};
use super::{DbConn, DbPool, DbResult};
use crate::with_conn;

/// Rows deleted per table and statement.
pub const BATCH: i64 = 500;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Days to keep each kind of data; 0 keeps it forever.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub event_days: u32,
    pub message_days: u32,
    pub media_days: u32,
    pub audit_days: u32,
}

impl RetentionPolicy {
    pub fn is_active(&self) -> bool {
        self.event_days > 0 || self.message_days > 0 || self.media_days > 0 || self.audit_days > 0
    }
}

/// What one batch deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub events: usize,
    pub messages: usize,
    pub media: usize,
    pub audit: usize,
}

impl Purged {
    /// Whether any table may hold more to delete (a batch came back full).
    pub fn more(&self) -> bool {
        [self.events, self.messages, self.media, self.audit]
            .iter()
            .any(|n| *n as i64 >= BATCH)
    }
}

fn cutoff(days: u32, now: i64) -> Option<i64> {
    (days > 0).then(|| now - i64::from(days) * DAY_MS)
}

/// Deletes at most one batch of each kind of expired data.
pub fn purge_batch(pool: &DbPool, policy: &RetentionPolicy, now: i64) -> DbResult<Purged> {
    let mut purged = Purged::default();
    if let Some(before) = cutoff(policy.media_days, now) {
        purged.media = purge_media(pool, before)?;
    }
    if let Some(before) = cutoff(policy.message_days, now) {
        purged.messages = purge_messages(pool, before)?;
    }
    if let Some(before) = cutoff(policy.event_days, now) {
        purged.events = purge_events(pool, before)?;
    }
    if let Some(before) = cutoff(policy.audit_days, now) {
        purged.audit = super::audit::purge(pool, before, BATCH)?;
    }
    Ok(purged)
}

/// Events older than `before` that no webhook delivery still waits for (a delivery being retried
/// keeps its event until it succeeds or fails for good) and every enabled sink of their tenant
/// has published or passed over.
fn purge_events(pool: &DbPool, before: i64) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let waiting = webhook_deliveries::table
                .select(webhook_deliveries::event_id)
                .filter(webhook_deliveries::status.eq_any([PENDING, DELIVERING]));
            // An enabled sink of the tenant not past the event yet keeps it too.
            let unsent = super::schema::sinks::table
                .filter(super::schema::sinks::tenant_id.eq(events::tenant_id))
                .filter(super::schema::sinks::enabled.eq(true))
                .filter(super::schema::sinks::cursor.lt(events::id));
            let ids: Vec<i64> = events::table
                .select(events::id)
                .filter(events::created_at.lt(before))
                .filter(events::id.ne_all(waiting))
                .filter(diesel::dsl::not(diesel::dsl::exists(unsent)))
                .order(events::id.asc())
                .limit(BATCH)
                .load(conn)?;
            if ids.is_empty() {
                return Ok(0);
            }
            Ok(diesel::delete(events::table.filter(events::id.eq_any(&ids))).execute(conn)?)
        })
    })
}

/// Messages older than `before`, except queued and scheduled sends; their media files go with them.
fn purge_messages(pool: &DbPool, before: i64) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let ids: Vec<String> = messages::table
                .select(messages::id)
                .filter(messages::created_at.lt(before))
                .filter(messages::status.ne_all([QUEUED, SCHEDULED]))
                .limit(BATCH)
                .load(conn)?;
            if ids.is_empty() {
                return Ok(0);
            }
            diesel::delete(media::table.filter(media::message_id.eq_any(&ids))).execute(conn)?;
            Ok(diesel::delete(messages::table.filter(messages::id.eq_any(&ids))).execute(conn)?)
        })
    })
}

/// Stored media files older than `before`, except those of queued and scheduled sends (not
/// uploaded yet).
/// The messages stay; a received file can be downloaded again while WhatsApp still has it.
fn purge_media(pool: &DbPool, before: i64) -> DbResult<usize> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let queued = messages::table
                .select(messages::id)
                .filter(messages::status.eq_any([QUEUED, SCHEDULED]));
            // A campaign that may still send keeps its file.
            let campaign_files = campaigns::table
                .filter(campaigns::status.eq_any(super::campaigns::UNFINISHED))
                .filter(campaigns::media_id.is_not_null())
                .select(campaigns::media_id.assume_not_null());
            let ids: Vec<String> = media::table
                .select(media::id)
                .filter(media::created_at.lt(before))
                .filter(media::id.ne_all(campaign_files))
                .filter(
                    media::message_id
                        .is_null()
                        .or(media::message_id.assume_not_null().ne_all(queued)),
                )
                .limit(BATCH)
                .load(conn)?;
            if ids.is_empty() {
                return Ok(0);
            }
            Ok(diesel::delete(media::table.filter(media::id.eq_any(&ids))).execute(conn)?)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_days_keeps_forever() {
        assert_eq!(cutoff(0, 1_000_000), None);
        assert_eq!(cutoff(1, DAY_MS * 3), Some(DAY_MS * 2));
        assert!(!RetentionPolicy::default().is_active());
        let full = Purged {
            events: BATCH as usize,
            ..Purged::default()
        };
        assert!(full.more());
        assert!(!Purged::default().more());
    }
}
