//! Channels (WhatsApp's newsletters): the ones the account follows or owns, one channel's
//! details, follow and unfollow, create one, and post a text to a channel the account runs.
//! Channels are not end-to-end encrypted: the engine sends and receives their posts in plain.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use waproto::whatsapp as wa;
use whatsapp_rust::client::Client;
use whatsapp_rust::features::{
    MexError, NewsletterError, NewsletterMetadata, NewsletterRole, NewsletterState,
    NewsletterVerification,
};

use super::{Refusal, jid};

/// A channel as the account sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    /// `…@newsletter`.
    pub jid: String,
    pub name: String,
    pub description: Option<String>,
    pub subscribers: u64,
    pub verified: bool,
    /// `active`, `suspended` or `geosuspended`.
    pub state: String,
    /// The account's role: `owner`, `admin`, `subscriber` or `guest`.
    pub role: Option<String>,
    /// The invite code of the channel's link.
    pub invite: Option<String>,
    /// When the channel was created (RFC 3339).
    pub created_at: Option<String>,
}

impl From<NewsletterMetadata> for Channel {
    fn from(m: NewsletterMetadata) -> Self {
        let role = m.role.map(|r| {
            match r {
                NewsletterRole::Owner => "owner",
                NewsletterRole::Admin => "admin",
                NewsletterRole::Subscriber => "subscriber",
                _ => "guest",
            }
            .to_string()
        });
        let state = match m.state {
            NewsletterState::Suspended => "suspended",
            NewsletterState::Geosuspended => "geosuspended",
            _ => "active",
        };
        Self {
            jid: m.jid.to_string(),
            name: m.name,
            description: m.description,
            subscribers: m.subscriber_count,
            verified: m.verification == NewsletterVerification::Verified,
            state: state.to_string(),
            role,
            invite: m.invite_code,
            created_at: m
                .creation_time
                .and_then(|s| i64::try_from(s).ok())
                .map(|s| crate::time::rfc3339(s * 1000)),
        }
    }
}

impl From<NewsletterError> for Refusal {
    fn from(e: NewsletterError) -> Self {
        let code = match &e {
            NewsletterError::Mex(MexError::ExtensionError { code, .. }) => {
                u16::try_from(*code).ok()
            }
            NewsletterError::Mex(MexError::Request(iq)) | NewsletterError::Iq(iq) => {
                Refusal::from_iq(iq).code
            }
            // The engine reads a missing channel as a malformed answer.
            NewsletterError::InvalidRequest(d) if d.contains("not found") => Some(404),
            NewsletterError::InvalidRequest(_) => Some(400),
            _ => None,
        };
        Self {
            code,
            detail: e.to_string(),
        }
    }
}

/// The channels the account follows or runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListChannels;

impl ListChannels {
    pub(super) const WHAT: &'static str = "channel";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Vec<Channel>, Refusal> {
        let list = c.newsletter().list_subscribed().await?;
        Ok(list.into_iter().map(Channel::from).collect())
    }
}

/// One channel, by JID.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetChannel {
    pub jid: String,
}

impl GetChannel {
    pub(super) const WHAT: &'static str = "channel";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Channel, Refusal> {
        let jid = jid(&self.jid)?;
        Ok(c.newsletter().get_metadata(&jid).await?.into())
    }
}

/// Follows (`follow: true`) or stops following a channel; answers the channel as it is now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowChannel {
    pub jid: String,
    pub follow: bool,
}

impl FollowChannel {
    pub(super) const WHAT: &'static str = "channel";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Channel, Refusal> {
        let jid = jid(&self.jid)?;
        let channels = c.newsletter();
        if self.follow {
            return Ok(channels.join(&jid).await?.into());
        }
        channels.leave(&jid).await?;
        Ok(channels.get_metadata(&jid).await?.into())
    }
}

/// Creates a channel the account owns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateChannel {
    pub name: String,
    pub description: Option<String>,
}

impl CreateChannel {
    pub(super) const WHAT: &'static str = "channel";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Channel, Refusal> {
        let created = c
            .newsletter()
            .create(&self.name, self.description.as_deref())
            .await?;
        Ok(created.into())
    }
}

/// Posts a text to a channel the account owns or administers; answers the post's WhatsApp id.
/// Anyone else's post would be dropped by WhatsApp without a word, so the role is asked first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostToChannel {
    pub jid: String,
    pub text: String,
}

impl PostToChannel {
    pub(super) const WHAT: &'static str = "channel";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<String, Refusal> {
        let jid = jid(&self.jid)?;
        let channel = c.newsletter().get_metadata(&jid).await?;
        if !matches!(
            channel.role,
            Some(NewsletterRole::Owner | NewsletterRole::Admin)
        ) {
            return Err(Refusal {
                code: Some(403),
                detail: "only a channel's owner and admins post to it".into(),
            });
        }
        let message = wa::Message {
            conversation: Some(self.text),
            ..Default::default()
        };
        let sent = c
            .send_message(jid, message)
            .await
            .map_err(Refusal::failed)?;
        Ok(sent.message_id)
    }
}
