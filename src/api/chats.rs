//! Chats and chat actions: the chats a session has messages in, marking received messages read,
//! and presence (online/offline, typing and recording in a chat).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::messages::{Message, MessageList, load_message};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::authorship::is_group;
use crate::db::messages::{self, MessageFilter, RECEIVED};
use crate::db::now_ms;
use crate::db::{chat_states, contacts};
use crate::domain::{MessageId, Scope};
use crate::engine::jid::{chat_of, recipient, without_device};
use crate::engine::live::chats::{ChatState, MarkRead, SendChatState, SetPresence};

#[derive(Debug, Serialize, ToSchema)]
pub struct Chat {
    /// The chat's JID (a user or a group).
    pub chat: String,
    pub is_group: bool,
    /// Messages stored for this chat.
    pub messages: i64,
    /// Received messages not marked read through WARAS.
    pub unread: i64,
    pub last_message: Message,
    /// Shared with the account's devices (app state).
    pub archived: bool,
    pub pinned: bool,
    /// Until when the chat is muted; `null`: not muted or for ever (see `muted`).
    pub muted_until: Option<String>,
    pub muted: bool,
    /// Marked unread on a device (or through the API).
    pub marked_unread: bool,
}

list_type!(ChatList, Chat);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChatQuery {
    pub limit: Option<i64>,
    /// The `chat` of the last entry of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/chats", tag = "messages",
    params(("session_id" = String, Path), ChatQuery), security(("api_key" = [])),
    responses((status = 200, body = ChatList, description = "Chats with stored messages, by JID"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<ChatQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &page,
        |c| c.contains('@') && c.chars().count() <= 128,
        |c: &messages::ChatSummary| c.chat.clone(),
        move |pool, after, n| messages::chats(pool, &session.id, after, n),
    )
    .await?;
    let (sid, jids) = (
        path.into_inner(),
        rows.iter().map(|c| c.chat.clone()).collect::<Vec<_>>(),
    );
    let states = state
        .db
        .run(move |pool| chat_states::of(pool, &sid, &jids))
        .await?;
    Ok(HttpResponse::Ok().json(ChatList {
        data: rows
            .into_iter()
            .map(|c| {
                let s = states
                    .iter()
                    .find(|s| s.chat_jid == c.chat)
                    .cloned()
                    .unwrap_or_default();
                Chat {
                    is_group: c.chat.ends_with("@g.us"),
                    chat: c.chat,
                    messages: c.messages,
                    unread: c.unread,
                    last_message: Message::from(c.last),
                    archived: s.archived,
                    pinned: s.pinned,
                    muted_until: s.muted_until.filter(|t| *t > 0).map(crate::time::rfc3339),
                    muted: s.muted_until.is_some(),
                    marked_unread: s.marked_unread,
                }
            })
            .collect(),
        next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/messages/{message_id}/read", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Message, description = "The sender was sent a read receipt; the message's status is `read`"),
        (status = 400, body = Problem, description = "Not a received message"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let (session_id, message_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let row = load_message(&state, &session, &message_id).await?;
    if row.from_me {
        return Err(ApiError::invalid(
            "message_id: only received messages can be marked read",
        ));
    }
    if row.status == RECEIVED {
        let sender = is_group(&row.chat_jid).then(|| row.sender_jid.clone());
        let read = MarkRead {
            chat: row.chat_jid.clone(),
            sender,
            ids: vec![row.wa_id.clone()],
        };
        state.sessions.call(&session.id, read).await?;
        let (sid, id) = (row.session_id.clone(), row.id.clone());
        state
            .db
            .run(move |pool| messages::mark_read(pool, &sid, &id, now_ms()))
            .await?;
    }
    let fresh = load_message(&state, &session, &row.id).await?;
    Ok(HttpResponse::Ok().json(Message::from(fresh)))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// `available` / `unavailable` (the account online or offline), or `composing`, `recording`,
    /// `paused` in a `chat`.
    #[schema(value_type = PresenceState)]
    pub state: String,
    /// A phone number or JID; required for composing, recording and paused.
    pub chat: Option<String>,
}

/// The presence states a session can show.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PresenceState {
    Available,
    Unavailable,
    Composing,
    Recording,
    Paused,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceAnswer {
    pub state: String,
    pub chat: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/presence", tag = "messages",
    params(("session_id" = String, Path)), request_body = PresenceRequest, security(("api_key" = [])),
    responses((status = 200, body = PresenceAnswer), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn presence(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<PresenceRequest>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let session = load_session(&state, key, &path).await?;
    let body = body.into_inner();
    enum Action {
        Online(bool),
        InChat(ChatState),
    }
    let action = match body.state.as_str() {
        "available" => Action::Online(true),
        "unavailable" => Action::Online(false),
        "composing" => Action::InChat(ChatState::Composing),
        "recording" => Action::InChat(ChatState::Recording),
        "paused" => Action::InChat(ChatState::Paused),
        other => {
            return Err(ApiError::invalid(format!(
                "state: `{other}` is not one of available, unavailable, composing, recording, paused"
            )));
        }
    };
    let shown = match (&action, &body.chat) {
        (Action::InChat(kind), Some(raw)) => {
            let chat = recipient(raw).map_err(|e| ApiError::invalid(format!("chat: {e}")))?;
            let shown = without_device(&chat);
            let send = SendChatState { chat, state: *kind };
            state.sessions.call(&session.id, send).await?;
            shown
        }
        (Action::InChat(_), None) => {
            return Err(ApiError::invalid(format!(
                "chat: required for `{}`",
                body.state
            )));
        }
        (Action::Online(_), Some(_)) => {
            return Err(ApiError::invalid(format!(
                "chat: `{}` is the account's presence, not a chat's",
                body.state
            )));
        }
        (Action::Online(available), None) => {
            let set = SetPresence {
                available: *available,
            };
            state.sessions.call(&session.id, set).await?;
            None
        }
    };
    Ok(HttpResponse::Ok().json(PresenceAnswer {
        state: body.state,
        chat: shown,
    }))
}

/// A chat's addresses: `jid` first, then the person's other address where known (number, LID).
pub async fn addresses(state: &AppState, session_id: &str, jid: &str) -> ApiResult<Vec<String>> {
    let (sid, one) = (session_id.to_string(), jid.to_string());
    let known = state
        .db
        .run(move |pool| contacts::find(pool, &sid, &one))
        .await?;
    let mut chats = vec![jid.to_string()];
    for other in known
        .into_iter()
        .flat_map(|c| c.phone_jid.into_iter().chain(c.lid))
    {
        if !chats.contains(&other) {
            chats.push(other);
        }
    }
    Ok(chats)
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/chats/{chat}/messages", tag = "messages",
    params(("session_id" = String, Path),
        ("chat" = String, Path, description = "A phone number (`+4915…`), a user JID, a LID or a group JID"),
        PageQuery), security(("api_key" = [])),
    responses((status = 200, body = MessageList, description = "The chat's messages, oldest first; a person's chat under their number and their LID together"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, chat) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = chat_of(&chat).map_err(|e| ApiError::invalid(format!("chat: {e}")))?;
    let chats = addresses(&state, &session.id, &jid).await?;
    let filter = MessageFilter {
        chats,
        status: None,
    };
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| MessageId::parse(c).is_some(),
        |r: &messages::MessageRow| r.id.clone(),
        move |pool, after, n| messages::list(pool, &session.id, &filter, after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(MessageList {
        data: rows.into_iter().map(Message::from).collect(),
        next_cursor,
    }))
}
