//! The WAL copied back into the database file beside the SQLite thread, not on it.
//!
//! SQLite checkpoints on the connection whose commit made the WAL pass its threshold: there, the
//! one thread that runs every call (`sqlite_thread`) stopped for as long as it took to copy and
//! sync the WAL's pages (32 MiB at most), and every call queued behind it waited as long. Now a
//! commit checkpoints only past 64 MiB of WAL (`wal_autocheckpoint`, set in `SqlitePragmas`),
//! and this thread, with a connection of its own, runs a passive checkpoint every [`EVERY`]: one
//! that copies what no reader still needs and never waits for or blocks the writer. Once all of the
//! WAL is copied, the next write starts it again from the beginning, and SQLite cuts the file
//! back to `journal_size_limit`.

use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::DbPool;

/// How often the WAL is copied back. At the harness's send rates a second's worth of WAL is a
/// few MiB.
const EVERY: Duration = Duration::from_millis(500);

/// The checkpointing thread; it ends when this is dropped.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub(super) fn start(pool: DbPool) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("waras-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(e) = checkpoint(&pool) {
                        log::debug!("SQLite checkpoint: {e}");
                    }
                }
            })?;
        Ok(Self { _stop: stop })
    }
}

/// One passive checkpoint on a pooled connection.
fn checkpoint(pool: &DbPool) -> super::DbResult<()> {
    if let DbPool::Sqlite(p) = pool {
        p.get()?.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DatabaseTarget;

    #[test]
    fn commits_leave_the_copying_to_the_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let pool = DbPool::connect(&DatabaseTarget::Sqlite(file.clone()), 4).unwrap();
        let DbPool::Sqlite(p) = &pool else {
            unreachable!()
        };
        let mut conn = p.get().unwrap();
        conn.batch_execute("CREATE TABLE t (v BLOB)").unwrap();
        // 300 commits of 16 KiB: past SQLite's default threshold of 1,000 pages, under ours.
        for _ in 0..300 {
            conn.batch_execute("INSERT INTO t VALUES (zeroblob(16384))")
                .unwrap();
        }
        drop(conn);
        let size = || std::fs::metadata(&file).unwrap().len();
        assert!(
            size() < 1 << 20,
            "a commit copied the WAL back: {} bytes",
            size()
        );
        let _checkpointer = Checkpointer::start(pool.clone()).unwrap();
        std::thread::sleep(EVERY * 4);
        assert!(size() > 300 * 16384, "not copied back: {} bytes", size());
    }
}
