//! The registry `session_id → SessionActor`. Starts what should run, stops what should not, and
//! restarts a SessionActor that ended on its own after a capped exponential backoff, without
//! touching the other sessions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::future::join_all;

use super::session::{Drain, Ready, SessionActor, Stop};
use crate::db::cluster::Fence;
use crate::db::sessions::{self, StatusChange};
use crate::db::{Db, DbError, now_ms};
use crate::domain::{DesiredState, SessionId, SessionStatus};
use crate::engine::EngineDeps;
use crate::metrics::Metrics;

/// A run this long counts as healthy: the next failure starts the backoff from the beginning.
const STABLE_RUN: Duration = Duration::from_secs(300);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// How often the registry is checked for actors that died without saying so. A panic in a
/// handler still runs the actor's `stopped` (actix stops a context it drops), which reports the
/// exit; a panic in `stopped` itself, or anything else that ends the actor's task before that
/// report, would leave a dead address registered forever without this check.
const WATCHDOG: Duration = Duration::from_secs(1);

struct Running {
    addr: Addr<SessionActor>,
    generation: u64,
    since: Instant,
    /// The lease it runs under (several instances); kept for a restart after a crash.
    fence: Option<Arc<Fence>>,
}

pub struct SupervisorActor {
    db: Db,
    engine: EngineDeps,
    metrics: Arc<Metrics>,
    /// False once the process shuts down.
    runs_sessions: bool,
    /// With several instances a session runs only under a lease taken by the membership
    /// (`cluster::Membership`), never on the API's or the boot's own initiative.
    leased: bool,
    max_backoff: Duration,
    next_generation: u64,
    running: HashMap<SessionId, Running>,
    failures: HashMap<SessionId, u32>,
}

impl SupervisorActor {
    pub fn new(
        db: Db,
        engine: EngineDeps,
        metrics: Arc<Metrics>,
        leased: bool,
        max_backoff: Duration,
    ) -> Self {
        Self {
            db,
            engine,
            metrics,
            runs_sessions: true,
            leased,
            max_backoff,
            next_generation: 0,
            running: HashMap::new(),
            failures: HashMap::new(),
        }
    }

    /// Starts the session's actor unless it runs already; returns the running actor, if any.
    fn start_session(
        &mut self,
        id: SessionId,
        fence: Option<Arc<Fence>>,
        ctx: &mut Context<Self>,
    ) -> Option<Addr<SessionActor>> {
        if !self.runs_sessions || (self.leased && fence.is_none()) {
            return None;
        }
        if let Some(running) = self.running.get(&id) {
            return Some(running.addr.clone());
        }
        if fence.as_ref().is_some_and(|f| !f.is_valid()) {
            return None;
        }
        self.next_generation += 1;
        let generation = self.next_generation;
        let addr = SessionActor::new(
            id.clone(),
            generation,
            self.db.clone(),
            ctx.address(),
            self.engine.clone(),
            fence.clone(),
        )
        .start();
        self.running.insert(
            id,
            Running {
                addr: addr.clone(),
                generation,
                since: Instant::now(),
                fence,
            },
        );
        self.metrics.session_actors.set(self.running.len() as i64);
        Some(addr)
    }

    /// Takes the actor out of the registry first, so its exit is not mistaken for a crash.
    fn take_session(&mut self, id: &SessionId) -> Option<Addr<SessionActor>> {
        let running = self.running.remove(id)?;
        self.metrics.session_actors.set(self.running.len() as i64);
        Some(running.addr)
    }

    fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        FIRST_BACKOFF.saturating_mul(factor).min(self.max_backoff)
    }
}

impl Actor for SupervisorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(WATCHDOG, |act, ctx| act.reap_dead(ctx));
    }
}

impl SupervisorActor {
    /// Treats every registered actor whose mailbox is gone as crashed.
    fn reap_dead(&mut self, ctx: &mut Context<Self>) {
        let dead: Vec<(SessionId, u64)> = self
            .running
            .iter()
            .filter(|(_, r)| !r.addr.connected())
            .map(|(id, r)| (id.clone(), r.generation))
            .collect();
        for (id, generation) in dead {
            log::error!("session {id}: its actor died without stopping (a panic?)");
            self.exited(id, generation, ctx);
        }
    }

    /// An actor ended: when it is still registered under this generation, that was a crash, and
    /// it is restarted after the backoff if the session should still run.
    fn exited(&mut self, id: SessionId, generation: u64, ctx: &mut Context<Self>) {
        let Some((ran_for, fence)) = self
            .running
            .get(&id)
            .filter(|r| r.generation == generation)
            .map(|r| (r.since.elapsed(), r.fence.clone()))
        else {
            return;
        };
        self.take_session(&id);
        let failures = self.failures.entry(id.clone()).or_insert(0);
        if ran_for >= STABLE_RUN {
            *failures = 0;
        }
        *failures += 1;
        let failures = *failures;
        let delay = self.backoff(failures);
        log::warn!("session {id} ended unexpectedly; restarting in {delay:?}");
        self.metrics.session_restarts.inc();
        ctx.run_later(delay, move |act, ctx| act.restart_if_wanted(id, fence, ctx));
    }

