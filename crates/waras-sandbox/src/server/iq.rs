//! Answers to the IQs clients send. Every IQ gets an answer: an unanswered one costs the client a
//! long timeout, and an empty answer where the client parses content makes it retry forever.

use anyhow::Result;
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::conn::Conn;
use super::{blocklist, channels, groups, linkcode, pairing, prekeys, profiles, syncd, usync};
use crate::nodes::{SERVER, attr, error, result};

pub(crate) async fn handle(conn: &mut Conn, node: Node) -> Result<()> {
    let kind = attr(&node, "type").unwrap_or_default();
    if kind == "result" || kind == "error" {
        // The only answers the sandbox waits for are to pair-success.
        pairing::complete(conn, &node)?;
        return Ok(());
    }
    if conn.device().is_err() {
        let reply = before_login(conn, &node);
        return conn.send(&reply).await;
    }
    let xmlns = attr(&node, "xmlns").unwrap_or_default();
    let first = node
        .children()
        .and_then(|c| c.first())
        .map(|c| c.tag.to_string())
        .unwrap_or_default();
    let limited = matches!(xmlns.as_str(), "encrypt" | "usync")
        && conn
            .device()
            .is_ok_and(|(phone, _)| conn.core.faults.rate_limits(&phone));
    let reply = match (xmlns.as_str(), first.as_str()) {
        _ if limited => error(&node, 429, "rate-overlimit"),
        ("encrypt", _) => prekeys::handle(conn, &node)?,
        ("usync", _) => usync::handle(conn, &node)?,
        ("w:g2", _) => groups::handle(conn, &node)?,
        ("passive", "active") => {
            let reply = result(&node, vec![]);
            conn.send(&reply).await?;
            return flush_offline(conn).await;
        }
        ("w:sync:app:state", _) => syncd::iq(conn, &node)?,
        ("w", "props") | ("abt", "props") => props(&node),
        ("w:profile:picture", _) => profiles::picture(conn, &node)?,
        ("status", "status") if kind == "set" => profiles::set_status(conn, &node)?,
        ("blocklist", _) => blocklist::iq(conn, &node)?,
        ("w:mex", _) => channels::mex(conn, &node)?,
        ("privacy", _) if kind == "get" => privacy(&node),
        ("w:m", "media_conn") => media_conn(conn, &node),
        ("md", "remove-companion-device") => return remove_companion(conn, &node).await,
        _ => {
            log::debug!("sandbox: generic answer to iq xmlns={xmlns} first={first}");
            result(&node, vec![])
        }
    };
    conn.send(&reply).await
}

/// The answer to an IQ before login: only pairing traffic is expected; anything else gets an
/// empty answer.
fn before_login(conn: &mut Conn, node: &Node) -> Node {
    if node.get_optional_child("link_code_companion_reg").is_none() {
        return result(node, vec![]);
    }
    match linkcode::handle(conn, node) {
        Ok(reply) => reply,
        Err(e) => {
            log::warn!("sandbox: pairing-code step failed: {e:#}");
            error(node, 400, "bad-request")
        }
    }
}

/// The server's A/B props (none of interest to the client).
fn props(request: &Node) -> Node {
    result(
        request,
        vec![
            NodeBuilder::new("props")
                .attr("protocol", "1")
                .attr("hash", "sandbox")
                .build(),
        ],
    )
}

/// Where to upload and download media: the sandbox's media host.
fn media_conn(conn: &Conn, request: &Node) -> Node {
    result(
        request,
        vec![
            NodeBuilder::new("media_conn")
                .attr("auth", crate::media::AUTH_TOKEN)
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
    )
}

/// Unlinks a companion: a companion may remove itself; the primary may remove any of its
/// companions. The answer goes out before the device is unlinked.
async fn remove_companion(conn: &mut Conn, node: &Node) -> Result<()> {
    let (phone, device) = conn.device()?;
    let target = node
        .get_optional_child("remove-companion-device")
        .and_then(|c| c.attrs.get("jid"))
        .and_then(|j| j.to_jid());
    let victim = match target {
        Some(jid) if conn.core.read_net().phone_of(&jid).as_deref() == Some(phone.as_str()) => {
            jid.device
        }
        _ => device,
    };
    if victim != device && device != 0 {
        return conn.send(&error(node, 403, "forbidden")).await;
    }
    let reply = result(node, vec![]);
    conn.send(&reply).await?;
    if victim != 0 {
        pairing::unlink(&conn.core, &phone, victim)?;
    }
    Ok(())
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
    conn.core.key_share_if_due(&phone, device);
    Ok(())
}
