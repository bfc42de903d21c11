//! [`Membership`]: this instance's part in the cluster. Every third of the lease TTL it marks
//! itself alive and renews all its leases in one statement on its own connection
//! ([`Heartbeat`]), and stops the sessions whose lease it lost; after each renewal it takes the
//! free leases of sessions placed on it and hands over those placed elsewhere. Renewals never
//! wait for placement (a large takeover takes a while). When it cannot renew for two thirds of
//! the TTL it stops every session it runs, before anyone else may take them over.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::future::join_all;

use super::CommandError;
use super::config::ClusterConfig;
use super::placement::{Decision, Holding, View, decide, fingerprint};
use crate::actors::{EnsureRunning, HandOver, SupervisorActor};
use crate::db::cluster::{self as leases, Fence, mono_ms};
use crate::db::heartbeat::Heartbeat;
use crate::db::{Db, DbError};
use crate::domain::SessionId;
use crate::metrics::Metrics;

/// Channel a released lease is announced on, so the next owner takes it at once.
pub const LEASES_CHANNEL: &str = "waras_leases";
/// Channel a queued send is announced on, so the session's owner sends it at once.
pub const OUTBOX_CHANNEL: &str = "waras_outbox";

/// A lease held here.
struct Lease {
    fence: Arc<Fence>,
    /// When (monotonic ms) it was taken: a renewal that began earlier may not have seen it.
    since: i64,
    /// Being handed over: the session stops, then the lease is released.
    leaving: bool,
    /// Its session was asked to start. A lease whose fence had run out by the time a long
    /// takeover finished starts its session after the next renewal confirms it instead.
    started: bool,
}

pub struct Membership {
    db: Db,
    heart: Arc<Heartbeat>,
    metrics: Arc<Metrics>,
    supervisor: Addr<SupervisorActor>,
    cfg: Arc<ClusterConfig>,
    /// The leases held here, by session.
    owned: HashMap<String, Lease>,
    /// When (monotonic ms) the last successful renewal began.
    renewed_at: i64,
    /// Sessions kept here though not wanted (see [`Claim`]).
    pinned: HashSet<String>,
    renewing: bool,
    placing: bool,
    /// A placement was asked for while one ran.
    again: bool,
    /// The fingerprint of the last view that asked for nothing.
    settled: Option<u64>,
    draining: bool,
}

impl Membership {
    pub fn new(
        db: Db,
        heart: Heartbeat,
        supervisor: Addr<SupervisorActor>,
        cfg: Arc<ClusterConfig>,
        metrics: Arc<Metrics>,
    ) -> Self {
        metrics
            .instance_info
            .with_label_values(&[cfg.instance_id.as_str()])
            .set(1);
        Self {
            db,
            heart: Arc::new(heart),
            metrics,
            supervisor,
            cfg,
            owned: HashMap::new(),
            pinned: HashSet::new(),
            renewed_at: mono_ms(),
            renewing: false,
            placing: false,
            again: false,
            settled: None,
            draining: false,
        }
    }

