//! The prekey store (`xmlns="encrypt"`): uploads, counts, rotation and bundle fetches. A fetched
//! one-time prekey is handed out once, as on the real server.

use anyhow::{Result, anyhow};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node, NodeContent};

use super::conn::Conn;
use crate::net::network::{Network, SignedPreKey};
use crate::nodes::{attr, child_bytes, error, result};

/// A 3-byte big-endian prekey id as it travels in `<id>`.
fn id_from_bytes(b: &[u8]) -> Option<u32> {
    match b.len() {
        3 => Some(u32::from_be_bytes([0, b[0], b[1], b[2]])),
        4 => Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    }
}

fn id_bytes(id: u32) -> Vec<u8> {
    id.to_be_bytes()[1..].to_vec()
}

fn parse_key(node: &Node) -> Option<(u32, Vec<u8>)> {
    let id = id_from_bytes(child_bytes(node, "id")?)?;
    Some((id, child_bytes(node, "value")?.to_vec()))
}

fn parse_signed(node: &Node) -> Option<SignedPreKey> {
    let (id, public) = parse_key(node)?;
    Some(SignedPreKey {
        id,
        public,
        signature: child_bytes(node, "signature")?.to_vec(),
    })
}

pub(crate) fn handle(conn: &mut Conn, node: &Node) -> Result<Node> {
    let (phone, device) = conn.device()?;
    let kind = attr(node, "type").unwrap_or_default();
    let mut net = conn.core.lock_net();
    if kind == "set" {
        let dev = net
            .accounts
            .get_mut(&phone)
            .and_then(|a| a.devices.get_mut(&device))
            .ok_or_else(|| anyhow!("device {phone}:{device} vanished"))?;
        if let Some(reg) = child_bytes(node, "registration").filter(|b| b.len() == 4) {
            dev.registration_id = Some(u32::from_be_bytes([reg[0], reg[1], reg[2], reg[3]]));
        }
        if let Some(identity) =
            child_bytes(node, "identity").and_then(|b| <[u8; 32]>::try_from(b).ok())
        {
            dev.identity_pub = identity;
        }
        let skey = node
            .get_optional_child("skey")
            .or_else(|| node.get_optional_child_by_tag(&["rotate", "skey"]));
        if let Some(skey) = skey.and_then(parse_signed) {
            dev.signed_prekey = Some(skey);
        }
        if let Some(list) = node.get_optional_child("list") {
            for key in list.get_children_by_tag("key").filter_map(parse_key) {
                if !dev.prekeys.iter().any(|(id, _)| *id == key.0) {
                    dev.prekeys.push_back(key);
                }
            }
        }
        drop(net);
        conn.core.key_share_if_due(&phone, device);
        return Ok(result(node, vec![]));
    }
    if node.get_optional_child("count").is_some() {
        let count = net
            .accounts
            .get(&phone)
            .and_then(|a| a.devices.get(&device))
            .map_or(0, |d| d.prekeys.len());
        return Ok(result(
            node,
            vec![
                NodeBuilder::new("count")
                    .attr("value", count.to_string())
                    .build(),
            ],
        ));
    }
    if let Some(key) = node.get_optional_child("key") {
        let users: Vec<Node> = key
            .get_children_by_tag("user")
            .filter_map(|u| u.attrs.get("jid").and_then(|j| j.to_jid()))
            .map(|jid| bundle(&mut net, &jid))
            .collect();
        return Ok(result(
            node,
            vec![NodeBuilder::new("list").children(users).build()],
        ));
    }
    if node.get_optional_child("digest").is_some() {
        // An empty digest is accepted by clients as "nothing to compare".
        return Ok(result(node, vec![NodeBuilder::new("digest").build()]));
    }
    Ok(error(node, 400, "bad-request"))
}

/// One `<user>` of a prekey fetch: the device's bundle, taking one one-time key.
fn bundle(net: &mut Network, jid: &Jid) -> Node {
    let not_found = |jid: &Jid| {
        NodeBuilder::new("user")
            .attr("jid", jid.clone())
            .children([NodeBuilder::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")
                .build()])
            .build()
    };
    let Some(phone) = net.phone_of(jid) else {
        return not_found(jid);
    };
    let Some(dev) = net
        .accounts
        .get_mut(&phone)
        .and_then(|a| a.devices.get_mut(&jid.device))
    else {
        return not_found(jid);
    };
    let (Some(reg), Some(skey)) = (dev.registration_id, dev.signed_prekey.clone()) else {
        return not_found(jid);
    };
    let mut children = vec![
        NodeBuilder::new("registration")
            .bytes(reg.to_be_bytes().to_vec())
            .build(),
        NodeBuilder::new("type").bytes(vec![5u8]).build(),
        NodeBuilder::new("identity")
            .bytes(dev.identity_pub.to_vec())
            .build(),
    ];
    if let Some((id, public)) = dev.prekeys.pop_front() {
        children.push(
            NodeBuilder::new("key")
                .children([
                    NodeBuilder::new("id").bytes(id_bytes(id)).build(),
                    NodeBuilder::new("value").bytes(public).build(),
                ])
                .build(),
        );
    }
    children.push(
        NodeBuilder::new("skey")
            .children([
                NodeBuilder::new("id").bytes(id_bytes(skey.id)).build(),
                NodeBuilder::new("value").bytes(skey.public).build(),
                NodeBuilder::new("signature").bytes(skey.signature).build(),
            ])
            .build(),
    );
    if let Some(identity) = &dev.signed_identity {
        children.push(
            NodeBuilder::new("device-identity")
                .bytes(identity.clone())
                .build(),
        );
    }
    let mut user = NodeBuilder::new("user").attr("jid", jid.clone()).build();
    user.content = Some(NodeContent::Nodes(children));
    user
}
