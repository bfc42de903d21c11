//! `xmlns="usync"`: who is on the network, their device lists and their LIDs.

use anyhow::{Result, anyhow};
use buffa::Message as _;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, Node};
use waproto::whatsapp as wa;

use super::conn::Conn;
use crate::certs::xeddsa_sign;
use crate::net::network::{Account, Network};
use crate::nodes::{attr, result};

pub(crate) fn handle(conn: &mut Conn, node: &Node) -> Result<Node> {
    let usync = node
        .get_optional_child("usync")
        .ok_or_else(|| anyhow!("usync IQ without <usync>"))?;
    let protocols: Vec<String> = usync
        .get_optional_child("query")
        .and_then(|q| q.children())
        .map(|c| c.iter().map(|p| p.tag.to_string()).collect())
        .unwrap_or_default();
    let net = conn.core.read_net();
    let users: Vec<Node> = usync
        .get_optional_child("list")
        .map(|list| {
            list.get_children_by_tag("user")
                .filter_map(|u| user_result(&net, u, &protocols))
                .collect()
        })
        .unwrap_or_default();
    drop(net);
    if protocols.iter().any(|p| p == "devices") {
        note_watcher(conn, usync);
    }

    let mut out = NodeBuilder::new("usync");
    for key in ["sid", "mode", "context", "index"] {
        if let Some(v) = attr(usync, key) {
            out = out.attr(key, v);
        }
    }
    let result_protocols = protocols
        .iter()
        .map(|p| NodeBuilder::new_dynamic(p.clone()).build());
    let out = out
        .attr("last", "true")
        .children([
            NodeBuilder::new("result")
                .children(result_protocols)
                .build(),
            NodeBuilder::new("list").children(users).build(),
        ])
        .build();
    Ok(result(node, vec![out]))
}

/// Remembers that the asking account looked these users' device lists up, so it is told when
/// they change.
fn note_watcher(conn: &Conn, usync: &Node) {
    let Ok((me, _)) = conn.device() else {
        return;
    };
    let mut net = conn.core.lock_watchers();
    let looked_up: Vec<String> = usync
        .get_optional_child("list")
        .map(|list| {
            list.get_children_by_tag("user")
                .filter_map(|u| u.attrs.get("jid").and_then(|v| v.to_jid()))
                .filter_map(|jid| net.phone_of(&jid))
                .filter(|p| *p != me)
                .collect()
        })
        .unwrap_or_default();
    for phone in looked_up {
        net.device_watchers
            .entry(phone)
            .or_default()
            .insert(me.clone());
    }
}

/// Prefix of the account signature over a key-index list (WA's ADV scheme).
const ADV_KEY_INDEX_LIST_PREFIX: [u8; 2] = [6, 2];

/// `<key-index-list>`: the account-signed list of its companions' key indexes.
pub(crate) fn key_index_list(acc: &Account) -> Node {
    let valid: Vec<u32> = acc
        .devices
        .values()
        .filter(|d| d.linked && d.id != 0)
        .map(|d| d.key_index)
        .collect();
    let ts = chrono::Utc::now().timestamp() as u64;
    let details = wa::ADVKeyIndexList {
        raw_id: Some(acc.raw_id()),
        timestamp: Some(ts),
        current_index: Some(valid.iter().copied().max().unwrap_or(0)),
        valid_indexes: valid,
        ..Default::default()
    }
    .encode_to_vec();
    let mut to_sign = ADV_KEY_INDEX_LIST_PREFIX.to_vec();
    to_sign.extend_from_slice(&details);
    // An unsigned list still parses; clients defer the signature check to the Noise channel.
    let account_signature = xeddsa_sign(&acc.identity.private_key, &to_sign).ok();
    let signed = wa::ADVSignedKeyIndexList {
        details: Some(details),
        account_signature,
        ..Default::default()
    }
    .encode_to_vec();
    NodeBuilder::new("key-index-list")
        .attr("ts", ts.to_string())
        .bytes(signed)
        .build()
}

/// The phone number a `<contact>` query names (`+4915…` or digits).
fn contact_phone(user: &Node) -> Option<String> {
    let raw = user.get_optional_child("contact")?.content_as_string()?;
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

fn user_result(net: &Network, user: &Node, protocols: &[String]) -> Option<Node> {
    let asked = user.attrs.get("jid").and_then(|j| j.to_jid());
    let (jid, phone) = match (&asked, contact_phone(user)) {
        (Some(jid), _) => {
            let jid = jid.to_non_ad();
            let phone = net.phone_of(&jid);
            (jid, phone)
        }
        (None, Some(digits)) => {
            let phone = net.accounts.contains_key(&digits).then(|| digits.clone());
            (Jid::pn(digits.as_str()), phone)
        }
        (None, None) => return None,
    };
    let acc = phone.as_ref().and_then(|p| net.accounts.get(p));
    let mut children = Vec::new();
    for protocol in protocols {
        match protocol.as_str() {
            "devices" => {
                let devices = acc
                    .map(|a| {
                        a.devices
                            .values()
                            .filter(|d| d.linked)
                            .map(|d| {
                                let mut b = NodeBuilder::new("device").attr("id", d.id.to_string());
                                if d.id != 0 {
                                    b = b.attr("key-index", d.key_index.to_string());
                                }
                                b.build()
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                let mut parts = vec![NodeBuilder::new("device-list").children(devices).build()];
                if let Some(a) = acc {
                    // Clients drop companions that no signed key-index list vouches for.
                    parts.push(key_index_list(a));
                }
                children.push(NodeBuilder::new("devices").children(parts).build());
            }
            "lid" => {
                let mut b = NodeBuilder::new("lid");
                if let Some(a) = acc {
                    b = b.attr("val", a.lid_jid());
                }
                children.push(b.build());
            }
            "contact" => {
                let mut b = NodeBuilder::new("contact")
                    .attr("type", if acc.is_some() { "in" } else { "out" });
                if let Some(c) = user
                    .get_optional_child("contact")
                    .and_then(|c| c.content_as_string())
                {
                    b = b.string_content(c);
                }
                children.push(b.build());
            }
            "status" => children.push(super::profiles::usync_status(net, phone.as_ref())),
            "picture" => children.push(super::profiles::usync_picture(net, phone.as_ref())),
            // An empty <business/> makes a business account: only those get one.
            "business"
                if phone
                    .as_ref()
                    .and_then(|p| net.profiles.get(p))
                    .is_some_and(|p| p.business) =>
            {
                children.push(NodeBuilder::new("business").build());
            }
            // Other protocols have no data in the sandbox, so they are left out.
            _ => {}
        }
    }
    let mut b = NodeBuilder::new("user").attr("jid", jid);
    if !children.is_empty() {
        b = b.children(children);
    }
    Some(b.build())
}
