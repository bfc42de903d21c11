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

/// The children of `node` that `keep` selects.
fn children_where(node: &Node, keep: impl Fn(&Node) -> bool) -> Vec<Node> {
    node.children()
        .map(|c| c.iter().filter(|n| keep(n)).cloned().collect())
        .unwrap_or_default()
}

/// The linked devices of `phone`'s account.
fn linked_devices(net: &Network, phone: &str) -> Vec<(String, u16)> {
    net.accounts
        .get(phone)
        .map(|acc| {
            acc.devices
                .values()
                .filter(|d| d.linked)
                .map(|d| (phone.to_string(), d.id))
                .collect()
        })
        .unwrap_or_default()
}

/// A message stanza on its way through the server: the sender's stanza, who sent it from which
/// device, and its id and type.
struct Relayed<'a> {
    node: &'a Node,
    phone: String,
    device: u16,
    id: String,
    kind: String,
}

impl Relayed<'_> {
    /// Remembers who sent the message, so receipts for it find their way back.
    fn remember_sender(&self, net: &mut Network) {
        net.remember_sender(
            self.id.clone(),
            SentBy {
                phone: self.phone.clone(),
                device: self.device,
            },
        );
    }
}

pub(crate) async fn message(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let id = attr(node, "id").unwrap_or_default();
    let Some(to) = jid_attr(node, "to") else {
        return Ok(());
    };
    if to.server == Server::Newsletter {
        return super::channels::post(conn, node, to).await;
    }
    let kind = attr(node, "type").unwrap_or_else(|| "text".into());
    let relayed = Relayed {
        node,
        phone,
        device,
        id,
        kind,
    };
    if to.server == Server::Group {
        return group_message(conn, &relayed, to).await;
    }
    if to.server == Server::Broadcast {
        relay_status(&mut conn.core.lock_net(), &relayed);
        let ack = NodeBuilder::new("ack")
            .attr("class", "message")
            .attr("id", relayed.id)
            .attr("from", to)
            .attr("t", now())
            .build();
        return conn.send(&ack).await;
    }
    relay_direct(&mut conn.core.lock_net(), &relayed, &to);
    let ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", relayed.id)
        .attr("from", to)
        .attr("t", now())
        .build();
    conn.send(&ack).await
}

/// The recipients of a direct message with the `<enc>` nodes addressed to each: those listed
/// under `<participants>`, then `to` itself when the stanza carries `<enc>` directly.
fn direct_targets(node: &Node, to: &Jid) -> Vec<(Jid, Vec<Node>)> {
    let mut targets = Vec::new();
    if let Some(participants) = node.get_optional_child("participants") {
        for to_node in participants.get_children_by_tag("to") {
            if let (Some(jid), Some(children)) = (jid_attr(to_node, "jid"), to_node.children()) {
                targets.push((jid, children.to_vec()));
            }
        }
    }
    let direct = children_where(node, |n| n.tag == "enc");
    if !direct.is_empty() {
        targets.push((to.clone(), direct));
    }
    targets
}

/// Delivers a direct message to `to` and to the sender's other devices, each with the
/// ciphertexts addressed to it, from the sender as the recipient knows it.
fn relay_direct(net: &mut Network, relayed: &Relayed, to: &Jid) {
    let extra = children_where(relayed.node, forwarded_child);
    let (phone, device) = (relayed.phone.as_str(), relayed.device);
    let notify = net
        .accounts
        .get(phone)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    for (target, encs) in direct_targets(relayed.node, to) {
        let Some(target_phone) = net.phone_of(&target) else {
            continue;
        };
        if (target_phone == phone && target.device == device) || net.blocks(&target_phone, phone) {
            continue;
        }
        let Some((from, alt)) = sender_as_seen_by(net, phone, device, &target) else {
            continue;
        };
        let alt_key = if from.is_lid() {
            "sender_pn"
        } else {
            "sender_lid"
        };
        let mut b = NodeBuilder::new("message")
            .attr("from", from)
            .attr("id", relayed.id.clone())
            .attr("t", now())
            .attr("type", relayed.kind.clone())
            .attr("notify", notify.clone())
            .attr(alt_key, alt);
        if target_phone == phone {
            // A copy for the sender's own other devices names the chat it was sent to.
            b = b.attr("recipient", to.clone());
        }
        for key in FORWARDED_ATTRS {
            if let Some(v) = attr(relayed.node, key) {
                b = b.attr(key, v);
            }
        }
        let mut children = encs;
        children.extend(extra.iter().cloned());
        let mut out = b.build();
        out.content = Some(NodeContent::Nodes(children));
        net.deliver(&target_phone, target.device, out);
    }
    relayed.remember_sender(net);
}

/// A group message: the sender-key ciphertext (`skmsg`) goes to every member device, each with
/// the pairwise `<enc>` (carrying the sender key) the sender addressed to it, if any.
async fn group_message(conn: &mut Conn, relayed: &Relayed<'_>, group: Jid) -> Result<()> {
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", relayed.id.clone())
        .attr("from", group.clone());
    if !relay_to_group(&mut conn.core.lock_net(), relayed, &group) {
        // Not a group this account is in: refuse like the server does.
        ack = ack.attr("error", "403");
    }
    conn.send(&ack.attr("t", now()).build()).await
}

