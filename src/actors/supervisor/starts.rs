//! Starting many sessions at once: the boot of a single instance, and a cluster member taking
//! over a batch of leases. Each session's STARTING is written a chunk of sessions per
//! transaction (the chunks side by side) before their actors start, instead of by each actor on
//! its own with a read of its row after: at a restart of 10,000 sessions those 20,000 calls
//! queued behind one another for the database. A session the chunk could not write (its lease
//! no longer holds, its chunk failed) starts as a session started alone does, and writes its own.

use std::sync::Arc;

use actix::prelude::*;
use futures_util::future::join_all;

use super::{SupervisorActor, wait_ready};
use crate::db::cluster::Fence;
use crate::db::sessions::{self, SessionRow};
use crate::db::{Db, DbError, now_ms};
use crate::domain::SessionId;

/// How many sessions share one transaction.
const CHUNK: usize = 250;

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
        Box::pin(load.into_actor(self).then(|ids, act, ctx| {
            let ids = match ids {
                Ok(ids) => ids,
                Err(e) => return Box::pin(fut::ready(Err(e))) as Self::Result,
            };
            let restored = ids.len();
            let all = ids.into_iter().map(|id| (SessionId::from_db(id), None));
            Box::pin(act.start_all(all.collect(), ctx).map(move |(), _, _| {
                log::info!("supervisor: {restored} session(s) restored");
                Ok(restored)
            }))
        }))
    }
}

/// [`super::EnsureRunning`] for many sessions (each under its lease with several instances):
/// resolves once every one of them has started and persisted STARTING.
#[derive(Message)]
#[rtype(result = "()")]
pub struct EnsureAllRunning(pub Vec<(SessionId, Option<Arc<Fence>>)>);

impl Handler<EnsureAllRunning> for SupervisorActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, msg: EnsureAllRunning, ctx: &mut Self::Context) -> Self::Result {
        self.start_all(msg.0, ctx)
    }
}

impl SupervisorActor {
    /// Writes the sessions' STARTING in chunks, then starts the actors of those not stopped
    /// meanwhile; resolves once all of them are ready.
    fn start_all(
        &mut self,
        sessions: Vec<(SessionId, Option<Arc<Fence>>)>,
        _ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, ()> {
        self.next_start += 1;
        let start = self.next_start;
        let mut asked = Vec::with_capacity(sessions.len());
        for (id, fence) in sessions {
            self.failures.remove(&id);
            if !self.running.contains_key(&id) {
                self.starting.insert(id.clone(), start);
            }
            asked.push((id.as_str().to_string(), fence));
        }
        let db = self.db.clone();
        Box::pin(
            write_starting(db, asked)
                .into_actor(self)
                .then(move |written, act, ctx| {
                    let started: Vec<_> = written
                        .into_iter()
                        .filter_map(|(id, fence, row)| {
                            let id = SessionId::from_db(id);
                            let pending = act.starting.get(&id) == Some(&start);
                            if pending {
                                act.starting.remove(&id);
                                act.start_session(id, fence, row, ctx)
                            } else {
                                // Stopped meanwhile, or already running (then it is ready anyway).
                                act.running.get(&id).map(|r| r.addr.clone())
                            }
                        })
                        .collect();
                    join_all(started.into_iter().map(|a| wait_ready(Some(a))))
                        .into_actor(act)
                        .map(|_, _, _| ())
                }),
        )
    }
}

/// Each session asked for, with its row where its chunk wrote STARTING for it.
async fn write_starting(
    db: Db,
    asked: Vec<(String, Option<Arc<Fence>>)>,
) -> Vec<(String, Option<Arc<Fence>>, Option<SessionRow>)> {
    let now = now_ms();
    let chunks = asked.chunks(CHUNK).map(|chunk| {
        let chunk = chunk.to_vec();
        db.run(move |pool| sessions::start_many(pool, &chunk, now))
    });
    let mut rows: std::collections::HashMap<String, SessionRow> = Default::default();
    for (written, chunk) in join_all(chunks).await.into_iter().zip(asked.chunks(CHUNK)) {
        match written {
            Ok((written, events)) => {
                if !events.is_empty() {
                    db.events_appended();
                }
                rows.extend(written.into_iter().map(|row| (row.id.clone(), row)));
            }
            // Two chunks can deadlock on a tenant's usage counters (sessions that were WORKING
            // end their working time), or the database may be away: these sessions write their
            // own STARTING.
            Err(e) => log::warn!(
                "{} session(s) write their STARTING one by one: {e}",
                chunk.len()
            ),
        }
    }
    asked
        .into_iter()
        .map(|(id, fence)| {
            let row = rows.remove(&id);
            (id, fence, row)
        })
        .collect()
}
