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
//!
//! **Beginning the WAL again.** A write begins the WAL from its start only when it finds every
//! frame copied back. Under a steady stream of writes the passes never catch up with the last
//! frames (more are written while one copies), so the WAL grew until a commit passed
//! `wal_autocheckpoint` and, on the SQLite thread, synced and copied everything the last pass
//! had not: at the harness's send rate that thread stopped for about 55 ms every 430 ms (two
//! `fsync`s and the copying, `perf trace`), and every call queued behind it waited as long. Now,
//! after a pass over a WAL of more than [`FINISH_FRAMES`], the SQLite thread is asked to finish
//! the checkpoint between two of its batches ([`finish`]): only the frames written during the
//! pass are left to sync and copy, and the next write begins the WAL again.

use std::sync::mpsc;
use std::time::Duration;

use super::DbPool;

/// How often the WAL is copied back. At the harness's send rates a second's worth of WAL is a
/// few MiB.
const EVERY: Duration = Duration::from_millis(500);

/// Frames the WAL may hold (16 MiB of 4 KiB pages) before the SQLite thread is asked to finish
/// a pass.
pub(super) const FINISH_FRAMES: i32 = 4096;

/// The checkpointing thread; it ends when this is dropped.
pub(super) struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Passes every [`EVERY`]; `ask_to_finish` is called after a pass over a WAL of more than
    /// `finish_frames` frames (a pass copies the frames there were when it began, and the
    /// writes it did not see may only be copied by the SQLite thread).
    pub(super) fn start(
        pool: DbPool,
        finish_frames: i32,
        ask_to_finish: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("waras-checkpoint".into())
            .spawn(move || {
                let mut file = None;
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    match checkpoint(&pool) {
                        Ok(Some(pass)) if pass.log > finish_frames => {
                            // What the pass copied is synced here, not by the SQLite thread.
                            if let Err(e) = sync_database(&pool, &mut file) {
                                log::debug!("SQLite checkpoint: syncing the database: {e}");
                            }
                            ask_to_finish();
                        }
                        Ok(_) => {}
                        Err(e) => log::debug!("SQLite checkpoint: {e}"),
                    }
                }
            })?;
        Ok(Self { _stop: stop })
    }
}

/// What a checkpoint saw: the WAL's frames when it began.
#[derive(diesel::QueryableByName)]
struct Pass {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// One passive checkpoint on `conn` (`None` when it was not an SQLite WAL database).
fn passive(conn: &mut diesel::SqliteConnection) -> super::DbResult<Option<Pass>> {
    use diesel::RunQueryDsl as _;
    let pass = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Pass>(conn)?;
    Ok((pass.log >= 0).then_some(pass))
}

/// The database's file (empty for an in-memory one).
#[derive(diesel::QueryableByName)]
struct MainFile {
    #[diesel(sql_type = diesel::sql_types::Text)]
    file: String,
}

/// Syncs the database file. A pass that did not reach the WAL's last frame (others were written
/// while it copied) leaves what it copied unsynced: SQLite syncs the database only once a pass
/// copies everything, which under steady writes only the SQLite thread's finishing pass does, and
/// that thread then waited for all of it (23–34 ms, `perf trace`) instead of the last few MiB.
fn sync_database(pool: &DbPool, file: &mut Option<std::fs::File>) -> super::DbResult<()> {
    use diesel::RunQueryDsl as _;
    let DbPool::Sqlite(p) = pool else {
        return Ok(());
    };
    // The file is looked up and opened once, and kept open for the next passes.
    let file = match file {
        Some(file) => file,
        None => {
            let name =
                diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .get_result::<MainFile>(&mut *p.get()?)?
                    .file;
            if name.is_empty() {
                return Ok(());
            }
            let opened = std::fs::File::open(&name)
                .map_err(|e| super::DbError::Unavailable(format!("opening {name}: {e}")))?;
            file.insert(opened)
        }
    };
    file.sync_data()
        .map_err(|e| super::DbError::Unavailable(format!("syncing the database file: {e}")))
}

/// One passive checkpoint on a pooled connection.
fn checkpoint(pool: &DbPool) -> super::DbResult<Option<Pass>> {
    match pool {
        DbPool::Sqlite(p) => passive(&mut *p.get()?),
        _ => Ok(None),
    }
}

/// Finishes the checkpoint on the SQLite thread, between two of its batches (no write of its own
/// is open, and no other writer is at work): what is left is copied back, so the next write
/// begins the WAL again.
pub(super) fn finish(conn: &mut diesel::SqliteConnection) {
    if let Err(e) = passive(conn) {
        log::debug!("SQLite checkpoint on the SQLite thread: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DatabaseTarget;
    use crate::with_conn;
    use diesel::connection::SimpleConnection;

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
        let _checkpointer = Checkpointer::start(pool.clone(), FINISH_FRAMES, || {}).unwrap();
        std::thread::sleep(EVERY * 4);
        assert!(size() > 300 * 16384, "not copied back: {} bytes", size());
    }

    /// Writes that keep coming: no pass of the checkpointer copies the whole WAL (frames are
    /// written while it copies), so unless the SQLite thread finishes its passes no write finds
    /// the WAL copied back and begins it again.
    #[actix_web::test]
    async fn the_wal_begins_again_under_writes_that_keep_coming() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let pool = DbPool::connect(&DatabaseTarget::Sqlite(file.clone()), 4).unwrap();
        let thread = crate::db::sqlite_thread::SqliteThread::start_with(pool, 16).unwrap();
        // No commit of the thread's own copies the WAL back either, however large it grows.
        let create = |pool: &DbPool| {
            with_conn!(pool, |conn| Ok(conn.batch_execute(
                "PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v BLOB)"
            )?))
        };
        thread.run(create).await.unwrap();
        let until = std::time::Instant::now() + EVERY * 6;
        let mut written = 0u64;
        while std::time::Instant::now() < until {
            let insert = |pool: &DbPool| {
                with_conn!(pool, |conn| Ok(
                    conn.batch_execute("INSERT INTO t VALUES (zeroblob(8192))")?
                ))
            };
            thread.run(insert).await.unwrap();
            written += 1;
            actix_rt::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        // The WAL's header counts the times it was begun again (its checkpoint sequence).
        let header = std::fs::read(dir.path().join("t.db-wal")).unwrap();
        let begun_again = u32::from_be_bytes(header[12..16].try_into().unwrap());
        assert!(
            begun_again >= 2,
            "the WAL was begun again {begun_again} times in {} passes",
            6
        );
        let rows = |pool: &DbPool| {
            with_conn!(pool, |conn| {
                use diesel::RunQueryDsl as _;
                #[derive(diesel::QueryableByName)]
                struct Rows {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let r =
                    diesel::sql_query("SELECT count(*) AS n FROM t").get_result::<Rows>(conn)?;
                Ok(r.n)
            })
        };
        let n = thread.run(rows).await.unwrap();
        assert_eq!(u64::try_from(n).unwrap(), written, "every write was kept");
    }
}
