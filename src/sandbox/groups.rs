//! Groups (`xmlns="w:g2"`): creation, metadata and the participant lists that group messages fan
//! out to. Group messages themselves are relayed in `relay.rs`.

use anyhow::Result;
use rand::Rng;
use serde::{Deserialize, Serialize};
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::conn::Conn;
use super::core::Core;
use super::iq::{attr, error, result};
use super::state::Network;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    /// The user part of `{id}@g.us`.
    pub id: String,
    pub subject: String,
    pub creator: String,
    pub creation: i64,
    /// Account phone numbers, creator first; the creator is the super admin.
    pub members: Vec<String>,
    /// Members promoted to admin (besides the creator).
    #[serde(default)]
    pub admins: Vec<String>,
}

impl Group {
    /// Everyone allowed to change the membership.
    pub fn admins(&self) -> Vec<String> {
        let mut all = vec![self.creator.clone()];
        all.extend(self.admins.iter().cloned());
        all
    }
}

/// A group as the admin API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct GroupInfo {
    pub id: String,
    pub subject: String,
    pub creator: String,
    pub participants: Vec<String>,
}

pub(crate) fn info(core: &Core, id: &str) -> Option<GroupInfo> {
    let net = core.lock_net();
    let g = net.groups.get(id)?;
    Some(GroupInfo {
        id: format!("{}@g.us", g.id),
        subject: g.subject.clone(),
        creator: g.creator.clone(),
        participants: g.members.clone(),
    })
}

pub(crate) fn of_account(core: &Core, phone: &str) -> Vec<GroupInfo> {
    let ids: Vec<String> = core
        .lock_net()
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m == phone))
        .map(|g| g.id.clone())
        .collect();
    ids.iter().filter_map(|id| info(core, id)).collect()
}

/// Tells the other members' devices they were added to a new group (`w:gp2` create), as the
/// server does, so their clients learn the group before its first message.
fn announce_creation(net: &mut Network, group: &Group) {
    let Some(creator) = net.accounts.get(&group.creator) else {
        return;
    };
    let node = NodeBuilder::new("notification")
        .attr("from", wacore_binary::Jid::group(group.id.as_str()))
        .attr("type", "w:gp2")
        .attr("id", super::iq::new_id())
        .attr("participant", creator.pn_jid())
        .attr("t", chrono::Utc::now().timestamp().to_string())
        .children([NodeBuilder::new("create")
            .attr("reason", "new")
            .children([group_node(net, group)])
            .build()])
        .build();
    let targets: Vec<(String, u16)> = group
        .members
        .iter()
        .filter_map(|m| net.accounts.get(m))
        .flat_map(|a| {
            a.devices
                .values()
                .filter(|d| d.linked)
                .map(|d| (a.phone.clone(), d.id))
        })
        .filter(|(p, _)| *p != group.creator)
        .collect();
    for (p, d) in targets {
        net.deliver(&p, d, node.clone());
    }
}

/// `w:gp2` notification of a membership change (`add`, `remove`, `promote`, `demote`, `leave`)
/// to the devices of `audience`.
fn announce_change(
    net: &mut Network,
    group: &Group,
    actor: &str,
    action: &str,
    changed: &[String],
    audience: &[String],
) {
    if changed.is_empty() {
        return;
    }
    let Some(actor) = net.accounts.get(actor).map(|a| a.pn_jid()) else {
        return;
    };
    let participants: Vec<Node> = changed
        .iter()
        .filter_map(|m| net.accounts.get(m))
        .map(|a| {
            NodeBuilder::new("participant")
                .attr("jid", a.pn_jid())
                .attr("lid", a.lid_jid())
                .build()
        })
        .collect();
    let node = NodeBuilder::new("notification")
        .attr("from", wacore_binary::Jid::group(group.id.as_str()))
        .attr("type", "w:gp2")
        .attr("id", super::iq::new_id())
        .attr("participant", actor)
        .attr("t", chrono::Utc::now().timestamp().to_string())
        .children([NodeBuilder::new_dynamic(action.to_string())
            .children(participants)
            .build()])
        .build();
    let targets: Vec<(String, u16)> = audience
        .iter()
        .filter_map(|m| net.accounts.get(m))
        .flat_map(|a| {
            a.devices
                .values()
                .filter(|d| d.linked)
                .map(|d| (a.phone.clone(), d.id))
        })
        .collect();
    for (p, d) in targets {
        net.deliver(&p, d, node.clone());
    }
}

