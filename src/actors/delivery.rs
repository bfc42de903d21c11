//! DeliveryActor: drains the webhook outbox. It claims due deliveries with a lease, POSTs each event
//! envelope with Standard Webhooks headers, and records the outcome: success, a retry on the schedule
//! (Retry-After honoured on 429/503), or failure. 410 disables the endpoint; an endpoint failing for
//! longer than `disable_after` is disabled with a `webhook.disabled` event.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_web::http::StatusCode;
use tokio::sync::{Notify, Semaphore};

use crate::crypto::Sealer;
use crate::db::webhooks::{self, Claimed, Outcome};
use crate::db::{Db, now_ms};
use crate::metrics::Metrics;
use crate::webhooks::schedule::RetrySchedule;
use crate::webhooks::{guarded, sealed, signature, target};

/// How often the outbox is looked at when nothing rings.
const IDLE_POLL: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct DeliveryConfig {
    pub timeout: Duration,
    pub schedule: RetrySchedule,
    pub disable_after_ms: i64,
    pub allow_private: bool,
    pub concurrency: usize,
    /// Deliveries of one tenant in flight at most, so that others keep slots.
    pub tenant_concurrency: usize,
}

pub struct DeliveryActor {
    db: Db,
    config: DeliveryConfig,
    secrets: Sealer,
    metrics: Arc<Metrics>,
}

impl DeliveryActor {
    pub fn new(db: Db, config: DeliveryConfig, secrets: Sealer, metrics: Arc<Metrics>) -> Self {
        Self {
            db,
            config,
            secrets,
            metrics,
        }
    }
}

impl Actor for DeliveryActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let worker = Rc::new(Worker {
            db: self.db.clone(),
            config: self.config.clone(),
            secrets: self.secrets.clone(),
            metrics: self.metrics.clone(),
            // The connector resolves each host once and dials only guard-checked addresses.
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(self.config.timeout)
                .connector(guarded::connector(self.config.allow_private))
                .add_default_header((
                    "User-Agent",
                    concat!("WARAS-Webhooks/", env!("CARGO_PKG_VERSION")),
                ))
                .finish(),
            slots: Arc::new(Semaphore::new(self.config.concurrency)),
            finished: Rc::new(Notify::new()),
        });
        ctx.spawn(worker.run().into_actor(self));
    }
}

/// Stops claiming new deliveries; calls in flight finish or their lease lapses for the next start.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopDeliveries;

impl Handler<StopDeliveries> for DeliveryActor {
    type Result = ();

