//! One WhatsApp account. Owns the account's state machine; every transition is persisted with its
//! `session.status` event before the actor moves on (`ctx.wait` keeps writes in order).

use actix::prelude::*;

use super::supervisor::{SessionExited, SupervisorActor};
use crate::db::sessions::{self, StatusChange};
use crate::db::{Db, now_ms};
use crate::domain::{SessionId, SessionStatus};

pub struct SessionActor {
    id: SessionId,
    generation: u64,
    db: Db,
    supervisor: Addr<SupervisorActor>,
}

impl SessionActor {
    pub(super) fn new(
        id: SessionId,
        generation: u64,
        db: Db,
        supervisor: Addr<SupervisorActor>,
    ) -> Self {
        Self {
            id,
            generation,
            db,
            supervisor,
        }
    }

    /// The write of a status transition, to be awaited before the actor does anything else.
    fn status_write(
        &self,
        status: SessionStatus,
        reason: Option<&'static str>,
    ) -> impl Future<Output = ()> + 'static {
        let db = self.db.clone();
        let id = self.id.clone();
        async move {
            let session_id = id.as_str().to_string();
            let result = db
                .run(move |pool| {
                    sessions::set_status(
                        pool,
                        &StatusChange {
                            session_id: &session_id,
                            status,
                            reason,
                            desired_state: None,
                            now: now_ms(),
                        },
                    )
                })
                .await;
            if let Err(e) = result {
                log::error!(
                    "session {id}: cannot persist status {}: {e}",
                    status.as_str()
                );
            }
        }
    }
}

impl Actor for SessionActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        log::info!(
            "session {} started (generation {})",
            self.id,
            self.generation
        );
        // The protocol engine attaches here; until it connects the session is STARTING.
        ctx.wait(
            self.status_write(SessionStatus::Starting, None)
                .into_actor(self),
        );
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        log::info!("session {} stopped", self.id);
        self.supervisor.do_send(SessionExited {
            id: self.id.clone(),
            generation: self.generation,
        });
    }
}

/// Orderly stop: the session is persisted as STOPPED, then the actor ends.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Stop;

impl Handler<Stop> for SessionActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Stop, _ctx: &mut Self::Context) -> Self::Result {
        let write = self.status_write(SessionStatus::Stopped, None);
        Box::pin(
            write
                .into_actor(self)
                .map(|_, _, ctx: &mut Context<Self>| ctx.stop()),
        )
    }
}

/// Ends the actor at once without any orderly step, as a crash would; the supervisor restarts it.
/// Used for fault injection.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Kill;

impl Handler<Kill> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Kill, ctx: &mut Self::Context) {
        log::warn!("session {}: killed", self.id);
        ctx.stop();
    }
}

/// Answered once the actor has finished starting (its STARTING status is persisted).
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Ready;

impl Handler<Ready> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Ready, _ctx: &mut Self::Context) {}
}
