//! The cluster heartbeat's own connection, on its own thread. Renewing the instance (and with it
//! its leases) is the one write that must never queue: sessions may hold every pooled connection
//! busy (a thousand sessions linking at once), and a renewal that waits for the pool past two
//! thirds of the TTL stops every session of the instance. So the heartbeat keeps a dedicated connection, with a
//! statement timeout of a third of the TTL, and dials again after any failure.

use std::sync::{Arc, mpsc};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use tokio::sync::oneshot;

use super::cluster::{Held, Life, heartbeat, mono_ms};
use super::{DbError, DbResult};

type Beat = (i64, oneshot::Sender<DbResult<Option<Vec<Held>>>>);

/// Sends renewals to the heartbeat thread; dropping it ends the thread.
pub struct Heartbeat {
    beats: mpsc::Sender<Beat>,
}

impl Heartbeat {
    /// Starts the thread for instance `id`; `url` should carry connect and keepalive timeouts
    /// (`health::pg_url_with_timeouts`). Each confirmed renewal moves `life` forward (two thirds
    /// of the TTL after it began), from this thread; a lapse ends it.
    pub fn start(url: String, id: String, ttl: Duration, life: Arc<Life>) -> std::io::Result<Self> {
        let (beats, incoming) = mpsc::channel::<Beat>();
        std::thread::Builder::new()
            .name("cluster-heartbeat".into())
            .spawn(move || serve(&url, &id, ttl, &life, &incoming))?;
        Ok(Self { beats })
    }

    /// Keeps the instance (and its leases) alive for `ttl_ms`; answers the leases held, or
    /// `None` when the instance had already run out (see [`heartbeat`]).
    pub async fn beat(&self, ttl_ms: i64) -> DbResult<Option<Vec<Held>>> {
        let (reply, answer) = oneshot::channel();
        self.beats
            .send((ttl_ms, reply))
            .map_err(|_| DbError::Unavailable("the heartbeat thread ended".into()))?;
        answer
            .await
            .map_err(|_| DbError::Unavailable("the heartbeat thread ended".into()))?
    }
}

fn serve(url: &str, id: &str, ttl: Duration, life: &Life, incoming: &mpsc::Receiver<Beat>) {
    let mut conn: Option<PgConnection> = None;
    while let Ok((ttl_ms, reply)) = incoming.recv() {
        let started = mono_ms();
        let result = match conn.as_mut() {
            Some(c) => heartbeat(c, id, ttl_ms),
            None => connect(url, ttl).and_then(|c| {
                let c = conn.insert(c);
                heartbeat(c, id, ttl_ms)
            }),
        };
        match &result {
            Ok(Some(_)) => life.renewed(started, ttl_ms * 2 / 3),
            Ok(None) => life.lapse(),
            // Whatever went wrong, the next beat starts on a fresh connection.
            Err(_) => conn = None,
        }
        let _ = reply.send(result);
    }
}

fn connect(url: &str, ttl: Duration) -> DbResult<PgConnection> {
    let mut conn = PgConnection::establish(url).map_err(|e| DbError::Unavailable(e.to_string()))?;
    let limit = (ttl / 3).as_millis().max(100);
    conn.batch_execute(&format!("SET statement_timeout = {limit}"))
        .map_err(DbError::Query)?;
    Ok(conn)
}
