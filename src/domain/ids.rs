//! Prefixed, time-ordered ids (`ses_` + UUIDv7 in hex): sortable, so they double as list cursors.

use uuid::Uuid;

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, Uuid::now_v7().simple()))
            }

            /// An id that sorts as if made at `unix_ms` (for things that happened before
            /// WARAS learned of them, like messages from history); among ids of the same
            /// millisecond, by `seq` (up to 4095).
            pub fn generate_at(unix_ms: i64, seq: u16) -> Self {
                let ms = u64::try_from(unix_ms).unwrap_or(0);
                let mut bytes: [u8; 10] = rand::random();
                // The 12 bits after the version hold the sequence.
                let seq = seq.min(0x0fff);
                bytes[0] = (seq >> 8) as u8;
                bytes[1] = (seq & 0xff) as u8;
                let id = uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid();
                Self(format!("{}_{}", $prefix, id.simple()))
            }

            /// `None` when the text cannot be an id of this kind.
            pub fn parse(s: &str) -> Option<Self> {
                let hex = s.strip_prefix($prefix)?.strip_prefix('_')?;
                (hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
                    .then(|| Self(s.to_string()))
            }

            /// Wraps an id read back from storage.
            pub fn from_db(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(TenantId, "tnt");
prefixed_id!(SessionId, "ses");
prefixed_id!(KeyId, "key");
prefixed_id!(WebhookId, "whk");
prefixed_id!(DeliveryId, "dlv");
prefixed_id!(MessageId, "msg");
prefixed_id!(MediaId, "med");
prefixed_id!(TemplateId, "tpl");
prefixed_id!(CampaignId, "cmp");
prefixed_id!(RuleId, "rul");
prefixed_id!(ContactId, "ctc");
prefixed_id!(AuditId, "aud");
prefixed_id!(SinkId, "snk");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_by_time() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_eq!(SessionId::parse(a.as_str()), Some(a.clone()));
        assert!(a < b);
        // Backdated ids sort before today's and among themselves by their time.
        let old = MessageId::generate_at(1_600_000_000_000, 0);
        let older = MessageId::generate_at(1_500_000_000_000, 7);
        assert!(older < old && old < MessageId::generate());
        // The same millisecond: by sequence, whatever the random bits.
        for _ in 0..50 {
            let (a, b) = (
                MessageId::generate_at(1_600_000_000_000, 1),
                MessageId::generate_at(1_600_000_000_000, 2),
            );
            assert!(a < b, "{a:?} {b:?}");
        }
        assert_eq!(MessageId::parse(old.as_str()), Some(old.clone()));
    }

    #[test]
    fn foreign_or_malformed_ids_are_rejected() {
        let t = TenantId::generate();
        assert_eq!(SessionId::parse(t.as_str()), None);
        assert_eq!(SessionId::parse("ses_xyz"), None);
        assert_eq!(
            SessionId::parse("ses_0192F0000000000000000000000000AA"),
            None
        );
        assert_eq!(SessionId::parse(""), None);
    }
}
