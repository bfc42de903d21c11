//! Campaigns: a message sent to many recipients through one or more sessions, paced per session.
//! Each session's owner claims recipients in turn ([`dispatch`]) and puts their messages into its
//! outbox, so a campaign send is an ordinary send from then on; its progress is read from those
//! messages. A campaign stops by itself on ban signals ([`stop_for_session`], a rate limit or a
//! run of failures in [`dispatch`]).

use std::collections::HashMap;

use diesel::prelude::*;

use super::events::{EventLog, EventRow, NewEvent};
use super::messages::{CANCELLED, DELIVERED, FAILED, READ, SCHEDULED, SENT};
use super::schema::{
    campaign_recipients as recipients, campaign_sessions as paces, campaigns, messages,
};
use super::{DbConn, DbPool, DbResult};
use crate::domain::campaign::Pacing;
use crate::domain::{CampaignStatus, EventType};
use crate::with_conn;

/// Not claimed yet.
pub const PENDING: &str = "pending";
/// Claimed by a session whose owner is looking its number up.
pub const CHECKING: &str = "checking";
/// Its message is in a session's outbox (`message_id`).
pub const ASSIGNED: &str = "assigned";
/// Not sent: not on WhatsApp, or its personalisation failed.
pub const SKIPPED: &str = "skipped";
/// Not sent: the campaign was cancelled first.
pub const RECIPIENT_CANCELLED: &str = "cancelled";

/// This many finished sends in a row failed: the campaign stops.
pub const FAILURE_RUN: usize = 5;
/// A number lookup not answered in this time is claimed again.
pub(crate) const CHECK_TIMEOUT_MS: i64 = 60_000;
/// The statuses in which a campaign may still send (its file is kept).
pub const UNFINISHED: [&str; 4] = ["draft", "running", "paused", "stopped"];
/// Recipients are inserted this many per statement.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub status: String,
    /// The message type of every send.
    pub msg_type: String,
    /// The message (`Content` JSON); its text or caption is `template_source` rendered per
    /// recipient when that is set.
    pub body: String,
    pub template_id: Option<String>,
    pub template_source: Option<String>,
    /// `Pacing` JSON.
    pub pacing: String,
    pub skip_unregistered: bool,
    /// A media campaign's file.
    pub media_id: Option<String>,
    /// What every message of a media campaign carries to find that file.
    pub engine_ref: Option<String>,
    pub total: i32,
    pub stopped_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl CampaignRow {
    pub fn pacing(&self) -> Pacing {
        serde_json::from_str(&self.pacing).unwrap_or(Pacing {
            per_minute: 1,
            jitter_secs: None,
            daily_cap: None,
            quiet_hours: None,
            typing: None,
        })
    }

    fn status(&self) -> Option<CampaignStatus> {
        CampaignStatus::parse(&self.status)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = recipients)]
pub struct RecipientRow {
    pub campaign_id: String,
    pub seq: i32,
    /// The chat the message goes to (a JID).
    pub recipient: String,
    /// The recipient's template variables (JSON object).
    pub variables: Option<String>,
    pub status: String,
    pub session_id: Option<String>,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = paces)]
pub(crate) struct PaceRow {
    campaign_id: String,
    session_id: String,
    next_at: i64,
    day: String,
    day_count: i32,
}

/// A recipient as uploaded.
pub struct NewRecipient {
    pub chat_jid: String,
    pub variables: Option<String>,
}

/// A recipient with where its message stands (status, error, WhatsApp id), if it has one.
pub type RecipientProgress = (RecipientRow, Option<(String, Option<String>, String)>);

/// Each recipient in one bucket: where its message stands, or why it has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub total: i64,
    /// Not sent yet: waiting for its turn or in a session's outbox.
    pub queued: i64,
    pub sent: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    /// Not on WhatsApp (with `skip_unregistered`).
    pub skipped: i64,
    /// Never sent: the campaign was cancelled.
    pub cancelled: i64,
}

