//! The queue from a session's engine to its actor. The engine raises events on its own threads;
//! an unbounded mailbox (`Addr::do_send`) would let a stalled actor (a slow database, say) grow
//! memory without limit. Instead each session has a bounded queue of [`ENGINE_EVENT_QUEUE`]
//! events. When it is full, presence and typing notices — frequent, and stale a moment later —
//! are dropped and counted (`waras_engine_events_dropped_total`); every other event makes the
//! engine wait until the actor has caught up, so receipts, status changes and notices are never
//! lost. Inbound messages do not travel here at all: they are stored by the engine's durability
//! hook before they are acknowledged.

use std::sync::Arc;

use async_channel::{Sender, TrySendError};
use prometheus::IntCounter;
use wacore::types::events::{Event, EventHandler};

/// Events queued per session between the engine and the actor.
pub const ENGINE_EVENT_QUEUE: usize = 1024;

/// What the engine side puts in a session's queue. `Ended` travels the same queue as the events
/// so the actor sees it after every event the engine raised before its run loop ended (a
/// `LoggedOut`, say), never before.
pub enum FromEngine {
    Event(Arc<Event>),
    /// The engine's run loop ended without being asked to.
    Ended,
}

pub(super) struct Bridge {
    pub tx: Sender<FromEngine>,
    pub dropped: IntCounter,
}

impl EventHandler for Bridge {
    fn handle_event(&self, event: Arc<Event>) {
        // Not worth the queue: raw stanzas other than blocklist changes, and received messages
        // the durability hook already stored.
        let wanted = match &*event {
            Event::RawNode(node) => crate::engine::notices::is_blocklist_change(node),
            Event::Messages(batch) => !batch.hook_committed,
            _ => true,
        };
        if !wanted {
            return;
        }
        send_bounded(&self.tx, FromEngine::Event(event), droppable, &self.dropped);
    }
}

/// Presence and typing: the only events worth less than the engine's progress.
fn droppable(item: &FromEngine) -> bool {
    matches!(
        item,
        FromEngine::Event(e) if matches!(**e, Event::ChatPresence(_) | Event::Presence(_))
    )
}

/// Queues `item`; when the queue is full, drops it if `droppable` says so, otherwise blocks the
/// calling engine thread until there is room (or the actor is gone). Returns whether it was queued.
fn send_bounded<T>(
    tx: &Sender<T>,
    item: T,
    droppable: impl Fn(&T) -> bool,
    dropped: &IntCounter,
) -> bool {
    match tx.try_send(item) {
        Ok(()) => true,
        Err(TrySendError::Closed(_)) => false,
        Err(TrySendError::Full(item)) if droppable(&item) => {
            dropped.inc();
            false
        }
        Err(TrySendError::Full(item)) => block_on_send(tx, item),
    }
}

/// Waits for room. On a worker of a multi-thread tokio runtime (the engine's), the wait is
/// announced with `block_in_place` so the runtime moves its other tasks to another thread.
fn block_on_send<T>(tx: &Sender<T>, item: T) -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let multi_thread =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(|| tx.send_blocking(item).is_ok())
    } else {
        tx.send_blocking(item).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn counter() -> IntCounter {
        IntCounter::new("dropped", "test").unwrap()
    }

    #[test]
    fn a_full_queue_drops_only_droppable_items() {
        let (tx, rx) = async_channel::bounded::<u32>(2);
        let dropped = counter();
        let odd = |n: &u32| n % 2 == 1;
        assert!(send_bounded(&tx, 0, odd, &dropped));
        assert!(send_bounded(&tx, 2, odd, &dropped));
        assert!(
            !send_bounded(&tx, 3, odd, &dropped),
            "odd: dropped when full"
        );
        assert_eq!(dropped.get(), 1);
        // An even item waits for room instead of being dropped.
        let reader = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let got: Vec<u32> = std::iter::from_fn(|| rx.recv_blocking().ok()).collect();
            got
        });
        assert!(send_bounded(&tx, 4, odd, &dropped));
        drop(tx);
        assert_eq!(reader.join().unwrap(), vec![0, 2, 4]);
        assert_eq!(dropped.get(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_engine_runtime_keeps_running_while_one_thread_waits() {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        tx.try_send(1).unwrap();
        let dropped = counter();
        let blocked = tokio::spawn(async move { send_bounded(&tx, 2, |_| false, &dropped) });
        // Another task still runs (the waiting worker handed its tasks over).
        tokio::time::timeout(Duration::from_secs(5), tokio::spawn(async { 7 }))
            .await
            .expect("runtime not starved")
            .unwrap();
        assert_eq!(rx.recv().await.unwrap(), 1);
        assert!(blocked.await.unwrap());
        assert_eq!(rx.recv().await.unwrap(), 2);
    }

    #[test]
    fn a_closed_queue_is_not_waited_for() {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        drop(rx);
        assert!(!send_bounded(&tx, 1, |_| false, &counter()));
    }
}
