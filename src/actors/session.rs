//! One WhatsApp account. Owns the engine client and the account's state machine
//! `STOPPED → STARTING → SCAN_QR / PAIR_CODE → WORKING ⇄ RECONNECTING → LOGGED_OUT / FAILED`;
//! every transition is persisted with its `session.status` event before the actor moves on
//! (`ctx.wait` keeps writes in order). Engine events arrive in order through a bounded queue
//! (see `bridge`).

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use wacore::types::events::Event;
use whatsapp_rust::client::Client;

use super::supervisor::{SessionExited, SessionRetired, SupervisorActor};
use crate::db::cluster::Fence;
use crate::db::events::{self, NewEvent};
use crate::db::sessions::{self, StatusChange};
use crate::db::{Db, now_ms};
use crate::domain::{DesiredState, EventType, SessionId, SessionStatus};
use crate::engine::EngineDeps;
use crate::engine::inbound::InboundRecorder;
use crate::engine::jid::user_jid;
use crate::engine::notices;
use crate::engine::transport::Cutoff;

mod bridge;
mod calls;
mod chat_sync;
mod commands;
mod connecting;
mod engine_run;
#[cfg(feature = "sandbox")]
mod faults;
mod history;
mod live;
mod outbox;
mod uncommitted;

use bridge::FromEngine;
use connecting::ConnectAttempts;
use engine_run::EngineRun;

pub use commands::{Logout, PairCode, SessionCommandError};
#[cfg(feature = "sandbox")]
pub use faults::{HaltEngine, Panic, PanicWhenStopped};
pub use live::{Live, LiveClient};
pub use outbox::Drain;

pub struct SessionActor {
    id: SessionId,
    generation: u64,
    db: Db,
    supervisor: Addr<SupervisorActor>,
    deps: EngineDeps,
    tenant_id: String,
    /// How the engine starts: the sealed proxy URL, whether to take history.
    launch: history::Launch,
    status: SessionStatus,
    bot: Option<EngineRun>,
    client: Option<Arc<Client>>,
    /// Stores what the engine receives (its durability hook; see `uncommitted`).
    recorder: Option<InboundRecorder>,
    draining: bool,
    /// A drain was asked for while one was running: run another after it.
    drain_again: bool,
    /// Wakes the outbox when the next scheduled send is due.
    schedule_timer: Option<SpawnHandle>,
    /// The outbox batch being sent, awaited by an orderly stop so in-flight sends finish.
    drain_work: Option<Shared<LocalBoxFuture<'static, ()>>>,
    /// This process's lease on the session (several instances); `None` on SQLite.
    fence: Option<Arc<Fence>>,
    /// Drops the WhatsApp connection at once when the lease is lost.
    cutoff: Cutoff,
    /// Connection attempts since the engine last made progress (for `status_reason`).
    attempts: ConnectAttempts,
    retiring: bool,
    /// The one run of the end-for-good work, shared by all who ask (an event and a logout race).
    retirement: Option<Shared<LocalBoxFuture<'static, ()>>>,
    /// Fault injection: panic in `stopped` (see `faults`).
    #[cfg(feature = "sandbox")]
    panic_when_stopped: bool,
}

impl SessionActor {
    pub(super) fn new(
        id: SessionId,
        generation: u64,
        db: Db,
        supervisor: Addr<SupervisorActor>,
        deps: EngineDeps,
        fence: Option<Arc<Fence>>,
    ) -> Self {
        Self {
            id,
            generation,
            db,
            supervisor,
            deps,
            tenant_id: String::new(),
            launch: history::Launch::default(),
            status: SessionStatus::Stopped,
            bot: None,
            client: None,
            recorder: None,
            draining: false,
            drain_again: false,
            schedule_timer: None,
            drain_work: None,
            fence,
            cutoff: Cutoff::default(),
            attempts: ConnectAttempts::default(),
            retiring: false,
            retirement: None,
            #[cfg(feature = "sandbox")]
            panic_when_stopped: false,
        }
    }

    /// The write of a status transition, to be awaited before the actor does anything else.
    fn status_write(
        &self,
        status: SessionStatus,
        reason: Option<&'static str>,
        desired: Option<DesiredState>,
    ) -> impl Future<Output = ()> + use<> {
        self.try_status_write(status, reason, desired).map(|_| ())
    }

