//! [`Membership`]: this instance's part in the cluster. Every third of the lease TTL it renews
//! its own row, which keeps all its leases alive, on its own connection ([`Heartbeat`]); it
//! stops the sessions whose lease it lost and releases the leases the database says it holds
//! but it does not know of (left by an earlier run under its id, or by a lapse). After each
//! renewal it takes the free leases of sessions placed on it and hands over those placed
//! elsewhere. Renewals never wait for placement (a large takeover takes a while). When it
//! cannot renew for two thirds of the TTL it stops every session it runs, before anyone else
//! may take them over; when its row ran out all the same, it registers again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix::prelude::*;
use futures_util::future::join_all;

use super::CommandError;
use super::config::ClusterConfig;
use super::placement::{Decision, Holding, View, decide, fingerprint};
use crate::actors::{EnsureRunning, HandOver, SupervisorActor};
use crate::db::Db;
use crate::db::cluster::{self as leases, Fence, Life, mono_ms};
use crate::db::heartbeat::Heartbeat;
use crate::domain::SessionId;
use crate::metrics::Metrics;

/// Channel a released lease is announced on, so the next owner takes it at once.
pub const LEASES_CHANNEL: &str = "waras_leases";
/// Channel a queued send is announced on, so the session's owner sends it at once.
pub const OUTBOX_CHANNEL: &str = "waras_outbox";

