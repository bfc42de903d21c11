//! Channels as their owners and followers use them from the phone: create one, follow or leave
//! it, post to it, and see what it holds (its followers and the posts the server numbered).

use actix_web::{HttpResponse, web};
use buffa::Message as _;
use serde::Deserialize;
use serde_json::{Value, json};
use waproto::whatsapp as wa;

use super::{AdminError, AdminState, Result, invalid, known_phone, not_found};
use crate::net::channels::Channel;
use crate::nodes::new_id;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewChannel {
    name: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewPost {
    text: String,
}

/// A channel path parameter: `120363…@newsletter` or its user part.
fn channel_id(raw: &str) -> String {
    raw.strip_suffix("@newsletter").unwrap_or(raw).to_string()
}

/// The text of an encoded post, when it is one.
fn post_text(plaintext: &[u8]) -> Option<String> {
    let msg = wa::Message::decode_from_slice(plaintext).ok()?;
    msg.conversation.or_else(|| {
        msg.extended_text_message
            .as_option()
            .and_then(|m| m.text.clone())
    })
}

fn view(channel: &Channel) -> Value {
    let posts: Vec<Value> = channel
        .posts
        .iter()
        .map(|p| {
            json!({"id": p.id, "server_id": p.server_id, "type": p.kind,
                   "text": post_text(&p.plaintext), "t": p.t})
        })
        .collect();
    json!({
        "jid": channel.jid().to_string(),
        "name": channel.name,
        "description": channel.description,
        "owner": channel.owner,
        "followers": channel.followers,
        "posts": posts,
    })
}

/// `POST /sandbox/accounts/{phone}/channels {"name","description"?}`: the account creates a
/// channel it owns.
pub(super) async fn create(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<NewChannel>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    if body.name.trim().is_empty() {
        return Err(invalid("name: must not be empty"));
    }
    let mut net = state.core.lock_net();
    let description = body.description.as_deref().unwrap_or_default();
    let id = net.create_channel(&phone, &body.name, description);
    let channel = net.channel(&id).ok_or_else(|| not_found("channel"))?;
    Ok(HttpResponse::Created().json(view(channel)))
}

/// `GET /sandbox/accounts/{phone}/channels`: the channels the account owns or follows.
pub(super) async fn of_account(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let list: Vec<Value> = net.channels_of(&phone).into_iter().map(view).collect();
    Ok(HttpResponse::Ok().json(list))
}

/// `POST /sandbox/accounts/{phone}/channels/{channel}/follow|unfollow`.
pub(super) async fn follow(
    state: web::Data<AdminState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (raw_phone, raw_channel, action) = path.into_inner();
    let phone = known_phone(&state.core, &raw_phone)?;
    let follow = match action.as_str() {
        "follow" => true,
        "unfollow" => false,
        other => return Err(invalid(format!("`{other}` is not follow or unfollow"))),
    };
    let id = channel_id(&raw_channel);
    let mut net = state.core.lock_net();
    if !net.follow_channel(&id, &phone, follow) {
        return Err(not_found(format!("no channel {raw_channel}")));
    }
    let channel = net.channel(&id).ok_or_else(|| not_found("channel"))?;
    Ok(HttpResponse::Ok().json(view(channel)))
}

/// `GET /sandbox/channels/{channel}`: the channel, its followers and its posts.
pub(super) async fn get(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let net = state.core.read_net();
    let channel = net
        .channel(&channel_id(&path))
        .ok_or_else(|| not_found(format!("no channel {path}")))?;
    Ok(HttpResponse::Ok().json(view(channel)))
}

/// `POST /sandbox/channels/{channel}/posts {"text"}`: the owner posts a text; its followers'
/// devices receive it.
pub(super) async fn post(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<NewPost>,
) -> Result<HttpResponse> {
    if body.text.trim().is_empty() {
        return Err(invalid("text: must not be empty"));
    }
    let message = wa::Message {
        conversation: Some(body.text.clone()),
        ..Default::default()
    };
    let id = channel_id(&path);
    let mut net = state.core.lock_net();
    let owner = net
        .channel(&id)
        .map(|c| c.owner.clone())
        .ok_or_else(|| not_found(format!("no channel {path}")))?;
    let posted = net
        .post_to_channel(
            &id,
            &owner,
            new_id(),
            "text".into(),
            message.encode_to_vec(),
        )
        .ok_or_else(|| AdminError::internal(anyhow::anyhow!("the owner could not post")))?;
    Ok(HttpResponse::Created().json(json!({"id": posted.id, "server_id": posted.server_id})))
}
