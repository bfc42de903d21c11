//! Profiles as companions change and read them: the about text (`xmlns="status"`), profile pictures (`xmlns="w:profile:picture"`)
//! and the push name (`<presence name>`), with the notifications contacts get when they change.
//! Pictures are published on the media host, where clients fetch them by URL.

use anyhow::Result;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Node, NodeContent, Server};

use super::conn::Conn;
use crate::net::network::Network;
use crate::net::profile::{now, set_picture, tell_contacts};
use crate::nodes::{attr, error, new_id, result};

/// Largest picture accepted (WhatsApp's own pictures are a few hundred kB).
const MAX_PICTURE_BYTES: usize = 5 * 1024 * 1024;

/// `<iq xmlns="status" type="set"><status>text</status></iq>`.
pub(crate) fn set_status(conn: &mut Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let text = node
        .get_optional_child("status")
        .and_then(|s| s.content_as_string())
        .map(|s| s.to_string())
        .unwrap_or_default();
    if text.len() > 1024 {
        return Ok(error(node, 400, "bad-request"));
    }
    let mut net = conn.core.lock_net();
    let profile = net.profiles.entry(phone.clone()).or_default();
    profile.about = text.clone();
    profile.about_set_at = now();
    if let Some(acc) = net.accounts.get(&phone) {
        let note = NodeBuilder::new("notification")
            .attr("type", "status")
            .attr("from", acc.pn_jid())
            .attr("id", new_id())
            .attr("t", now().to_string())
            .attr("notify", acc.name.clone())
            .children([NodeBuilder::new("set").string_content(text).build()])
            .build();
        tell_contacts(&net, &phone, &note);
    }
    Ok(result(node, vec![]))
}

/// `xmlns="w:profile:picture"`: get someone's picture URL, or set/remove one's own.
pub(crate) fn picture(conn: &mut Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let kind = attr(node, "type").unwrap_or_default();
    let target = node.attrs.get("target").and_then(|v| v.to_jid());
    if kind == "get" {
        let net = conn.core.read_net();
        let owner = target.as_ref().and_then(|t| net.phone_of(t));
        let picture = owner
            .as_ref()
            .and_then(|o| net.profiles.get(o))
            .and_then(|p| p.picture.clone());
        return Ok(match picture {
            Some(p) => {
                let kind = node
                    .get_optional_child("picture")
                    .and_then(|p| attr(p, "type"))
                    .unwrap_or_else(|| "image".into());
                result(
                    node,
                    vec![
                        NodeBuilder::new("picture")
                            .attr("id", p.id.to_string())
                            .attr("type", kind)
                            .attr(
                                "url",
                                format!("https://{}{}", conn.core.media_host, p.direct_path),
                            )
                            .attr("direct_path", p.direct_path)
                            .build(),
                    ],
                )
            }
            None => error(node, 404, "item-not-found"),
        });
    }
    if target.as_ref().is_some_and(|t| t.server == Server::Group) {
        // Group pictures are not kept; accept so the client is not left waiting.
        return Ok(result(
            node,
            vec![
                NodeBuilder::new("picture")
                    .attr("id", now().to_string())
                    .build(),
            ],
        ));
    }
    let bytes = match node.get_optional_child("picture").map(|p| &p.content) {
        Some(Some(NodeContent::Bytes(b))) => Some(b.clone()),
        _ => None,
    };
    if bytes.as_ref().is_some_and(|b| b.len() > MAX_PICTURE_BYTES) {
        return Ok(error(node, 406, "not-acceptable"));
    }
    let id = set_picture(&conn.core, &phone, bytes);
    let mut answer = NodeBuilder::new("picture");
    if let Some(id) = id {
        answer = answer.attr("id", id.to_string());
    }
    Ok(result(node, vec![answer.build()]))
}

/// The usync `status` answer for an account (its about text, with when it was set).
pub(crate) fn usync_status(net: &Network, phone: Option<&String>) -> Node {
    let profile = phone.and_then(|p| net.profiles.get(p));
    let mut b = NodeBuilder::new("status");
    match profile {
        Some(p) if !p.about.is_empty() => {
            b = b
                .attr("t", p.about_set_at.to_string())
                .string_content(p.about.clone());
        }
        _ => {}
    }
    b.build()
}

/// The usync `picture` answer: the current picture id, or a 404 error.
pub(crate) fn usync_picture(net: &Network, phone: Option<&String>) -> Node {
    match phone
        .and_then(|p| net.profiles.get(p))
        .and_then(|p| p.picture.as_ref())
    {
        Some(p) => NodeBuilder::new("picture")
            .attr("id", p.id.to_string())
            .build(),
        None => NodeBuilder::new("picture")
            .children([NodeBuilder::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")
                .build()])
            .build(),
    }
}