mod messages;
pub use messages::{Claim, Drain, Holds, Release, Settle, Wake, register};

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
    /// Until when the leases held here live (moved forward by the heartbeat's thread).
    life: Arc<Life>,
    /// Sessions kept here though not wanted (see [`Claim`]).
    pinned: HashSet<String>,
    /// Sessions whose lease is being asked for (by how many claims).
    claiming: HashMap<String, usize>,
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
        life: Arc<Life>,
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
            claiming: HashMap::new(),
            life,
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

    /// Keeps this instance and its leases alive; answers whether that worked.
    fn renew(&mut self) -> ResponseActFuture<Self, bool> {
        let (heart, ttl) = (self.heart.clone(), self.cfg.ttl_ms());
        let started = mono_ms();
        Box::pin(async move { heart.beat(ttl).await }.into_actor(self).then(
            move |renewed, act, ctx| -> ResponseActFuture<Self, bool> {
                match renewed {
                    Ok(Some(held)) => {
                        act.renewed(started, &held, ctx);
                        Box::pin(fut::ready(true))
                    }
                    Ok(None) => act.lapsed(),
                    Err(e) => {
                        log::warn!("cluster: cannot renew the leases: {e}");
                        Box::pin(fut::ready(false))
                    }
                }
            },
        ))
    }

    /// This instance's row ran out before it could renew it: others may have taken any of its
    /// sessions. Every session stops here, and the instance registers again; the leases nobody
    /// took are released at the next renewal and placed anew.
    fn lapsed(&mut self) -> ResponseActFuture<Self, bool> {
        log::error!(
            "cluster: this instance was presumed gone (its row ran out); stopping {} session(s) and registering again",
            self.owned.len()
        );
        self.stop_all();
        self.settled = None;
        let (db, cfg) = (self.db.clone(), self.cfg.clone());
        let draining = self.draining;
        let started = mono_ms();
        Box::pin(
            async move {
                if draining {
                    return false;
                }
                register(&db, &cfg)
                    .await
                    .inspect_err(|e| log::warn!("cluster: cannot register again: {e}"))
                    .is_ok()
            }
            .into_actor(self)
            .map(move |registered, act, _ctx| {
                if registered {
                    // Registering renewed the row.
                    act.life.renewed(started, act.cfg.safe_ms());
                }
                registered
            }),
        )
    }

    /// Revokes every lease held here and stops its session at once.
    fn stop_all(&mut self) {
        for (sid, lease) in self.owned.drain() {
            lease.fence.revoke();
            self.metrics.leases_lost.inc();
            self.supervisor.do_send(HandOver {
                id: SessionId::from_db(sid),
                urgent: true,
            });
        }
    }

    /// Takes the leases of sessions placed here and hands over those placed elsewhere; done
    /// once the sessions taken have persisted STARTING.
    fn placement(&mut self) -> ResponseActFuture<Self, ()> {
        let read_at = mono_ms();
        Box::pin(
            read_view(self.db.clone())
                .into_actor(self)
                .then(move |view, act, ctx| {
                    let decision = view.map(|v| act.decide(&v, read_at)).unwrap_or_default();
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
                }),
        )
    }

    /// What to take and hand over from this view (read from `read_at` on); nothing, without
    /// ranking every session again, when the view is the one the last settled placement saw.
    /// A lease taken while the view was being read is not judged by it: a session created and
    /// claimed meanwhile is not in its wanted list, and was handed over mid-pairing.
    fn decide(&mut self, view: &View, read_at: i64) -> Decision {
        let held: Vec<Holding<'_>> = self
            .owned
            .iter()
            .map(|(sid, lease)| Holding {
                session_id: sid,
                leaving: lease.leaving,
                newer: lease.since >= read_at,
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

    /// Starts the sessions of leases the renewal confirmed; stops those whose lease is gone and
    /// releases the leases held here unknowingly. (The heartbeat's thread already moved the
    /// leases' life forward.)
    fn renewed(&mut self, started: i64, held: &[leases::Held], ctx: &mut Context<Self>) {
        let held: HashMap<&str, i64> = held
            .iter()
            .map(|h| (h.session_id.as_str(), h.epoch))
            .collect();
        let mut lost = Vec::new();
        for (sid, lease) in &mut self.owned {
            match held.get(sid.as_str()) {
                Some(epoch) if *epoch == lease.fence.epoch => {
                    if !lease.started && !lease.leaving && lease.fence.is_valid() {
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
        self.release_unknown(&held, ctx);
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

    /// Releases the leases the database says this instance holds though it neither runs nor
    /// is taking them: an earlier run under this id, or a lapse, left them behind.
    fn release_unknown(&mut self, held: &HashMap<&str, i64>, ctx: &mut Context<Self>) {
        let unknown: Vec<(String, i64)> = held
            .iter()
            .filter(|(sid, _)| {
                !self.owned.contains_key(**sid) && !self.claiming.contains_key(**sid)
            })
            .map(|(sid, epoch)| (sid.to_string(), *epoch))
            .collect();
        if unknown.is_empty() {
            return;
        }
        log::info!(
            "cluster: releasing {} lease(s) this instance holds but does not run",
            unknown.len()
        );
        self.settled = None;
        let (db, me) = (self.db.clone(), self.cfg.instance_id.clone());
        let work = async move {
            db.run(move |pool| {
                for (sid, epoch) in &unknown {
                    leases::release(pool, sid, &me, *epoch)?;
                }
                Ok(())
            })
            .await
        };
        ctx.spawn(work.into_actor(self).map(|result, act, ctx| match result {
            Ok(()) if !act.draining => act.place_soon(ctx),
            Ok(()) => {}
            Err(e) => log::warn!("cluster: cannot release the leases left behind: {e}"),
        }));
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
        for sid in &sessions {
            *self.claiming.entry(sid.clone()).or_default() += 1;
        }
        let asked = sessions.clone();
        let (db, cfg) = (self.db.clone(), self.cfg.clone());
        let acquire = async move {
            let me = cfg.instance_id.clone();
            db.run(move |pool| Ok(leases::acquire_each(pool, &sessions, &me)))
                .await
        };
        Box::pin(acquire.into_actor(self).then(move |taken, act, _ctx| {
            for sid in asked {
                if let Some(n) = act.claiming.get_mut(&sid) {
                    *n -= 1;
                    if *n == 0 {
                        act.claiming.remove(&sid);
                    }
                }
            }
            let mut answers: Vec<Result<bool, CommandError>> = Vec::new();
            let mut starts = Vec::new();
            match taken {
                Err(e) => answers.push(Err(CommandError::from(e))),
                Ok(taken) => {
                    for acquired in taken {
                        answers.push(act.took(acquired, &mut starts));
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

    /// Holds a lease just asked for, and starts its session (adding the start to `starts`);
    /// answers whether the session runs here now.
    fn took(
        &mut self,
        acquired: leases::Acquired,
        starts: &mut Vec<Request<SupervisorActor, EnsureRunning>>,
    ) -> Result<bool, CommandError> {
        let sid = acquired.session_id;
        if let Some(lease) = self.owned.get(&sid) {
            // A session being handed over does not run here any more.
            return Ok(!lease.leaving);
        }
        let Some(epoch) = acquired.epoch? else {
            return Ok(false);
        };
        // It lives as long as this instance's row (the lease was taken only while the row was
        // alive).
        let fence = Fence::new(self.cfg.instance_id.clone(), epoch, self.life.clone());
        let start_now = fence.is_valid();
        self.owned.insert(
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
            starts.push(self.supervisor.send(EnsureRunning(id, Some(fence))));
        } else {
            log::info!(
                "cluster: took the lease of session {sid} (epoch {epoch}); it starts once the next renewal confirms it"
            );
        }
        Ok(true)
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
        if self.owned.is_empty() || self.life.is_alive() {
            return;
        }
        log::error!(
            "cluster: the leases were not renewed in time; stopping {} session(s) before another instance takes them",
            self.owned.len()
        );
        self.stop_all();
        self.settled = None;
    }
}

/// Reads the live instances and the wanted sessions with their live owners.
async fn read_view(db: Db) -> Option<View> {
    let view = db
        .run(move |pool| {
            Ok(View {
                instances: leases::instances(pool, false)?,
                wanted: leases::wanted(pool)?,
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
