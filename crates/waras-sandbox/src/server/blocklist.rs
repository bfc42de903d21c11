//! Blocklists: an account blocks another by LID (and phone number); the blocked account's
//! messages are no longer delivered to it. Devices read and change the list with the
//! `blocklist` IQ; the admin API does it as the account's phone.

use anyhow::Result;
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::conn::Conn;
use crate::net::network::Network;
use crate::nodes::{attr, new_id, result};

/// Tells the account's linked devices other than `except` that it blocked (or unblocked)
/// `target`, as WhatsApp does: an `account_sync` notification with the changed `<item>`.
pub(crate) fn tell_other_devices(
    net: &mut Network,
    phone: &str,
    except: u16,
    target: &str,
    block: bool,
) {
    let (Some(account), Some(blocked)) = (net.accounts.get(phone), net.accounts.get(target)) else {
        return;
    };
    let item = NodeBuilder::new("item")
        .attr("jid", blocked.lid_jid())
        .attr("pn_jid", blocked.pn_jid())
        .attr("action", if block { "block" } else { "unblock" })
        .build();
    let notification = NodeBuilder::new("notification")
        .attr("from", account.pn_jid())
        .attr("type", "account_sync")
        .attr("id", new_id())
        .attr("t", chrono::Utc::now().timestamp().to_string())
        .children([NodeBuilder::new("blocklist").children([item]).build()])
        .build();
    let devices: Vec<u16> = account
        .devices
        .values()
        .filter(|d| d.linked && d.id != except)
        .map(|d| d.id)
        .collect();
    for device in devices {
        net.deliver(phone, device, notification.clone());
    }
}

/// The `blocklist` IQ of a device: `get` lists, `set` blocks or unblocks each `<item>`.
pub(crate) fn iq(conn: &Conn, node: &Node) -> Result<Node> {
    let (phone, device) = conn.device()?;
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
                tell_other_devices(&mut net, &phone, device, &target, block);
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
