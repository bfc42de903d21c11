//! Call signalling from a device: a rejected offer ends the call on the callee's other devices;
//! the offer's delivery receipt is acknowledged and goes no further.

use anyhow::Result;
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::conn::Conn;
use crate::nodes::attr;

/// The server's `<ack class="call">` for a device's `<call>` stanza.
fn ack(node: &Node, kind: &str) -> Node {
    let mut b = NodeBuilder::new("ack")
        .attr("class", "call")
        .attr("id", attr(node, "id").unwrap_or_default())
        .attr("type", kind.to_string());
    if let Some(to) = attr(node, "to") {
        b = b.attr("from", to);
    }
    b.build()
}

/// A `<call>` a device sends: `reject` is the one action the sandbox acts on.
pub(crate) async fn from_device(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let Some(action) = node.children().and_then(|c| c.first().cloned()) else {
        return Ok(());
    };
    if action.tag == "reject"
        && let Some(call_id) = attr(&action, "call-id")
    {
        conn.core.lock_net().call_rejected(&call_id, &phone, device);
    }
    conn.send(&ack(node, &action.tag)).await
}

/// A device confirms it got an offer (`<receipt><offer/></receipt>`).
pub(crate) async fn offer_receipt(conn: &mut Conn, node: &Node) -> Result<()> {
    let mut b = NodeBuilder::new("ack")
        .attr("class", "receipt")
        .attr("id", attr(node, "id").unwrap_or_default());
    if let Some(to) = attr(node, "to") {
        b = b.attr("from", to);
    }
    conn.send(&b.build()).await
}
