//! A tenant's quotas: how many sessions and webhooks it may have, how many messages it may send
//! a day (UTC) and how many media bytes it may store. Each is the tenant's own value (set by the
//! admin), else the configured default; none means no limit.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_day: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<u64>,
}

impl Quotas {
    /// Every quota a signed 64-bit number can hold (as the database and the OpenAPI document
    /// do); the name of the first that cannot.
    pub fn out_of_range(&self) -> Option<&'static str> {
        let max = i64::MAX.unsigned_abs();
        [
            ("sessions", self.sessions),
            ("messages_per_day", self.messages_per_day),
            ("media_bytes", self.media_bytes),
            ("webhooks", self.webhooks),
        ]
        .into_iter()
        .find(|(_, v)| v.is_some_and(|v| v > max))
        .map(|(name, _)| name)
    }

    /// Each quota the tenant has, else the default's.
    pub fn or(self, defaults: Quotas) -> Quotas {
        Quotas {
            sessions: self.sessions.or(defaults.sessions),
            messages_per_day: self.messages_per_day.or(defaults.messages_per_day),
            media_bytes: self.media_bytes.or(defaults.media_bytes),
            webhooks: self.webhooks.or(defaults.webhooks),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenants_own_quota_wins_over_the_default() {
        let own = Quotas {
            sessions: Some(2),
            ..Quotas::default()
        };
        let defaults = Quotas {
            sessions: Some(10),
            webhooks: Some(5),
            ..Quotas::default()
        };
        let q = own.or(defaults);
        assert_eq!(q.sessions, Some(2));
        assert_eq!(q.webhooks, Some(5));
        assert_eq!(q.messages_per_day, None);
    }
}