    /// Every third of the TTL: renew (unless a renewal is still under way), then place.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.metrics.leases_held.set(self.owned.len() as i64);
        if self.renewing {
            return;
        }
        self.renewing = true;
        ctx.spawn(self.renew().map(|renewed, act, ctx| {
            act.renewing = false;
            if renewed && !act.draining {
                act.place_soon(ctx);
            }
        }));
    }

    /// Runs a placement now, or right after the one under way.
    fn place_soon(&mut self, ctx: &mut Context<Self>) {
        if self.placing {
            self.again = true;
            return;
        }
        self.placing = true;
        ctx.spawn(self.placement().map(|(), act, ctx| {
            act.placing = false;
            if std::mem::take(&mut act.again) && !act.draining {
                act.place_soon(ctx);
            }
        }));
    }

    /// Marks this instance alive and renews its leases; answers whether that worked.
    fn renew(&mut self) -> ResponseActFuture<Self, bool> {
        let (heart, ttl) = (self.heart.clone(), self.cfg.ttl_ms());
        let started = mono_ms();
        Box::pin(async move { heart.beat(ttl).await }.into_actor(self).map(
            move |renewed, act, _ctx| match renewed {
                Ok(held) => {
                    act.renewed(started, &held);
                    true
                }
                Err(e) => {
                    log::warn!("cluster: cannot renew the leases: {e}");
                    false
                }
            },
        ))
    }

    /// Takes the leases of sessions placed here and hands over those placed elsewhere; done
    /// once the sessions taken have persisted STARTING.
    fn placement(&mut self) -> ResponseActFuture<Self, ()> {
        let (db, ttl) = (self.db.clone(), self.cfg.ttl_ms());
        Box::pin(read_view(db, ttl).into_actor(self).then(|view, act, ctx| {
            let decision = view.map(|v| act.decide(&v)).unwrap_or_default();
            if !decision.is_empty() {
                log::info!(
                    "cluster: taking {} session(s), handing over {}",
                    decision.take.len(),
                    decision.give.len()
                );
            }
            act.hand_over(decision.give, ctx);
            let claims: ResponseActFuture<Self, ()> = if decision.take.is_empty() {
                Box::pin(fut::ready(()))
            } else {
                Box::pin(act.claim_all(decision.take).map(|results, _, _| {
                    for result in results {
                        if let Err(e) = result {
                            log::warn!("cluster: cannot take a lease: {e}");
                        }
                    }
                }))
            };
            claims
        }))
    }

    /// What to take and hand over from this view; nothing, without ranking every session
    /// again, when the view is the one the last settled placement saw.
    fn decide(&mut self, view: &View) -> Decision {
        let held: Vec<Holding<'_>> = self
            .owned
            .iter()
            .map(|(sid, lease)| Holding {
                session_id: sid,
                leaving: lease.leaving,
            })
            .collect();
        let print = fingerprint(view, &held, &self.pinned);
        if self.settled == Some(print) {
            return Decision::default();
        }
        let me = self.cfg.instance_id.as_str();
        let decision = decide(view, &held, &self.pinned, me, self.cfg.max_sessions);
        self.settled = decision.is_empty().then_some(print);
        decision
    }

    /// Extends the fences of the leases still held; stops the sessions whose lease is gone.
    fn renewed(&mut self, started: i64, held: &[leases::Held]) {
        self.renewed_at = started;
        let valid_until = started + self.cfg.safe_ms();
        let held: HashMap<&str, i64> = held
            .iter()
            .map(|h| (h.session_id.as_str(), h.epoch))
            .collect();
        let mut lost = Vec::new();
        for (sid, lease) in &mut self.owned {
            match held.get(sid.as_str()) {
                Some(epoch) if *epoch == lease.fence.epoch => {
                    lease.fence.extend(valid_until);
                    if !lease.started && !lease.leaving {
                        lease.started = true;
                        let id = SessionId::from_db(sid.clone());
                        self.supervisor
                            .do_send(EnsureRunning(id, Some(lease.fence.clone())));
                    }
                }
                // Taken after this renewal began, or already being let go: not a loss.
                _ if lease.since >= started || lease.leaving => {}
                _ => lost.push(sid.clone()),
            }
        }
        for sid in lost {
            if let Some(lease) = self.owned.remove(&sid) {
                lease.fence.revoke();
                self.metrics.leases_lost.inc();
                log::warn!("cluster: lost the lease of session {sid}; stopping it here");
                self.supervisor.do_send(HandOver {
                    id: SessionId::from_db(sid),
                    urgent: true,
                });
            }
        }
    }

    /// Takes the lease if it is still free and starts the session under it; answers whether
    /// the session runs here now (once it persisted STARTING).
    fn claim(&mut self, sid: String) -> ResponseActFuture<Self, Result<bool, CommandError>> {
        Box::pin(
            self.claim_all(vec![sid])
                .map(|mut results, _, _| results.pop().unwrap_or(Ok(false))),
        )
    }

    /// [`Membership::claim`] for several sessions: one blocking call takes the leases.
    fn claim_all(
        &mut self,
        sessions: Vec<String>,
    ) -> ResponseActFuture<Self, Vec<Result<bool, CommandError>>> {
        if self.draining {
            let none = sessions.iter().map(|_| Ok(false)).collect();
            return Box::pin(fut::ready(none));
        }
        let (db, cfg) = (self.db.clone(), self.cfg.clone());
        let acquire = async move {
            let me = cfg.instance_id.clone();
            let ttl = cfg.ttl_ms();
            db.run(move |pool| Ok(leases::acquire_each(pool, sessions, &me, ttl)))
                .await
        };
        Box::pin(acquire.into_actor(self).then(move |taken, act, _ctx| {
            let mut answers: Vec<Result<bool, CommandError>> = Vec::new();
            let mut starts = Vec::new();
            match taken {
                Err(e) => answers.push(Err(CommandError::from(e))),
                Ok(taken) => {
                    for leases::Acquired {
                        session_id: sid,
                        began,
                        ended,
                        epoch,
                    } in taken
                    {
                        if let Some(lease) = act.owned.get(&sid) {
                            // A session being handed over does not run here any more.
                            answers.push(Ok(!lease.leaving));
                            continue;
                        }
                        let epoch = match epoch {
                            Ok(Some(epoch)) => epoch,
                            Ok(None) => {
                                answers.push(Ok(false));
                                continue;
                            }
                            Err(e) => {
                                answers.push(Err(CommandError::from(e)));
                                continue;
                            }
                        };
                        // Held since the asking began, or since the last renewal if that
                        // began after the lease was taken (it extended the lease too).
                        let from = if act.renewed_at >= ended {
                            act.renewed_at
                        } else {
                            began
                        };
                        let fence = Fence::new(
                            act.cfg.instance_id.clone(),
                            epoch,
                            from + act.cfg.safe_ms(),
                        );
                        let start_now = fence.is_valid();
                        act.owned.insert(
                            sid.clone(),
                            Lease {
                                fence: fence.clone(),
                                since: mono_ms(),
                                leaving: false,
                                started: start_now,
                            },
                        );
                        if start_now {
                            log::info!("cluster: session {sid} runs here (epoch {epoch})");
                            let id = SessionId::from_db(sid);
                            starts.push(act.supervisor.send(EnsureRunning(id, Some(fence))));
                        } else {
                            log::info!(
                                "cluster: took the lease of session {sid} (epoch {epoch}); it starts once the next renewal confirms it"
                            );
                        }
                        answers.push(Ok(true));
                    }
                }
            }
            async move {
                join_all(starts).await;
                answers
            }
            .into_actor(act)
        }))
    }

    /// Stops each session (in-flight sends finish), then releases its lease for the next owner.
    /// The lease stays renewed here until it is released.
    fn hand_over(&mut self, sessions: Vec<String>, ctx: &mut Context<Self>) {
        for sid in sessions {
            match self.owned.get_mut(&sid) {
                Some(lease) if !lease.leaving => lease.leaving = true,
                _ => continue,
            }
            ctx.spawn(
                release(
                    self.db.clone(),
                    self.supervisor.clone(),
                    self.cfg.clone(),
                    sid.clone(),
                )
                .into_actor(self)
                .map(move |(), act, _ctx| {
                    act.owned.remove(&sid);
                }),
            );
        }
    }

    /// The lease watchdog: past two thirds of the TTL without a renewal, every lease may be
    /// gone, so every session stops now, before another instance may take it.
    fn check_renewal(&mut self) {
        if self.owned.is_empty() || mono_ms() - self.renewed_at <= self.cfg.safe_ms() {
            return;
        }
        log::error!(
            "cluster: could not renew the leases for {} ms; stopping {} session(s) before another instance takes them",
            mono_ms() - self.renewed_at,
            self.owned.len()
        );
        for (sid, lease) in self.owned.drain() {
            lease.fence.revoke();
            self.metrics.leases_lost.inc();
            self.supervisor.do_send(HandOver {
                id: SessionId::from_db(sid),
                urgent: true,
            });
        }
    }
}

