//! Event sinks: every tenant's sinks published from the event log to their brokers. Each sink is
//! a cursor over the log (`sinks.cursor`), run by the one instance holding its lease: it reads the
//! tenant's events after the cursor, publishes the selected ones in log (commit) order and moves
//! the cursor past what the broker confirmed, so a broker outage or a restart resumes where it
//! stopped and nothing is skipped (at least once; the event id deduplicates).

pub mod brokers;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use self::brokers::{Broker, BrokerTarget, Outgoing};
use crate::crypto::Sealer;
use crate::db::events::{self, EventFilter, EventRow};
use crate::db::sinks::{self, Ownership, SinkRow, secret_aad, url_aad};
use crate::db::{Db, now_ms};
use crate::metrics::Metrics;
use crate::webhooks::signature;

/// Events read from the log per round.
const BATCH: i64 = 200;
/// The largest lag counted (events after the cursor).
pub const LAG_CAP: i64 = 100_000;
/// Longest pause between attempts while a broker fails.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often an idle sink looks at the log without being woken.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// What the sink runner of an instance needs.
#[derive(Clone)]
pub struct SinkContext {
    pub db: Db,
    /// Seals each sink's broker URL and signing secret.
    pub sealer: Sealer,
    pub metrics: Arc<Metrics>,
    /// This instance's name on the leases.
    pub owner: String,
    pub allow_private: bool,
    pub lease_ttl: Duration,
}

/// The running sinks of this instance; stops them (and hands their leases back) on
/// [`SinkRunner::stop`].
pub struct SinkRunner {
    stop: watch::Sender<bool>,
    done: tokio::sync::oneshot::Receiver<()>,
}

impl SinkRunner {
    pub fn start(cx: SinkContext) -> Self {
        let (stop, stopped) = watch::channel(false);
        let (finished, done) = tokio::sync::oneshot::channel();
        actix_web::rt::spawn(async move {
            supervise(cx, stopped).await;
            let _ = finished.send(());
        });
        Self { stop, done }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.done).await;
    }
}

