//! Sending: the outbox (queued rows) is drained while the session is WORKING, each message with
//! the WhatsApp id it was given when it was accepted, so a resend is the same message. Scheduled
//! sends join the queue when due: each pass reads when the next one is, and a timer wakes the
//! outbox then. Receipts move sent messages forward to delivered and read.

use std::time::Duration;

use actix::prelude::*;
use wacore::types::events::Receipt;
use wacore::types::presence::ReceiptType;
use whatsapp_rust::send::SendOptions;

use super::SessionActor;
use crate::db::messages::{self, DELIVERED, MessageRow, READ};
use crate::db::now_ms;
use crate::db::outbox::{self, Outbox};
use crate::db::{campaigns, media};
use crate::domain::{MessageKind, SessionStatus};
use crate::engine::compose::{EngineRef, compose, new_message_id};
use crate::engine::jid::parse_recipient;
use crate::engine::live::chats::{ChatState, SendChatState};
use crate::engine::live::contacts::CheckNumbers;
use crate::engine::live::{Call, Command, Reply};

const BATCH: i64 = 50;
/// How soon an outbox that could not be read is looked at again.
const RETRY_AFTER_MS: i64 = 5_000;
/// Attempts before a message is given up as failed.
const MAX_ATTEMPTS: i32 = 5;

/// Sends whatever is queued, if the session is WORKING.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

impl Handler<Drain> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Drain, ctx: &mut Self::Context) {
        if self.status != SessionStatus::Working || self.retiring {
            return;
        }
        if self.draining {
            // What asked (a new or rescheduled send) may have come after the batch was read.
            self.drain_again = true;
            return;
        }
        let Some(client) = self.client.clone() else {
            return;
        };
        self.draining = true;
        self.drain_again = false;
        let (done, finished) = completion();
        let work = drain_batch(self, client);
        let work = async move {
            let drained = work.await;
            let _ = done.send(());
            drained
        };
        self.drain_work = Some(finished);
        ctx.spawn(work.into_actor(self).map(|drained, act, ctx| {
            act.draining = false;
            act.drain_work = None;
            if act.retiring {
                return;
            }
            if drained.more || act.drain_again {
                ctx.notify(Drain);
            }
            act.arm_schedule(drained.next_due, ctx);
        }));
    }
}

/// What one pass over the outbox did.
struct Drained {
    /// The outbox may hold more to send now: the batch was full, a campaign claimed recipients
    /// (typing and number checks came first), or a failed send went back into the queue. A send
    /// accepted meanwhile asks for its own pass (the nudge sets `drain_again`), so a pass that
    /// emptied the queue is not followed by one that reads it empty again.
    more: bool,
    next_due: Option<i64>,
}

impl SessionActor {
    /// Wakes the outbox when the next scheduled send is due (replacing an earlier wake-up).
    fn arm_schedule(&mut self, next_due: Option<i64>, ctx: &mut Context<Self>) {
        if let Some(timer) = self.schedule_timer.take() {
            ctx.cancel_future(timer);
        }
        if let Some(at) = next_due {
            let wait = u64::try_from(at - now_ms()).unwrap_or(0);
            let timer = ctx.run_later(Duration::from_millis(wait), |act, ctx| {
                act.schedule_timer = None;
                ctx.notify(Drain);
            });
            self.schedule_timer = Some(timer);
        }
    }
}

