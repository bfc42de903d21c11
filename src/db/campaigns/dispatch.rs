//! A session's turn in its running campaigns: claiming the next recipient when the pace allows
//! (`dispatch`), making its message, finishing a campaign, and stopping it on a run of failures
//! or a rate limit.

use diesel::prelude::*;

use super::{
    ASSIGNED, CHECK_TIMEOUT_MS, CHECKING, CampaignRow, FAILURE_RUN, PENDING, PaceRow, RecipientRow,
    SKIPPED, event,
};
use crate::db::messages::{
    DELIVERED, FAILED, MessageRow, QUEUED, READ, SCHEDULED, SENT, insert_message,
};
use crate::db::schema::{
    campaign_recipients as recipients, campaign_sessions as paces, campaigns, messages, sessions,
};
use crate::db::sessions::SessionRow;
use crate::db::{DbConn, DbPool, DbResult};
use crate::domain::campaign::{TYPING_MS, Turn};
use crate::domain::{CampaignStatus, Content, EventType, Template};
use crate::with_conn;

/// A recipient a session claimed in this pass.
#[derive(Debug, Clone)]
pub struct Claim {
    pub campaign_id: String,
    pub seq: i32,
    pub chat_jid: String,
    /// Its number is to be looked up before its message is made ([`checked`]).
    pub check: bool,
    /// Show "typing…" in its chat now: its message goes out [`TYPING_MS`] later.
    pub typing: bool,
}

/// What one pass over a session's running campaigns did.
#[derive(Debug, Default)]
pub struct Dispatched {
    pub claims: Vec<Claim>,
    /// When the session may send for one of them next (unix ms).
    pub next_at: Option<i64>,
    /// Events were appended (a campaign completed or stopped).
    pub events: bool,
}

/// How a session names a new message's WhatsApp id (from its own JID and the time).
pub type NewWaId<'a> = &'a (dyn Fn(Option<&str>, i64) -> String + Sync);

enum Step {
    /// Not before this time.
    Wait(i64),
    Claimed(Claim, i64),
    /// The campaign completed or stopped (an event), or is no longer running.
    Ended(bool),
}

fn earliest(a: Option<i64>, b: i64) -> Option<i64> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// Whether a send's error is WhatsApp saying the account sends too much.
pub fn rate_limited(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    e.contains("rate-overlimit") || e.contains("rate limit") || e.contains("429")
}

/// Why a campaign should stop after its latest finished sends, if it should.
fn failing(latest: &[(String, Option<String>)]) -> Option<String> {
    if let Some((status, Some(error))) = latest.first()
        && status == FAILED
        && rate_limited(error)
    {
        return Some(format!("rate_limited: WhatsApp refused a send: {error}"));
    }
    let all_failed = latest.len() >= FAILURE_RUN && latest.iter().all(|(s, _)| s == FAILED);
    all_failed.then(|| {
        let last = latest
            .first()
            .and_then(|(_, e)| e.clone())
            .unwrap_or_default();
        format!("failures: the last {FAILURE_RUN} sends failed (the latest: {last})")
    })
}

