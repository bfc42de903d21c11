//! How the rest of the process talks to [`Membership`]: its ticks, the settling round at
//! startup, wake-ups, claims and releases of single sessions, and the drain at shutdown.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::future::join_all;

use super::{Lease, Membership, release};
use crate::cluster::CommandError;
use crate::cluster::config::ClusterConfig;
use crate::db::cluster::{self as leases, Fence};
use crate::db::{Db, DbError};

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
    let (id, url, max, ttl) = (
        cfg.instance_id.clone(),
        cfg.advertise_url.clone(),
        cfg.max_sessions.min(i32::MAX as u32) as i32,
        cfg.ttl_ms(),
    );
    db.run(move |pool| leases::register(pool, &id, &url, max, ttl))
        .await
}
