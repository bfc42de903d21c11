//! Calls to the session's account: an offer is stored and raises `call.offer`; the session may
//! decline it at once (`auto_reject_calls`, with an optional answer to the caller); a call that
//! stops ringing (the caller gave up, another device answered or declined) raises `call.ended`.

use actix::prelude::*;
use wacore::types::call::{CallAction, ElsewhereOutcome, IncomingCall};
use wacore::types::events::Event;

use super::{Drain, SessionActor};
use crate::db::calls::{self, CallRow, RINGING};
use crate::db::messages::MessageRow;
use crate::db::outbox::queued_text;
use crate::db::{Db, now_ms, sessions};
use crate::domain::{Content, SessionOptions};
use crate::engine::compose::new_message_id;
use crate::engine::jid::{is_lid, user_jid};
use crate::engine::live::Command;
use crate::engine::live::calls::RejectCall;

/// Whether the engine event is about a call.
pub(super) fn is_call(event: &Event) -> bool {
    matches!(
        event,
        Event::IncomingCall(_) | Event::MissedCall(_) | Event::CallEndedElsewhere(_)
    )
}

/// What a call event means for a session's stored calls.
pub(super) fn on_call_event(
    act: &mut SessionActor,
    event: &Event,
    ctx: &mut Context<SessionActor>,
) {
    match event {
        Event::IncomingCall(call) => match &call.action {
            CallAction::Offer { .. } if !call.offline => offered(act, call, ctx),
            CallAction::Offer { .. } => end(act, ctx, call.action.call_id(), "missed"),
            CallAction::Terminate { reason, .. } => {
                let status = match reason.as_deref() {
                    Some("accepted_elsewhere") => "accepted_elsewhere",
                    Some("rejected_elsewhere") => "rejected_elsewhere",
                    _ => "missed",
                };
                end(act, ctx, call.action.call_id(), status);
            }
            _ => {}
        },
        Event::MissedCall(m) => end(act, ctx, &m.call_id, "missed"),
        Event::CallEndedElsewhere(e) => {
            let status = match e.outcome {
                ElsewhereOutcome::Accepted => "accepted_elsewhere",
                _ => "rejected_elsewhere",
            };
            end(act, ctx, &e.call_id, status);
        }
        _ => {}
    }
}

/// The stored call of an offer: the caller by phone number and LID where the offer tells both.
fn call_row(act: &SessionActor, call: &IncomingCall) -> CallRow {
    let (phone, lid) = if is_lid(&call.from) {
        let pn = match &call.action {
            CallAction::Offer { caller_pn, .. } => caller_pn.as_ref().map(user_jid),
            _ => None,
        };
        (pn, Some(user_jid(&call.from)))
    } else {
        (Some(user_jid(&call.from)), None)
    };
    let video = matches!(call.action, CallAction::Offer { is_video: true, .. });
    CallRow {
        session_id: act.id.as_str().to_string(),
        call_id: call.action.call_id().to_string(),
        tenant_id: act.tenant_id.clone(),
        peer: call.from.to_string(),
        creator: call.action.call_creator().to_string(),
        from_phone: phone,
        from_lid: lid,
        video,
        status: RINGING.to_string(),
        created_at: now_ms(),
        ended_at: None,
    }
}

fn offered(act: &mut SessionActor, call: &IncomingCall, ctx: &mut Context<SessionActor>) {
    let row = call_row(act, call);
    let (db, client) = (act.db.clone(), act.client.clone());
    let runtime = act.deps.runtime.handle().clone();
    let work = async move {
        let stored = {
            let row = row.clone();
            db.run_patiently(move |pool| calls::offered(pool, &row))
                .await
        };
        match stored {
            Ok(events) if !events.is_empty() => db.events_appended(),
            Ok(_) => return false,
            Err(e) => {
                log::warn!("cannot store call {}: {e}", row.call_id);
                return false;
            }
        }
        let sid = row.session_id.clone();
        let Ok(Some(session)) = db.run(move |pool| sessions::find(pool, &sid)).await else {
            return false;
        };
        let options = SessionOptions::of_stored(&session.config);
        let Some(client) = client.filter(|_| options.auto_reject_calls) else {
            return false;
        };
        let reject = Command::RejectCall(RejectCall {
            call_id: row.call_id.clone(),
            peer: row.peer.clone(),
            creator: row.creator.clone(),
        });
        match runtime.spawn(reject.execute(client)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                log::warn!("cannot reject call {}: {}", row.call_id, e.detail);
                return false;
            }
            Err(e) => {
                log::warn!("cannot reject call {}: {e}", row.call_id);
                return false;
            }
        }
        let reply = options
            .auto_reject_message
            .map(|text| reply_row(&session, &row, text));
        store_end(&db, &row.session_id, &row.call_id, "rejected", reply).await
    };
    ctx.spawn(work.into_actor(act).map(|queued, _, ctx| {
        if queued {
            ctx.notify(Drain);
        }
    }));
}

/// The answer to a declined caller, queued like any send.
fn reply_row(session: &sessions::SessionRow, call: &CallRow, text: String) -> MessageRow {
    let now = now_ms();
    let to = call
        .from_phone
        .clone()
        .or(call.from_lid.clone())
        .unwrap_or_default();
    let body = Content {
        text: Some(text),
        ..Content::default()
    };
    let wa_id = new_message_id(session.me_phone_jid.as_deref(), now);
    queued_text(session, to, body.to_json(), wa_id, now)
}

/// Stores how a call ended; whether a reply was queued with it.
async fn store_end(
    db: &Db,
    session_id: &str,
    call_id: &str,
    status: &'static str,
    reply: Option<MessageRow>,
) -> bool {
    let (sid, cid) = (session_id.to_string(), call_id.to_string());
    let queued = reply.is_some();
    let quotas = db.default_quotas();
    let stored = db
        .run_patiently(move |pool| {
            calls::ended(pool, &sid, &cid, status, reply.as_ref(), now_ms(), quotas)
        })
        .await;
    match stored {
        Ok(Some(_)) => {
            db.events_appended();
            queued
        }
        Ok(None) => false,
        Err(e) => {
            log::warn!("cannot store the end of call {call_id}: {e}");
            false
        }
    }
}

fn end(
    act: &mut SessionActor,
    ctx: &mut Context<SessionActor>,
    call_id: &str,
    status: &'static str,
) {
    let (db, sid, cid) = (
        act.db.clone(),
        act.id.as_str().to_string(),
        call_id.to_string(),
    );
    let work = async move { store_end(&db, &sid, &cid, status, None).await };
    ctx.spawn(work.into_actor(act).map(|_, _, _| ()));
}