/// `<group>` as clients parse it (`id`, `subject`, `creation`, participants with roles).
fn group_node(net: &Network, group: &Group) -> Node {
    let participants = group.members.iter().filter_map(|phone| {
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
    });
    let creator = net.accounts.get(&group.creator).map(|a| a.pn_jid());
    let mut b = NodeBuilder::new("group")
        .attr("id", group.id.clone())
        .attr("subject", group.subject.clone())
        .attr("s_t", group.creation.to_string())
        .attr("creation", group.creation.to_string())
        .attr("size", group.members.len().to_string())
        .attr("addressing_mode", "pn");
    if let Some(creator) = creator {
        b = b.attr("creator", creator.clone()).attr("s_o", creator);
    }
    b.children(participants).build()
}

pub(crate) fn handle(conn: &mut Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let first = node.children().and_then(|c| c.first()).cloned();
    let to = node.attrs.get("to").and_then(|v| v.to_jid());
    let mut net = conn.core.lock_net();
    let Some(first) = first else {
        return Ok(result(node, vec![]));
    };
    match first.tag.as_ref() {
        "create" => {
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
            let group = Group {
                id: id.clone(),
                subject: attr(&first, "subject").unwrap_or_default(),
                creator: phone,
                creation: chrono::Utc::now().timestamp(),
                members,
                admins: Vec::new(),
            };
            let reply = group_node(&net, &group);
            announce_creation(&mut net, &group);
            net.groups.insert(id, group);
            Ok(result(node, vec![reply]))
        }
        "query" => {
            let group = to.and_then(|j| net.groups.get(j.user.as_str()).cloned());
            match group {
                Some(g) if g.members.contains(&phone) => {
                    Ok(result(node, vec![group_node(&net, &g)]))
                }
                Some(_) => Ok(error(node, 403, "forbidden")),
                None => Ok(error(node, 404, "item-not-found")),
            }
        }
        "add" | "remove" | "promote" | "demote" => {
            let action = first.tag.to_string();
            let Some(gid) = to.map(|j| j.user.to_string()) else {
                return Ok(error(node, 400, "bad-request"));
            };
            let Some(mut group) = net.groups.get(&gid).cloned() else {
                return Ok(error(node, 404, "item-not-found"));
            };
            if !group.admins().contains(&phone) {
                return Ok(error(node, 403, "forbidden"));
            }
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
                        if !group.admins.contains(m) {
                            group.admins.push(m.clone());
                        }
                        true
                    }
                    ("demote", Some(m)) if group.members.contains(m) && *m != group.creator => {
                        group.admins.retain(|x| x != m);
                        true
                    }
                    (_, None) => false,
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
            announce_change(&mut net, &group, &phone, &action, &changed, &audience);
            net.groups.insert(gid, group);
            Ok(result(
                node,
                vec![NodeBuilder::new_dynamic(action).children(answers).build()],
            ))
        }
        "subject" => {
            let subject = first
                .content_as_string()
                .map(|s| s.to_string())
                .unwrap_or_default();
            let gid = to.map(|j| j.user.to_string()).unwrap_or_default();
            match net.groups.get_mut(&gid) {
                Some(g) if g.members.contains(&phone) => {
                    g.subject = subject;
                    Ok(result(node, vec![]))
                }
                Some(_) => Ok(error(node, 403, "forbidden")),
                None => Ok(error(node, 404, "item-not-found")),
            }
        }
        "leave" => {
            for g in first.get_children_by_tag("group") {
                let Some(gid) = g.attrs.get("id").map(|v| v.as_str().into_owned()) else {
                    continue;
                };
                let gid = gid.split('@').next().unwrap_or_default().to_string();
                if let Some(mut group) = net.groups.get(&gid).cloned()
                    && group.members.contains(&phone)
                {
                    let audience = group.members.clone();
                    group.members.retain(|m| *m != phone);
                    group.admins.retain(|m| *m != phone);
                    announce_change(
                        &mut net,
                        &group,
                        &phone,
                        "leave",
                        std::slice::from_ref(&phone),
                        &audience,
                    );
                    net.groups.insert(gid, group);
                }
            }
            Ok(result(node, vec![]))
        }
        "participating" => {
            let groups: Vec<Node> = net
                .groups
                .values()
                .filter(|g| g.members.contains(&phone))
                .map(|g| group_node(&net, g))
                .collect();
            Ok(result(
                node,
                vec![NodeBuilder::new("groups").children(groups).build()],
            ))
        }
        _ => Ok(result(node, vec![])),
    }
}
