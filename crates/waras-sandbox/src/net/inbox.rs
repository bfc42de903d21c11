//! An account's inbox: what its phone received, oldest first, shown once per message.
//!
//! Like a WhatsApp client, a phone shows a message once however often it arrives: a sender that
//! resends after a crash resends under the same id, soon after. The check looks at the latest
//! [`RESEND_WINDOW`] messages through a set of their keys' hashes, so a message costs one hash
//! look-up instead of a walk over a thousand ids (a fifth of the sandbox's CPU under a send load
//! went to that walk); only a hash already in the set is confirmed against the messages.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};

use super::records::ReceivedMessage;

/// How many of its latest messages a phone checks a message id against before it shows it.
pub const RESEND_WINDOW: usize = 1000;

#[derive(Default)]
pub(crate) struct Inbox {
    messages: Vec<ReceivedMessage>,
    /// Hashes of the keys of the latest [`RESEND_WINDOW`] messages, with how many have each.
    recent: HashMap<u64, u32>,
    /// The same hashes, oldest first, to forget the one that leaves the window.
    window: VecDeque<u64>,
    hasher: RandomState,
}

impl Inbox {
    pub fn new(messages: Vec<ReceivedMessage>) -> Self {
        let mut inbox = Self::default();
        for m in messages {
            inbox.remember(&m);
            inbox.messages.push(m);
        }
        inbox
    }

    pub fn messages(&self) -> &[ReceivedMessage] {
        &self.messages
    }

    /// Adds `m` unless one of the latest [`RESEND_WINDOW`] messages has its id, sender and chat;
    /// false when it was one.
    pub fn push_once(&mut self, m: ReceivedMessage) -> bool {
        if self.recent.contains_key(&self.key(&m)) && self.seen(&m) {
            return false;
        }
        self.remember(&m);
        self.messages.push(m);
        true
    }

    fn key(&self, m: &ReceivedMessage) -> u64 {
        self.hasher.hash_one((&m.id, &m.from, &m.chat))
    }

    fn seen(&self, m: &ReceivedMessage) -> bool {
        self.messages
            .iter()
            .rev()
            .take(RESEND_WINDOW)
            .any(|o| o.id == m.id && o.from == m.from && o.chat == m.chat)
    }

    fn remember(&mut self, m: &ReceivedMessage) {
        let key = self.key(m);
        *self.recent.entry(key).or_insert(0) += 1;
        self.window.push_back(key);
        if self.window.len() > RESEND_WINDOW
            && let Some(old) = self.window.pop_front()
            && let Some(n) = self.recent.get_mut(&old)
        {
            *n -= 1;
            if *n == 0 {
                self.recent.remove(&old);
            }
        }
    }
}

impl std::ops::Deref for Inbox {
    type Target = [ReceivedMessage];
    fn deref(&self) -> &[ReceivedMessage] {
        &self.messages
    }
}

impl serde::Serialize for Inbox {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.messages.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, from: &str) -> ReceivedMessage {
        ReceivedMessage {
            id: id.into(),
            from: from.into(),
            chat: from.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_message_is_shown_once_within_the_window_and_again_after_it() {
        let mut inbox = Inbox::new(vec![msg("a", "1")]);
        assert!(!inbox.push_once(msg("a", "1")), "the same message again");
        assert!(
            inbox.push_once(msg("a", "2")),
            "the same id from someone else"
        );
        for i in 0..RESEND_WINDOW - 1 {
            assert!(inbox.push_once(msg(&format!("m{i}"), "3")));
        }
        assert!(!inbox.push_once(msg("a", "2")), "still within the window");
        assert!(
            inbox.push_once(msg("a", "1")),
            "left the window: shown again"
        );
        assert_eq!(inbox.len(), RESEND_WINDOW + 2);
        assert_eq!(inbox.recent.values().sum::<u32>() as usize, RESEND_WINDOW);
        assert_eq!(inbox.window.len(), RESEND_WINDOW);
    }
}
