//! Handing a call to one of the database's own threads (SQLite's thread, PostgreSQL's lanes)
//! and getting its answer back.

use super::{DbError, DbResult};

/// Runs a call on one of the database's own threads: `None` when it panicked (the thread goes
/// on; the call fails with [`panicked`]).
pub(super) fn caught<T>(call: impl FnOnce() -> DbResult<T>) -> Option<DbResult<T>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).ok()
}

/// The failure of a call that panicked.
pub(super) fn panicked() -> DbError {
    DbError::Unavailable("a database call panicked".into())
}

/// Hands a call to a database thread with `send` (given where to answer; false when the thread
/// is gone) and waits for its answer. `thread` names the thread in the failure when it is gone.
pub(super) async fn queued<T>(
    send: impl FnOnce(tokio::sync::oneshot::Sender<DbResult<T>>) -> bool,
    thread: &str,
) -> DbResult<T> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let stopped = || DbError::Unavailable(format!("{thread} stopped"));
    if !send(reply) {
        return Err(stopped());
    }
    answer.await.map_err(|_| stopped())?
}
