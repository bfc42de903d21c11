//! The typed keys of a session's `config` object (other keys are kept as given): what the session
//! does with calls, and how much history it takes when linked. Checked when a session is created
//! or changed, read when a call rings or the engine starts.

use serde_json::Value;

use super::InvalidInput;

/// Longest auto-reject answer, in characters.
pub const MAX_REJECT_MESSAGE_CHARS: usize = 4096;
/// How far back `recent` history goes unless `history_days` says otherwise.
pub const DEFAULT_HISTORY_DAYS: u32 = 7;

/// The history a newly linked session stores from the phone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HistorySync {
    /// Nothing: the engine does not even download it.
    #[default]
    None,
    /// The last `history_days` days.
    Recent,
    /// Everything the phone sends.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// Decline every incoming call as it rings.
    pub auto_reject_calls: bool,
    /// Sent to the caller after an automatic rejection.
    pub auto_reject_message: Option<String>,
    pub history_sync: HistorySync,
    /// For `recent`: how many days back.
    pub history_days: u32,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            auto_reject_calls: false,
            auto_reject_message: None,
            history_sync: HistorySync::None,
            history_days: DEFAULT_HISTORY_DAYS,
        }
    }
}

impl SessionOptions {
    /// The oldest message time (ms) history keeps; `None`: no limit.
    pub fn history_since(&self, now_ms: i64) -> Option<i64> {
        (self.history_sync == HistorySync::Recent)
            .then(|| now_ms - i64::from(self.history_days) * 86_400_000)
    }
}

impl SessionOptions {
    /// The options in a `config` object; a typed key of the wrong type is an error.
    pub fn parse(config: &Value) -> Result<Self, InvalidInput> {
        let bad = |field: &'static str, reason: &str| InvalidInput {
            field,
            reason: reason.to_string(),
        };
        let auto_reject_calls = match config.get("auto_reject_calls") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("config.auto_reject_calls", "must be true or false")),
        };
        let auto_reject_message = match config.get("auto_reject_message") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(bad("config.auto_reject_message", "must not be blank"));
            }
            Some(Value::String(s)) if s.chars().count() > MAX_REJECT_MESSAGE_CHARS => {
                return Err(bad(
                    "config.auto_reject_message",
                    "must be at most 4096 characters",
                ));
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(bad("config.auto_reject_message", "must be a string")),
        };
        let history_sync = match config.get("history_sync") {
            None | Some(Value::Null) => HistorySync::None,
            Some(Value::String(s)) if s == "none" => HistorySync::None,
            Some(Value::String(s)) if s == "recent" => HistorySync::Recent,
            Some(Value::String(s)) if s == "full" => HistorySync::Full,
            Some(_) => return Err(bad("config.history_sync", "must be none, recent or full")),
        };
        let history_days = match config.get("history_days") {
            None | Some(Value::Null) => DEFAULT_HISTORY_DAYS,
            Some(v) => v
                .as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| {
                    bad(
                        "config.history_days",
                        "must be a whole number from 1 to 3650",
                    )
                })?,
        };
        Ok(Self {
            auto_reject_calls,
            auto_reject_message,
            history_sync,
            history_days,
        })
    }

    /// The options in a stored `config` text; unreadable text means the defaults.
    pub fn of_stored(config: &str) -> Self {
        serde_json::from_str(config)
            .ok()
            .and_then(|v| Self::parse(&v).ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn typed_keys_are_read_and_checked() {
        let o = SessionOptions::parse(&json!({"auto_reject_calls": true,
            "auto_reject_message": "Busy", "other": 1}))
        .unwrap();
        assert!(o.auto_reject_calls);
        assert_eq!(o.auto_reject_message.as_deref(), Some("Busy"));
        assert_eq!(
            SessionOptions::parse(&json!({})).unwrap(),
            SessionOptions::default()
        );
        let e = SessionOptions::parse(&json!({"auto_reject_calls": "yes"})).unwrap_err();
        assert_eq!(e.field, "config.auto_reject_calls");
        assert!(SessionOptions::parse(&json!({"auto_reject_message": 5})).is_err());
        assert!(SessionOptions::parse(&json!({"auto_reject_message": " "})).is_err());
        let h =
            SessionOptions::parse(&json!({"history_sync": "recent", "history_days": 2})).unwrap();
        assert_eq!((h.history_sync, h.history_days), (HistorySync::Recent, 2));
        assert_eq!(h.history_since(3 * 86_400_000), Some(86_400_000));
        assert_eq!(SessionOptions::default().history_since(5), None);
        assert!(SessionOptions::parse(&json!({"history_sync": "all"})).is_err());
        assert!(SessionOptions::parse(&json!({"history_days": 0})).is_err());
    }
}
