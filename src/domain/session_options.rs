//! The typed keys of a session's `config` object (other keys are kept as given): what the session
//! does with calls. Checked when a session is created or changed, read when a call rings.

use serde_json::Value;

use super::InvalidInput;

/// Longest auto-reject answer, in characters.
pub const MAX_REJECT_MESSAGE_CHARS: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOptions {
    /// Decline every incoming call as it rings.
    pub auto_reject_calls: bool,
    /// Sent to the caller after an automatic rejection.
    pub auto_reject_message: Option<String>,
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
        Ok(Self {
            auto_reject_calls,
            auto_reject_message,
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
    }
}