    /// [`Self::status_write`], answering false when the database did not take it (the pool
    /// timed out, an outage) and it is worth writing again.
    fn try_status_write(
        &self,
        status: SessionStatus,
        reason: Option<&'static str>,
        desired: Option<DesiredState>,
    ) -> impl Future<Output = bool> + use<> {
        let db = self.db.clone();
        let id = self.id.clone();
        let fence = self.fence.clone();
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
                            desired_state: desired,
                            now: now_ms(),
                            fence: fence.as_deref(),
                        },
                    )
                })
                .await;
            match result {
                Ok(Some(_)) => {
                    db.events_appended();
                    outbox::stop_campaigns(&db, id.as_str(), status).await;
                }
                Ok(None) => {}
                Err(crate::db::DbError::Fenced) => log::info!(
                    "session {id}: status {} not written: another instance owns it now",
                    status.as_str()
                ),
                Err(e) => {
                    log::error!(
                        "session {id}: cannot persist status {}: {e}",
                        status.as_str()
                    );
                    return false;
                }
            }
            true
        }
    }

    fn set_status(
        &mut self,
        ctx: &mut Context<Self>,
        status: SessionStatus,
        reason: Option<&'static str>,
    ) {
        self.status = status;
        self.persist_status(ctx, status, reason, 0);
    }

    /// Writes the status (awaited before anything else, like every transition); one the database
    /// did not take is written again after a backoff, for as long as it is still the session's
    /// status, so the stored status does not stay stale until the next change.
    fn persist_status(
        &mut self,
        ctx: &mut Context<Self>,
        status: SessionStatus,
        reason: Option<&'static str>,
        retry: u32,
    ) {
        let write = self.try_status_write(status, reason, None).into_actor(self);
        ctx.wait(write.map(move |written, _, ctx| {
            if written {
                return;
            }
            let backoff = Duration::from_millis(500 << retry.min(6));
            ctx.run_later(backoff, move |act, ctx| {
                if act.status == status && !act.retiring {
                    log::info!(
                        "session {}: writing status {} again",
                        act.id,
                        status.as_str()
                    );
                    act.persist_status(ctx, status, reason, retry + 1);
                }
            });
        }));
    }

    /// Ends the session for good (logged out, unlinked, QR exhausted): the supervisor forgets it
    /// instead of restarting it, and its desired state becomes `stopped`. Returns the work to
    /// await (nothing when already retiring); the actor stops once it is done.
    fn retire_work(
        &mut self,
        status: SessionStatus,
        reason: &'static str,
        wipe: bool,
    ) -> Shared<LocalBoxFuture<'static, ()>> {
        if let Some(work) = &self.retirement {
            return work.clone();
        }
        self.retiring = true;
        self.status = status;
        self.supervisor.do_send(SessionRetired {
            id: self.id.clone(),
            generation: self.generation,
        });
        let stop = self.stop_engine();
        let write = self.status_write(status, Some(reason), Some(DesiredState::Stopped));
        let (db, stores, id, fence) = (
            self.db.clone(),
            self.deps.stores.clone(),
            self.id.as_str().to_string(),
            self.fence.clone(),
        );
        let work = async move {
            stop.await;
            if wipe {
                if let Err(e) = stores.wipe(&id, fence).await {
                    log::error!("session {id}: cannot delete key material: {e:#}");
                }
                let sid = id.clone();
                if let Err(e) = db
                    .run(move |pool| sessions::set_me(pool, &sid, None, None, None, now_ms()))
                    .await
                {
                    log::error!("session {id}: cannot clear the linked account: {e}");
                }
            }
            write.await;
        }
        .boxed_local()
        .shared();
        self.retirement = Some(work.clone());
        work
    }

    fn retire(
        &mut self,
        ctx: &mut Context<Self>,
        status: SessionStatus,
        reason: &'static str,
        wipe: bool,
    ) {
        let work = self.retire_work(status, reason, wipe);
        ctx.wait(
            work.into_actor(self)
                .map(|_, _, ctx: &mut Context<Self>| ctx.notify(Retired)),
        );
    }

    /// The engine's run loop ended unasked (it returned or panicked): mark the session
    /// RECONNECTING and end the actor, which the supervisor restarts with a fresh engine.
    fn engine_ended(&mut self, ctx: &mut Context<Self>) {
        log::warn!(
            "session {}: the engine stopped unexpectedly; rebuilding",
            self.id
        );
        self.bot = None;
        self.client = None;
        self.end_for_restart(ctx, SessionStatus::Reconnecting, "engine_stopped");
    }

    /// Persists `status` and ends the actor, which the supervisor starts again after its
    /// backoff if the session should still run here.
    fn end_for_restart(
        &mut self,
        ctx: &mut Context<Self>,
        status: SessionStatus,
        reason: &'static str,
    ) {
        self.status = status;
        let write = self.status_write(status, Some(reason), None);
        ctx.wait(
            write
                .into_actor(self)
                .map(|_, _, ctx: &mut Context<Self>| ctx.stop()),
        );
    }

    /// Appends an event that changes nothing else (presence, group and contact notices).
    fn record_notice(&self, ctx: &mut Context<Self>, kind: EventType, data: serde_json::Value) {
        let (db, tenant, sid) = (
            self.db.clone(),
            self.tenant_id.clone(),
            self.id.as_str().to_string(),
        );
        let write = async move {
            let appended = db
                .run(move |pool| {
                    events::append(
                        pool,
                        &NewEvent {
                            tenant_id: &tenant,
                            session_id: Some(&sid),
                            event_type: kind,
                            data,
                            created_at: now_ms(),
                        },
                    )
                })
                .await;
            match appended {
                Ok(_) => db.events_appended(),
                Err(e) => log::warn!("cannot record a {kind} event: {e}"),
            }
        };
        ctx.spawn(write.into_actor(self));
    }

    /// A QR code to show: SCAN_QR, and the code stored for `GET /qr`.
    fn on_qr(&mut self, qr: &wacore::types::events::PairingQrCode, ctx: &mut Context<Self>) {
        if self.status != SessionStatus::ScanQr {
            self.set_status(ctx, SessionStatus::ScanQr, None);
        }
        let (db, id, code) = (
            self.db.clone(),
            self.id.as_str().to_string(),
            qr.code.clone(),
        );
        let expires = now_ms() + qr.timeout.as_millis() as i64;
        let write = async move {
            match db
                .run(move |pool| sessions::set_qr(pool, &id, &code, expires, now_ms()))
                .await
            {
                Ok(_) => db.events_appended(),
                Err(e) => log::error!("cannot store a QR: {e}"),
            }
        };
        ctx.wait(write.into_actor(self));
    }

    /// The phone linked this session: its account (phone number and LID) is stored.
    fn on_linked(&mut self, p: &wacore::types::events::PairSuccess, ctx: &mut Context<Self>) {
        let (db, id) = (self.db.clone(), self.id.as_str().to_string());
        let (phone, lid) = (user_jid(&p.id), user_jid(&p.lid));
        let write = async move {
            let stored = db
                .run(move |pool| {
                    sessions::set_me(pool, &id, Some(&phone), Some(&lid), None, now_ms())
                })
                .await;
            if let Err(e) = stored {
                log::error!("cannot store the linked account: {e}");
            }
        };
        ctx.wait(write.into_actor(self));
    }

    fn on_event(&mut self, event: &Event, ctx: &mut Context<Self>) {
        if matches!(
            event,
            Event::Connected(_)
                | Event::PairingQrCode(_)
                | Event::PairingCode(_)
                | Event::PairSuccess(_)
        ) {
            self.attempts.progressed();
        }
        match event {
            // Once a pairing code is requested the session waits for it, not for a scan.
            Event::PairingQrCode(_) if self.status == SessionStatus::PairCode => {}
            Event::PairingQrCode(qr) => self.on_qr(qr, ctx),
            Event::PairingCode(_) => self.set_status(ctx, SessionStatus::PairCode, None),
            Event::PairSuccess(p) => self.on_linked(p, ctx),
            Event::Connected(_) => {
                self.set_status(ctx, SessionStatus::Working, None);
                ctx.notify(Drain);
            }
            Event::Disconnected(_) if self.status == SessionStatus::Working => {
                self.set_status(ctx, SessionStatus::Reconnecting, None);
            }
            Event::LoggedOut(_) => {
                self.retire(ctx, SessionStatus::LoggedOut, "unlinked_from_phone", true)
            }
            Event::PairingQrCodesExhausted(_) => {
                self.retire(ctx, SessionStatus::Stopped, "qr_codes_exhausted", false)
            }
            Event::StreamReplaced(_) => {
                self.retire(ctx, SessionStatus::Failed, "stream_replaced", false)
            }
            Event::TemporaryBan(_) => {
                self.retire(ctx, SessionStatus::Failed, "temporary_ban", false)
            }
            Event::ClientOutdated(_) => {
                self.retire(ctx, SessionStatus::Failed, "client_outdated", false)
            }
            Event::Receipt(r) => outbox::on_receipt(self, r, ctx),
            e if calls::is_call(e) => calls::on_call_event(self, e, ctx),
            Event::HistorySync(h) => history::store(self, h, ctx),
            Event::Messages(batch) => uncommitted::store(self, batch, ctx),
            e if chat_sync::is_chat_change(e) => chat_sync::on_event(self, e, ctx),
            other => {
                if let Some((kind, data)) = notices::describe(other)
                    && (self.deps.store_presence_events || !notices::is_presence(kind))
                {
                    self.record_notice(ctx, kind, data);
                }
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
        self.status = SessionStatus::Starting;
        ctx.wait(
            self.status_write(SessionStatus::Starting, None, None)
                .into_actor(self),
        );
        let (db, id) = (self.db.clone(), self.id.as_str().to_string());
        let load = async move { db.run(move |pool| sessions::find(pool, &id)).await };
        ctx.wait(load.into_actor(self).map(|row, act, ctx| match row {
            Ok(Some(row)) => {
                (act.launch, act.tenant_id) = (history::Launch::of(&row), row.tenant_id);
                act.start_engine(ctx);
            }
            Ok(None) => ctx.stop(),
            Err(e) => {
                log::error!("session {}: cannot load: {e}", act.id);
                ctx.stop();
            }
        }));
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        #[cfg(feature = "sandbox")]
        if self.panic_when_stopped {
            panic!("session {}: injected panic while stopping", self.id);
        }
        // Dropping the engine run aborts the engine's task.
        self.bot = None;
        log::info!("session {} stopped", self.id);
        self.supervisor.do_send(SessionExited {
            id: self.id.clone(),
            generation: self.generation,
        });
    }
}

impl StreamHandler<FromEngine> for SessionActor {
    fn handle(&mut self, item: FromEngine, ctx: &mut Self::Context) {
        match item {
            FromEngine::Event(event) if !self.retiring => self.on_event(&event, ctx),
            FromEngine::Event(_) => {}
            FromEngine::Ended if !self.retiring => self.engine_ended(ctx),
            FromEngine::Ended => {}
        }
    }

    /// The queue outlives every engine of this actor; its end is not the actor's.
    fn finished(&mut self, _ctx: &mut Self::Context) {}
}

/// Orderly stop: sends in flight finish, the engine shuts down, the session is persisted as
/// STOPPED (unless handed to another instance, which writes its own), then the actor ends.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Stop {
    pub handover: bool,
    /// The lease is lost: stop at once, without waiting for sends in flight.
    pub urgent: bool,
}

