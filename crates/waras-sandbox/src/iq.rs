//! Answers to the IQs clients send. Every IQ gets an answer: an unanswered one costs the client a
//! long timeout, and an empty answer where the client parses content makes it retry forever.

use anyhow::Result;
use rand::Rng;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent};

use super::conn::Conn;
use super::{pairing, prekeys, usync};

pub(crate) const SERVER: &str = "s.whatsapp.net";

pub(crate) fn new_id() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("sbx-{n:016x}")
}

pub(crate) fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs.get(key).map(|v| v.as_str().into_owned())
}

pub(crate) fn child_bytes<'a>(node: &'a Node, tag: &str) -> Option<&'a [u8]> {
    match &node.get_optional_child(tag)?.content {
        Some(NodeContent::Bytes(b)) => Some(b),
        _ => None,
    }
}

/// `<iq type="result">` for `request` with `children`.
pub(crate) fn result(request: &Node, children: Vec<Node>) -> Node {
    let mut b = NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "result")
        .attr("id", attr(request, "id").unwrap_or_default());
    if !children.is_empty() {
        b = b.children(children);
    }
    b.build()
}

pub(crate) fn error(request: &Node, code: u16, text: &str) -> Node {
    NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "error")
        .attr("id", attr(request, "id").unwrap_or_default())
        .children([NodeBuilder::new("error")
            .attr("code", code.to_string())
            .attr("text", text)
            .build()])
        .build()
}

pub(crate) async fn handle(conn: &mut Conn, node: Node) -> Result<()> {
    let kind = attr(&node, "type").unwrap_or_default();
    if kind == "result" || kind == "error" {
        // The only answers the sandbox waits for are to pair-success.
        pairing::complete(conn, &node)?;
        return Ok(());
    }
    if conn.device().is_err() {
        // Before login only pairing traffic is expected; anything else gets an empty answer.
        let reply = if node.get_optional_child("link_code_companion_reg").is_some() {
            match super::linkcode::handle(conn, &node) {
                Ok(reply) => reply,
                Err(e) => {
                    log::warn!("sandbox: pairing-code step failed: {e:#}");
                    error(&node, 400, "bad-request")
                }
            }
        } else {
            result(&node, vec![])
        };
        return conn.send(&reply).await;
    }
    let xmlns = attr(&node, "xmlns").unwrap_or_default();
    let first = node
        .children()
        .and_then(|c| c.first())
        .map(|c| c.tag.to_string())
        .unwrap_or_default();
    let reply = match (xmlns.as_str(), first.as_str()) {
        ("encrypt", _) => prekeys::handle(conn, &node)?,
        ("usync", _) => usync::handle(conn, &node)?,
        ("w:g2", _) => super::groups::handle(conn, &node)?,
        ("passive", "active") => {
            let reply = result(&node, vec![]);
            conn.send(&reply).await?;
            return flush_offline(conn).await;
        }
        ("w:sync:app:state", _) => app_state(&node),
        ("w", "props") | ("abt", "props") => result(
            &node,
            vec![
                NodeBuilder::new("props")
                    .attr("protocol", "1")
                    .attr("hash", "sandbox")
                    .build(),
            ],
        ),
        ("w:profile:picture", _) => super::profiles::picture(conn, &node)?,
        ("status", "status") if kind == "set" => super::profiles::set_status(conn, &node)?,
        ("blocklist", _) => result(&node, vec![NodeBuilder::new("list").build()]),
        ("privacy", _) if kind == "get" => privacy(&node),
        ("w:m", "media_conn") => result(
            &node,
            vec![
                NodeBuilder::new("media_conn")
                    .attr("auth", super::media::AUTH_TOKEN)
                    .attr("ttl", "3600")
                    .attr("auth_ttl", "21600")
                    .attr("max_buckets", "12")
                    .children([NodeBuilder::new("host")
                        .attr("hostname", conn.core.media_host.clone())
                        .attr("type", "primary")
                        .children([
                            NodeBuilder::new("upload").build(),
                            NodeBuilder::new("download").build(),
                        ])
                        .build()])
                    .build(),
            ],
        ),
        ("md", "remove-companion-device") => {
            let (phone, device) = conn.device()?;
            // A companion may remove itself; the primary may remove any of its companions.
            let target = node
                .get_optional_child("remove-companion-device")
                .and_then(|c| c.attrs.get("jid"))
                .and_then(|j| j.to_jid());
            let victim = match target {
                Some(jid)
                    if conn.core.lock_net().phone_of(&jid).as_deref() == Some(phone.as_str()) =>
                {
                    jid.device
                }
                _ => device,
            };
            if victim != device && device != 0 {
                return conn.send(&error(&node, 403, "forbidden")).await;
            }
            let reply = result(&node, vec![]);
            conn.send(&reply).await?;
            if victim != 0 {
                pairing::unlink(&conn.core, &phone, victim)?;
            }
            return Ok(());
        }
        _ => {
            log::debug!("sandbox: generic answer to iq xmlns={xmlns} first={first}");
            result(&node, vec![])
        }
    };
    conn.send(&reply).await
}

fn app_state(request: &Node) -> Node {
    // Every requested collection is reported at version 0 with nothing in it, which the client
    // counts as synced. (Collections left out are retried and eventually trip a watchdog.)
    let collections: Vec<Node> = request
        .get_optional_child("sync")
        .map(|sync| {
            sync.get_children_by_tag("collection")
                .map(|c| {
                    NodeBuilder::new("collection")
                        .attr("name", attr(c, "name").unwrap_or_default())
                        .attr("version", "0")
                        .build()
                })
                .collect()
        })
        .unwrap_or_default();
    result(
        request,
        vec![NodeBuilder::new("sync").children(collections).build()],
    )
}

fn privacy(request: &Node) -> Node {
    let categories = [
        ("last", "all"),
        ("online", "all"),
        ("profile", "all"),
        ("status", "all"),
        ("readreceipts", "all"),
        ("groupadd", "all"),
        ("calladd", "all"),
    ];
    let nodes = categories.iter().map(|(name, value)| {
        NodeBuilder::new("category")
            .attr("name", *name)
            .attr("value", *value)
            .build()
    });
    result(
        request,
        vec![NodeBuilder::new("privacy").children(nodes).build()],
    )
}

/// After the client says it is active: messages queued while it was away, then the offline
/// marker the client waits for before it considers itself caught up.
async fn flush_offline(conn: &mut Conn) -> Result<()> {
    let (phone, device) = conn.device()?;
    let key = (phone.clone(), device);
    let queued = conn
        .core
        .lock_net()
        .offline
        .remove(&key)
        .unwrap_or_default();
    let count = queued.len();
    for mut node in queued {
        node.attrs.insert("offline", "1");
        conn.core.lock_net().track(key.clone(), node.clone());
        conn.send(&node).await?;
    }
    let marker = NodeBuilder::new("ib")
        .attr("from", SERVER)
        .children([NodeBuilder::new("offline")
            .attr("count", count.to_string())
            .build()])
        .build();
    conn.send(&marker).await?;
    super::phone::key_share_if_due(&conn.core, &phone, device);
    Ok(())
}
