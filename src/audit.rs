//! The audit log's writer. Entries are queued (bounded) and written in batches off the request
//! path, so auditing a busy API costs one insert per batch, not one per call. An entry is lost
//! only if the process dies within the batch interval or the queue overflows (counted in
//! `waras_audit_dropped_total`).

use std::time::Duration;

use prometheus::IntCounter;
use tokio::sync::mpsc;

use crate::db::Db;
use crate::db::audit::{self, AuditRow};

/// Entries waiting to be written before new ones are dropped.
const QUEUE: usize = 10_000;
/// Most entries per write.
const BATCH: usize = 500;
/// How long the first entry of a batch waits for company.
const LINGER: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<AuditRow>,
    dropped: IntCounter,
}

impl AuditLog {
    /// Starts the writer on the current runtime.
    pub fn start(db: Db, dropped: IntCounter) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        actix_web::rt::spawn(write_batches(db, rx));
        Self { tx, dropped }
    }

    pub fn record(&self, row: AuditRow) {
        if self.tx.try_send(row).is_err() {
            self.dropped.inc();
        }
    }
}

async fn write_batches(db: Db, mut rx: mpsc::Receiver<AuditRow>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(row)) => batch.push(row),
                _ => break,
            }
        }
        // Waits out a database outage, so the entries are written once it answers again.
        if let Err(e) = db
            .run_patiently(move |pool| audit::append(pool, &batch))
            .await
        {
            log::error!("cannot write the audit log: {e}");
        }
    }
}
