//! Prometheus metrics, one registry per application instance.

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
    pub webhook_deliveries: IntCounterVec,
    pub webhook_delay: prometheus::Histogram,
    /// 1, labelled with this instance's id (several instances are scraped one by one).
    pub instance_info: IntGaugeVec,
    pub leases_held: IntGauge,
    pub leases_lost: IntCounter,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "waras_http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "waras_http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route"],
        )?;
        let sessions = IntGaugeVec::new(
            Opts::new("waras_sessions", "Sessions by status"),
            &["status"],
        )?;
        let session_actors = IntGauge::new(
            "waras_session_actors",
            "Session actors running in this process",
        )?;
        let session_restarts = IntCounter::new(
            "waras_session_restarts_total",
            "Session actors restarted by the supervisor after they ended unexpectedly",
        )?;
        let engine_events_dropped = IntCounter::new(
            "waras_engine_events_dropped_total",
            "Presence and typing events dropped because a session's engine event queue was full",
        )?;
        let webhook_deliveries = IntCounterVec::new(
            Opts::new(
                "waras_webhook_attempts_total",
                "Webhook delivery attempts by result (delivered, retry, failed)",
            ),
            &["result"],
        )?;
        let webhook_delay = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "waras_webhook_delivery_delay_seconds",
                "From event commit to successful delivery",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0, 300.0, 3600.0,
            ]),
        )?;
        let instance_info = IntGaugeVec::new(
            Opts::new(
                "waras_instance_info",
                "This instance (value 1), labelled with its id",
            ),
            &["instance"],
        )?;
        let leases_held = IntGauge::new(
            "waras_cluster_leases_held",
            "Session leases this instance holds (PostgreSQL)",
        )?;
        let leases_lost = IntCounter::new(
            "waras_cluster_leases_lost_total",
            "Session leases lost without handing over (not renewed in time, or taken by another instance)",
        )?;
        registry.register(Box::new(instance_info.clone()))?;
        registry.register(Box::new(leases_held.clone()))?;
        registry.register(Box::new(leases_lost.clone()))?;
        registry.register(Box::new(webhook_deliveries.clone()))?;
        registry.register(Box::new(webhook_delay.clone()))?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(sessions.clone()))?;
        registry.register(Box::new(session_actors.clone()))?;
        registry.register(Box::new(session_restarts.clone()))?;
        registry.register(Box::new(engine_events_dropped.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_duration,
            sessions,
            session_actors,
            session_restarts,
            engine_events_dropped,
            webhook_deliveries,
            webhook_delay,
            instance_info,
            leases_held,
            leases_lost,
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
