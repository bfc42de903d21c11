//! Reply rules: what an incoming message must look like ([`RuleMatch`]) and what is done then
//! ([`RuleAction`]). Matching is pure; the storage layer applies a match's action in the same
//! transaction that stores the message, so a message is answered once.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::InvalidInput;
use super::campaign::DailyWindow;

const MAX_PATTERN_CHARS: usize = 512;
/// A compiled regex may take at most this much memory.
const MAX_REGEX_BYTES: usize = 256 * 1024;

/// What an incoming message must be for a rule to act; every given field must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    /// A word or phrase the text (or caption) contains, in any case, as whole words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 512)]
    pub keyword: Option<String>,
    /// A regular expression (Rust syntax) the text or caption matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 512)]
    pub regex: Option<String>,
    /// `direct` or `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatKind>,
    /// The message type (text, image, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The sender's phone number (international form, digits or +digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Only while the local time is in this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<DailyWindow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Direct,
    Group,
}

/// What a matching rule does: reply (a text or a template), forward the message to another
/// chat, raise a `rule.matched` event for `webhook_url`, or any of these together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    /// Answer with this text (it may use `{{name}}` and `{{phone}}` of the sender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 4096)]
    pub reply: Option<String>,
    /// Answer with a text template of the tenant (id or name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Values for the template's variables (`name` and `phone` of the sender are given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<BTreeMap<String, String>>,
    /// Forward the message's text to this chat (a phone number or a JID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<String>,
    /// POST each match (`rule.matched`), signed like every webhook, to this URL: WARAS keeps a
    /// webhook for it (`webhook_id`; its secret is in the answer that set the URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// The webhook that calls `webhook_url` (set by WARAS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub webhook_id: Option<String>,
}

/// An incoming message as rules see it.
pub struct Incoming<'a> {
    pub text: Option<&'a str>,
    pub kind: &'a str,
    pub group: bool,
    /// The sender's phone digits, when known.
    pub sender_phone: Option<&'a str>,
    pub now_ms: i64,
}

/// A rule's match, with its patterns compiled.
pub struct Matcher {
    spec: RuleMatch,
    keyword: Option<Regex>,
    regex: Option<Regex>,
}

impl RuleMatch {
    /// Checks and compiles the patterns; errors name the field.
    pub fn compile(&self) -> Result<Matcher, InvalidInput> {
        let keyword = match &self.keyword {
            Some(k) => {
                let k = k.trim();
                if k.is_empty() || k.chars().count() > MAX_PATTERN_CHARS {
                    return Err(InvalidInput::new(
                        "match.keyword",
                        format!("1 to {MAX_PATTERN_CHARS} characters"),
                    ));
                }
                let words: Vec<String> = k.split_whitespace().map(regex::escape).collect();
                let pattern = format!(r"(?i)(^|\W){}($|\W)", words.join(r"\s+"));
                Some(build(&pattern).map_err(|e| InvalidInput::new("match.keyword", e))?)
            }
            None => None,
        };
        let regex = match &self.regex {
            Some(r) if r.is_empty() || r.chars().count() > MAX_PATTERN_CHARS => {
                return Err(InvalidInput::new(
                    "match.regex",
                    format!("1 to {MAX_PATTERN_CHARS} characters"),
                ));
            }
            Some(r) => Some(build(r).map_err(|e| InvalidInput::new("match.regex", e))?),
            None => None,
        };
        if let Some(h) = &self.hours {
            h.check("match.hours")?;
        }
        if let Some(kind) = &self.kind
            && super::MessageKind::parse(kind).is_none()
        {
            return Err(InvalidInput::new(
                "match.type",
                format!("`{kind}` is not a message type"),
            ));
        }
        if let Some(from) = &self.from
            && phone(from).is_none()
        {
            return Err(InvalidInput::new(
                "match.from",
                "a phone number in international form (+4915…)",
            ));
        }
        Ok(Matcher {
            spec: self.clone(),
            keyword,
            regex,
        })
    }
}