/// Reads the instances and the wanted sessions with their leases. The instances' rows carry the
/// database's clock; it is asked for on its own only when there are none.
async fn read_view(db: Db, ttl: i64) -> Option<View> {
    let view = db
        .run(move |pool| {
            let instances = leases::instances(pool, ttl, false)?;
            let now = match instances.first() {
                Some(i) => i.now,
                None => leases::db_now(pool)?,
            };
            Ok(View {
                instances,
                wanted: leases::wanted(pool)?,
                now,
            })
        })
        .await;
    view.inspect_err(|e| log::warn!("cluster: cannot read the placement: {e}"))
        .ok()
}

/// Stops a session here and gives its lease up (epoch kept), announcing it to the others.
async fn release(db: Db, supervisor: Addr<SupervisorActor>, cfg: Arc<ClusterConfig>, sid: String) {
    let fence = supervisor
        .send(HandOver {
            id: SessionId::from_db(sid.clone()),
            urgent: false,
        })
        .await
        .ok()
        .flatten();
    let Some(fence) = fence else {
        return;
    };
    fence.revoke();
    let (me, epoch) = (cfg.instance_id.clone(), fence.epoch);
    let result = db
        .run(move |pool| {
            leases::release(pool, &sid, &me, epoch)?;
            leases::notify(pool, LEASES_CHANNEL, &sid)
        })
        .await;
    if let Err(e) = result {
        log::warn!("cluster: cannot release a lease (it runs out by itself): {e}");
    }
}

impl Actor for Membership {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let every = self.cfg.lease_ttl / 3;
        ctx.run_interval(every, |act, ctx| act.tick(ctx));
        ctx.run_interval(Duration::from_millis(100), |act, _ctx| act.check_renewal());
    }
}

