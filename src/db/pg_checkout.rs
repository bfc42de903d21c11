//! PostgreSQL connections are tested before use only while the database may have dropped them.
//!
//! r2d2 tests every connection it hands out with a `SELECT 1`, a round trip to the server: a
//! profile of the harness's sends counted thirteen of them per message, more than any statement
//! that did work. A pooled connection only goes bad when the server or the network between
//! drops it, and that shows: the health probe stops getting answers, or a call fails with a
//! closed connection. From such a sign on, for [`SUSPECT_FOR`], connections are tested again
//! on check-out, so that the dead ones are replaced before a call gets them; otherwise they are
//! handed out as they are.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use diesel::PgConnection;
use diesel::r2d2::{self, ConnectionManager, ManageConnection};

/// How long after the last sign of trouble connections are tested on check-out.
const SUSPECT_FOR: Duration = Duration::from_secs(60);

/// Until when (Unix ms) checked-out connections are tested; 0: not since the process started.
static SUSPECT_UNTIL_MS: AtomicI64 = AtomicI64::new(0);

/// Records a sign that pooled connections may be dead (the database stopped answering, or a
/// call failed on a closed connection).
pub fn suspect() {
    let until = super::now_ms() + i64::try_from(SUSPECT_FOR.as_millis()).unwrap_or(i64::MAX);
    SUSPECT_UNTIL_MS.fetch_max(until, Ordering::Relaxed);
}

fn suspected() -> bool {
    SUSPECT_UNTIL_MS.load(Ordering::Relaxed) > super::now_ms()
}

/// diesel's connection manager, whose check-out test runs only while [`suspected`].
#[derive(Debug)]
pub struct PgManager(ConnectionManager<PgConnection>);

impl PgManager {
    pub fn new(url: String) -> Self {
        Self(ConnectionManager::new(url))
    }
}

impl ManageConnection for PgManager {
    type Connection = PgConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PgConnection, r2d2::Error> {
        self.0.connect()
    }

    fn is_valid(&self, conn: &mut PgConnection) -> Result<(), r2d2::Error> {
        if !suspected() {
            return Ok(());
        }
        let tested = self.0.is_valid(conn);
        if tested.is_err() {
            suspect(); // keep testing while connections are found dead
        }
        tested
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        self.0.has_broken(conn)
    }
}

/// Whether a failed statement says its connection is gone.
pub(super) fn connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_makes_check_outs_test_for_a_while() {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost =
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new(String::new()));
        assert!(connection_lost(&lost));
        assert!(!connection_lost(&Error::NotFound));
        // A failed statement of this kind goes through DbError, which records the suspicion.
        let _ = super::super::DbError::from(lost);
        assert!(suspected());
        let left = SUSPECT_UNTIL_MS.load(Ordering::Relaxed) - super::super::now_ms();
        assert!(left > 50_000 && left <= 60_000, "{left} ms");
    }
}
