//! Groups (`xmlns="w:g2"`): creation, metadata, membership, subject and description, settings
//! (announcement, locked), invite links and joining by code, leaving, the participating list, and
//! the `w:gp2` notifications members get for each change. Group messages themselves are relayed
//! in `relay.rs`.

use anyhow::Result;
use rand::Rng;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};

use super::conn::Conn;
use crate::net::group::Group;
use crate::net::network::Network;
use crate::nodes::{attr, error, new_id, result};

fn new_invite_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..22)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The linked devices of `phones`' accounts.
fn devices_of(net: &Network, phones: &[String]) -> Vec<(String, u16)> {
    phones
        .iter()
        .filter_map(|m| net.accounts.get(m))
        .flat_map(|a| {
            a.devices
                .values()
                .filter(|d| d.linked)
                .map(|d| (a.phone.clone(), d.id))
        })
        .collect()
}

/// Sends a `w:gp2` notification with `actions` from `actor` to the devices of `audience`
/// (queued for offline devices, like the server does).
fn notify(net: &mut Network, group: &Group, actor: &str, actions: Vec<Node>, audience: &[String]) {
    if actions.is_empty() {
        return;
    }
    let Some(actor) = net.accounts.get(actor) else {
        return;
    };
    let node = NodeBuilder::new("notification")
        .attr("from", Jid::group(group.id.as_str()))
        .attr("type", "w:gp2")
        .attr("id", new_id())
        .attr("participant", actor.pn_jid())
        .attr("participant_pn", actor.pn_jid())
        .attr("notify", actor.name.clone())
        .attr("t", now().to_string())
        .children(actions)
        .build();
    for (p, d) in devices_of(net, audience) {
        net.deliver(&p, d, node.clone());
    }
}

/// Tells the other members' devices they were added to a new group (`create`), so their clients
/// learn the group before its first message.
fn announce_creation(net: &mut Network, group: &Group) {
    let others: Vec<String> = group
        .members
        .iter()
        .filter(|m| **m != group.creator)
        .cloned()
        .collect();
    let action = NodeBuilder::new("create")
        .attr("reason", "new")
        .children([group_node(net, group)])
        .build();
    notify(net, group, &group.creator.clone(), vec![action], &others);
}

/// `<add|remove|promote|demote>` listing the changed members, as clients parse it.
fn membership_action(
    net: &Network,
    action: &str,
    changed: &[String],
    reason: Option<&str>,
) -> Node {
    let participants: Vec<Node> = changed
        .iter()
        .filter_map(|m| net.accounts.get(m))
        .map(|a| {
            NodeBuilder::new("participant")
                .attr("jid", a.pn_jid())
                .attr("phone_number", a.pn_jid())
                .attr("lid", a.lid_jid())
                .build()
        })
        .collect();
    let mut b = NodeBuilder::new_dynamic(action.to_string());
    if let Some(reason) = reason {
        b = b.attr("reason", reason);
    }
    b.children(participants).build()
}

fn description_node(group: &Group) -> Option<Node> {
    let text = group.description.as_ref()?;
    Some(
        NodeBuilder::new("description")
            .attr("id", group.description_id.clone().unwrap_or_default())
            .children([NodeBuilder::new("body")
                .string_content(text.clone())
                .build()])
            .build(),
    )
}

/// `<group>` as clients parse it (`id`, `subject`, `creation`, participants with roles,
/// description and settings).
fn group_node(net: &Network, group: &Group) -> Node {
    let mut children: Vec<Node> = group
        .members
        .iter()
        .filter_map(|phone| {
            let acc = net.accounts.get(phone)?;
            let mut b = NodeBuilder::new("participant")
                .attr("jid", acc.pn_jid())
                .attr("lid", acc.lid_jid());
            if *phone == group.creator {
                b = b.attr("type", "superadmin");
            } else if group.admins.contains(phone) {
                b = b.attr("type", "admin");
            }
            Some(b.build())
        })
        .collect();
    children.extend(description_node(group));
    if group.announce {
        children.push(NodeBuilder::new("announcement").build());
    }
    if group.locked {
        children.push(NodeBuilder::new("locked").build());
    }
    let creator = net.accounts.get(&group.creator).map(|a| a.pn_jid());
    let subject_owner = group
        .subject_owner
        .as_ref()
        .and_then(|o| net.accounts.get(o))
        .map(|a| a.pn_jid())
        .or_else(|| creator.clone());
    let subject_time = if group.subject_time > 0 {
        group.subject_time
    } else {
        group.creation
    };
    let mut b = NodeBuilder::new("group")
        .attr("id", group.id.clone())
        .attr("subject", group.subject.clone())
        .attr("s_t", subject_time.to_string())
        .attr("creation", group.creation.to_string())
        .attr("size", group.members.len().to_string())
        .attr("addressing_mode", "pn");
    if let Some(creator) = creator {
        b = b.attr("creator", creator);
    }
    if let Some(owner) = subject_owner {
        b = b.attr("s_o", owner);
    }
    b.children(children).build()
}

