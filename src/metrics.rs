//! Prometheus metrics, one registry per application instance.

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::domain::SessionStatus;

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub sessions: IntGaugeVec,
    pub session_actors: IntGauge,
    pub session_restarts: IntCounter,
    pub engine_events_dropped: IntCounter,
    pub audit_dropped: IntCounter,
    pub webhook_deliveries: IntCounterVec,
    pub webhook_delay: prometheus::Histogram,
    /// 1, labelled with this instance's id (several instances are scraped one by one).
    pub instance_info: IntGaugeVec,
    pub leases_held: IntGauge,
    pub leases_lost: IntCounter,
    pub sinks: SinkMetrics,
}

/// The event sinks' gauges and counters.
pub struct SinkMetrics {
    pub lag: IntGaugeVec,
    pub published: IntCounterVec,
    pub failures: IntCounterVec,
}

impl SinkMetrics {
    fn register(r: &Registry) -> prometheus::Result<Self> {
        Ok(Self {
            lag: gauge_vec(
                r,
                "waras_sink_lag_events",
                "Events in the log after a sink's cursor (its tenant's, or its session's), by sink; counted when it fails, 0 once it caught up",
                &["sink"],
            )?,
            published: counter_vec(
                r,
                "waras_sink_published_total",
                "Events published to brokers and confirmed, by sink kind",
                &["kind"],
            )?,
            failures: counter_vec(
                r,
                "waras_sink_failures_total",
                "Failed sink rounds (broker unreachable or refusing), by sink kind",
                &["kind"],
            )?,
        })
    }
}

/// Latency buckets of HTTP requests and of webhook deliveries, in seconds.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
const DELIVERY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0, 3600.0,
];

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let r = Registry::new();
        Ok(Self {
            http_requests: counter_vec(
                &r,
                "waras_http_requests_total",
                "HTTP requests by route pattern, method and status",
                &["route", "method", "status"],
            )?,
            http_duration: registered(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "waras_http_request_duration_seconds",
                        "HTTP request latency by route pattern",
                    )
                    .buckets(HTTP_BUCKETS.to_vec()),
                    &["route"],
                )?,
            )?,
            sessions: gauge_vec(&r, "waras_sessions", "Sessions by status", &["status"])?,
            session_actors: gauge(
                &r,
                "waras_session_actors",
                "Session actors running in this process",
            )?,
            session_restarts: counter(
                &r,
                "waras_session_restarts_total",
                "Session actors restarted by the supervisor after they ended unexpectedly",
            )?,
            audit_dropped: counter(
                &r,
                "waras_audit_dropped_total",
                "Audit log entries dropped because the writer's queue was full",
            )?,
            engine_events_dropped: counter(
                &r,
                "waras_engine_events_dropped_total",
                "Presence and typing events dropped because a session's engine event queue was full",
            )?,
            webhook_deliveries: counter_vec(
                &r,
                "waras_webhook_attempts_total",
                "Webhook delivery attempts by result (delivered, retry, failed)",
                &["result"],
            )?,
            webhook_delay: registered(
                &r,
                prometheus::Histogram::with_opts(
                    HistogramOpts::new(
                        "waras_webhook_delivery_delay_seconds",
                        "From event commit to successful delivery",
                    )
                    .buckets(DELIVERY_BUCKETS.to_vec()),
                )?,
            )?,
            instance_info: gauge_vec(
                &r,
                "waras_instance_info",
                "This instance (value 1), labelled with its id",
                &["instance"],
            )?,
            leases_held: gauge(
                &r,
                "waras_cluster_leases_held",
                "Session leases this instance holds (PostgreSQL)",
            )?,
            leases_lost: counter(
                &r,
                "waras_cluster_leases_lost_total",
                "Session leases lost without handing over (not renewed in time, or taken by another instance)",
            )?,
            sinks: SinkMetrics::register(&r)?,
            registry: r,
        })
    }

    /// Sets the per-status gauge from a fresh count (statuses with no session report 0).
    pub fn set_session_counts(&self, counts: &[(String, i64)]) {
        for status in SessionStatus::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| *n);
            self.sessions.with_label_values(&[status.as_str()]).set(n);
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            log::error!("cannot encode metrics: {e}");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// `metric`, registered in `registry`.
fn registered<M: Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> prometheus::Result<M> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn counter(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    registered(registry, IntCounter::new(name, help)?)
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    registered(registry, IntGauge::new(name, help)?)
}

fn counter_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    registered(registry, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn gauge_vec(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    registered(registry, IntGaugeVec::new(Opts::new(name, help), labels)?)
}