    fn restart_if_wanted(
        &mut self,
        id: SessionId,
        fence: Option<Arc<Fence>>,
        ctx: &mut Context<Self>,
    ) {
        let db = self.db.clone();
        let lookup_id = id.clone();
        let check = async move {
            db.run(move |pool| sessions::find(pool, lookup_id.as_str()))
                .await
        };
        ctx.spawn(check.into_actor(self).map(move |row, act, ctx| match row {
            Ok(Some(row)) if DesiredState::from_db(&row.desired_state) == DesiredState::Running => {
                act.start_session(id, fence, ctx);
            }
            Ok(_) => {}
            Err(e) => log::error!("session {id}: restart check failed: {e}"),
        }));
    }
}

/// Stops an actor in order, or, when none runs, makes sure the stored status says STOPPED.
async fn stop_or_mark(db: Db, id: SessionId, addr: Option<Addr<SessionActor>>) {
    if let Some(addr) = addr
        && addr
            .send(Stop {
                handover: false,
                urgent: false,
            })
            .await
            .is_ok()
    {
        return;
    }
    let signal = db.clone();
    let result = db
        .run(move |pool| {
            let row = sessions::find(pool, id.as_str())?;
            let transient = row.as_ref().is_some_and(|r| {
                !matches!(
                    SessionStatus::from_db(&r.status),
                    SessionStatus::Stopped | SessionStatus::LoggedOut | SessionStatus::Failed
                )
            });
            if transient {
                sessions::set_status(
                    pool,
                    &StatusChange {
                        session_id: id.as_str(),
                        status: SessionStatus::Stopped,
                        reason: None,
                        desired_state: None,
                        now: now_ms(),
                        fence: None,
                    },
                )?;
            }
            Ok(())
        })
        .await;
    match result {
        Ok(()) => signal.events_appended(),
        Err(e) => log::error!("cannot mark a session stopped: {e}"),
    }
}

/// Starts every session whose desired state is `running`; settles the stored status of the rest.
#[derive(Message)]
#[rtype(result = "Result<usize, DbError>")]
pub struct Boot;

impl Handler<Boot> for SupervisorActor {
    type Result = ResponseActFuture<Self, Result<usize, DbError>>;

    fn handle(&mut self, _: Boot, _ctx: &mut Self::Context) -> Self::Result {
        if self.leased {
            // The membership takes the leases and starts what this instance should run.
            return Box::pin(fut::ready(Ok(0)));
        }
        let db = self.db.clone();
        let load = async move { db.run(sessions::ids_to_run).await };
        Box::pin(load.into_actor(self).then(|result, act, ctx| {
            let started: Vec<_> = match &result {
                Ok(ids) => ids
                    .iter()
                    .filter_map(|id| act.start_session(SessionId::from_db(id.clone()), None, ctx))
                    .collect(),
                Err(_) => Vec::new(),
            };
            // Boot is done when every restored session has persisted STARTING.
            async move {
                join_all(started.into_iter().map(|a| wait_ready(Some(a)))).await;
                let ids = result?;
                log::info!("supervisor: {} session(s) restored", ids.len());
                Ok(ids.len())
            }
            .into_actor(act)
        }))
    }
}

/// Runs the session here; with several instances only under the lease `fence` names.
#[derive(Message)]
#[rtype(result = "()")]
pub struct EnsureRunning(pub SessionId, pub Option<Arc<Fence>>);

impl Handler<EnsureRunning> for SupervisorActor {
    type Result = ResponseFuture<()>;

    /// Resolves once the actor has started (and persisted STARTING).
    fn handle(&mut self, msg: EnsureRunning, ctx: &mut Self::Context) -> Self::Result {
        self.failures.remove(&msg.0);
        let addr = self.start_session(msg.0, msg.1, ctx);
        Box::pin(wait_ready(addr))
    }
}

/// Stops a session this instance hands over (or lost): in-flight sends finish unless `urgent`
/// (the lease is lost), no status is written (the next owner writes its own). Answers the
/// fence it ran under.
#[derive(Message)]
#[rtype(result = "Option<Arc<Fence>>")]
pub struct HandOver {
    pub id: SessionId,
    pub urgent: bool,
}

impl Handler<HandOver> for SupervisorActor {
    type Result = ResponseFuture<Option<Arc<Fence>>>;

