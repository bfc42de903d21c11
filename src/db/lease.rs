//! Keeps a PostgreSQL instance's serve lease through a server restart. The lease is a shared
//! advisory lock (every instance of a cluster holds it; `waras rotate-master-key` needs it
//! exclusively) that lives as long as its connection: a restart ends the connection and frees
//! the lock. A thread checks the connection every second and, once it is gone, dials again and
//! takes the lock back as soon as the server answers. Which instance runs which session is
//! decided by the session leases (`db::cluster`), not by this lock.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// How often the lease's connection is checked.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How long dropping the keeper waits for the lock to be released (the connection closed).
const RELEASE_WAIT: Duration = Duration::from_secs(2);

/// Owns the lease's connection on its own thread; dropping it releases the lease.
pub struct LeaseKeeper {
    stop: Option<mpsc::Sender<()>>,
    released: mpsc::Receiver<()>,
}

impl LeaseKeeper {
    /// Runs at startup; the thread is the lease's owner from here on.
    pub fn start(conn: PgConnection, url: String) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel();
        let (release, released) = mpsc::channel();
        std::thread::Builder::new()
            .name("db-lease".into())
            .spawn(move || {
                keep(conn, &url, &stopped);
                let _ = release.send(());
            })?;
        Ok(Self {
            stop: Some(stop),
            released,
        })
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        drop(self.stop.take());
        // Bounded: a check stuck on a silent server must not hold up shutdown.
        let _ = self.released.recv_timeout(RELEASE_WAIT);
    }
}

fn keep(conn: PgConnection, url: &str, stopped: &mpsc::Receiver<()>) {
    let mut held = Some(conn);
    let mut lost_reported = false;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECK_INTERVAL) {
        if held
            .as_mut()
            .is_some_and(|c| c.batch_execute("SELECT 1").is_ok())
        {
            continue;
        }
        held = retake(url, &mut lost_reported);
    }
}

/// A new connection holding the lock, or `None` (server still away, or the lock taken by
/// another process meanwhile: reported once, then tried again every check).
fn retake(url: &str, lost_reported: &mut bool) -> Option<PgConnection> {
    let mut conn = PgConnection::establish(url).ok()?;
    match super::migrate::try_pg_lock(&mut conn, true) {
        Ok(true) => {
            log::warn!("instance lease taken again after the database came back");
            *lost_reported = false;
            Some(conn)
        }
        Ok(false) => {
            if !*lost_reported {
                log::error!(
                    "a master key rotation holds the database while it was away; \
                     sessions keep their leases only as long as they can renew them"
                );
                *lost_reported = true;
            }
            None
        }
        Err(_) => None,
    }
}
