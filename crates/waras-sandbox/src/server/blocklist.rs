//! Blocklists: an account blocks another by LID (and phone number); the blocked account's
//! messages are no longer delivered to it. Devices read and change the list with the
//! `blocklist` IQ; the admin API does it as the account's phone.

use anyhow::Result;
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::conn::Conn;
use crate::nodes::{attr, result};

/// The `blocklist` IQ of a device: `get` lists, `set` blocks or unblocks each `<item>`.
pub(crate) fn iq(conn: &Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let mut net = conn.core.lock_net();
    if attr(node, "type").as_deref() == Some("set") {
        for item in node.get_children_by_tag("item") {
            let target = item
                .attrs
                .get("jid")
                .and_then(|v| v.to_jid())
                .and_then(|j| net.phone_of(&j));
            if let Some(target) = target {
                let block = attr(item, "action").as_deref() == Some("block");
                net.set_blocked(&phone, &target, block);
            }
        }
        return Ok(result(node, vec![]));
    }
    let items: Vec<Node> = net
        .blocked_by(&phone)
        .into_iter()
        .filter_map(|(target, t)| {
            let account = net.accounts.get(&target)?;
            Some(
                NodeBuilder::new("item")
                    .attr("jid", account.lid_jid())
                    .attr("pn_jid", account.pn_jid())
                    .attr("t", t.to_string())
                    .build(),
            )
        })
        .collect();
    Ok(result(
        node,
        vec![NodeBuilder::new("list").children(items).build()],
    ))
}
