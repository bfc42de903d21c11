//! The purge job: applies the retention settings shortly after start and then every hour, one
//! batch after another until nothing expired is left (see [`crate::db::retention`]).

use std::time::Duration;

use actix::prelude::*;

use crate::db::retention::{self, Purged, RetentionPolicy};
use crate::db::{Db, DbResult, now_ms};

/// How often expired data is looked for. Retention is counted in days: an hour late is on time.
const EVERY: Duration = Duration::from_secs(3600);
/// The first purge waits for the start-up work (restoring sessions) to settle.
const FIRST_AFTER: Duration = Duration::from_secs(2);

pub struct RetentionJob {
    db: Db,
    policy: RetentionPolicy,
    running: bool,
}

impl RetentionJob {
    pub fn new(db: Db, policy: RetentionPolicy) -> Self {
        Self {
            db,
            policy,
            running: false,
        }
    }

    fn purge(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        self.running = true;
        let work = purge_all(self.db.clone(), self.policy);
        ctx.spawn(work.into_actor(self).map(|result, act, _| {
            act.running = false;
            match result {
                Ok(p) if p != Purged::default() => log::info!(
                    "retention: deleted {} event(s), {} message(s), {} media file(s)",
                    p.events,
                    p.messages,
                    p.media
                ),
                Ok(_) => {}
                Err(e) => log::warn!("retention purge failed (next try in an hour): {e}"),
            }
        }));
    }
}

/// Batches until the expired data is gone; each batch is its own short transaction.
async fn purge_all(db: Db, policy: RetentionPolicy) -> DbResult<Purged> {
    let mut total = Purged::default();
    loop {
        let batch = db
            .run(move |pool| retention::purge_batch(pool, &policy, now_ms()))
            .await?;
        total.events += batch.events;
        total.messages += batch.messages;
        total.media += batch.media;
        if !batch.more() {
            return Ok(total);
        }
    }
}

impl Actor for RetentionJob {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_later(FIRST_AFTER, |act, ctx| act.purge(ctx));
        ctx.run_interval(EVERY, |act, ctx| act.purge(ctx));
    }
}
