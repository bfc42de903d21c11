//! SQLite's writers, one at a time. SQLite lets one connection write while the others wait in
//! its busy handler, which sleeps (1, 2, 5 … up to 100 ms) and tries again: under a steady
//! stream of sends most write transactions began with such a sleep. The writers of this process
//! queue here instead and each goes the moment the one before it commits.
//!
//! One turn for the whole process, since a process serves one SQLite database (tests that open
//! several in one process only queue their writes). A write transaction opened inside another
//! on the same thread (a savepoint) does not queue again; one that waits longer than
//! [`PATIENCE`] goes ahead and leaves the waiting to SQLite's busy timeout, as before.

use std::cell::Cell;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};

static TURN: Mutex<()> = parking_lot::const_mutex(());

/// As long as SQLite's own busy timeout.
const PATIENCE: Duration = super::SQLITE_BUSY_TIMEOUT;

thread_local! {
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// This thread's turn to write, until dropped.
pub(super) struct Turn(Option<MutexGuard<'static, ()>>);

/// Waits for this thread's turn to write (at once when it already has it).
pub(super) fn take() -> Turn {
    if HOLDING.with(Cell::get) {
        return Turn(None);
    }
    let guard = TURN.try_lock_for(PATIENCE);
    if guard.is_some() {
        HOLDING.with(|h| h.set(true));
    } else {
        log::warn!("an SQLite writer waited {PATIENCE:?} for its turn; it goes ahead");
    }
    Turn(guard)
}

impl Drop for Turn {
    fn drop(&mut self) {
        if self.0.is_some() {
            HOLDING.with(|h| h.set(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_write_keeps_the_turn_and_the_next_writer_waits() {
        let outer = take();
        assert!(outer.0.is_some(), "the first writer takes the turn");
        let inner = take();
        assert!(
            inner.0.is_none(),
            "a nested write on the same thread does not queue"
        );
        drop(inner);
        let other = std::thread::spawn(|| TURN.try_lock_for(Duration::from_millis(50)).is_some());
        assert!(
            !other.join().unwrap(),
            "another thread waits while the turn is held"
        );
        drop(outer);
        let other = std::thread::spawn(|| TURN.try_lock_for(Duration::from_millis(50)).is_some());
        assert!(
            other.join().unwrap(),
            "the turn is free once the writer is done"
        );
    }
}
