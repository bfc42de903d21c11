//! Chat actions: read receipts, the account's presence, typing and recording in a chat.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use whatsapp_rust::client::Client;
use whatsapp_rust::features::{ChatStateType, PresenceStatus};

use super::{Refusal, jid};

/// Sends read receipts for received messages of one chat (`sender` only in groups).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MarkRead {
    pub chat: String,
    pub sender: Option<String>,
    pub ids: Vec<String>,
}

impl MarkRead {
    pub(super) const WHAT: &'static str = "message";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let chat = jid(&self.chat)?;
        let sender = self.sender.as_deref().map(jid).transpose()?;
        let ids: Vec<&str> = self.ids.iter().map(String::as_str).collect();
        c.mark_as_read(&chat, sender.as_ref(), &ids)
            .await
            .map_err(Refusal::failed)
    }
}

/// The account online (`available: true`) or offline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetPresence {
    pub available: bool,
}

impl SetPresence {
    pub(super) const WHAT: &'static str = "presence";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let status = if self.available {
            PresenceStatus::Available
        } else {
            PresenceStatus::Unavailable
        };
        c.presence().set(status).await.map_err(Refusal::failed)
    }
}

/// What the account shows in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatState {
    Composing,
    Recording,
    Paused,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendChatState {
    pub chat: String,
    pub state: ChatState,
}

impl SendChatState {
    pub(super) const WHAT: &'static str = "chat";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let chat = jid(&self.chat)?;
        let kind = match self.state {
            ChatState::Composing => ChatStateType::Composing,
            ChatState::Recording => ChatStateType::Recording,
            ChatState::Paused => ChatStateType::Paused,
        };
        c.chatstate()
            .send(&chat, kind)
            .await
            .map_err(Refusal::failed)
    }
}

/// A change to a chat on every device of the account (app state).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatActionKind {
    Archive,
    Unarchive,
    Pin,
    Unpin,
    /// Until this time (unix ms); `None`: for ever.
    Mute(Option<i64>),
    Unmute,
    Read,
    Unread,
    Delete,
    Clear,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatAction {
    pub chat: String,
    pub action: ChatActionKind,
}

impl ChatAction {
    pub(super) const WHAT: &'static str = "chat";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let chat = jid(&self.chat)?;
        let actions = c.chat_actions();
        let done = match self.action {
            ChatActionKind::Archive => actions.archive_chat(&chat, None).await,
            ChatActionKind::Unarchive => actions.unarchive_chat(&chat, None).await,
            ChatActionKind::Pin => actions.pin_chat(&chat).await,
            ChatActionKind::Unpin => actions.unpin_chat(&chat).await,
            ChatActionKind::Mute(None) => actions.mute_chat(&chat).await,
            ChatActionKind::Mute(Some(until)) => actions.mute_chat_until(&chat, until).await,
            ChatActionKind::Unmute => actions.unmute_chat(&chat).await,
            ChatActionKind::Read => actions.mark_chat_as_read(&chat, true, None).await,
            ChatActionKind::Unread => actions.mark_chat_as_read(&chat, false, None).await,
            ChatActionKind::Delete => actions.delete_chat(&chat, true, None).await,
            ChatActionKind::Clear => actions.clear_chat(&chat, false, true, None).await,
        };
        done.map_err(Refusal::failed)
    }
}