fn build(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| e.to_string())
}

/// The digits of a phone number written as `+49 151…`, `49151…` or `49151…@s.whatsapp.net`.
fn phone(raw: &str) -> Option<String> {
    let raw = raw.split('@').next().unwrap_or("");
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
        .collect();
    (!digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

impl Matcher {
    pub fn matches(&self, m: &Incoming<'_>) -> bool {
        let text = m.text.unwrap_or("");
        let spec = &self.spec;
        if spec.chat.is_some_and(|c| (c == ChatKind::Group) != m.group) {
            return false;
        }
        if spec.kind.as_deref().is_some_and(|k| k != m.kind) {
            return false;
        }
        if let Some(from) = &spec.from
            && phone(from).as_deref() != m.sender_phone
        {
            return false;
        }
        if spec.hours.as_ref().is_some_and(|h| !h.contains(m.now_ms)) {
            return false;
        }
        let patterns = [&self.keyword, &self.regex];
        patterns
            .into_iter()
            .flatten()
            .all(|re| m.text.is_some() && re.is_match(text))
    }
}

impl RuleAction {
    /// At least one thing to do, and a reply is a text or a template, not both.
    pub fn check(&self) -> Result<(), InvalidInput> {
        if self.reply.is_none()
            && self.template.is_none()
            && self.forward_to.is_none()
            && self.webhook_url.is_none()
        {
            return Err(InvalidInput::new(
                "action",
                "give reply, template, forward_to or webhook_url",
            ));
        }
        if self.reply.is_some() && self.template.is_some() {
            return Err(InvalidInput::new(
                "action",
                "reply and template are two kinds of answer: give one",
            ));
        }
        if self.variables.is_some() && self.template.is_none() {
            return Err(InvalidInput::new(
                "action.variables",
                "only a template answer has variables",
            ));
        }
        if let Some(r) = &self.reply
            && (r.trim().is_empty() || r.chars().count() > 4096)
        {
            return Err(InvalidInput::new("action.reply", "1 to 4096 characters"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(text: &str) -> Incoming<'_> {
        Incoming {
            text: Some(text),
            kind: "text",
            group: false,
            sender_phone: Some("4915100000001"),
            now_ms: 0,
        }
    }

    fn rule(json: serde_json::Value) -> Matcher {
        serde_json::from_value::<RuleMatch>(json)
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn a_keyword_matches_whole_words_in_any_case() {
        let m = rule(serde_json::json!({"keyword": "price list"}));
        assert!(m.matches(&incoming("What is the PRICE   list?")));
        assert!(m.matches(&incoming("price list")));
        assert!(!m.matches(&incoming("priceless list")));
        assert!(!m.matches(&incoming("the price")));
    }

    #[test]
    fn every_given_field_must_hold() {
        let m = rule(
            serde_json::json!({"regex": "^order \\d+$", "chat": "direct",
            "type": "text", "from": "+49 151 00000001"}),
        );
        assert!(m.matches(&incoming("order 42")));
        assert!(!m.matches(&incoming("order x")));
        let mut group = incoming("order 42");
        group.group = true;
        assert!(!m.matches(&group));
        let mut other = incoming("order 42");
        other.sender_phone = Some("4915100000002");
        assert!(!m.matches(&other));
    }

    #[test]
    fn bad_patterns_and_actions_name_their_field() {
        let bad = serde_json::from_value::<RuleMatch>(serde_json::json!({"regex": "("})).unwrap();
        assert_eq!(bad.compile().err().unwrap().field, "match.regex");
        let bad = serde_json::from_value::<RuleMatch>(serde_json::json!({"type": "fax"})).unwrap();
        assert_eq!(bad.compile().err().unwrap().field, "match.type");
        assert_eq!(RuleAction::default().check().unwrap_err().field, "action");
    }
}