fn text_of(node: &Node) -> String {
    node.content_as_string()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

pub(crate) fn handle(conn: &mut Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let Some(first) = node.children().and_then(|c| c.first()).cloned() else {
        return Ok(result(node, vec![]));
    };
    let to = node.attrs.get("to").and_then(|v| v.to_jid());
    // `to="@g.us"` addresses no group in particular (create, leave, invite codes).
    let gid = to
        .as_ref()
        .map(|j| j.user.to_string())
        .filter(|u| !u.is_empty());
    let kind = attr(node, "type").unwrap_or_default();
    let mut net = conn.core.lock_net();
    let net = &mut *net;
    let tag = first.tag.to_string();
    match tag.as_str() {
        "create" => Ok(create(net, node, &first, phone)),
        "participating" => {
            let groups: Vec<Node> = net
                .groups
                .values()
                .filter(|g| g.members.contains(&phone))
                .map(|g| group_node(net, g))
                .collect();
            Ok(result(
                node,
                vec![NodeBuilder::new("groups").children(groups).build()],
            ))
        }
        "leave" => Ok(leave(net, node, &first, &phone)),
        "invite" if gid.is_none() => Ok(by_code(net, node, &first, &phone, &kind)),
        _ => {
            let Some(gid) = gid else {
                return Ok(error(node, 400, "bad-request"));
            };
            let Some(group) = net.groups.get(&gid).cloned() else {
                return Ok(error(node, 404, "item-not-found"));
            };
            if !group.members.contains(&phone) {
                return Ok(error(node, 403, "forbidden"));
            }
            Ok(on_group(net, node, &first, &phone, group, &kind))
        }
    }
}

fn create(net: &mut Network, node: &Node, first: &Node, phone: String) -> Node {
    let mut members = vec![phone.clone()];
    for p in first.get_children_by_tag("participant") {
        if let Some(member) = p
            .attrs
            .get("jid")
            .and_then(|j| j.to_jid())
            .and_then(|j| net.phone_of(&j))
            && !members.contains(&member)
        {
            members.push(member);
        }
    }
    let id = format!(
        "120363{:012}",
        rand::thread_rng().gen_range(0..1_000_000_000_000u64)
    );
    let description = first
        .get_optional_child("description")
        .and_then(|d| d.get_optional_child("body"))
        .map(text_of)
        .filter(|d| !d.is_empty());
    let group = Group {
        id: id.clone(),
        subject: attr(first, "subject").unwrap_or_default(),
        creator: phone,
        creation: now(),
        members,
        admins: Vec::new(),
        description_id: description.as_ref().map(|_| new_id()),
        description,
        announce: first.get_optional_child("announcement").is_some(),
        locked: first.get_optional_child("locked").is_some(),
        invite_code: Some(new_invite_code()),
        subject_owner: None,
        subject_time: 0,
    };
    let reply = group_node(net, &group);
    announce_creation(net, &group);
    net.groups.insert(id, group);
    result(node, vec![reply])
}

/// Removes `phone` from the listed groups; the remaining members and the leaver hear it.
fn leave(net: &mut Network, node: &Node, first: &Node, phone: &String) -> Node {
    for g in first.get_children_by_tag("group") {
        let Some(gid) = attr(g, "id") else {
            continue;
        };
        let gid = gid.split('@').next().unwrap_or_default().to_string();
        if let Some(mut group) = net.groups.get(&gid).cloned()
            && group.members.contains(phone)
        {
            let audience = group.members.clone();
            group.members.retain(|m| m != phone);
            group.admins.retain(|m| m != phone);
            if group.creator == *phone
                && let Some(heir) = group
                    .admins
                    .first()
                    .cloned()
                    .or_else(|| group.members.first().cloned())
            {
                // The group lives on with another super admin.
                group.admins.retain(|m| *m != heir);
                group.creator = heir;
            }
            let action = membership_action(net, "remove", std::slice::from_ref(phone), None);
            notify(net, &group, phone, vec![action], &audience);
            if group.members.is_empty() {
                net.groups.remove(&gid);
            } else {
                net.groups.insert(gid, group);
            }
        }
    }
    result(node, vec![])
}

/// `<invite code>` to `@g.us`: `get` looks the group up, `set` joins it.
fn by_code(net: &mut Network, node: &Node, first: &Node, phone: &String, kind: &str) -> Node {
    let code = attr(first, "code").unwrap_or_default();
    let Some(mut group) = net
        .groups
        .values()
        .find(|g| !code.is_empty() && g.invite_code.as_deref() == Some(code.as_str()))
        .cloned()
    else {
        return error(node, 404, "item-not-found");
    };
    if kind == "get" {
        return result(node, vec![group_node(net, &group)]);
    }
    let jid = Jid::group(group.id.as_str());
    if !group.members.contains(phone) {
        group.members.push(phone.clone());
        let action = membership_action(net, "add", std::slice::from_ref(phone), Some("invite"));
        let audience = group.members.clone();
        notify(net, &group, phone, vec![action], &audience);
        net.groups.insert(group.id.clone(), group);
    }
    result(
        node,
        vec![NodeBuilder::new("group").attr("jid", jid).build()],
    )
}

/// A change to one group by one of its members.
fn on_group(
    net: &mut Network,
    node: &Node,
    first: &Node,
    phone: &String,
    group: Group,
    kind: &str,
) -> Node {
    let tag = first.tag.to_string();
    let admin = group.is_admin(phone);
    let info_change = matches!(tag.as_str(), "subject" | "description");
    let settings_change = matches!(
        tag.as_str(),
        "announcement" | "not_announcement" | "locked" | "unlocked"
    );
    if (settings_change || (info_change && group.locked)) && !admin {
        return error(node, 403, "forbidden");
    }
    match tag.as_str() {
        "query" => result(node, vec![group_node(net, &group)]),
        "add" | "remove" | "promote" | "demote" => {
            if !admin {
                return error(node, 403, "forbidden");
            }
            membership(net, node, first, phone, group)
        }
        "subject" => set_subject(net, node, first, phone, group),
        "description" => set_description(net, node, first, phone, group),
        "announcement" | "not_announcement" | "locked" | "unlocked" => {
            set_setting(net, node, &tag, phone, group)
        }
        "invite" => invite_link(net, node, admin, group, kind),
        _ => result(node, vec![]),
    }
}

/// A new subject (1..100 bytes), told to the members with who set it and when.
fn set_subject(
    net: &mut Network,
    node: &Node,
    first: &Node,
    phone: &String,
    mut group: Group,
) -> Node {
    let subject = text_of(first);
    if subject.trim().is_empty() || subject.len() > 100 {
        return error(node, 400, "bad-request");
    }
    group.subject = subject.clone();
    group.subject_owner = Some(phone.clone());
    group.subject_time = now();
    let owner = net.accounts.get(phone).map(|a| a.pn_jid());
    let mut action = NodeBuilder::new("subject")
        .attr("subject", subject)
        .attr("s_t", group.subject_time.to_string());
    if let Some(owner) = owner {
        action = action.attr("s_o", owner);
    }
    let audience = group.members.clone();
    notify(net, &group, phone, vec![action.build()], &audience);
    net.groups.insert(group.id.clone(), group);
    result(node, vec![])
}

/// A new description (up to 2048 bytes) or its deletion; `prev` must name the current one.
fn set_description(
    net: &mut Network,
    node: &Node,
    first: &Node,
    phone: &str,
    mut group: Group,
) -> Node {
    let id = attr(first, "id").unwrap_or_else(new_id);
    let deleted = attr(first, "delete").as_deref() == Some("true");
    let text = first.get_optional_child("body").map(text_of);
    if let Some(prev) = attr(first, "prev")
        && group
            .description_id
            .as_ref()
            .is_some_and(|cur| *cur != prev)
    {
        return error(node, 409, "conflict");
    }
    let action = if deleted || text.as_deref().is_none_or(str::is_empty) {
        group.description = None;
        NodeBuilder::new("description")
            .attr("id", id.clone())
            .children([NodeBuilder::new("delete").build()])
            .build()
    } else {
        let text = text.unwrap_or_default();
        if text.len() > 2048 {
            return error(node, 400, "bad-request");
        }
        group.description = Some(text.clone());
        NodeBuilder::new("description")
            .attr("id", id.clone())
            .children([NodeBuilder::new("body").string_content(text).build()])
            .build()
    };
    group.description_id = Some(id);
    let audience = group.members.clone();
    notify(net, &group, phone, vec![action], &audience);
    net.groups.insert(group.id.clone(), group);
    result(node, vec![])
}

/// `announcement`, `not_announcement`, `locked` or `unlocked` (`setting`), told to the members.
fn set_setting(
    net: &mut Network,
    node: &Node,
    setting: &str,
    phone: &str,
    mut group: Group,
) -> Node {
    match setting {
        "announcement" => group.announce = true,
        "not_announcement" => group.announce = false,
        "locked" => group.locked = true,
        _ => group.locked = false,
    }
    let audience = group.members.clone();
    let action = NodeBuilder::new_dynamic(setting.to_string()).build();
    notify(net, &group, phone, vec![action], &audience);
    net.groups.insert(group.id.clone(), group);
    result(node, vec![])
}

/// The invite link: `get` reads it (making one if there is none), `set` revokes it and makes a
/// new one (admins only).
fn invite_link(net: &mut Network, node: &Node, admin: bool, mut group: Group, kind: &str) -> Node {
    if kind == "set" || group.invite_code.is_none() {
        if kind == "set" && !admin {
            return error(node, 403, "forbidden");
        }
        group.invite_code = Some(new_invite_code());
    }
    let code = group.invite_code.clone().unwrap_or_default();
    net.groups.insert(group.id.clone(), group);
    result(
        node,
        vec![NodeBuilder::new("invite").attr("code", code).build()],
    )
}

/// `add`, `remove`, `promote`, `demote` with a per-participant answer.
fn membership(net: &mut Network, node: &Node, first: &Node, phone: &str, mut group: Group) -> Node {
    let action = first.tag.to_string();
    let mut answers = Vec::new();
    let mut changed = Vec::new();
    for p in first.get_children_by_tag("participant") {
        let Some(jid) = p.attrs.get("jid").and_then(|j| j.to_jid()) else {
            continue;
        };
        let member = net.phone_of(&jid);
        let mut answer = NodeBuilder::new("participant").attr("jid", jid.clone());
        let ok = match (action.as_str(), &member) {
            ("add", Some(m)) if !group.members.contains(m) => {
                group.members.push(m.clone());
                true
            }
            ("remove", Some(m)) if group.members.contains(m) && *m != group.creator => {
                group.members.retain(|x| x != m);
                group.admins.retain(|x| x != m);
                true
            }
            ("promote", Some(m)) if group.members.contains(m) => {
                if !group.is_admin(m) {
                    group.admins.push(m.clone());
                }
                true
            }
            ("demote", Some(m)) if group.members.contains(m) && *m != group.creator => {
                group.admins.retain(|x| x != m);
                true
            }
            _ => false,
        };
        if ok {
            answer = answer.attr("type", "200");
            if let Some(m) = member {
                changed.push(m);
            }
        } else {
            let code = if member.is_none() { "404" } else { "409" };
            answer = answer.attr("error", code);
        }
        answers.push(answer.build());
    }
    // Removed members still hear that they were removed.
    let mut audience = group.members.clone();
    if action == "remove" {
        audience.extend(changed.iter().cloned());
    }
    if !changed.is_empty() {
        let notice = membership_action(net, &action, &changed, None);
        notify(net, &group, phone, vec![notice], &audience);
    }
    net.groups.insert(group.id.clone(), group);
    result(
        node,
        vec![NodeBuilder::new_dynamic(action).children(answers).build()],
    )
}