/// Takes back a campaign's sends still waiting in the outboxes (scheduled for their typing
/// indicator): their recipients are pending again.
macro_rules! take_back {
    ($conn:expr, $campaign_id:expr, $now:expr) => {{
        let waiting = messages::table
            .filter(messages::campaign_id.eq($campaign_id))
            .filter(messages::status.eq(SCHEDULED));
        let ids: Vec<String> = waiting.select(messages::id).load($conn)?;
        if !ids.is_empty() {
            diesel::update(recipients::table.filter(recipients::message_id.eq_any(&ids)))
                .set((
                    recipients::status.eq(PENDING),
                    recipients::message_id.eq(None::<String>),
                    recipients::session_id.eq(None::<String>),
                    recipients::updated_at.eq($now),
                ))
                .execute($conn)?;
            diesel::delete(messages::table.filter(messages::id.eq_any(&ids))).execute($conn)?;
        }
        diesel::update(
            recipients::table
                .filter(recipients::campaign_id.eq($campaign_id))
                .filter(recipients::status.eq(CHECKING)),
        )
        .set((
            recipients::status.eq(PENDING),
            recipients::updated_at.eq($now),
        ))
        .execute($conn)?;
    }};
}

/// Writes a campaign's status and the times and reason that go with it.
macro_rules! save_status {
    ($conn:expr, $c:expr) => {{
        diesel::update(campaigns::table.find(&$c.id))
            .set((
                campaigns::status.eq(&$c.status),
                campaigns::stopped_reason.eq(&$c.stopped_reason),
                campaigns::started_at.eq($c.started_at),
                campaigns::finished_at.eq($c.finished_at),
                campaigns::updated_at.eq($c.updated_at),
            ))
            .execute($conn)?;
    }};
}

/// A running campaign stops by itself, saying why (`campaign.stopped`).
macro_rules! stop {
    ($conn:expr, $c:expr, $reason:expr, $now:expr) => {{
        let mut c: CampaignRow = $c;
        take_back!($conn, &c.id, $now);
        c.status = CampaignStatus::Stopped.as_str().to_string();
        c.stopped_reason = Some($reason);
        c.updated_at = $now;
        save_status!($conn, &c);
        event($conn, &c, EventType::CampaignStopped, $now)?
    }};
}

/// A campaign's event: its id, name, status and stopped reason.
pub(crate) fn event<C: EventLog>(
    conn: &mut C,
    c: &CampaignRow,
    event_type: EventType,
    now: i64,
) -> DbResult<EventRow> {
    conn.append_event(&NewEvent {
        tenant_id: &c.tenant_id,
        session_id: None,
        event_type,
        data: serde_json::json!({
            "id": c.id, "name": c.name, "status": c.status,
            "stopped_reason": c.stopped_reason,
        }),
        created_at: now,
    })
}

/// Stores a campaign with its recipients and the pace of each session; a running one raises
/// `campaign.started`.
pub fn create(
    pool: &DbPool,
    row: &CampaignRow,
    session_ids: &[String],
    list: &[NewRecipient],
    file: Option<&super::media::MediaRow>,
) -> DbResult<Option<EventRow>> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            if let Some(file) = file {
                super::media::insert_file!(conn, file);
            }
            diesel::insert_into(campaigns::table)
                .values((
                    campaigns::id.eq(&row.id),
                    campaigns::tenant_id.eq(&row.tenant_id),
                    campaigns::name.eq(&row.name),
                    campaigns::status.eq(&row.status),
                    campaigns::msg_type.eq(&row.msg_type),
                    campaigns::body.eq(&row.body),
                    campaigns::template_id.eq(&row.template_id),
                    campaigns::template_source.eq(&row.template_source),
                    campaigns::pacing.eq(&row.pacing),
                    campaigns::skip_unregistered.eq(row.skip_unregistered),
                    campaigns::media_id.eq(&row.media_id),
                    campaigns::engine_ref.eq(&row.engine_ref),
                    campaigns::total.eq(row.total),
                    campaigns::created_at.eq(row.created_at),
                    campaigns::updated_at.eq(row.updated_at),
                    campaigns::started_at.eq(row.started_at),
                ))
                .execute(conn)?;
            for (n, chunk) in list.chunks(CHUNK).enumerate() {
                let values: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (
                            recipients::campaign_id.eq(&row.id),
                            recipients::seq.eq((n * CHUNK + i) as i32),
                            recipients::recipient.eq(&r.chat_jid),
                            recipients::variables.eq(&r.variables),
                            recipients::status.eq(PENDING),
                            recipients::updated_at.eq(row.created_at),
                        )
                    })
                    .collect();
                diesel::insert_into(recipients::table)
                    .values(values)
                    .execute(conn)?;
            }
            let values: Vec<_> = session_ids
                .iter()
                .map(|s| {
                    (
                        paces::campaign_id.eq(&row.id),
                        paces::session_id.eq(s),
                        paces::next_at.eq(row.created_at),
                        paces::day.eq(""),
                        paces::day_count.eq(0),
                    )
                })
                .collect();
            diesel::insert_into(paces::table)
                .values(values)
                .execute(conn)?;
            if row.status != CampaignStatus::Running.as_str() {
                return Ok(None);
            }
            Ok(Some(event(
                conn,
                row,
                EventType::CampaignStarted,
                row.created_at,
            )?))
        })
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<CampaignRow>> {
    with_conn!(pool, |conn| Ok(campaigns::table
        .filter(campaigns::tenant_id.eq(tenant_id))
        .filter(campaigns::id.eq(id))
        .select(CampaignRow::as_select())
        .first(conn)
        .optional()?))
}

pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<CampaignRow>> {
    with_conn!(pool, |conn| {
        let mut q = campaigns::table
            .filter(campaigns::tenant_id.eq(tenant_id.to_string()))
            .order(campaigns::id.asc())
            .limit(limit)
            .select(CampaignRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(campaigns::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

/// The sessions a campaign sends through.
pub fn session_ids(pool: &DbPool, campaign_id: &str) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| Ok(paces::table
        .filter(paces::campaign_id.eq(campaign_id))
        .order(paces::session_id.asc())
        .select(paces::session_id)
        .load(conn)?))
}

/// The progress counts of the given campaigns.
pub fn counts(pool: &DbPool, ids: &[String]) -> DbResult<HashMap<String, Counts>> {
    with_conn!(pool, |conn| {
        let totals: Vec<(String, i32)> = campaigns::table
            .filter(campaigns::id.eq_any(ids))
            .select((campaigns::id, campaigns::total))
            .load(conn)?;
        let mut out: HashMap<String, Counts> = totals
            .into_iter()
            .map(|(id, total)| {
                let c = Counts {
                    total: i64::from(total),
                    ..Counts::default()
                };
                (id, c)
            })
            .collect();
        let sent: Vec<(Option<String>, String, i64)> = messages::table
            .filter(messages::campaign_id.eq_any(ids))
            .group_by((messages::campaign_id, messages::status))
            .select((
                messages::campaign_id,
                messages::status,
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        let unsent: Vec<(String, String, i64)> = recipients::table
            .filter(recipients::campaign_id.eq_any(ids))
            .filter(recipients::status.eq_any([SKIPPED, RECIPIENT_CANCELLED]))
            .group_by((recipients::campaign_id, recipients::status))
            .select((
                recipients::campaign_id,
                recipients::status,
                diesel::dsl::count_star(),
            ))
            .load(conn)?;
        let rows = sent
            .into_iter()
            .filter_map(|(c, s, n)| Some((c?, s, n)))
            .chain(unsent);
        for (id, status, n) in rows {
            let Some(c) = out.get_mut(&id) else { continue };
            match status.as_str() {
                SENT => c.sent += n,
                DELIVERED => c.delivered += n,
                READ => c.read += n,
                FAILED => c.failed += n,
                SKIPPED => c.skipped += n,
                CANCELLED => c.cancelled += n,
                _ => {}
            }
        }
        for c in out.values_mut() {
            c.queued = c.total - c.sent - c.delivered - c.read - c.failed - c.skipped - c.cancelled;
        }
        Ok(out)
    })
}

/// A page of a campaign's recipients in upload order, each with its message's standing.
pub fn recipients(
    pool: &DbPool,
    campaign_id: &str,
    after: Option<i32>,
    limit: i64,
) -> DbResult<Vec<RecipientProgress>> {
    with_conn!(pool, |conn| {
        let q = recipients::table
            .left_join(messages::table.on(messages::id.nullable().eq(recipients::message_id)))
            .filter(recipients::campaign_id.eq(campaign_id))
            .filter(recipients::seq.gt(after.unwrap_or(-1)))
            .order(recipients::seq.asc())
            .limit(limit)
            .select((
                RecipientRow::as_select(),
                (messages::status, messages::error, messages::wa_id).nullable(),
            ));
        Ok(q.load(conn)?)
    })
}

/// A user's change of a campaign's course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Pause,
    /// Starts a draft, or sends again after a pause or a stop.
    Resume,
    Cancel,
}

pub enum Changed {
    Done(CampaignRow, EventRow),
    /// Not possible from the campaign's status.
    Refused(CampaignRow),
    Missing,
}

/// Pauses, resumes (or starts) or cancels a campaign. Pausing and cancelling take back the sends
/// still waiting (for their typing indicator) in the sessions' outboxes.
pub fn change(
    pool: &DbPool,
    tenant_id: &str,
    id: &str,
    change: Change,
    now: i64,
) -> DbResult<Changed> {
    use CampaignStatus::*;
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let Some(mut c) = campaigns::table
                .filter(campaigns::tenant_id.eq(tenant_id))
                .filter(campaigns::id.eq(id))
                .select(CampaignRow::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(Changed::Missing);
            };
            let from = c.status();
            let (to, event) = match (change, from) {
                (Change::Pause, Some(Running)) => (Paused, EventType::CampaignPaused),
                (Change::Resume, Some(Draft)) => (Running, EventType::CampaignStarted),
                (Change::Resume, Some(Paused | Stopped)) => (Running, EventType::CampaignResumed),
                (Change::Cancel, Some(Draft | Running | Paused | Stopped)) => {
                    (Cancelled, EventType::CampaignCancelled)
                }
                _ => return Ok(Changed::Refused(c)),
            };
            if to != Running {
                take_back!(conn, &c.id, now);
            }
            if to == Running {
                diesel::update(paces::table.filter(paces::campaign_id.eq(&c.id)))
                    .set(paces::next_at.eq(now))
                    .execute(conn)?;
                c.started_at = c.started_at.or(Some(now));
                c.stopped_reason = None;
            }
            if to == Cancelled {
                diesel::update(
                    recipients::table
                        .filter(recipients::campaign_id.eq(&c.id))
                        .filter(recipients::status.eq_any([PENDING, CHECKING])),
                )
                .set((
                    recipients::status.eq(RECIPIENT_CANCELLED),
                    recipients::updated_at.eq(now),
                ))
                .execute(conn)?;
                c.finished_at = Some(now);
            }
            c.status = to.as_str().to_string();
            c.updated_at = now;
            save_status!(conn, &c);
            let e = self::event(conn, &c, event, now)?;
            Ok(Changed::Done(c, e))
        })
    })
}

/// Running campaigns that send through `session_id` stop: the session left WORKING for `status`
/// (logged out, failed, stopped or unlinked: the signs of a ban, or of a number that cannot send).
pub fn stop_for_session(
    pool: &DbPool,
    session_id: &str,
    status: &str,
    now: i64,
) -> DbResult<Vec<EventRow>> {
    let reason = format!("session {session_id} is {status}");
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let running: Vec<CampaignRow> = campaigns::table
                .inner_join(paces::table.on(paces::campaign_id.eq(campaigns::id)))
                .filter(paces::session_id.eq(session_id))
                .filter(campaigns::status.eq(CampaignStatus::Running.as_str()))
                .select(CampaignRow::as_select())
                .load(conn)?;
            let mut events = Vec::new();
            for c in running {
                events.push(stop!(conn, c, reason.clone(), now));
            }
            Ok(events)
        })
    })
}

// After the macros above: the dispatch uses them.
mod dispatch;

pub use dispatch::{Claim, Dispatched, NewWaId, checked, dispatch, rate_limited};