/// Moves due scheduled sends into the queue, then sends one batch of it.
fn drain_batch(
    act: &SessionActor,
    client: std::sync::Arc<whatsapp_rust::client::Client>,
) -> impl Future<Output = Drained> + use<> {
    let (db, session_id, handle, fence) = (
        act.db.clone(),
        act.id.as_str().to_string(),
        act.deps.runtime.handle().clone(),
        act.fence.clone(),
    );
    let max_lateness = act.deps.schedule_max_lateness_ms;
    async move {
        let (dispatched, read) = first_trip(&db, &session_id, fence.clone(), max_lateness).await;
        let campaigns = campaign_turns(&db, &session_id, dispatched, &client, &handle).await;
        let outbox = match read {
            Some(read) => read,
            None => {
                let sid = session_id.clone();
                db.run(move |pool| read_outbox(pool, &sid, max_lateness, fence.as_deref()))
                    .await
            }
        };
        let Outbox { batch, next_due } = match outbox {
            Ok(o) => o,
            Err(e) => {
                log::warn!("session {session_id}: outbox unavailable: {e}");
                // Look again in a while, so a due scheduled send is not forgotten.
                return Drained {
                    more: false,
                    next_due: Some(now_ms() + RETRY_AFTER_MS),
                };
            }
        };
        let mut more = campaigns.claimed || batch.len() >= BATCH as usize;
        let next_due = match (next_due, campaigns.next_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for m in batch {
            let outcome = match load_file(&db, &m).await {
                Ok(file) => send_one(&client, &handle, &m, file).await,
                Err(e) => Err(e),
            };
            let id = m.id.clone();
            // A failed attempt goes back into the queue until its last one.
            more |= outcome.is_err();
            let recorded = match outcome {
                Ok(()) => {
                    db.run(move |pool| messages::mark_sent(pool, &id, now_ms()))
                        .await
                }
                Err(e) => {
                    log::warn!("session {session_id}: send of {} failed: {e}", m.id);
                    db.run(move |pool| {
                        messages::mark_attempt_failed(pool, &id, &e, MAX_ATTEMPTS, now_ms())
                    })
                    .await
                }
            };
            match recorded {
                Ok(_) => db.events_appended(),
                Err(e) => log::warn!("session {session_id}: cannot record a send: {e}"),
            }
        }
        Drained { more, next_due }
    }
}

/// One trip to the database for the usual pass: the campaigns' turn and, when none claimed a
/// recipient, the outbox read too (a claim's typing and number lookup come before the read).
async fn first_trip(
    db: &crate::db::Db,
    session_id: &str,
    fence: Option<std::sync::Arc<crate::db::cluster::Fence>>,
    max_lateness: i64,
) -> (
    crate::db::DbResult<campaigns::Dispatched>,
    Option<crate::db::DbResult<Outbox>>,
) {
    let sid = session_id.to_string();
    let quotas = db.default_quotas();
    let trip = db
        .run(move |pool| {
            let dispatched = campaigns::dispatch(
                pool,
                &sid,
                now_ms(),
                fence.as_deref(),
                &new_message_id,
                &mut || rand::random::<f64>(),
                quotas,
            );
            let quiet = dispatched.as_ref().is_ok_and(|d| d.claims.is_empty());
            let read = quiet.then(|| read_outbox(pool, &sid, max_lateness, fence.as_deref()));
            Ok((dispatched, read))
        })
        .await;
    trip.unwrap_or_else(|e| (Err(e), None))
}

/// One batch of the session's outbox, its due scheduled sends queued first.
fn read_outbox(
    pool: &crate::db::DbPool,
    session_id: &str,
    max_lateness: i64,
    fence: Option<&crate::db::cluster::Fence>,
) -> crate::db::DbResult<Outbox> {
    outbox::outbox(pool, session_id, BATCH, max_lateness, now_ms(), fence)
}

/// What this pass did for the session's running campaigns.
struct CampaignTurns {
    claimed: bool,
    next_at: Option<i64>,
}

/// What the campaigns' turn claimed (their messages join the outbox): shows "typing…" where
/// asked, and looks numbers up first for campaigns that skip those not on WhatsApp.
async fn campaign_turns(
    db: &crate::db::Db,
    session_id: &str,
    dispatched: crate::db::DbResult<campaigns::Dispatched>,
    client: &std::sync::Arc<whatsapp_rust::client::Client>,
    handle: &tokio::runtime::Handle,
) -> CampaignTurns {
    let dispatched = match dispatched {
        Ok(d) => d,
        Err(e) => {
            log::warn!("session {session_id}: campaigns unavailable: {e}");
            return CampaignTurns {
                claimed: false,
                next_at: Some(now_ms() + RETRY_AFTER_MS),
            };
        }
    };
    if dispatched.events {
        db.events_appended();
    }
    for claim in &dispatched.claims {
        if claim.typing {
            let typing = SendChatState {
                chat: claim.chat_jid.clone(),
                state: ChatState::Composing,
            };
            let _ = run_live(client, handle, typing.into()).await;
        }
        if claim.check {
            let digits = claim.chat_jid.split('@').next().unwrap_or("").to_string();
            let asked = CheckNumbers {
                digits: vec![digits],
            };
            // An unanswered lookup sends anyway: only a clear "not on WhatsApp" skips.
            let registered = match run_live(client, handle, asked.into()).await {
                Some(reply) => <CheckNumbers as Call>::output(reply)
                    .is_none_or(|found| found.iter().any(|n| n.registered)),
                None => true,
            };
            let (claim, sid) = (claim.clone(), session_id.to_string());
            let checked = db
                .run(move |pool| {
                    campaigns::checked(pool, &claim, &sid, registered, now_ms(), &new_message_id)
                })
                .await;
            if let Err(e) = checked {
                log::warn!("session {session_id}: cannot record a number lookup: {e}");
            }
        }
    }
    CampaignTurns {
        claimed: !dispatched.claims.is_empty(),
        next_at: dispatched.next_at,
    }
}

/// Runs a live command on the engine's runtime; `None` when it failed (logged).
async fn run_live(
    client: &std::sync::Arc<whatsapp_rust::client::Client>,
    handle: &tokio::runtime::Handle,
    command: Command,
) -> Option<Reply> {
    let client = client.clone();
    match handle.spawn(command.execute(client)).await {
        Ok(Ok(reply)) => Some(reply),
        Ok(Err(e)) => {
            log::debug!("campaign lookup or typing refused: {e:?}");
            None
        }
        Err(e) => {
            log::debug!("campaign lookup or typing stopped: {e}");
            None
        }
    }
}

/// The stored file a media message uploads.
async fn load_file(db: &crate::db::Db, m: &MessageRow) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = EngineRef::parse(m.engine_ref.as_deref()).file else {
        return Ok(None);
    };
    let row = db
        .run(move |pool| media::get(pool, &file))
        .await
        .map_err(|e| e.to_string())?;
    let row = row.ok_or_else(|| "the media file of this message is gone".to_string())?;
    // From the bucket when it is kept there (an outage is retried like a failed send).
    db.media_bytes(row)
        .await
        .map(Some)
        .map_err(|e| e.to_string())
}

