//! Inbound messages reach WARAS two ways. Most pass the engine's durability hook (the
//! [`InboundRecorder`]), which stores them before WhatsApp is told they arrived. Two kinds never
//! do: channel posts (WhatsApp does not redeliver them, so the engine skips the hook) and
//! messages recovered from the phone; the engine raises those as an event only. The actor stores
//! them with the same recorder, in the order they came.

use actix::prelude::*;
use wacore::types::events::MessageBatch;

use super::{SessionActor, outbox};
use crate::engine::inbound::InboundRecorder;

/// The recorder of this session's inbound messages; it wakes the outbox when reply rules answer.
pub(super) fn recorder(act: &SessionActor, ctx: &Context<SessionActor>) -> InboundRecorder {
    let outbox = ctx.address().recipient::<outbox::Drain>();
    InboundRecorder {
        db: act.db.clone(),
        session_id: act.id.as_str().to_string(),
        tenant_id: act.tenant_id.clone(),
        answered: std::sync::Arc::new(move || outbox.do_send(outbox::Drain)),
    }
}

/// Stores a batch the durability hook did not see.
pub(super) fn store(act: &SessionActor, batch: &MessageBatch, ctx: &mut Context<SessionActor>) {
    if batch.hook_committed {
        return;
    }
    let (Some(recorder), Some(client)) = (act.recorder.clone(), act.client.clone()) else {
        return;
    };
    let messages = batch.messages.clone();
    let sid = act.id.as_str().to_string();
    let task = act
        .deps
        .runtime
        .handle()
        .spawn(async move { recorder.store(client, &messages).await });
    let done = async move {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log::error!("session {sid}: cannot store received messages: {e:#}"),
            Err(e) => log::error!("session {sid}: storing received messages failed: {e}"),
        }
    };
    ctx.wait(done.into_actor(act));
}
