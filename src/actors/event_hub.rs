//! EventHub: pushes committed events to live subscribers (the WebSocket stream). It tails the event
//! log itself — ids increase in commit order, so reading `id > last` never skips one — and hands
//! each subscriber its events through a bounded queue; a subscriber whose queue is full is dropped
//! and told why, instead of letting memory grow.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix::prelude::*;
use tokio::sync::{mpsc, watch};

use crate::db::Db;
use crate::db::events::{self, EventRow};

const POLL: Duration = Duration::from_millis(200);
const TAIL_BATCH: i64 = 1000;
/// On PostgreSQL a read of the log waits for the appenders in flight and holds new ones back
/// for as long (see `DbConn::event_horizon`): under a stream of appends the hub reads at most
/// this often, taking what came meanwhile in one read.
const PG_READ_SPACING: Duration = Duration::from_millis(20);

/// Which events a subscriber wants.
#[derive(Debug, Clone)]
pub struct EventSelector {
    pub tenant_id: String,
    pub session_id: Option<String>,
    pub types: Vec<String>,
}

impl EventSelector {
    pub fn matches(&self, e: &EventRow) -> bool {
        e.tenant_id == self.tenant_id
            && self
                .session_id
                .as_ref()
                .is_none_or(|s| e.session_id.as_deref() == Some(s.as_str()))
            && (self.types.is_empty() || self.types.iter().any(|t| t == &e.event_type))
    }
}

struct Subscriber {
    selector: EventSelector,
    tx: mpsc::Sender<Arc<EventRow>>,
    overflowed: Arc<AtomicBool>,
}

pub struct EventHub {
    db: Db,
    last: i64,
    subscribers: HashMap<u64, Subscriber>,
    next_id: u64,
    appended: Option<watch::Receiver<u64>>,
    /// The least time from one read of the log to the next.
    spacing: Duration,
    last_read: std::time::Instant,
}

impl EventHub {
    pub fn new(db: Db) -> Self {
        let appended = Some(db.watch_events());
        let spacing = match db.pool() {
            crate::db::DbPool::Postgres(_) => PG_READ_SPACING,
            crate::db::DbPool::Sqlite(_) => Duration::ZERO,
        };
        Self {
            db,
            last: 0,
            subscribers: HashMap::new(),
            next_id: 0,
            appended,
            spacing,
            last_read: std::time::Instant::now(),
        }
    }

    fn tail(&mut self, ctx: &mut Context<Self>) {
        let db = self.db.clone();
        let after = self.last;
        self.last_read = std::time::Instant::now();
        let read = async move {
            db.run(move |pool| events::tail(pool, after, TAIL_BATCH))
                .await
        };
        ctx.spawn(read.into_actor(self).map(|rows, act, ctx| {
            let full = match rows {
                Ok(rows) => {
                    let full = rows.len() as i64 == TAIL_BATCH;
                    act.fan_out(rows);
                    full
                }
                Err(e) => {
                    log::warn!("event hub cannot read the log: {e}");
                    false
                }
            };
            if full {
                act.tail(ctx)
            } else {
                act.wait_then_tail(ctx)
            }
        }));
    }

    fn wait_then_tail(&mut self, ctx: &mut Context<Self>) {
        let Some(mut rx) = self.appended.take() else {
            return;
        };
        let next_read = self.last_read + self.spacing;
        let wait = async move {
            tokio::select! {
                _ = rx.changed() => {}
                _ = actix_web::rt::time::sleep(POLL) => {}
            }
            actix_web::rt::time::sleep_until(next_read.into()).await;
            rx
        };
        ctx.spawn(wait.into_actor(self).map(|rx, act, ctx| {
            act.appended = Some(rx);
            act.tail(ctx);
        }));
    }

    fn fan_out(&mut self, rows: Vec<EventRow>) {
        for row in rows {
            self.last = self.last.max(row.id);
            if self.subscribers.is_empty() {
                continue;
            }
            let row = Arc::new(row);
            self.subscribers.retain(|_, sub| {
                if !sub.selector.matches(&row) {
                    return !sub.tx.is_closed();
                }
                match sub.tx.try_send(row.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        sub.overflowed.store(true, Ordering::SeqCst);
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
        }
    }
}

impl Actor for EventHub {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let db = self.db.clone();
        let start = async move { db.run(events::last_id).await };
        ctx.wait(start.into_actor(self).map(|last, act, ctx| {
            act.last = last.unwrap_or_else(|e| {
                log::warn!("event hub starts without the log position: {e}");
                0
            });
            act.tail(ctx);
        }));
    }
}

/// Registers a subscriber; every event committed after this returns reaches it (or it is dropped
/// with `overflowed` set).
#[derive(Message)]
#[rtype(result = "u64")]
pub struct Subscribe {
    pub selector: EventSelector,
    pub tx: mpsc::Sender<Arc<EventRow>>,
    pub overflowed: Arc<AtomicBool>,
}

impl Handler<Subscribe> for EventHub {
    type Result = u64;

    fn handle(&mut self, msg: Subscribe, _ctx: &mut Self::Context) -> u64 {
        self.next_id += 1;
        self.subscribers.insert(
            self.next_id,
            Subscriber {
                selector: msg.selector,
                tx: msg.tx,
                overflowed: msg.overflowed,
            },
        );
        self.next_id
    }
}

#[derive(Message)]
#[rtype(result = "()")]
pub struct Unsubscribe(pub u64);

impl Handler<Unsubscribe> for EventHub {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _ctx: &mut Self::Context) {
        self.subscribers.remove(&msg.0);
    }
}

/// Number of live subscribers (metrics, tests).
#[derive(Message)]
#[rtype(result = "usize")]
pub struct SubscriberCount;

impl Handler<SubscriberCount> for EventHub {
    type Result = usize;

    fn handle(&mut self, _: SubscriberCount, _ctx: &mut Self::Context) -> usize {
        self.subscribers.len()
    }
}
