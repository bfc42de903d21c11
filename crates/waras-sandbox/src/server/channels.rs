//! Channels on the wire. Devices list, look up, create, follow and leave channels with MEX
//! (WhatsApp's GraphQL over an `w:mex` IQ: a persisted query id and JSON variables in, JSON
//! out); the owner posts with a plaintext `<message to="…@newsletter">`, which the server
//! acknowledges, numbers and pushes to the followers.

use anyhow::Result;
use serde_json::{Value, json};
use wacore::iq::mex_operations::{
    create_newsletter, fetch_all_newsletters_metadata, fetch_newsletter, join_newsletter,
    leave_newsletter,
};
use wacore_binary::builder::NodeBuilder;
use wacore_binary::{Jid, JidExt as _, Node, NodeContent};

use super::conn::Conn;
use crate::net::channels::Channel;
use crate::net::network::Network;
use crate::nodes::{attr, child_bytes, result};

/// The channel's metadata as MEX answers it to `phone`.
fn metadata(channel: &Channel, phone: &str) -> Value {
    json!({
        "id": channel.jid().to_string(),
        "state": {"type": "active"},
        "thread_metadata": {
            "name": {"text": channel.name},
            "description": {"text": channel.description},
            "subscribers_count": channel.followers.len().to_string(),
            "verification": "UNVERIFIED",
            "invite": channel.invite,
            "creation_time": channel.created.to_string(),
        },
        "viewer_metadata": {"role": channel.role_of(phone)},
    })
}

/// A GraphQL error answer.
fn failure(code: i32, message: &str) -> Value {
    json!({"data": null, "errors": [{"message": message, "extensions": {"error_code": code}}]})
}

/// The user part of a channel JID in `variables[key]` (or `variables.input.key`).
fn channel_id(raw: Option<&Value>) -> Option<String> {
    let jid: Jid = raw?.as_str()?.parse().ok()?;
    jid.is_newsletter().then(|| jid.user.to_string())
}

/// Answers one MEX query of `phone` against the network.
fn answer(net: &mut Network, phone: &str, query_id: &str, variables: &Value) -> Value {
    match query_id {
        fetch_all_newsletters_metadata::DOC_ID => {
            let list: Vec<Value> = net
                .channels_of(phone)
                .into_iter()
                .map(|c| metadata(c, phone))
                .collect();
            json!({"data": {"xwa2_newsletter_subscribed": list}})
        }
        fetch_newsletter::DOC_ID => {
            let found = channel_id(variables.pointer("/input/key"))
                .and_then(|id| net.channel(&id).map(|c| metadata(c, phone)));
            json!({"data": {"xwa2_newsletter": found}})
        }
        create_newsletter::DOC_ID => {
            let input = &variables["input"];
            let Some(name) = input["name"].as_str().filter(|n| !n.trim().is_empty()) else {
                return failure(400, "a channel needs a name");
            };
            let description = input["description"].as_str().unwrap_or_default();
            let id = net.create_channel(phone, name, description);
            let created = net.channel(&id).map(|c| metadata(c, phone));
            json!({"data": {"xwa2_newsletter_create": created}})
        }
        join_newsletter::DOC_ID | leave_newsletter::DOC_ID => {
            let join = query_id == join_newsletter::DOC_ID;
            let Some(id) = channel_id(variables.get("newsletter_id")) else {
                return failure(400, "newsletter_id: not a channel JID");
            };
            if !net.follow_channel(&id, phone, join) {
                return failure(404, "no such channel");
            }
            let Some(channel) = net.channel(&id) else {
                return failure(404, "no such channel");
            };
            if join {
                json!({"data": {"xwa2_newsletter_join_v2": metadata(channel, phone)}})
            } else {
                let jid = channel.jid().to_string();
                json!({"data": {"xwa2_newsletter_leave_v2": {"id": jid, "state": {"type": "active"}}}})
            }
        }
        other => {
            log::debug!("sandbox: unknown MEX query {other}");
            failure(400, "unknown query: no such persisted document")
        }
    }
}

/// The `w:mex` IQ of a device.
pub(crate) fn mex(conn: &Conn, node: &Node) -> Result<Node> {
    let (phone, _) = conn.device()?;
    let query = node.get_optional_child("query");
    let query_id = query.and_then(|q| attr(q, "query_id")).unwrap_or_default();
    let variables = child_bytes(node, "query")
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .map(|p| p["variables"].clone())
        .unwrap_or(Value::Null);
    let body = answer(&mut conn.core.lock_net(), &phone, &query_id, &variables);
    let mut out = NodeBuilder::new("result").build();
    out.content = Some(NodeContent::Bytes(serde_json::to_vec(&body)?));
    Ok(result(node, vec![out]))
}

/// A post to a channel: pushed to the followers when the sender owns the channel; the sender's
/// device gets the server's ack either way (with an error code when it may not post).
pub(crate) async fn post(conn: &mut Conn, node: &Node, to: Jid) -> Result<()> {
    let (phone, _) = conn.device()?;
    let id = attr(node, "id").unwrap_or_default();
    let kind = attr(node, "type").unwrap_or_else(|| "text".into());
    let plaintext = child_bytes(node, "plaintext").map(<[u8]>::to_vec);
    let posted = plaintext.and_then(|bytes| {
        conn.core
            .lock_net()
            .post_to_channel(&to.user, &phone, id.clone(), kind, bytes)
    });
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "message")
        .attr("id", id)
        .attr("from", to)
        .attr("t", chrono::Utc::now().timestamp().to_string());
    ack = match posted {
        Some(p) => ack.attr("server_id", p.server_id.to_string()),
        None => ack.attr("error", "403"),
    };
    conn.send(&ack.build()).await
}
