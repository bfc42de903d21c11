//! The overdue-sends job: a scheduled send still not sent `schedule_max_lateness_secs` after its
//! time (its session was stopped, or never came back) fails with a `message.ack` event. Due sends
//! themselves are sent by their session's outbox, which wakes itself for them (see `session`).

use std::time::Duration;

use actix::prelude::*;

use crate::db::outbox;
use crate::db::{Db, DbResult, now_ms};

/// How often overdue sends are looked for: lateness is counted in seconds to hours.
const EVERY: Duration = Duration::from_secs(2);
/// Rows failed per transaction.
const BATCH: i64 = 500;

pub struct OverdueSends {
    db: Db,
    max_lateness_ms: i64,
    running: bool,
}

impl OverdueSends {
    pub fn new(db: Db, max_lateness_ms: i64) -> Self {
        Self {
            db,
            max_lateness_ms,
            running: false,
        }
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        self.running = true;
        let work = fail_all(self.db.clone(), self.max_lateness_ms);
        ctx.spawn(work.into_actor(self).map(|result, act, _| {
            act.running = false;
            match result {
                Ok(0) => {}
                Ok(n) => log::info!("{n} scheduled send(s) failed: not sent in time"),
                Err(e) => log::warn!("cannot look for overdue scheduled sends: {e}"),
            }
        }));
    }
}

async fn fail_all(db: Db, max_lateness_ms: i64) -> DbResult<usize> {
    let mut total = 0;
    loop {
        let events = db
            .run(move |pool| outbox::fail_overdue(pool, max_lateness_ms, BATCH, now_ms()))
            .await?;
        if events.is_empty() {
            return Ok(total);
        }
        total += events.len();
        db.events_appended();
    }
}

impl Actor for OverdueSends {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(EVERY, |act, ctx| act.sweep(ctx));
    }
}
