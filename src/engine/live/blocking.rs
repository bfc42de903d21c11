//! The account's blocklist: block or unblock a person, and who is blocked. WhatsApp names a
//! blocked person by LID and phone number together; a number the session never spoke with is
//! looked up first so the engine knows both.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use whatsapp_rust::client::Client;
use whatsapp_rust::features::BlockingError;

use super::{Refusal, jid};
use crate::engine::jid::jid_text;

/// Blocks (`block: true`) or unblocks `jid` (a phone-number JID or a LID).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetBlocked {
    pub jid: String,
    pub block: bool,
}

impl SetBlocked {
    pub(super) const WHAT: &'static str = "contact";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let target = jid(&self.jid)?;
        let attempt = |c: &Arc<Client>| {
            let (c, target) = (c.clone(), target.clone());
            async move {
                let blocking = c.blocking();
                if self.block {
                    blocking.block(&target).await
                } else {
                    blocking.unblock(&target).await
                }
            }
        };
        match attempt(c).await {
            Err(BlockingError::InvalidJid(_)) if target.is_pn() => {
                // No LID known yet: asking WhatsApp about the number teaches the engine its LID.
                let found = c
                    .contacts()
                    .is_on_whatsapp(std::slice::from_ref(&target))
                    .await?;
                if !found.iter().any(|r| r.is_registered) {
                    return Err(Refusal {
                        code: Some(404),
                        detail: "this number is not on WhatsApp".into(),
                    });
                }
                attempt(c).await.map_err(Refusal::failed)
            }
            Err(BlockingError::InvalidJid(e)) => Err(Refusal::invalid(e)),
            Err(BlockingError::Iq(e)) => Err(Refusal::from_iq(&e)),
            other => other.map_err(Refusal::failed),
        }
    }
}

/// Who the account blocked, as WhatsApp lists them (user JIDs, mostly LIDs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetBlocklist;

impl GetBlocklist {
    pub(super) const WHAT: &'static str = "blocklist";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Vec<String>, Refusal> {
        let list = c
            .blocking()
            .get_blocklist()
            .await
            .map_err(Refusal::failed)?;
        Ok(list.iter().map(|e| jid_text(&e.jid)).collect())
    }
}
