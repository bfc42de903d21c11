//! What an account's phone saw, as the admin API shows it: messages of every kind, receipts,
//! chat states and presences.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// A message the account's phone received and decrypted.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReceivedMessage {
    pub id: String,
    pub from: String,
    /// The conversation: the sender for a direct message, the group for a group message.
    #[serde(default)]
    pub chat: String,
    /// The text, or a media message's caption; `null` for other kinds.
    #[serde(default)]
    pub text: Option<String>,
    pub timestamp: i64,
    /// text, image, video, audio, document, sticker, location, contact, reaction, poll,
    /// poll_vote, edit or revoke.
    #[serde(rename = "type", default = "text_kind")]
    pub kind: String,
    /// The sending member in a group; `null` in a direct chat.
    #[serde(default)]
    pub participant: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    /// The WhatsApp id of the quoted message.
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub mentions: Vec<String>,
    #[serde(default)]
    pub media: Option<MediaRecord>,
    #[serde(default)]
    pub location: Option<LocationRecord>,
    #[serde(default)]
    pub contact: Option<ContactRecord>,
    #[serde(default)]
    pub reaction: Option<ReactionRecord>,
    #[serde(default)]
    pub poll: Option<PollRecord>,
    #[serde(default)]
    pub poll_vote: Option<PollVoteRecord>,
    #[serde(default)]
    pub edit: Option<EditRecord>,
    #[serde(default)]
    pub revoke: Option<RevokeRecord>,
}

fn text_kind() -> String {
    "text".into()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MediaRecord {
    pub mimetype: Option<String>,
    pub size: u64,
    pub filename: Option<String>,
    pub voice: bool,
    /// Hex SHA-256 of the decrypted bytes; `null` when the download failed.
    pub sha256: Option<String>,
    /// Base64 of the bytes the phone downloaded from the media host and decrypted.
    pub data: Option<String>,
    /// Why the download failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LocationRecord {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContactRecord {
    pub name: Option<String>,
    pub vcard: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReactionRecord {
    pub id: String,
    /// Empty when a reaction was taken back.
    pub emoji: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PollRecord {
    pub name: String,
    pub options: Vec<String>,
    pub selectable_count: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PollVoteRecord {
    /// The poll voted on.
    pub id: String,
    /// The chosen option names, when the phone could decrypt the vote.
    pub options: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EditRecord {
    pub id: String,
    pub text: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RevokeRecord {
    pub id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReceiptRecord {
    pub id: String,
    pub from: String,
    pub chat: String,
    /// delivery, read, played, …
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChatStateRecord {
    pub from: String,
    pub chat: String,
    /// composing, recording or paused.
    pub state: String,
    pub timestamp: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PresenceRecord {
    pub from: String,
    pub available: bool,
    pub timestamp: i64,
}

/// Receipts, chat states and presences a phone received (not persisted; newest kept).
#[derive(Default)]
pub(crate) struct Activity {
    pub receipts: VecDeque<ReceiptRecord>,
    pub chatstates: VecDeque<ChatStateRecord>,
    pub presences: VecDeque<PresenceRecord>,
}

/// Entries kept per list and account.
pub(crate) const MAX_ACTIVITY: usize = 5_000;

/// Appends `item`, dropping the oldest entry once the list is full (a ring: no shifting).
pub(crate) fn push_capped<T>(list: &mut VecDeque<T>, item: T) {
    if list.len() >= MAX_ACTIVITY {
        list.pop_front();
    }
    list.push_back(item);
}

/// A poll some phone created or received: what voting on it, and reading votes, takes.
#[derive(Clone, Debug)]
pub(crate) struct KnownPoll {
    pub secret: Vec<u8>,
    /// The creator's phone-number JID (no device).
    pub creator: wacore_binary::Jid,
    pub options: Vec<String>,
}