/// The message of `r` in campaign `c`, from `session`: personalised, and scheduled after the
/// typing indicator when there is one.
fn campaign_message(
    c: &CampaignRow,
    r: &RecipientRow,
    session: &SessionRow,
    now: i64,
    new_wa_id: NewWaId<'_>,
) -> Result<MessageRow, String> {
    let mut content = Content::from_json(&c.body);
    if let Some(source) = &c.template_source {
        let values = r
            .variables
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default();
        let text = Template::parse(source)?
            .render(&values)
            .map_err(|missing| format!("no value for {}", missing.join(", ")))?;
        match c.msg_type.as_str() {
            "text" => content.text = Some(text),
            _ => content.caption = Some(text),
        }
    }
    let typing = c.pacing().typing.unwrap_or(false);
    let send_at = typing.then_some(now + TYPING_MS);
    Ok(MessageRow {
        id: crate::domain::MessageId::generate().into_string(),
        session_id: session.id.clone(),
        tenant_id: c.tenant_id.clone(),
        from_me: true,
        chat_jid: r.recipient.clone(),
        sender_jid: session.me_phone_jid.clone().unwrap_or_default(),
        sender_lid: session.me_lid.clone(),
        sender_phone: session.me_phone_jid.clone(),
        wa_id: new_wa_id(session.me_phone_jid.as_deref(), now),
        msg_type: c.msg_type.clone(),
        body: content.to_json(),
        status: if typing { SCHEDULED } else { QUEUED }.to_string(),
        error: None,
        attempts: 0,
        reply_to: None,
        idempotency_key: None,
        request_hash: None,
        wa_timestamp: Some(send_at.unwrap_or(now)),
        created_at: now,
        updated_at: now,
        engine_ref: c.engine_ref.clone(),
        send_at,
        late: false,
        campaign_id: Some(c.id.clone()),
    })
}

/// Puts recipient `r`'s message into `session`'s outbox, or skips the recipient when its
/// message cannot be made.
macro_rules! assign {
    ($conn:expr, $c:expr, $r:expr, $session:expr, $now:expr, $new_wa_id:expr) => {{
        let (c, r, now): (&CampaignRow, &RecipientRow, i64) = ($c, $r, $now);
        let target = recipients::table
            .filter(recipients::campaign_id.eq(&r.campaign_id))
            .filter(recipients::seq.eq(r.seq));
        match campaign_message(c, r, $session, now, $new_wa_id) {
            Ok(m) => {
                insert_message!($conn, m)?;
                $crate::db::tenancy::meter_out!($conn, &m)?;
                diesel::update(target)
                    .set((
                        recipients::status.eq(ASSIGNED),
                        recipients::session_id.eq(&m.session_id),
                        recipients::message_id.eq(&m.id),
                        recipients::updated_at.eq(now),
                    ))
                    .execute($conn)?;
            }
            Err(e) => {
                diesel::update(target)
                    .set((
                        recipients::status.eq(SKIPPED),
                        recipients::error.eq(e),
                        recipients::updated_at.eq(now),
                    ))
                    .execute($conn)?;
            }
        }
    }};
}

/// With no recipient left to claim: the campaign completes once no send of it waits anywhere
/// (a lookup, an outbox); until then it is looked at again in a second.
macro_rules! finish {
    ($conn:expr, $c:expr, $now:expr) => {{
        let (mut c, now): (CampaignRow, i64) = ($c, $now);
        let waiting: i64 = messages::table
            .filter(messages::campaign_id.eq(&c.id))
            .filter(messages::status.eq_any([QUEUED, SCHEDULED]))
            .count()
            .get_result($conn)?;
        let checking: i64 = recipients::table
            .filter(recipients::campaign_id.eq(&c.id))
            .filter(recipients::status.eq(CHECKING))
            .count()
            .get_result($conn)?;
        if waiting + checking > 0 {
            Step::Wait(now + 1000)
        } else {
            c.status = CampaignStatus::Completed.as_str().to_string();
            c.finished_at = Some(now);
            c.updated_at = now;
            save_status!($conn, &c);
            event($conn, &c, EventType::CampaignCompleted, now)?;
            Step::Ended(true)
        }
    }};
}

