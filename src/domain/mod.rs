//! Domain types that parse their input at the boundary; nothing inward takes a raw string.

pub mod campaign;
mod content;
mod ids;
mod kinds;
mod name;
pub mod proxy;
mod quotas;
pub mod rule;
mod scope;
mod session_options;
mod session_state;
mod sink;
pub mod template;

pub use content::{
    ContactCard, Content, Edit, Location, MediaInfo, MessageRef, Poll, PollVote, Reaction, Revoke,
};
pub use ids::{
    AuditId, CampaignId, ContactId, DeliveryId, KeyId, MediaId, MessageId, RuleId, SessionId,
    SinkId, TemplateId, TenantId, WebhookId,
};
pub use kinds::{CampaignStatus, EventType, MessageKind, MessageStatus};
pub use name::Name;
pub use quotas::Quotas;
pub use scope::{Scope, Scopes};
pub use session_options::{HistorySync, SessionOptions};
pub use session_state::{DesiredState, SessionStatus};
pub use sink::{SinkKind, selects};
pub use template::Template;

/// A value that failed to parse, with the field it came from and a reason a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub reason: String,
}

impl InvalidInput {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