impl Handler<Stop> for SessionActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: Stop, _ctx: &mut Self::Context) -> Self::Result {
        self.retiring = true;
        if msg.urgent {
            // The lease may be gone: off WhatsApp now, before another instance connects. The
            // engine's orderly shutdown below flushes first and would keep the socket open.
            self.cutoff.cut();
        }
        let in_flight = self.drain_work.clone().filter(|_| !msg.urgent);
        // The engine shuts down only after the sends in flight are done: a send racing the
        // shutdown could be counted as sent while its frame never left.
        Box::pin(
            async move {
                if let Some(sends) = in_flight {
                    sends.await;
                }
            }
            .into_actor(self)
            .then(move |(), act, _| {
                let stop = act.stop_engine();
                let write =
                    (!msg.handover).then(|| act.status_write(SessionStatus::Stopped, None, None));
                async move {
                    stop.await;
                    if let Some(write) = write {
                        write.await;
                    }
                }
                .into_actor(act)
            })
            .map(|(), _, ctx: &mut Context<Self>| ctx.stop()),
        )
    }
}

/// Ends the actor at once, as a crash would (fault injection); the supervisor restarts it.
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

/// The session has retired: end the actor (after any reply in flight has been sent).
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct Retired;

impl Handler<Retired> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Retired, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
