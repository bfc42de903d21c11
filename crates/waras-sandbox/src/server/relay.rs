//! Message and receipt relay. The sandbox never sees plaintext: it forwards each device's `<enc>`
//! to that device, acks the sender, and routes receipts back to the device that sent the message.

use anyhow::Result;
use std::collections::HashMap;
use wacore_binary::builder::NodeBuilder;

use wacore_binary::{Jid, Node, NodeContent, Server};

use super::conn::Conn;
use crate::net::network::{Network, SentBy};
use crate::nodes::attr;

fn jid_attr(node: &Node, key: &str) -> Option<Jid> {
    node.attrs.get(key).and_then(|v| v.to_jid())
}

/// Stanza attributes the server passes on to recipients: the category (peer messages), and
/// the edit marker of edits, revokes and other add-ons.
const FORWARDED_ATTRS: &[&str] = &["category", "edit"];

/// Children besides the ciphertexts that recipients get: the sender's device identity and the
/// `<meta>` (poll creation or vote, event edits, …).
fn forwarded_child(node: &Node) -> bool {
    matches!(node.tag.as_ref(), "device-identity" | "meta")
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// The sender's device JID in the addressing (phone number or LID) the recipient was reached by.
fn sender_as_seen_by(net: &Network, phone: &str, device: u16, target: &Jid) -> Option<(Jid, Jid)> {
    let acc = net.accounts.get(phone)?;
    let pn = acc.pn_jid().with_device(device);
    let lid = acc.lid_jid().with_device(device);
    Some(if target.is_lid() {
        (lid, pn)
    } else {
        (pn, lid)
    })
}

pub(crate) async fn message(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let id = attr(node, "id").unwrap_or_default();
    let Some(to) = jid_attr(node, "to") else {
        return Ok(());
    };
    let kind = attr(node, "type").unwrap_or_else(|| "text".into());
    if to.server == Server::Group {
        return group_message(conn, node, to, id, kind).await;
    }
    let extra: Vec<Node> = node
        .children()
        .map(|c| c.iter().filter(|n| forwarded_child(n)).cloned().collect())
        .unwrap_or_default();

    // (recipient JID, its <enc> nodes)
    let mut targets: Vec<(Jid, Vec<Node>)> = Vec::new();
    if let Some(participants) = node.get_optional_child("participants") {
        for to_node in participants.get_children_by_tag("to") {
            if let (Some(jid), Some(children)) = (jid_attr(to_node, "jid"), to_node.children()) {
                targets.push((jid, children.to_vec()));
            }
        }
    }
    let direct: Vec<Node> = node
        .children()
        .map(|c| c.iter().filter(|n| n.tag == "enc").cloned().collect())
        .unwrap_or_default();
    if !direct.is_empty() {
        targets.push((to.clone(), direct));
    }

    {
        let mut net = conn.core.lock_net();
        let notify = net
            .accounts
            .get(&phone)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        for (target, encs) in targets {
            let Some(target_phone) = net.phone_of(&target) else {
                continue;
            };
            if target_phone == phone && target.device == device {
                continue;
            }
            let Some((from, alt)) = sender_as_seen_by(&net, &phone, device, &target) else {
                continue;
            };
            let alt_key = if from.is_lid() {
                "sender_pn"
            } else {
                "sender_lid"
            };
            let mut b = NodeBuilder::new("message")
                .attr("from", from)
                .attr("id", id.clone())
                .attr("t", now())
                .attr("type", kind.clone())
                .attr("notify", notify.clone())
                .attr(alt_key, alt);
            if target_phone == phone {
                // A copy for the sender's own other devices names the chat it was sent to.
                b = b.attr("recipient", to.clone());
            }
            for key in FORWARDED_ATTRS {
                if let Some(v) = attr(node, key) {
                    b = b.attr(key, v);
                }
            }
            let mut children = encs;
            children.extend(extra.iter().cloned());
            let mut out = b.build();
            out.content = Some(NodeContent::Nodes(children));
            net.deliver(&target_phone, target.device, out);
        }
        net.remember_sender(
            id.clone(),
            SentBy {
                phone: phone.clone(),
                device,
            },
        );
    }

    let ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id)
        .attr("from", to)
        .attr("t", now())
        .build();
    conn.send(&ack).await
}