/// The pairwise `<enc>` nodes the sender addressed to each device under `<participants>`.
fn pairwise_encs(net: &Network, node: &Node) -> HashMap<(String, u16), Vec<Node>> {
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
    pairwise
}

/// Delivers a group message to every member device but the sending one; false when the sender
/// may not speak there (not a member, or not an admin of an announcement group).
fn relay_to_group(net: &mut Network, relayed: &Relayed, group: &Jid) -> bool {
    let (phone, device) = (relayed.phone.as_str(), relayed.device);
    let extra = children_where(relayed.node, forwarded_child);
    let shared = children_where(relayed.node, |n| n.tag == "enc");
    let mut pairwise = pairwise_encs(net, relayed.node);
    let members = net
        .groups
        .get(group.user.as_str())
        .filter(|g| g.members.iter().any(|m| m == phone))
        // In an announcement group only admins may speak.
        .filter(|g| !g.announce || g.is_admin(phone))
        .map(|g| g.members.clone());
    let (Some(members), Some(sender)) = (members, net.accounts.get(phone)) else {
        return false;
    };
    let sender_pn = sender.pn_jid().with_device(device);
    let sender_lid = sender.lid_jid().with_device(device);
    let notify = sender.name.clone();
    let targets: Vec<(String, u16)> = members
        .iter()
        .flat_map(|member| linked_devices(net, member))
        .collect();
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
            .attr("id", relayed.id.clone())
            .attr("t", now())
            .attr("type", relayed.kind.clone())
            .attr("notify", notify.clone())
            .build();
        for key in FORWARDED_ATTRS {
            if let Some(v) = attr(relayed.node, key) {
                out.attrs.insert(*key, v);
            }
        }
        out.content = Some(NodeContent::Nodes(children));
        net.deliver(&member, dev, out);
    }
    relayed.remember_sender(net);
    true
}

/// A status post (`status@broadcast`): the sender-key ciphertext goes to its audience, the
/// devices the sender addressed a pairwise `<enc>` to now or in an earlier post (the audience the
/// server remembers), each with what was addressed to it.
fn relay_status(net: &mut Network, relayed: &Relayed) {
    let (phone, device) = (relayed.phone.as_str(), relayed.device);
    let shared = children_where(relayed.node, |n| n.tag == "enc");
    let mut pairwise = pairwise_encs(net, relayed.node);
    let audience = net.status_audience.entry(phone.to_string()).or_default();
    audience.extend(pairwise.keys().cloned());
    let targets: Vec<(String, u16)> = audience.iter().cloned().collect();
    let Some(sender) = net.accounts.get(phone) else {
        return;
    };
    let (lid, pn, notify) = (
        sender.lid_jid().with_device(device),
        sender.pn_jid().with_device(device),
        sender.name.clone(),
    );
    for (member, dev) in targets {
        if member == phone && dev == device {
            continue;
        }
        let mut children = pairwise.remove(&(member.clone(), dev)).unwrap_or_default();
        children.extend(shared.iter().cloned());
        let mut out = NodeBuilder::new("message")
            .attr("from", Jid::status_broadcast())
            .attr("participant", lid.clone())
            .attr("participant_pn", pn.clone())
            .attr("addressing_mode", "lid")
            .attr("id", relayed.id.clone())
            .attr("t", now())
            .attr("type", relayed.kind.clone())
            .attr("notify", notify.clone())
            .build();
        out.content = Some(NodeContent::Nodes(children));
        net.deliver(&member, dev, out);
    }
    relayed.remember_sender(net);
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
        let targets = receipt_targets(&net, &ids, &to, kind.as_deref());
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

/// The devices a receipt for `ids` goes to, sorted and without repeats. A retry asks the sending
/// device itself to resend; other receipts (delivery, read, played) go to every device of the
/// sender's account, so all of them show the ticks. Receipts for messages the server does not
/// know go to the devices of the account they are addressed `to`.
fn receipt_targets(
    net: &Network,
    ids: &[String],
    to: &Jid,
    kind: Option<&str>,
) -> Vec<(String, u16)> {
    let to_sender_only = matches!(kind, Some("retry" | "enc_rekey_retry"));
    let mut targets: Vec<(String, u16)> = Vec::new();
    for msg_id in ids {
        let Some(SentBy { phone, device }) = net.sender_of(msg_id).cloned() else {
            continue;
        };
        targets.push((phone.clone(), device));
        if !to_sender_only {
            targets.extend(linked_devices(net, &phone));
        }
    }
    if targets.is_empty()
        && let Some(to_phone) = net.phone_of(to)
    {
        targets.extend(linked_devices(net, &to_phone));
    }
    targets.sort();
    targets.dedup();
    targets
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
            // same: to subscribers, and to the phones of the accounts that know this one (its
            // contacts, as WhatsApp has it). Not to the whole network: with 10,000 accounts,
            // 1,000 companions coming online made ten million deliveries.
            if let Some(update) = presence_node(&net, &phone) {
                let mut watchers: Vec<(String, u16)> = net
                    .presence_subscribers
                    .get(&phone)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default();
                watchers.extend(
                    net.acquaintances(&phone)
                        .into_iter()
                        .filter(|p| *p != phone)
                        .map(|p| (p, 0)),
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
    let net = conn.core.read_net();
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
