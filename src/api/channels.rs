//! Channels (WhatsApp's newsletters): the ones a session follows or runs, one channel, follow and
//! unfollow, create one, and post to one the account runs. Posts of followed channels arrive as
//! `channel.message` events and are stored under the channel's JID
//! (`GET …/chats/{channel}/messages`).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::load_session;
use super::state::AppState;
use crate::domain::Scope;
use crate::engine::live::channels::{
    Channel, CreateChannel, FollowChannel, GetChannel, ListChannels, PostToChannel,
};

/// Longest channel name and description WhatsApp takes.
const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 2048;
/// Longest text of one post.
const MAX_POST: usize = 65_536;

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelList {
    pub data: Vec<Channel>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPost {
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostedToChannel {
    /// The post's WhatsApp id.
    pub id: String,
    pub channel: String,
}

/// A channel JID from the path: `…@newsletter`, digits before the `@`.
fn channel_jid(raw: &str) -> ApiResult<String> {
    match raw.strip_suffix("@newsletter") {
        Some(id) if !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(raw.to_string())
        }
        _ => Err(ApiError::invalid(format!(
            "channel: `{raw}` is not a channel JID like 120363000000000001@newsletter"
        ))),
    }
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/channels", tag = "channels",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = ChannelList, description = "The channels the account follows or runs"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let data = state.sessions.call(&session.id, ListChannels).await?;
    Ok(HttpResponse::Ok().json(ChannelList { data }))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/channels", tag = "channels",
    params(("session_id" = String, Path)), request_body = NewChannel, security(("api_key" = [])),
    responses((status = 201, body = Channel, description = "Created: the account owns it"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<NewChannel>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    let NewChannel { name, description } = body.into_inner();
    if name.trim().is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::invalid("name: 1 to 100 characters"));
    }
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return Err(ApiError::invalid("description: at most 2048 characters"));
    }
    let order = CreateChannel { name, description };
    let channel = state.sessions.call(&session.id, order).await?;
    Ok(HttpResponse::Created().json(channel))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/channels/{channel}", tag = "channels",
    params(("session_id" = String, Path), ("channel" = String, Path, description = "The channel's JID (`…@newsletter`)")),
    security(("api_key" = [])),
    responses((status = 200, body = Channel, description = "The channel, and the account's role in it"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, raw) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = channel_jid(&raw)?;
    let channel = state.sessions.call(&session.id, GetChannel { jid }).await?;
    Ok(HttpResponse::Ok().json(channel))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/channels/{channel}/follow", tag = "channels",
    params(("session_id" = String, Path), ("channel" = String, Path, description = "The channel's JID (`…@newsletter`)")),
    security(("api_key" = [])),
    responses((status = 200, body = Channel, description = "Followed: its posts arrive as `channel.message`"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn follow(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    set_following(state, caller, path, true).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/channels/{channel}/unfollow", tag = "channels",
    params(("session_id" = String, Path), ("channel" = String, Path, description = "The channel's JID (`…@newsletter`)")),
    security(("api_key" = [])),
    responses((status = 200, body = Channel, description = "No longer followed"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn unfollow(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    set_following(state, caller, path, false).await
}

async fn set_following(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    follow: bool,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, raw) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = channel_jid(&raw)?;
    let order = FollowChannel { jid, follow };
    let channel = state.sessions.call(&session.id, order).await?;
    Ok(HttpResponse::Ok().json(channel))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/channels/{channel}/messages", tag = "channels",
    params(("session_id" = String, Path), ("channel" = String, Path, description = "The channel's JID (`…@newsletter`)")),
    request_body = ChannelPost, security(("api_key" = [])),
    responses((status = 201, body = PostedToChannel, description = "Posted: WhatsApp took it for the channel's followers"),
        (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`whatsapp_forbidden`: the account neither owns nor administers the channel"),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn post(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<ChannelPost>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let (session_id, raw) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let channel = channel_jid(&raw)?;
    let text = body.into_inner().text;
    if text.trim().is_empty() || text.len() > MAX_POST {
        return Err(ApiError::invalid("text: 1 byte to 64 KiB"));
    }
    let order = PostToChannel {
        jid: channel.clone(),
        text,
    };
    let id = state.sessions.call(&session.id, order).await?;
    Ok(HttpResponse::Created().json(PostedToChannel { id, channel }))
}