    fn handle(&mut self, msg: HandOver, _ctx: &mut Self::Context) -> Self::Result {
        self.failures.remove(&msg.id);
        let running = self.running.remove(&msg.id);
        self.metrics.session_actors.set(self.running.len() as i64);
        let urgent = msg.urgent;
        Box::pin(async move {
            let running = running?;
            let _ = running
                .addr
                .send(Stop {
                    handover: true,
                    urgent,
                })
                .await;
            running.fence
        })
    }
}

/// The sessions running here and the fences they run under.
#[derive(Message)]
#[rtype(result = "Vec<(SessionId, Option<Arc<Fence>>)>")]
pub struct Owned;

impl Handler<Owned> for SupervisorActor {
    type Result = Vec<(SessionId, Option<Arc<Fence>>)>;

    fn handle(&mut self, _: Owned, _ctx: &mut Self::Context) -> Self::Result {
        self.running
            .iter()
            .map(|(id, r)| (id.clone(), r.fence.clone()))
            .collect()
    }
}

async fn wait_ready(addr: Option<Addr<SessionActor>>) {
    if let Some(addr) = addr {
        let _ = addr.send(Ready).await;
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct EnsureStopped(pub SessionId);

impl Handler<EnsureStopped> for SupervisorActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: EnsureStopped, _ctx: &mut Self::Context) -> Self::Result {
        self.failures.remove(&msg.0);
        let addr = self.take_session(&msg.0);
        Box::pin(stop_or_mark(self.db.clone(), msg.0, addr))
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct RestartSession(pub SessionId);

impl Handler<RestartSession> for SupervisorActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: RestartSession, _ctx: &mut Self::Context) -> Self::Result {
        self.failures.remove(&msg.0);
        let fence = self.running.get(&msg.0).and_then(|r| r.fence.clone());
        let addr = self.take_session(&msg.0);
        let id = msg.0.clone();
        Box::pin(
            stop_or_mark(self.db.clone(), msg.0, addr)
                .into_actor(self)
                .then(move |_, act, ctx| {
                    wait_ready(act.start_session(id, fence, ctx)).into_actor(act)
                }),
        )
    }
}

/// Ends a session's actor before its rows are deleted.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RemoveSession(pub SessionId);

impl Handler<RemoveSession> for SupervisorActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: RemoveSession, _ctx: &mut Self::Context) -> Self::Result {
        self.failures.remove(&msg.0);
        let addr = self.take_session(&msg.0);
        Box::pin(async move {
            if let Some(addr) = addr {
                let _ = addr
                    .send(Stop {
                        handover: false,
                        urgent: false,
                    })
                    .await;
            }
        })
    }
}

/// Sent by a SessionActor as it ends. Unexpected when the actor is still registered.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct SessionExited {
    pub id: SessionId,
    pub generation: u64,
}

impl Handler<SessionExited> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: SessionExited, ctx: &mut Self::Context) {
        self.exited(msg.id, msg.generation, ctx);
    }
}

/// Stops every session actor in order (graceful shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

impl Handler<Shutdown> for SupervisorActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        self.runs_sessions = false;
        let addrs: Vec<_> = self.running.drain().map(|(_, r)| r.addr).collect();
        self.metrics.session_actors.set(0);
        Box::pin(async move {
            join_all(addrs.iter().map(|a| {
                a.send(Stop {
                    handover: false,
                    urgent: false,
                })
            }))
            .await;
        })
    }
}

/// The actor of a running session (fault injection and diagnostics).
#[derive(Message)]
#[rtype(result = "Option<Addr<SessionActor>>")]
pub struct ActorAddr(pub SessionId);

impl Handler<ActorAddr> for SupervisorActor {
    type Result = Option<Addr<SessionActor>>;

    fn handle(&mut self, msg: ActorAddr, _ctx: &mut Self::Context) -> Self::Result {
        self.running.get(&msg.0).map(|r| r.addr.clone())
    }
}

/// How many session actors run now.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct RunningSessions;

impl Handler<RunningSessions> for SupervisorActor {
    type Result = usize;

    fn handle(&mut self, _: RunningSessions, _ctx: &mut Self::Context) -> usize {
        self.running.len()
    }
}

/// Sent by a SessionActor that ends for good (logged out, unlinked, QR exhausted): forget it
/// instead of restarting it.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct SessionRetired {
    pub id: SessionId,
    pub generation: u64,
}

impl Handler<SessionRetired> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: SessionRetired, _ctx: &mut Self::Context) {
        if self
            .running
            .get(&msg.id)
            .is_some_and(|r| r.generation == msg.generation)
        {
            self.take_session(&msg.id);
            self.failures.remove(&msg.id);
        }
    }
}

/// Something was queued for a session: let its actor send it (if it runs and is WORKING).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Nudge(pub SessionId);

impl Handler<Nudge> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: Nudge, _ctx: &mut Self::Context) {
        if let Some(r) = self.running.get(&msg.0) {
            r.addr.do_send(Drain);
        }
    }
}
