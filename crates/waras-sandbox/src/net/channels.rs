//! Channels (WhatsApp's newsletters): one account owns each, others follow it. The owner's posts
//! are plaintext (channels are not end-to-end encrypted), numbered by the server and pushed to
//! every linked device of every follower.

use std::collections::{BTreeMap, BTreeSet};

use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node, NodeContent};

use super::network::Network;

/// The first server id of a channel's posts (the engine ignores ids below 99).
const FIRST_SERVER_ID: u64 = 100;

pub(crate) struct Channel {
    /// The user part of the channel's JID (`…@newsletter`).
    pub id: String,
    pub name: String,
    pub description: String,
    /// The owning account's phone number.
    pub owner: String,
    pub created: i64,
    pub invite: String,
    pub followers: BTreeSet<String>,
    pub posts: Vec<Post>,
}

/// One post, as the server numbered it.
#[derive(Clone)]
pub(crate) struct Post {
    pub id: String,
    pub server_id: u64,
    pub t: i64,
    pub kind: String,
    /// The encoded `Message`, as the owner's device sent it.
    pub plaintext: Vec<u8>,
}

#[derive(Default)]
pub(crate) struct Channels {
    by_id: BTreeMap<String, Channel>,
    next: u64,
}

impl Channel {
    pub fn jid(&self) -> Jid {
        Jid::newsletter(self.id.as_str())
    }

    /// What `phone` is to this channel: `owner`, `subscriber` or `guest`.
    pub fn role_of(&self, phone: &str) -> &'static str {
        if self.owner == phone {
            "owner"
        } else if self.followers.contains(phone) {
            "subscriber"
        } else {
            "guest"
        }
    }

    /// The stanza a follower's device receives for `post`.
    fn stanza(&self, post: &Post) -> Node {
        let mut node = NodeBuilder::new("message")
            .attr("from", self.jid())
            .attr("id", post.id.clone())
            .attr("server_id", post.server_id.to_string())
            .attr("t", post.t.to_string())
            .attr("type", post.kind.clone())
            .build();
        node.content = Some(NodeContent::Nodes(vec![
            NodeBuilder::new("plaintext")
                .bytes(post.plaintext.clone())
                .build(),
        ]));
        node
    }
}

impl Network {
    /// A new channel owned by `owner`; answers its id (the user part of its JID).
    pub fn create_channel(&mut self, owner: &str, name: &str, description: &str) -> String {
        self.channels.next += 1;
        let id = format!("120363{:012}", self.channels.next);
        let channel = Channel {
            id: id.clone(),
            name: name.to_string(),
            description: description.to_string(),
            owner: owner.to_string(),
            created: chrono::Utc::now().timestamp(),
            invite: format!("sbx{:08x}", rand::random::<u32>()),
            followers: BTreeSet::new(),
            posts: Vec::new(),
        };
        self.channels.by_id.insert(id.clone(), channel);
        id
    }

    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.by_id.get(id)
    }

    /// `phone` follows (`follow`) or stops following the channel; false when there is none.
    pub fn follow_channel(&mut self, id: &str, phone: &str, follow: bool) -> bool {
        let Some(channel) = self.channels.by_id.get_mut(id) else {
            return false;
        };
        if follow {
            channel.followers.insert(phone.to_string());
        } else {
            channel.followers.remove(phone);
        }
        true
    }

    /// The channels `phone` owns or follows.
    pub fn channels_of(&self, phone: &str) -> Vec<&Channel> {
        self.channels
            .by_id
            .values()
            .filter(|c| c.role_of(phone) != "guest")
            .collect()
    }

    /// The owner's post: numbered and pushed to the followers' linked devices. `None` when there
    /// is no such channel or `phone` does not own it.
    pub fn post_to_channel(
        &mut self,
        id: &str,
        phone: &str,
        msg_id: String,
        kind: String,
        plaintext: Vec<u8>,
    ) -> Option<Post> {
        let channel = self.channels.by_id.get_mut(id)?;
        if channel.owner != phone {
            return None;
        }
        let post = Post {
            id: msg_id,
            server_id: FIRST_SERVER_ID + channel.posts.len() as u64,
            t: chrono::Utc::now().timestamp(),
            kind,
            plaintext,
        };
        channel.posts.push(post.clone());
        let stanza = channel.stanza(&post);
        let followers: Vec<String> = channel.followers.iter().cloned().collect();
        for follower in followers {
            let devices: Vec<u16> = self
                .accounts
                .get(&follower)
                .map(|a| {
                    a.devices
                        .values()
                        .filter(|d| d.linked)
                        .map(|d| d.id)
                        .collect()
                })
                .unwrap_or_default();
            for device in devices {
                self.deliver(&follower, device, stanza.clone());
            }
        }
        Some(post)
    }
}
