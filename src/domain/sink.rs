//! Event sinks (the brokers events are published to) and the event selection they share with
//! webhooks.

use std::fmt;

/// The broker a sink publishes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    Nats,
    Rabbitmq,
    Redis,
}

impl SinkKind {
    pub const ALL: [SinkKind; 3] = [SinkKind::Nats, SinkKind::Rabbitmq, SinkKind::Redis];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SinkKind::Nats => "nats",
            SinkKind::Rabbitmq => "rabbitmq",
            SinkKind::Redis => "redis",
        }
    }

    /// The URL schemes its broker is reached by.
    pub fn schemes(self) -> &'static [&'static str] {
        match self {
            SinkKind::Nats => &["nats", "tls"],
            SinkKind::Rabbitmq => &["amqp", "amqps"],
            SinkKind::Redis => &["redis", "rediss"],
        }
    }
}

impl fmt::Display for SinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `patterns` select `event_type`: `*` everything, `message.*` a family, anything
/// else one type.
pub fn selects(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|t| {
        t == "*"
            || t == event_type
            || t.strip_suffix(".*").is_some_and(|family| {
                event_type
                    .strip_prefix(family)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_select_types_families_and_everything() {
        let p = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(selects(&p(&["*"]), "message.received"));
        assert!(selects(&p(&["message.*"]), "message.received"));
        assert!(!selects(&p(&["message.*"]), "messages.x"));
        assert!(!selects(&p(&["message.*"]), "message"));
        assert!(selects(&p(&["session.status"]), "session.status"));
        assert!(!selects(&p(&["session.status"]), "session.qr"));
        assert!(!selects(&[], "session.qr"));
        assert_eq!(SinkKind::parse("rabbitmq"), Some(SinkKind::Rabbitmq));
        assert_eq!(SinkKind::parse("kafka"), None);
    }
}
