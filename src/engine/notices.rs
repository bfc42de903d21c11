//! Engine events that become WARAS events without touching messages: presence and typing, group
//! changes, profile changes of contacts. Each maps to an event type and a typed payload.

use serde_json::{Value, json};
use wacore::stanza::groups::{GroupNotificationAction, GroupParticipantInfo};
use wacore::types::events::{Event, GroupUpdate};
use wacore::types::presence::{ChatPresence, ChatPresenceMedia};
use whatsapp_rust::OwnedNodeRef;

use super::jid::user_jid;
use crate::domain::EventType;

fn participant(p: &GroupParticipantInfo) -> Value {
    let jid = user_jid(&p.jid);
    let (phone, lid) = if p.jid.is_lid() {
        (p.phone_number.as_ref().map(user_jid), Some(jid.clone()))
    } else {
        (Some(jid.clone()), p.lid.as_ref().map(user_jid))
    };
    json!({ "jid": jid, "phone": phone, "lid": lid })
}

/// Presence and typing: frequent, short-lived notices kept out of the event log unless the
/// operator asks for them (`store_presence_events`).
pub fn is_presence(kind: EventType) -> bool {
    kind.is_presence()
}

/// Whether a raw stanza tells of a change to the account's blocklist made on another of its
/// devices (`<notification type="account_sync"><blocklist>`), which the engine reads past.
pub fn is_blocklist_change(node: &OwnedNodeRef) -> bool {
    let node = node.get();
    node.tag == "notification"
        && node
            .get_attr("type")
            .is_some_and(|t| t.as_str() == "account_sync")
        && node.get_optional_child("blocklist").is_some()
}

/// The people blocked or unblocked on another device: `{"changes":[{"jid","phone_jid",
/// "blocked"}]}`.
fn blocklist_change(node: &OwnedNodeRef) -> Option<(EventType, Value)> {
    if !is_blocklist_change(node) {
        return None;
    }
    let list = node.get().get_optional_child("blocklist")?;
    let changes: Vec<Value> = list
        .get_children_by_tag("item")
        .filter_map(|item| {
            let jid = item.get_attr("jid")?.to_jid()?;
            let phone = item.get_attr("pn_jid").and_then(|v| v.to_jid());
            let (phone_jid, lid) = if jid.is_lid() {
                (phone.as_ref().map(user_jid), Some(user_jid(&jid)))
            } else {
                (Some(user_jid(&jid)), None)
            };
            let blocked = item.get_attr("action").is_some_and(|a| a.as_str() == "block");
            Some(json!({"jid": user_jid(&jid), "phone_jid": phone_jid, "lid": lid, "blocked": blocked}))
        })
        .collect();
    (!changes.is_empty()).then(|| (EventType::BlocklistUpdated, json!({ "changes": changes })))
}

/// The WARAS event an engine event raises, if any.
pub fn describe(event: &Event) -> Option<(EventType, Value)> {
    match event {
        Event::RawNode(node) => blocklist_change(node),
        Event::ChatPresence(p) => {
            let state = match (p.state, p.media) {
                (ChatPresence::Composing, ChatPresenceMedia::Audio) => "recording",
                (ChatPresence::Composing, _) => "composing",
                (ChatPresence::Paused, _) => "paused",
            };
            Some((
                EventType::PresenceChat,
                json!({
                    "chat": user_jid(&p.source.chat),
                    "from": user_jid(&p.source.sender),
                    "state": state,
                }),
            ))
        }
        Event::Presence(p) => Some((
            EventType::PresenceUpdate,
            json!({
                "from": user_jid(&p.from),
                "state": if p.unavailable { "unavailable" } else { "available" },
                "last_seen": p.last_seen.map(|t| t.to_rfc3339()),
            }),
        )),
        Event::GroupUpdate(g) => group_update(g),
        Event::PictureUpdate(p) => Some((
            EventType::ContactPicture,
            json!({
                "jid": user_jid(&p.jid),
                "by": p.author.as_ref().map(user_jid),
                "removed": p.removed,
                "timestamp": p.timestamp.to_rfc3339(),
            }),
        )),
        Event::UserAboutUpdate(u) => Some((
            EventType::ContactAbout,
            json!({
                "jid": user_jid(&u.jid),
                "about": u.status,
                "timestamp": u.timestamp.to_rfc3339(),
            }),
        )),
        _ => None,
    }
}

/// A change to a group (members, subject, description, settings, invite, creation).
fn group_update(g: &GroupUpdate) -> Option<(EventType, Value)> {
    let base = |action: &str| {
        json!({
            "group": user_jid(&g.group_jid),
            "action": action,
            "by": g.participant.as_ref().map(user_jid),
            "by_phone": g.participant_pn.as_ref().map(user_jid),
            "timestamp": g.timestamp.to_rfc3339(),
        })
    };
    let with = |mut v: Value, extra: Value| {
        if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
            v.extend(extra);
        }
        v
    };
    use GroupNotificationAction as A;
    let (kind, data) = match &g.action {
        A::Add { participants, .. }
        | A::Remove { participants, .. }
        | A::Promote { participants }
        | A::Demote { participants } => {
            let action = match &g.action {
                A::Add { .. } => "add",
                A::Remove { .. } => "remove",
                A::Promote { .. } => "promote",
                _ => "demote",
            };
            let list: Vec<Value> = participants.iter().map(participant).collect();
            (
                EventType::GroupParticipants,
                with(base(action), json!({ "participants": list })),
            )
        }
        A::Subject { subject, .. } => (
            EventType::GroupUpdated,
            with(base("subject"), json!({ "subject": subject })),
        ),
        A::Description { description, .. } => (
            EventType::GroupUpdated,
            with(base("description"), json!({ "description": description })),
        ),
        A::Locked { .. } => (
            EventType::GroupUpdated,
            with(base("locked"), json!({ "locked": true })),
        ),
        A::Unlocked => (
            EventType::GroupUpdated,
            with(base("locked"), json!({ "locked": false })),
        ),
        A::Announce => (
            EventType::GroupUpdated,
            with(base("announce"), json!({ "announce": true })),
        ),
        A::NotAnnounce => (
            EventType::GroupUpdated,
            with(base("announce"), json!({ "announce": false })),
        ),
        A::Invite { .. } | A::RevokeInvite => (EventType::GroupUpdated, base("invite")),
        A::Create { .. } => (EventType::GroupJoined, base("create")),
        _ => return None,
    };
    Some((kind, data))
}

#[cfg(test)]
mod tests {
    use crate::domain::EventType;

    #[test]
    fn only_presence_kinds_are_presence() {
        assert!(super::is_presence(EventType::PresenceChat));
        assert!(super::is_presence(EventType::PresenceUpdate));
        assert!(!super::is_presence(EventType::GroupUpdated));
        assert!(!super::is_presence(EventType::MessageReceived));
    }
}