async fn send_one(
    client: &std::sync::Arc<whatsapp_rust::client::Client>,
    handle: &tokio::runtime::Handle,
    m: &MessageRow,
    file: Option<Vec<u8>>,
) -> Result<(), String> {
    let to = parse_recipient(&m.chat_jid)?;
    let options = SendOptions::default().with_message_id(m.wa_id.clone());
    let client = client.clone();
    let kind = MessageKind::parse(&m.msg_type)
        .ok_or_else(|| format!("unknown message type {}", m.msg_type))?;
    let content = m.content();
    let engine_ref = EngineRef::parse(m.engine_ref.as_deref());
    let task = handle.spawn(async move {
        let message = compose(&client, kind, &content, file, &engine_ref).await?;
        client
            .send_message_with_options(to, message, options)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    task.await.map_err(|e| e.to_string())?
}

pub(super) fn on_receipt(act: &mut SessionActor, r: &Receipt, ctx: &mut Context<SessionActor>) {
    let status = match r.r#type {
        ReceiptType::Delivered => DELIVERED,
        ReceiptType::Read
        | ReceiptType::ReadSelf
        | ReceiptType::Played
        | ReceiptType::PlayedSelf => READ,
        _ => return,
    };
    let ids: Vec<String> = r.message_ids.iter().map(|i| i.to_string()).collect();
    let (db, sid) = (act.db.clone(), act.id.as_str().to_string());
    let write = async move {
        match db
            .run(move |pool| messages::apply_receipt(pool, &sid, &ids, status, now_ms()))
            .await
        {
            Ok(events) if !events.is_empty() => db.events_appended(),
            Ok(_) => {}
            Err(e) => log::warn!("cannot apply a receipt: {e}"),
        }
    };
    ctx.spawn(write.into_actor(act));
}

/// A one-shot signal and a future, shareable by anyone who waits for it (an orderly stop waits
/// for the outbox batch in flight).
fn completion() -> (
    tokio::sync::oneshot::Sender<()>,
    futures_util::future::Shared<futures_util::future::LocalBoxFuture<'static, ()>>,
) {
    use futures_util::FutureExt as _;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    (tx, rx.map(drop).boxed_local().shared())
}

/// A session that left WORKING for good (stopped, logged out, failed, unlinked) stops the running
/// campaigns that send through it: for WhatsApp these are the signs of a ban.
pub(super) async fn stop_campaigns(db: &crate::db::Db, session_id: &str, status: SessionStatus) {
    if !matches!(
        status,
        SessionStatus::Stopped
            | SessionStatus::LoggedOut
            | SessionStatus::Failed
            | SessionStatus::ScanQr
    ) {
        return;
    }
    let sid = session_id.to_string();
    let stopped = db
        .run(move |pool| {
            crate::db::campaigns::stop_for_session(pool, &sid, status.as_str(), now_ms())
        })
        .await;
    match stopped {
        Ok(events) if !events.is_empty() => db.events_appended(),
        Ok(_) => {}
        Err(e) => log::warn!("session {session_id}: cannot stop its campaigns: {e}"),
    }
}
