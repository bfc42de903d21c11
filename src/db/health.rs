//! Whether the database answers. A probe thread runs `SELECT 1` on its own connection a few
//! times a second; a probe that fails or does not answer in time marks the database down until
//! one succeeds again. API calls fail fast while it is down (503 instead of waiting on a dead
//! server), and calls already waiting on a connection that stopped answering are released the
//! moment it is marked down. Work that must not be lost (the engine's store, received messages)
//! waits for it to come back instead.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tokio::sync::watch;

use super::DbError;

/// Pause between two probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);

/// Shared "is the database answering" flag; `true` while it is (and always for SQLite, a local
/// file that has no outage of its own).
#[derive(Debug)]
pub struct DbHealth {
    up: watch::Sender<bool>,
}

impl Default for DbHealth {
    fn default() -> Self {
        Self {
            up: watch::channel(true).0,
        }
    }
}

impl DbHealth {
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    fn set(&self, up: bool) {
        if !up {
            // Pooled connections may have died with it: test them on check-out for a while.
            super::pg_checkout::suspect();
        }
        let changed = self.up.send_if_modified(|state| {
            let changed = *state != up;
            *state = up;
            changed
        });
        if changed && up {
            log::warn!("the database answers again");
        } else if changed {
            log::error!("the database does not answer; API calls get 503 until it does");
        }
    }

    /// Resolves once the database is marked down (at once if it is).
    pub async fn went_down(&self) {
        let mut rx = self.up.subscribe();
        // The sender lives in `self`, so the channel cannot close while this borrow exists.
        let _ = rx.wait_for(|up| !*up).await;
    }

    /// Resolves once the database is marked up (at once if it is).
    pub async fn came_up(&self) {
        let mut rx = self.up.subscribe();
        let _ = rx.wait_for(|up| *up).await;
    }

    /// Starts probing a PostgreSQL server. The threads end once `health` is dropped.
    pub fn watch_postgres(
        health: &Arc<Self>,
        url: String,
        timeout: Duration,
    ) -> std::io::Result<()> {
        let (ask, asked) = mpsc::channel::<()>();
        let (tell, told) = mpsc::channel::<bool>();
        // The probe's own connection, so that a pool drained by stuck queries is not mistaken for
        // an outage, and a probe stuck on a dead connection holds no pool slot.
        std::thread::Builder::new()
            .name("db-probe-conn".into())
            .spawn(move || {
                let mut conn: Option<PgConnection> = None;
                while asked.recv().is_ok() {
                    if tell.send(probe_once(&mut conn, &url)).is_err() {
                        return;
                    }
                }
            })?;
        let weak = Arc::downgrade(health);
        std::thread::Builder::new()
            .name("db-probe".into())
            .spawn(move || probe_loop(weak, ask, told, timeout))?;
        Ok(())
    }
}

fn probe_once(conn: &mut Option<PgConnection>, url: &str) -> bool {
    if conn.is_none() {
        *conn = PgConnection::establish(url).ok();
    }
    let ok = conn
        .as_mut()
        .is_some_and(|c| c.batch_execute("SELECT 1").is_ok());
    if !ok {
        *conn = None; // a failed connection is not reused: the next probe dials again
    }
    ok
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the body of the probe thread: it owns its channel ends, which close when it ends"
)]
fn probe_loop(
    health: Weak<DbHealth>,
    ask: mpsc::Sender<()>,
    told: mpsc::Receiver<bool>,
    timeout: Duration,
) {
    loop {
        if ask.send(()).is_err() {
            return;
        }
        let answer = match told.recv_timeout(timeout) {
            Ok(ok) => ok,
            Err(RecvTimeoutError::Timeout) => {
                let Some(h) = health.upgrade() else { return };
                h.set(false);
                drop(h);
                // Only one probe at a time: a server that swallows packets must not collect a
                // thread per probe. Its answer (or its connection's death) decides the state.
                match told.recv() {
                    Ok(ok) => ok,
                    Err(_) => return,
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let Some(h) = health.upgrade() else { return };
        h.set(answer);
        drop(h);
        std::thread::sleep(PROBE_INTERVAL);
    }
}

/// True when an error means "the database cannot be reached" rather than "this query is wrong":
/// such calls can be tried again once the database answers.
pub fn is_outage(e: &DbError) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        DbError::Unavailable(_) => true,
        DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )) => true,
        DbError::Query(Error::BrokenTransactionManager) => true,
        DbError::Query(_)
        | DbError::Fenced
        | DbError::QuotaExceeded { .. }
        | DbError::Objects(_) => false,
    }
}

/// libpq settings that bound how long a dead or silent server can hold a connection, added to
/// the URL unless it sets them itself: dialing gives up after 2 s (libpq's minimum), an idle
/// connection whose peer vanished is noticed within ~25 s, and unacknowledged writes abort the
/// connection after 15 s. A server on this host's loopback is dialed without TLS unless the
/// URL sets `sslmode` (libpq's default, `prefer`, encrypts whenever the server offers it: on
/// loopback that protects nothing and costs every statement an encryption at both ends, and the
/// process about 2 MiB).
pub fn pg_url_with_timeouts(url: &str) -> String {
    const DEFAULTS: [(&str, &str); 6] = [
        ("connect_timeout", "2"),
        ("keepalives", "1"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
        ("tcp_user_timeout", "15000"),
    ];
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let present = |name: &str| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(name))
    };
    let mut out = url.to_string();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    let loopback = [("sslmode", "disable")];
    let extra = if crate::loopback::url_on_loopback(url) && !present("host") {
        &loopback[..]
    } else {
        &[]
    };
    for &(name, value) in DEFAULTS.iter().chain(extra) {
        if !present(name) {
            out.push(sep);
            out.push_str(name);
            out.push('=');
            out.push_str(value);
            sep = '&';
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_server_is_dialed_without_tls_unless_the_url_says_otherwise() {
        let timeouts = "connect_timeout=2&keepalives=1&keepalives_idle=10\
             &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000";
        for url in [
            "postgres://postgres@127.0.0.1:5432/db",
            "postgresql://u:p@localhost/db",
            "postgres://u@[::1]:5432/db",
        ] {
            assert_eq!(
                pg_url_with_timeouts(url),
                format!("{url}?{timeouts}&sslmode=disable")
            );
        }
        for url in [
            "postgres://u@db.example.com/db",
            "postgres://u@10.0.0.5:5432/db",
            "postgres://u@postgres/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?host=/var/run/postgresql",
        ] {
            assert!(
                !pg_url_with_timeouts(url).contains("sslmode=disable"),
                "{url}"
            );
        }
    }

    #[test]
    fn timeouts_are_added_unless_the_url_sets_them() {
        assert_eq!(
            pg_url_with_timeouts("postgres://u@h/db"),
            "postgres://u@h/db?connect_timeout=2&keepalives=1&keepalives_idle=10\
             &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000"
        );
        assert_eq!(
            pg_url_with_timeouts(
                "postgres://u@h/db?sslmode=disable&connect_timeout=7&keepalives=0"
            ),
            "postgres://u@h/db?sslmode=disable&connect_timeout=7&keepalives=0&keepalives_idle=10\
             &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000"
        );
    }

    #[test]
    fn connection_errors_are_outages_and_query_errors_are_not() {
        assert!(is_outage(&DbError::Unavailable("pool timed out".into())));
        assert!(!is_outage(&DbError::Query(diesel::result::Error::NotFound)));
    }
}