struct Running {
    epoch: i64,
    updated_at: i64,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// Claims leases every third of their life and keeps one worker per held sink, restarted when
/// its row changed (a PATCH) or another epoch began.
async fn supervise(cx: SinkContext, mut stopped: watch::Receiver<bool>) {
    let mut running: HashMap<String, Running> = HashMap::new();
    let ttl_ms = i64::try_from(cx.lease_ttl.as_millis()).unwrap_or(i64::MAX / 4);
    loop {
        let owner = cx.owner.clone();
        match cx
            .db
            .run(move |pool| sinks::claim(pool, &owner, now_ms(), ttl_ms))
            .await
        {
            Ok(held) => reconcile(&cx, &mut running, held),
            Err(e) => log::warn!("sinks: cannot renew leases: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(cx.lease_ttl / 3) => {}
            _ = stopped.changed() => break,
        }
    }
    for (_, r) in running.drain() {
        let _ = r.stop.send(true);
        let _ = r.task.await;
    }
    let owner = cx.owner.clone();
    if let Err(e) = cx.db.run(move |pool| sinks::release(pool, &owner)).await {
        log::warn!("sinks: leases not handed back (they lapse on their own): {e}");
    }
}

fn reconcile(cx: &SinkContext, running: &mut HashMap<String, Running>, held: Vec<SinkRow>) {
    let keep: Vec<&str> = held.iter().map(|r| r.id.as_str()).collect();
    running.retain(|id, r| {
        let still = keep.contains(&id.as_str()) && !r.task.is_finished();
        if !still {
            let _ = r.stop.send(true);
        }
        still
    });
    for row in held {
        if let Some(r) = running.get(&row.id)
            && r.epoch == row.epoch
            && r.updated_at == row.updated_at
        {
            continue;
        }
        if let Some(old) = running.remove(&row.id) {
            let _ = old.stop.send(true);
        }
        let (stop, stopped) = watch::channel(false);
        let id = row.id.clone();
        let (epoch, updated_at) = (row.epoch, row.updated_at);
        let task = actix_web::rt::spawn(run_sink(cx.clone(), row, stopped));
        running.insert(
            id,
            Running {
                epoch,
                updated_at,
                stop,
                task,
            },
        );
    }
}

/// The opened parts of a sink row.
struct Opened {
    target: BrokerTarget,
    secret: String,
    patterns: Vec<String>,
}

fn open(cx: &SinkContext, row: &SinkRow) -> Result<Opened, String> {
    let url = cx
        .sealer
        .open(&row.url_sealed, &url_aad(&row.id))
        .map_err(|e| e.to_string())?;
    let secret = cx
        .sealer
        .open(&row.secret_sealed, &secret_aad(&row.id))
        .map_err(|e| e.to_string())?;
    Ok(Opened {
        target: BrokerTarget {
            kind: row.kind.clone(),
            url: String::from_utf8(url).map_err(|e| e.to_string())?,
            destination: row.destination.clone(),
            max_len: row.max_len,
        },
        secret: String::from_utf8(secret).map_err(|e| e.to_string())?,
        patterns: row.types(),
    })
}

/// One sink at work: its opened row, where its cursor stands and its broker connection.
struct Worker {
    cx: SinkContext,
    row: SinkRow,
    opened: Opened,
    holder: Ownership,
    cursor: i64,
    broker: Option<Broker>,
    backoff: Duration,
    lag: prometheus::IntGauge,
}

/// One sink's loop: connect, publish what follows the cursor, move the cursor; on a failure,
/// record it, drop the connection and try again after a growing pause.
async fn run_sink(cx: SinkContext, row: SinkRow, mut stopped: watch::Receiver<bool>) {
    let opened = match open(&cx, &row) {
        Ok(o) => o,
        Err(e) => {
            log::error!("sink {}: cannot open its URL or secret: {e}", row.id);
            return;
        }
    };
    let mut appended = cx.db.watch_events();
    let mut w = Worker {
        holder: Ownership {
            owner: cx.owner.clone(),
            epoch: row.epoch,
        },
        lag: cx.metrics.sinks.lag.with_label_values(&[&row.id]),
        cursor: row.cursor,
        broker: None,
        backoff: Duration::from_secs(1),
        cx,
        row,
        opened,
    };
    while !*stopped.borrow() {
        let pause = match round(&w.cx, &w.row, &w.opened, &mut w.broker, w.cursor).await {
            Ok(done) => match w.moved(done).await {
                Some(Duration::ZERO) => continue,
                Some(pause) => pause,
                None => break, // another instance holds the sink now
            },
            Err(e) => w.failed(e).await,
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = appended.changed(), if pause == IDLE_POLL => {}
            _ = stopped.changed() => {}
        }
    }
    if let Some(b) = w.broker {
        b.close().await;
    }
}

impl Worker {
    /// Saves the cursor after a round; the pause before the next one (zero when more may be
    /// waiting), `None` when the sink is no longer this instance's.
    async fn moved(&mut self, done: Round) -> Option<Duration> {
        if done.last > self.cursor {
            let (id, holder) = (self.row.id.clone(), self.holder.clone());
            let (last, published) = (done.last, done.published);
            let saved = self
                .cx
                .db
                .run(move |pool| sinks::advance(pool, &id, &holder, last, published, now_ms()))
                .await;
            match saved {
                Ok(true) => self.cursor = last,
                Ok(false) => return None,
                Err(e) => log::warn!("sink {}: cursor not saved: {e}", self.row.id),
            }
        }
        self.cx
            .metrics
            .sinks
            .published
            .with_label_values(&[&self.row.kind])
            .inc_by(u64::try_from(done.published).unwrap_or_default());
        self.backoff = Duration::from_secs(1);
        if done.more {
            return Some(Duration::ZERO);
        }
        self.lag.set(0);
        Some(IDLE_POLL)
    }

    /// Records a failed round (the connection dropped, the lag counted); the pause before the
    /// next try.
    async fn failed(&mut self, e: String) -> Duration {
        log::warn!("sink {} ({}): {e}", self.row.id, self.row.kind);
        let kind = [self.row.kind.as_str()];
        self.cx
            .metrics
            .sinks
            .failures
            .with_label_values(&kind)
            .inc();
        if let Some(b) = self.broker.take() {
            b.close().await;
        }
        let (id, holder) = (self.row.id.clone(), self.holder.clone());
        let _ = self
            .cx
            .db
            .run(move |pool| sinks::failed(pool, &id, &holder, &e, now_ms()))
            .await;
        let counted = SinkRow {
            cursor: self.cursor,
            ..self.row.clone()
        };
        if let Ok(n) = self
            .cx
            .db
            .run(move |pool| sinks::lag(pool, &counted, LAG_CAP))
            .await
        {
            self.lag.set(n);
        }
        let pause = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        pause
    }
}

/// What one round did: the last event id handled (published or not selected), how many went
/// out, and whether more may be waiting.
struct Round {
    last: i64,
    published: i64,
    more: bool,
}

/// Publishes the selected events after `cursor` (connecting first when needed). A failure
/// mid-batch still moves the cursor past what went out before it.
async fn round(
    cx: &SinkContext,
    row: &SinkRow,
    opened: &Opened,
    broker: &mut Option<Broker>,
    cursor: i64,
) -> Result<Round, String> {
    let filter = EventFilter {
        after: cursor,
        session_id: row.session_id.clone(),
        types: Vec::new(),
    };
    let tenant = row.tenant_id.clone();
    let batch = cx
        .db
        .run(move |pool| events::list(pool, &tenant, &filter, BATCH))
        .await
        .map_err(|e| e.to_string())?;
    let more = i64::try_from(batch.len()).unwrap_or(BATCH) == BATCH;
    let Some(last) = batch.last().map(|e| e.id) else {
        return Ok(Round {
            last: cursor,
            published: 0,
            more,
        });
    };
    let selected: Vec<Outgoing> = batch
        .iter()
        .filter(|e| crate::domain::selects(&opened.patterns, &e.event_type))
        .map(|e| outgoing(e, &opened.secret))
        .collect();
    if selected.is_empty() {
        return Ok(Round {
            last,
            published: 0,
            more,
        });
    }
    let b = match broker {
        Some(b) => b,
        None => {
            check_host(&opened.target.url, cx.allow_private).await?;
            broker.insert(Broker::connect(&opened.target).await?)
        }
    };
    let (confirmed, failure) = b.publish_batch(&selected).await;
    let published = i64::try_from(confirmed).unwrap_or_default();
    match (failure, selected.get(confirmed)) {
        (None, _) | (Some(_), None) => Ok(Round {
            last,
            published,
            more,
        }),
        // Keep what went out (up to just before the first unconfirmed event); the failure
        // shows on the next round.
        (Some(_), Some(stopped)) if confirmed > 0 => Ok(Round {
            last: stopped.id - 1,
            published,
            more: true,
        }),
        (Some(e), Some(_)) => Err(e),
    }
}

fn outgoing(event: &EventRow, secret: &str) -> Outgoing {
    let body = event.envelope_json();
    let timestamp = now_ms() / 1000;
    let id = event.id.to_string();
    Outgoing {
        id: event.id,
        event_type: event.event_type.clone(),
        tenant_id: event.tenant_id.clone(),
        session_id: event.session_id.clone(),
        signature: signature::signature_header(&[secret], &id, timestamp, body.as_bytes()),
        body,
        timestamp,
    }
}

/// Refuses a broker on a private address unless `webhook_allow_private` (as for webhooks): the
/// host as written, or every address its name resolves to.
pub async fn check_host(raw: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("url: {e}"))?;
    let host = url.host_str().ok_or("url: no host")?;
    let port = url.port().unwrap_or(1);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("url: cannot resolve {host}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("url: {host} resolves to no address"));
    }
    match addrs
        .iter()
        .all(|a| crate::webhooks::target::is_public(a.ip()))
    {
        true => Ok(()),
        false => Err(format!(
            "url: {host} is a private address (set webhook_allow_private to allow it)"
        )),
    }
}