/// A group message: the sender-key ciphertext (`skmsg`) goes to every member device, each with
/// the pairwise `<enc>` (carrying the sender key) the sender addressed to it, if any.
async fn group_message(
    conn: &mut Conn,
    node: &Node,
    group: Jid,
    id: String,
    kind: String,
) -> Result<()> {
    let (phone, device) = conn.device()?;
    let children_where = |pred: &dyn Fn(&Node) -> bool| -> Vec<Node> {
        node.children()
            .map(|c| c.iter().filter(|n| pred(n)).cloned().collect())
            .unwrap_or_default()
    };
    let extra = children_where(&|n| forwarded_child(n));
    let shared = children_where(&|n| n.tag == "enc");
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id.clone())
        .attr("from", group.clone());
    {
        let mut net = conn.core.lock_net();
        let mut pairwise: HashMap<(String, u16), Vec<Node>> = HashMap::new();
        if let Some(participants) = node.get_optional_child("participants") {
            for to_node in participants.get_children_by_tag("to") {
                if let (Some(jid), Some(children)) = (jid_attr(to_node, "jid"), to_node.children())
                    && let Some(p) = net.phone_of(&jid)
                {
                    pairwise
                        .entry((p, jid.device))
                        .or_default()
                        .extend(children.iter().cloned());
                }
            }
        }
        let members = net
            .groups
            .get(group.user.as_str())
            .filter(|g| g.members.contains(&phone))
            // In an announcement group only admins may speak.
            .filter(|g| !g.announce || g.is_admin(&phone))
            .map(|g| g.members.clone());
        match (members, net.accounts.get(&phone)) {
            (Some(members), Some(sender)) => {
                let sender_pn = sender.pn_jid().with_device(device);
                let sender_lid = sender.lid_jid().with_device(device);
                let notify = sender.name.clone();
                let mut targets = Vec::new();
                for member in &members {
                    if let Some(acc) = net.accounts.get(member) {
                        targets.extend(
                            acc.devices
                                .values()
                                .filter(|d| d.linked)
                                .map(|d| (member.clone(), d.id)),
                        );
                    }
                }
                for (member, dev) in targets {
                    if member == phone && dev == device {
                        continue;
                    }
                    let mut children = pairwise.remove(&(member.clone(), dev)).unwrap_or_default();
                    children.extend(shared.iter().cloned());
                    if children.is_empty() {
                        continue;
                    }
                    children.extend(extra.iter().cloned());
                    let mut out = NodeBuilder::new("message")
                        .attr("from", group.clone())
                        .attr("participant", sender_pn.clone())
                        .attr("participant_lid", sender_lid.clone())
                        .attr("addressing_mode", "pn")
                        .attr("id", id.clone())
                        .attr("t", now())
                        .attr("type", kind.clone())
                        .attr("notify", notify.clone())
                        .build();
                    for key in FORWARDED_ATTRS {
                        if let Some(v) = attr(node, key) {
                            out.attrs.insert(*key, v);
                        }
                    }
                    out.content = Some(NodeContent::Nodes(children));
                    net.deliver(&member, dev, out);
                }
                net.remember_sender(
                    id.clone(),
                    SentBy {
                        phone: phone.clone(),
                        device,
                    },
                );
            }
            // Not a group this account is in: refuse like the server does.
            _ => ack = ack.attr("error", "403"),
        }
    }
    conn.send(&ack.attr("t", now()).build()).await
}

pub(crate) async fn receipt(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let id = attr(node, "id").unwrap_or_default();
    let Some(to) = jid_attr(node, "to") else {
        return Ok(());
    };
    let kind = attr(node, "type");
    let mut ids = vec![id.clone()];
    if let Some(list) = node.get_optional_child("list") {
        ids.extend(
            list.get_children_by_tag("item")
                .filter_map(|i| attr(i, "id")),
        );
    }

    {
        let mut net = conn.core.lock_net();
        // A device's receipt is also its acknowledgement of the message.
        net.acknowledged(&(phone.clone(), device), &ids);
        // A retry asks the sending device itself to resend; other receipts (delivery, read,
        // played) go to every device of the sender's account, so all of them show the ticks.
        let to_sender_only = matches!(kind.as_deref(), Some("retry" | "enc_rekey_retry"));
        let mut targets: Vec<(String, u16)> = Vec::new();
        for msg_id in &ids {
            let Some(SentBy { phone, device }) = net.sender_of(msg_id).cloned() else {
                continue;
            };
            targets.push((phone.clone(), device));
            if !to_sender_only && let Some(acc) = net.accounts.get(&phone) {
                targets.extend(
                    acc.devices
                        .values()
                        .filter(|d| d.linked)
                        .map(|d| (phone.clone(), d.id)),
                );
            }
        }
        if targets.is_empty()
            && let Some(to_phone) = net.phone_of(&to)
            && let Some(acc) = net.accounts.get(&to_phone)
        {
            targets.extend(
                acc.devices
                    .values()
                    .filter(|d| d.linked)
                    .map(|d| (to_phone.clone(), d.id)),
            );
        }
        targets.sort();
        targets.dedup();
        // In a group the receipt comes "from" the group, naming the member device as participant.
        let seen = if to.server == Server::Group {
            net.accounts
                .get(&phone)
                .map(|a| (to.clone(), Some(a.pn_jid().with_device(device))))
        } else {
            sender_as_seen_by(&net, &phone, device, &to).map(|(from, _)| (from, None))
        };
        if let Some((from, participant)) = seen {
            for (target_phone, target_device) in targets {
                if target_phone == phone && target_device == device {
                    continue;
                }
                let mut b = NodeBuilder::new("receipt")
                    .attr("from", from.clone())
                    .attr("id", id.clone())
                    .attr("t", now());
                if let Some(kind) = &kind {
                    b = b.attr("type", kind.clone());
                }
                if let Some(participant) = &participant {
                    b = b.attr("participant", participant.clone());
                } else if target_phone == phone {
                    b = b.attr("recipient", to.clone());
                }
                let mut out = b.build();
                out.content = node.content.clone();
                net.deliver(&target_phone, target_device, out);
            }
        }
    }

    let mut ack = NodeBuilder::new("ack")
        .attr("class", "receipt")
        .attr("id", id)
        .attr("from", to);
    if let Some(kind) = kind {
        ack = ack.attr("type", kind);
    }
    conn.send(&ack.build()).await
}

