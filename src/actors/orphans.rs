//! The orphan sweep (`media_store = "s3"`): every minute, deletes the bucket objects no media row
//! refers to any more — files deleted with their message, session or tenant, or by retention —
//! and uploads whose row was never written (see [`crate::db::media`]).

use std::time::Duration;

use actix::prelude::*;

use crate::db::Db;

const EVERY: Duration = Duration::from_secs(60);

pub struct OrphanSweep {
    db: Db,
    running: bool,
}

impl OrphanSweep {
    pub fn new(db: Db) -> Self {
        Self { db, running: false }
    }

    fn sweep(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        self.running = true;
        let db = self.db.clone();
        let work = async move { db.sweep_orphan_objects().await };
        ctx.spawn(work.into_actor(self).map(|result, act, _| {
            act.running = false;
            match result {
                Ok(0) => {}
                Ok(n) => log::info!("deleted {n} orphaned media object(s) from the bucket"),
                Err(e) => {
                    log::warn!("orphaned media objects not swept (next try in a minute): {e}")
                }
            }
        }));
    }
}

impl Actor for OrphanSweep {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(EVERY, |act, ctx| act.sweep(ctx));
    }
}