    fn handle(&mut self, _: StopDeliveries, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

struct Worker {
    db: Db,
    config: DeliveryConfig,
    secrets: Sealer,
    metrics: Arc<Metrics>,
    client: awc::Client,
    slots: Arc<Semaphore>,
    finished: Rc<Notify>,
}

impl Worker {
    async fn run(self: Rc<Self>) {
        let mut appended = self.db.watch_events();
        loop {
            let free = self.slots.available_permits();
            let mut claimed_all = false;
            if free > 0 {
                // An attempt ends within the request timeout; the lease outlives it by a margin for the write.
                let lease_ms = (self.config.timeout.as_millis() as i64) + 5_000;
                let cap = self.config.tenant_concurrency.max(1) as i64;
                match self
                    .db
                    .run(move |pool| webhooks::claim(pool, now_ms(), lease_ms, free as i64, cap))
                    .await
                {
                    Ok(batch) => {
                        claimed_all = batch.len() == free;
                        for claimed in batch {
                            let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                                break;
                            };
                            let worker = self.clone();
                            actix_web::rt::spawn(async move {
                                worker.deliver(claimed).await;
                                drop(permit);
                                worker.finished.notify_one();
                            });
                        }
                    }
                    Err(e) => log::warn!("webhook outbox unavailable: {e}"),
                }
            }
            if claimed_all {
                // More may be due: claim again as soon as a slot frees.
                self.finished.notified().await;
                continue;
            }
            tokio::select! {
                _ = appended.changed() => {}
                _ = self.finished.notified() => {}
                _ = actix_web::rt::time::sleep(IDLE_POLL) => {}
            }
        }
    }

    async fn attempt(&self, c: &Claimed) -> (Outcome, bool) {
        let retry_at = |retry_after: Option<u64>| {
            self.config
                .schedule
                .next_delay_ms(c.delivery.attempts.max(1) as u32, retry_after)
                .map(|d| now_ms() + d)
        };
        let (req, body) = match self.signed_request(c) {
            Ok(r) => r,
            Err(error) => {
                let outcome = Outcome::Failed {
                    status_code: None,
                    error,
                    retry_at: retry_at(None),
                };
                return (outcome, false);
            }
        };
        match req.send_body(body).await {
            Ok(res) => answered(res.status(), res.headers(), retry_at),
            Err(e) => (
                Outcome::Failed {
                    status_code: None,
                    error: match guarded::refusal(&e) {
                        Some(refused) => refused.to_string(),
                        None => format!("request failed: {e}"),
                    },
                    retry_at: retry_at(None),
                },
                false,
            ),
        }
    }

    /// The delivery's POST with its body: to the endpoint's checked URL, signed (Standard
    /// Webhooks) with every live secret, with the endpoint's custom headers.
    fn signed_request(&self, c: &Claimed) -> Result<(awc::ClientRequest, String), String> {
        let now = now_ms();
        let url =
            target::parse(&c.webhook.url, self.config.allow_private).map_err(|e| e.to_string())?;
        let secrets = sealed::signing_secrets(&self.secrets, &c.webhook, now);
        if secrets.is_empty() {
            return Err("signing secret unreadable".into());
        }
        let body = c.event.envelope_json();
        let msg_id = c.event.id.to_string();
        let ts = now / 1000;
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let mut req = self
            .client
            .post(url.as_str())
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", msg_id.as_str()))
            .insert_header(("webhook-timestamp", ts.to_string()))
            .insert_header((
                "webhook-signature",
                signature::signature_header(&refs, &msg_id, ts, body.as_bytes()),
            ));
        let custom = sealed::open_headers(&self.secrets, &c.webhook)
            .map_err(|e| format!("custom headers unreadable: {e}"))?;
        for (name, value) in &custom {
            req = req.insert_header((name.as_str(), value.as_str()));
        }
        Ok((req, body))
    }

    async fn deliver(&self, c: Claimed) {
        let (outcome, gone) = self.attempt(&c).await;
        let result = match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Failed {
                retry_at: Some(_), ..
            } => "retry",
            Outcome::Failed { retry_at: None, .. } => "failed",
        };
        self.metrics
            .webhook_deliveries
            .with_label_values(&[result])
            .inc();
        if let Outcome::Delivered { .. } = outcome {
            let delay = (now_ms() - c.event.created_at).max(0) as f64 / 1000.0;
            self.metrics.webhook_delay.observe(delay);
        }
        let (did, wid) = (c.delivery.id.clone(), c.webhook.id.clone());
        let recorded = self
            .db
            .run(move |pool| webhooks::record(pool, &did, &wid, &outcome, now_ms()))
            .await;
        let failing_since = match recorded {
            Ok(f) => f,
            Err(e) => {
                log::warn!("delivery {}: cannot record the attempt: {e}", c.delivery.id);
                return;
            }
        };
        let reason = if gone {
            Some("endpoint answered 410 Gone".to_string())
        } else {
            failing_since
                .filter(|since| now_ms() - since > self.config.disable_after_ms)
                .map(|_| {
                    format!(
                        "failing for more than {} s",
                        self.config.disable_after_ms / 1000
                    )
                })
        };
        if let Some(reason) = reason {
            let wid = c.webhook.id.clone();
            match self
                .db
                .run(move |pool| webhooks::disable(pool, &wid, &reason, now_ms()))
                .await
            {
                Ok(Some(_)) => {
                    log::warn!("webhook {} disabled", c.webhook.id);
                    self.db.events_appended();
                }
                Ok(None) => {}
                Err(e) => log::warn!("webhook {}: cannot disable: {e}", c.webhook.id),
            }
        }
    }
}

/// What the endpoint's answer means: delivered; gone (410: the endpoint is disabled, the second
/// value); or failed, to retry by the schedule (at the endpoint's `Retry-After` for 429 and 503).
fn answered(
    status: StatusCode,
    headers: &actix_web::http::header::HeaderMap,
    retry_at: impl Fn(Option<u64>) -> Option<i64>,
) -> (Outcome, bool) {
    if status.is_success() {
        return (
            Outcome::Delivered {
                status_code: status.as_u16(),
            },
            false,
        );
    }
    if status == StatusCode::GONE {
        let outcome = Outcome::Failed {
            status_code: Some(410),
            error: "endpoint answered 410 Gone".into(),
            retry_at: None,
        };
        return (outcome, true);
    }
    let retry_after = if matches!(status.as_u16(), 429 | 503) {
        headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    } else {
        None
    };
    let outcome = Outcome::Failed {
        status_code: Some(status.as_u16()),
        error: format!("endpoint answered {}", status.as_u16()),
        retry_at: retry_at(retry_after),
    };
    (outcome, false)
}