fn presence_node(net: &Network, phone: &str) -> Option<Node> {
    let acc = net.accounts.get(phone)?;
    let kind = if net.available.contains(phone) {
        "available"
    } else {
        "unavailable"
    };
    Some(
        NodeBuilder::new("presence")
            .attr("from", acc.pn_jid())
            .attr("type", kind)
            .build(),
    )
}

/// `<presence type="available|unavailable">` updates the account's state for its subscribers;
/// `<presence type="subscribe" to>` subscribes and answers with the current state.
pub(crate) async fn presence(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let mut net = conn.core.lock_net();
    let Some(kind) = attr(node, "type") else {
        // A bare `<presence name>` is a device renaming the account (set_push_name). The name
        // on typed presences is only the device's current idea of it, which an unsynced
        // companion may not share, so it renames nothing.
        if let Some(name) = attr(node, "name") {
            crate::net::profile::push_name(&mut net, &phone, &name);
        }
        return Ok(());
    };
    match kind.as_str() {
        "available" | "unavailable" => {
            if kind == "available" {
                net.available.insert(phone.clone());
            } else {
                net.available.remove(&phone);
            }
            // Every update goes out, also when another device of the account already said the
            // same: subscribers, and the other accounts' phones, which watch everyone.
            if let Some(update) = presence_node(&net, &phone) {
                let mut watchers: Vec<(String, u16)> = net
                    .presence_subscribers
                    .get(&phone)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default();
                watchers.extend(
                    net.accounts
                        .keys()
                        .filter(|p| **p != phone)
                        .map(|p| (p.clone(), 0)),
                );
                watchers.sort();
                watchers.dedup();
                for (p, d) in watchers {
                    net.deliver_live(&p, d, update.clone());
                }
            }
        }
        "subscribe" => {
            if let Some(target) = jid_attr(node, "to").and_then(|j| net.phone_of(&j)) {
                net.presence_subscribers
                    .entry(target.clone())
                    .or_default()
                    .insert((phone.clone(), device));
                if let Some(current) = presence_node(&net, &target) {
                    net.deliver_live(&phone, device, current);
                }
            }
        }
        "unsubscribe" => {
            if let Some(target) = jid_attr(node, "to").and_then(|j| net.phone_of(&j))
                && let Some(subs) = net.presence_subscribers.get_mut(&target)
            {
                subs.remove(&(phone, device));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Typing and recording indicators go to the recipient account's online devices; in a group,
/// to every other member's, naming the typing member as `participant`.
pub(crate) async fn chatstate(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let Some(to) = jid_attr(node, "to") else {
        return Ok(());
    };
    let net = conn.core.lock_net();
    let Some(sender) = net.accounts.get(&phone) else {
        return Ok(());
    };
    let (out, targets) = if to.server == Server::Group {
        let Some(group) = net
            .groups
            .get(to.user.as_str())
            .filter(|g| g.members.contains(&phone))
        else {
            return Ok(());
        };
        let out = NodeBuilder::new("chatstate")
            .attr("from", to.clone())
            .attr("participant", sender.pn_jid())
            .build();
        (out, group.members.clone())
    } else {
        let Some(target) = net.phone_of(&to) else {
            return Ok(());
        };
        let from = if to.is_lid() {
            sender.lid_jid()
        } else {
            sender.pn_jid()
        };
        (
            NodeBuilder::new("chatstate").attr("from", from).build(),
            vec![target],
        )
    };
    let mut out = out;
    out.content = node.content.clone();
    for target in targets {
        if let Some(acc) = net.accounts.get(&target) {
            for d in acc.devices.values().filter(|d| d.linked) {
                if target == phone && d.id == device {
                    continue;
                }
                net.deliver_live(&target, d.id, out.clone());
            }
        }
    }
    Ok(())
}
