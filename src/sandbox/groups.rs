//! Groups (`xmlns="w:g2"`): creation, metadata and the participant lists that group messages fan
//! out to. Group messages themselves are relayed in `relay.rs`.

use anyhow::Result;
use rand::Rng;
use serde::{Deserialize, Serialize};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

use super::conn::Conn;
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
            };
            let reply = group_node(&net, &group);
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
