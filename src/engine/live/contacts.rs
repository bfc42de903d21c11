//! Contact commands: who is on WhatsApp, profile pictures, about texts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatsapp_rust::client::Client;
use whatsapp_rust::wacore_binary::Jid;

use super::{Refusal, jid};
use crate::engine::jid::jid_text;

/// What WhatsApp said of one asked phone number.
#[derive(Debug, Serialize, Deserialize)]
pub struct NumberCheck {
    /// The digits asked for.
    pub digits: String,
    pub registered: bool,
    /// The LID JID, where WhatsApp tells it.
    pub lid: Option<String>,
    /// A WhatsApp Business account.
    #[serde(default)]
    pub business: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Picture {
    /// Where to download the picture (valid for a limited time).
    pub url: String,
    /// WhatsApp's id of the picture; changes when the picture does.
    pub id: String,
}

/// Asks WhatsApp which of these phone numbers (digits, no duplicates) are registered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckNumbers {
    pub digits: Vec<String>,
}

impl CheckNumbers {
    pub(super) const WHAT: &'static str = "contact";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Vec<NumberCheck>, Refusal> {
        let asked: Vec<Jid> = self.digits.iter().map(|d| Jid::pn(d.as_str())).collect();
        let results = c.contacts().is_on_whatsapp(&asked).await?;
        Ok(self
            .digits
            .into_iter()
            .map(|digits| {
                let found = results.iter().find(|r| {
                    (r.jid.is_pn() && r.jid.user == digits.as_str())
                        || r.pn_jid.as_ref().is_some_and(|p| p.user == digits.as_str())
                });
                match found {
                    Some(r) if r.is_registered => NumberCheck {
                        lid: r
                            .lid
                            .as_ref()
                            .or(r.jid.is_lid().then_some(&r.jid))
                            .map(jid_text),
                        digits,
                        registered: true,
                        business: r.is_business,
                    },
                    _ => NumberCheck {
                        digits,
                        registered: false,
                        lid: None,
                        business: false,
                    },
                }
            })
            .collect())
    }
}

/// A person's profile picture, `None` when there is none or it is hidden.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfilePicture {
    pub jid: String,
}

impl ProfilePicture {
    pub(super) const WHAT: &'static str = "profile picture";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Option<Picture>, Refusal> {
        let who = jid(&self.jid)?;
        let picture = c.contacts().get_profile_picture(&who, false).await?;
        Ok(picture.map(|p| Picture {
            url: p.url,
            id: p.id,
        }))
    }
}

/// A person's about text (usync `status`), `None` when empty or hidden.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct About {
    pub jid: String,
}

impl About {
    pub(super) const WHAT: &'static str = "contact";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Option<String>, Refusal> {
        let who = jid(&self.jid)?;
        let info = c
            .contacts()
            .get_user_info(std::slice::from_ref(&who))
            .await?;
        Ok(info
            .into_values()
            .next()
            .and_then(|i| i.status)
            .filter(|s| !s.is_empty()))
    }
}