/// Claims the next recipient of campaign `c` for session `$session` if its pace allows; ends
/// the campaign when every recipient had its turn, or stops it on a run of failures.
macro_rules! step {
    ($conn:expr, $c:expr, $pace:expr, $session:expr, $now:expr, $new_wa_id:expr, $jitter:expr) => {{
        let (c, pace, now): (CampaignRow, PaceRow, i64) = ($c, $pace, $now);
        let running = CampaignStatus::Running.as_str();
        let status: Option<String> = campaigns::table
            .find(&c.id)
            .select(campaigns::status)
            .first($conn)
            .optional()?;
        // Only what finished since the campaign last started or resumed: a resumed campaign
        // is not stopped again by the failures that stopped it.
        let latest: Vec<(String, Option<String>)> = messages::table
            .filter(messages::campaign_id.eq(&c.id))
            .filter(messages::status.eq_any([SENT, DELIVERED, READ, FAILED]))
            .filter(messages::updated_at.ge(c.updated_at))
            .order(messages::updated_at.desc())
            .limit(FAILURE_RUN as i64)
            .select((messages::status, messages::error))
            .load($conn)?;
        let pacing = c.pacing();
        if status.as_deref() != Some(running) {
            Step::Ended(false)
        } else if let Some(reason) = failing(&latest) {
            stop!($conn, c, reason, now);
            Step::Ended(true)
        } else {
            match pacing.turn(now, &pace.day, u32::try_from(pace.day_count).unwrap_or(0)) {
                Turn::Wait(at) => {
                    diesel::update(paces::table.find((&pace.campaign_id, &pace.session_id)))
                        .set(paces::next_at.eq(at))
                        .execute($conn)?;
                    Step::Wait(at)
                }
                Turn::Send { day_count } => {
                    let mine = recipients::table.filter(recipients::campaign_id.eq(&c.id));
                    let stale: Option<RecipientRow> = mine
                        .filter(recipients::status.eq(CHECKING))
                        .filter(recipients::updated_at.lt(now - CHECK_TIMEOUT_MS))
                        .order(recipients::seq.asc())
                        .select(RecipientRow::as_select())
                        .first($conn)
                        .optional()?;
                    let next = match stale {
                        Some(r) => Some(r),
                        None => mine
                            .filter(recipients::status.eq(PENDING))
                            .order(recipients::seq.asc())
                            .select(RecipientRow::as_select())
                            .first($conn)
                            .optional()?,
                    };
                    match next {
                        None => finish!($conn, c, now),
                        Some(r) => {
                            // Taken only from the status it was read in: another session's
                            // owner may have claimed it meanwhile.
                            let claimed = diesel::update(
                                mine.filter(recipients::seq.eq(r.seq))
                                    .filter(recipients::status.eq(&r.status)),
                            )
                            .set((
                                recipients::status.eq(CHECKING),
                                recipients::session_id.eq(&$session.id),
                                recipients::updated_at.eq(now),
                            ))
                            .execute($conn)?;
                            if claimed == 0 {
                                Step::Wait(now)
                            } else {
                                if !c.skip_unregistered {
                                    assign!($conn, &c, &r, $session, now, $new_wa_id);
                                }
                                let next_at = now + pacing.gap_ms($jitter);
                                diesel::update(
                                    paces::table.find((&pace.campaign_id, &pace.session_id)),
                                )
                                .set((
                                    paces::next_at.eq(next_at),
                                    paces::day.eq(pacing.day(now)),
                                    paces::day_count.eq(day_count.saturating_add(1) as i32),
                                ))
                                .execute($conn)?;
                                let claim = Claim {
                                    campaign_id: c.id.clone(),
                                    seq: r.seq,
                                    chat_jid: r.recipient.clone(),
                                    check: c.skip_unregistered,
                                    typing: pacing.typing.unwrap_or(false),
                                };
                                Step::Claimed(claim, next_at)
                            }
                        }
                    }
                }
            }
        }
    }};
}

/// How soon a campaign held back by its tenant's daily quota looks again.
const QUOTA_RECHECK_MS: i64 = 60_000;