/// Runs a round now and answers when it is done: at startup, the sessions this instance takes
/// have persisted STARTING before the server answers requests.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Settle;

impl Handler<Settle> for Membership {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Settle, _ctx: &mut Self::Context) -> Self::Result {
        Box::pin(
            self.renew()
                .then(|renewed, act, _ctx| -> ResponseActFuture<Self, ()> {
                    if renewed && !act.draining {
                        act.placement()
                    } else {
                        Box::pin(fut::ready(()))
                    }
                }),
        )
    }
}

/// Look again now (a lease was released, an instance joined).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Wake;

impl Handler<Wake> for Membership {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Self::Context) {
        if !self.draining {
            self.place_soon(ctx);
        }
    }
}

/// Takes the session's lease (if free) and runs it here; answers whether it runs here now.
/// A `pinned` session stays even while its desired state is `stopped` (it is connected only
/// to be unlinked before a delete), until it is released.
#[derive(Message)]
#[rtype(result = "Result<bool, CommandError>")]
pub struct Claim {
    pub session_id: String,
    pub pinned: bool,
}

impl Handler<Claim> for Membership {
    type Result = ResponseActFuture<Self, Result<bool, CommandError>>;

    fn handle(&mut self, msg: Claim, _ctx: &mut Self::Context) -> Self::Result {
        if msg.pinned {
            self.pinned.insert(msg.session_id.clone());
        }
        self.claim(msg.session_id)
    }
}

/// The session was stopped here (desired state `stopped`): give its lease up.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Release(pub String);

impl Handler<Release> for Membership {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Release, _ctx: &mut Self::Context) -> Self::Result {
        self.pinned.remove(&msg.0);
        let Some(Lease { fence, .. }) = self.owned.remove(&msg.0) else {
            return Box::pin(async {});
        };
        fence.revoke();
        let (db, me, epoch, sid) = (
            self.db.clone(),
            self.cfg.instance_id.clone(),
            fence.epoch,
            msg.0,
        );
        Box::pin(async move {
            let result = db
                .run(move |pool| leases::release(pool, &sid, &me, epoch))
                .await;
            if let Err(e) = result {
                log::warn!("cluster: cannot release a lease (it runs out by itself): {e}");
            }
        })
    }
}

/// The fence of the session's lease when this instance holds it.
#[derive(Message)]
#[rtype(result = "Option<Arc<Fence>>")]
pub struct Holds(pub String);

impl Handler<Holds> for Membership {
    type Result = Option<Arc<Fence>>;

    fn handle(&mut self, msg: Holds, _ctx: &mut Self::Context) -> Self::Result {
        self.owned
            .get(&msg.0)
            .filter(|l| !l.leaving && l.fence.is_valid())
            .map(|l| l.fence.clone())
    }
}

/// SIGTERM: stop taking sessions, hand every session over (in-flight sends finish), then say
/// this instance stopped.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Drain;

impl Handler<Drain> for Membership {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Drain, _ctx: &mut Self::Context) -> Self::Result {
        self.draining = true;
        // Sessions already being handed over finish on their own.
        let sessions: Vec<String> = self
            .owned
            .iter_mut()
            .filter(|(_, l)| !l.leaving)
            .map(|(sid, l)| {
                l.leaving = true;
                sid.clone()
            })
            .collect();
        let (db, supervisor, cfg) = (self.db.clone(), self.supervisor.clone(), self.cfg.clone());
        log::info!(
            "cluster: draining: handing {} session(s) over",
            sessions.len()
        );
        let work = async move {
            let id = cfg.instance_id.clone();
            let mark = db.clone();
            let _ = mark
                .run(move |pool| leases::set_status(pool, &id, "draining"))
                .await;
            let handovers = sessions
                .into_iter()
                .map(|sid| release(db.clone(), supervisor.clone(), cfg.clone(), sid));
            if tokio::time::timeout(cfg.drain_timeout, join_all(handovers))
                .await
                .is_err()
            {
                log::warn!("cluster: drain timed out; the remaining leases run out by themselves");
            }
            let id = cfg.instance_id.clone();
            let _ = db
                .run(move |pool| leases::set_status(pool, &id, "stopped"))
                .await;
        };
        Box::pin(work.into_actor(self).map(|(), act, _ctx| act.owned.clear()))
    }
}

/// Registers this instance; its first tick follows at once.
pub async fn register(db: &Db, cfg: &ClusterConfig) -> Result<(), DbError> {
    let (id, url, max) = (
        cfg.instance_id.clone(),
        cfg.advertise_url.clone(),
        cfg.max_sessions.min(i32::MAX as u32) as i32,
    );
    db.run(move |pool| leases::register(pool, &id, &url, max))
        .await
}
