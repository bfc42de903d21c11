//! Sending: the outbox (queued rows) is drained while the session is WORKING, each message with
//! the WhatsApp id it was given when it was accepted, so a resend is the same message. Receipts
//! move sent messages forward to delivered and read.

use actix::prelude::*;
use wacore::types::events::Receipt;
use wacore::types::presence::ReceiptType;
use whatsapp_rust::send::SendOptions;

use super::SessionActor;
use crate::db::media;
use crate::db::messages::{self, DELIVERED, MessageRow, READ};
use crate::db::now_ms;
use crate::domain::{MessageKind, SessionStatus};
use crate::engine::compose::{EngineRef, compose};
use crate::engine::jid::parse_recipient;

const BATCH: i64 = 50;
/// Attempts before a message is given up as failed.
const MAX_ATTEMPTS: i32 = 5;

/// Sends whatever is queued, if the session is WORKING.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

impl Handler<Drain> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Drain, ctx: &mut Self::Context) {
        if self.draining || self.status != SessionStatus::Working || self.retiring {
            return;
        }
        let Some(client) = self.client.clone() else {
            return;
        };
        self.draining = true;
        let (db, session_id, handle, fence) = (
            self.db.clone(),
            self.id.as_str().to_string(),
            self.deps.runtime.handle().clone(),
            self.fence.clone(),
        );
        let work = async move {
            let mut progressed = false;
            let sid = session_id.clone();
            let batch = match db
                .run(move |pool| messages::outbox(pool, &sid, BATCH, fence.as_deref()))
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    log::warn!("session {session_id}: outbox unavailable: {e}");
                    return false;
                }
            };
            for m in batch {
                let outcome = match load_file(&db, &m).await {
                    Ok(file) => send_one(&client, &handle, &m, file).await,
                    Err(e) => Err(e),
                };
                let id = m.id.clone();
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
                    Ok(_) => {
                        progressed = true;
                        db.events_appended();
                    }
                    Err(e) => log::warn!("session {session_id}: cannot record a send: {e}"),
                }
            }
            progressed
        };
        let (done, finished) = completion();
        let work = async move {
            let progressed = work.await;
            let _ = done.send(());
            progressed
        };
        self.drain_work = Some(finished);
        ctx.spawn(work.into_actor(self).map(|progressed, act, ctx| {
            act.draining = false;
            act.drain_work = None;
            if progressed && !act.retiring {
                ctx.notify(Drain);
            }
        }));
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
    row.map(|r| Some(r.data))
        .ok_or_else(|| "the media file of this message is gone".to_string())
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