/// One pass over the running campaigns that send through `session_id` (for its owner,
/// `fence`): each whose pace allows claims its next recipient. Most passes find nothing due and
/// read one indexed row per campaign.
pub fn dispatch(
    pool: &DbPool,
    session_id: &str,
    now: i64,
    fence: Option<&crate::db::cluster::Fence>,
    new_wa_id: NewWaId<'_>,
    jitter: &mut dyn FnMut() -> f64,
    default_quotas: crate::domain::Quotas,
) -> DbResult<Dispatched> {
    with_conn!(pool, |conn| {
        let running: Vec<(CampaignRow, PaceRow)> = campaigns::table
            .inner_join(paces::table.on(paces::campaign_id.eq(campaigns::id)))
            .filter(paces::session_id.eq(session_id))
            .filter(campaigns::status.eq(CampaignStatus::Running.as_str()))
            .select((CampaignRow::as_select(), PaceRow::as_select()))
            .load(conn)?;
        let mut out = Dispatched::default();
        for (c, pace) in running {
            if pace.next_at > now {
                out.next_at = earliest(out.next_at, pace.next_at);
                continue;
            }
            let step = conn.write_txn(|conn| {
                conn.check_fence(session_id, fence)?;
                let Some(session) = sessions::table
                    .find(session_id)
                    .first::<SessionRow>(conn)
                    .optional()?
                else {
                    return Ok(Step::Ended(false));
                };
                // A tenant at its messages_per_day quota sends no more today: the campaign
                // looks again in a minute (and carries on the next day).
                let tenant = c.tenant_id.clone();
                if !crate::db::tenancy::may_send_today!(conn, &tenant, now, default_quotas)? {
                    return Ok(Step::Wait(now + QUOTA_RECHECK_MS));
                }
                Ok(step!(conn, c, pace, &session, now, new_wa_id, jitter()))
            })?;
            match step {
                Step::Wait(at) => out.next_at = earliest(out.next_at, at),
                Step::Claimed(claim, at) => {
                    out.claims.push(claim);
                    out.next_at = earliest(out.next_at, at);
                }
                Step::Ended(events) => out.events |= events,
            }
        }
        Ok(out)
    })
}

/// The lookup of a claimed recipient's number answered: on WhatsApp (or unknown) its message
/// goes into the session's outbox, otherwise it is skipped. A campaign paused meanwhile gets the
/// recipient back as pending.
pub fn checked(
    pool: &DbPool,
    claim: &Claim,
    session_id: &str,
    registered: bool,
    now: i64,
    new_wa_id: NewWaId<'_>,
) -> DbResult<()> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let target = recipients::table
                .filter(recipients::campaign_id.eq(&claim.campaign_id))
                .filter(recipients::seq.eq(claim.seq))
                .filter(recipients::status.eq(CHECKING))
                .filter(recipients::session_id.eq(session_id));
            let Some(r) = target
                .select(RecipientRow::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(());
            };
            let c: CampaignRow = campaigns::table
                .find(&claim.campaign_id)
                .select(CampaignRow::as_select())
                .first(conn)?;
            let session = sessions::table.find(session_id).first::<SessionRow>(conn)?;
            if c.status != CampaignStatus::Running.as_str() {
                diesel::update(target)
                    .set((
                        recipients::status.eq(PENDING),
                        recipients::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            } else if !registered {
                diesel::update(target)
                    .set((
                        recipients::status.eq(SKIPPED),
                        recipients::error.eq("not on WhatsApp"),
                        recipients::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            } else {
                assign!(conn, &c, &r, &session, now, new_wa_id);
            }
            Ok(())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(s, e)| (s.to_string(), e.map(str::to_string)))
            .collect()
    }

    #[test]
    fn a_rate_limit_stops_at_once_and_a_run_of_failures_after_five() {
        let limited = finished(&[
            ("failed", Some("usync: 429 rate-overlimit")),
            ("sent", None),
        ]);
        assert!(failing(&limited).unwrap().starts_with("rate_limited"));
        let four = finished(&[("failed", Some("no devices")); 4]);
        assert_eq!(failing(&four), None);
        let five = finished(&[("failed", Some("no devices")); 5]);
        assert!(failing(&five).unwrap().contains("the last 5 sends failed"));
        let broken = finished(&[
            ("failed", Some("x")),
            ("failed", Some("x")),
            ("delivered", None),
            ("failed", Some("x")),
            ("failed", Some("x")),
        ]);
        assert_eq!(failing(&broken), None);
    }
}
