//! Declining a ringing call.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use whatsapp_rust::client::Client;

use super::{Refusal, jid};

/// Rejects call `call_id`: `peer` is whom the call came from, `creator` its `call-creator`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectCall {
    pub call_id: String,
    pub peer: String,
    pub creator: String,
}

impl RejectCall {
    pub(super) const WHAT: &'static str = "call";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let (peer, creator) = (jid(&self.peer)?, jid(&self.creator)?);
        c.voip()
            .reject_call(&self.call_id, &peer, &creator)
            .await
            .map_err(Refusal::failed)
    }
}
