//! Names shared from the HTTP body to the database row: [`MessageKind`] (the `type` of a send
//! and of a stored message), [`MessageStatus`] and [`EventType`]. Adding a kind is guided by the
//! compiler: every `match` on it (composing, decoding, downloading, which fields a send takes,
//! which event a received message raises) must say what the new kind does.

macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            /// The value a stored or sent name stands for, `None` for an unknown name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.as_str()
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self.as_str() == other.as_str()
            }
        }
    };
}

named! {
    /// The kind of a message.
    MessageKind {
        Text = "text",
        Image = "image",
        Video = "video",
        Audio = "audio",
        Document = "document",
        Sticker = "sticker",
        Location = "location",
        Contact = "contact",
        Reaction = "reaction",
        Poll = "poll",
        PollVote = "poll_vote",
        Edit = "edit",
        Revoke = "revoke",
    }
}

named! {
    /// Where a message stands: an outgoing one `queued → sent → delivered → read` (or `failed`),
    /// a scheduled one `scheduled → queued → …` (or `cancelled`, or `failed` when it could not go
    /// out in time), an incoming one `received` (then `read` once marked).
    MessageStatus {
        Queued = "queued",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        Failed = "failed",
        Received = "received",
        Scheduled = "scheduled",
        Cancelled = "cancelled",
    }
}

named! {
    /// Where a campaign stands: `draft` until started, `running` while it sends, `paused` by a
    /// user, `stopped` by itself (a ban signal; `stopped_reason` says which), and then
    /// `completed` (every recipient had its turn) or `cancelled`.
    CampaignStatus {
        Draft = "draft",
        Running = "running",
        Paused = "paused",
        Completed = "completed",
        Cancelled = "cancelled",
        Stopped = "stopped",
    }
}

named! {
    /// The `type` of an event in the log, on webhooks and on the WebSocket stream.
    EventType {
        SessionStatus = "session.status",
        SessionQr = "session.qr",
        MessageReceived = "message.received",
        MessageSent = "message.sent",
        MessageAck = "message.ack",
        MessageReaction = "message.reaction",
        MessagePollVote = "message.poll_vote",
        MessageEdited = "message.edited",
        MessageRevoked = "message.revoked",
        GroupUpdated = "group.updated",
        GroupParticipants = "group.participants",
        GroupJoined = "group.joined",
        ContactPicture = "contact.picture",
        ContactAbout = "contact.about",
        ContactUpdated = "contact.updated",
        CallOffer = "call.offer",
        CallEnded = "call.ended",
        HistoryProgress = "history.progress",
        ChatUpdated = "chat.updated",
        StatusReceived = "status.received",
        ChannelMessage = "channel.message",
        BlocklistUpdated = "blocklist.updated",
        PresenceUpdate = "presence.update",
        PresenceChat = "presence.chat",
        WebhookDisabled = "webhook.disabled",
        CampaignStarted = "campaign.started",
        CampaignPaused = "campaign.paused",
        CampaignResumed = "campaign.resumed",
        CampaignCompleted = "campaign.completed",
        CampaignCancelled = "campaign.cancelled",
        CampaignStopped = "campaign.stopped",
        RuleMatched = "rule.matched",
    }
}

impl EventType {
    /// Presence and typing: frequent and short-lived, logged only when configured.
    pub fn is_presence(self) -> bool {
        matches!(self, EventType::PresenceUpdate | EventType::PresenceChat)
    }
}

impl MessageKind {
    /// The event a received message of this kind raises.
    pub fn received_event(self) -> EventType {
        match self {
            MessageKind::Reaction => EventType::MessageReaction,
            MessageKind::PollVote => EventType::MessagePollVote,
            MessageKind::Edit => EventType::MessageEdited,
            MessageKind::Revoke => EventType::MessageRevoked,
            MessageKind::Text
            | MessageKind::Image
            | MessageKind::Video
            | MessageKind::Audio
            | MessageKind::Document
            | MessageKind::Sticker
            | MessageKind::Location
            | MessageKind::Contact
            | MessageKind::Poll => EventType::MessageReceived,
        }
    }

    /// Whether a send may have this kind (a poll vote is only ever received).
    pub fn sendable(self) -> bool {
        !matches!(self, MessageKind::PollVote)
    }

    /// Whether the message carries a file.
    pub fn is_media(self) -> bool {
        matches!(
            self,
            MessageKind::Image
                | MessageKind::Video
                | MessageKind::Audio
                | MessageKind::Document
                | MessageKind::Sticker
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(*kind));
        }
        for status in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(MessageKind::parse("fax"), None);
        assert!(!MessageKind::PollVote.sendable());
        assert!(*"queued" == MessageStatus::Queued);
    }
}
