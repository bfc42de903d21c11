//! The `w:sync:app:state` IQ: a device fetches its account's collections after the versions it
//! has, or uploads a patch to one; an upload is announced to the account's other devices with a
//! `server_sync` notification, so they fetch it.

use anyhow::Result;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

use super::conn::Conn;
use crate::net::syncd::Upload;
use crate::nodes::{SERVER, attr, result};

fn patches_node(patches: Vec<Vec<u8>>) -> Node {
    NodeBuilder::new("patches")
        .children(
            patches
                .into_iter()
                .map(|p| NodeBuilder::new("patch").bytes(p).build()),
        )
        .build()
}

pub(crate) fn iq(conn: &Conn, request: &Node) -> Result<Node> {
    let (phone, device) = conn.device()?;
    let mut answers = Vec::new();
    let mut moved = Vec::new();
    {
        let mut net = conn.core.lock_net();
        let asked = request
            .get_optional_child("sync")
            .map(|s| {
                s.get_children_by_tag("collection")
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        for c in asked {
            let name = attr(&c, "name").unwrap_or_default();
            let version: u64 = attr(&c, "version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let uploaded = c
                .get_optional_child("patch")
                .and_then(|p| match &p.content {
                    Some(NodeContent::Bytes(b)) => Some(b.clone()),
                    _ => None,
                });
            let answer = match uploaded {
                Some(patch) => match net.syncd_upload(&phone, &name, version, &patch) {
                    Some(Upload::Stored(v)) => {
                        moved.push((name.clone(), v));
                        NodeBuilder::new("collection")
                            .attr("name", name)
                            .attr("version", v.to_string())
                            .build()
                    }
                    Some(Upload::Conflict(missed)) => NodeBuilder::new("collection")
                        .attr("name", name)
                        .attr("type", "error")
                        .children([
                            NodeBuilder::new("error")
                                .attr("code", "409")
                                .attr("text", "conflict")
                                .build(),
                            patches_node(missed),
                        ])
                        .build(),
                    None => NodeBuilder::new("collection")
                        .attr("name", name)
                        .attr("type", "error")
                        .children([NodeBuilder::new("error")
                            .attr("code", "400")
                            .attr("text", "bad-request")
                            .build()])
                        .build(),
                },
                None => {
                    let (current, patches) = net.syncd_patches(&phone, &name, version);
                    let mut b = NodeBuilder::new("collection")
                        .attr("name", name)
                        .attr("version", current.to_string())
                        .attr("has_more_patches", "false");
                    if !patches.is_empty() {
                        b = b.children([patches_node(patches)]);
                    }
                    b.build()
                }
            };
            answers.push(answer);
        }
        announce(&mut net, &phone, device, &moved);
    }
    Ok(result(
        request,
        vec![NodeBuilder::new("sync").children(answers).build()],
    ))
}

/// Tells the account's other devices which collections moved.
fn announce(
    net: &mut crate::net::network::Network,
    phone: &str,
    from: u16,
    moved: &[(String, u64)],
) {
    if moved.is_empty() {
        return;
    }
    let devices: Vec<u16> = net
        .accounts
        .get(phone)
        .map(|a| {
            a.devices
                .values()
                .filter(|d| d.linked && d.id != from)
                .map(|d| d.id)
                .collect()
        })
        .unwrap_or_default();
    let collections: Vec<Node> = moved
        .iter()
        .map(|(name, v)| {
            NodeBuilder::new("collection")
                .attr("name", name.clone())
                .attr("version", v.to_string())
                .build()
        })
        .collect();
    let now = chrono::Utc::now().timestamp().to_string();
    for device in devices {
        let node = NodeBuilder::new("notification")
            .attr("from", SERVER)
            .attr("type", "server_sync")
            .attr("id", crate::nodes::new_id())
            .attr("t", now.clone())
            .children(collections.clone())
            .build();
        net.deliver(phone, device, node);
    }
}
