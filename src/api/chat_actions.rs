//! Changing a chat on every device of the account (app state): archive, pin, mute (until a
//! time), mark read or unread, delete or clear. Each change is sent to WhatsApp first, then stored
//! with its `chat.updated` event; the same changes made on the phone arrive as `chat.updated` too.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::chats::addresses;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::chat_states::{self, ChatChange};
use crate::db::now_ms;
use crate::domain::Scope;
use crate::engine::jid::chat_of;
use crate::engine::live::chats::{ChatAction, ChatActionKind};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatActionBody {
    /// For `mute`: until when (RFC 3339); absent: for ever. The other actions ignore it.
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ChatActionPath {
    pub session_id: String,
    /// A phone number, a user JID, a LID or a group JID.
    pub chat: String,
    /// archive, unarchive, pin, unpin, mute, unmute, read or unread.
    pub action: String,
}

fn kind(action: &str, until: Option<i64>) -> ApiResult<(ChatActionKind, ChatChange)> {
    Ok(match action {
        "archive" => (ChatActionKind::Archive, ChatChange::Archived(true)),
        "unarchive" => (ChatActionKind::Unarchive, ChatChange::Archived(false)),
        "pin" => (ChatActionKind::Pin, ChatChange::Pinned(true)),
        "unpin" => (ChatActionKind::Unpin, ChatChange::Pinned(false)),
        "mute" => (
            ChatActionKind::Mute(until),
            ChatChange::Muted(Some(until.unwrap_or(-1))),
        ),
        "unmute" => (ChatActionKind::Unmute, ChatChange::Muted(None)),
        "read" => (ChatActionKind::Read, ChatChange::MarkedUnread(false)),
        "unread" => (ChatActionKind::Unread, ChatChange::MarkedUnread(true)),
        other => return Err(ApiError::not_found(&format!("chat action `{other}`"))),
    })
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/chats/{chat}/{action}", tag = "messages",
    params(ChatActionPath), request_body = ChatActionBody, security(("api_key" = [])),
    responses((status = 200, description = "Changed on every device of the account; `chat.updated`", body = Object),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: no such session or action"),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn act(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChatActionPath>,
    body: Option<web::Json<ChatActionBody>>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let path = path.into_inner();
    let session = load_session(&state, key, &path.session_id).await?;
    let until = match body.and_then(|b| b.into_inner().until) {
        None => None,
        Some(raw) => Some(
            chrono::DateTime::parse_from_rfc3339(&raw)
                .map_err(|_| {
                    ApiError::invalid("until: an RFC 3339 time, e.g. 2026-12-24T18:00:00Z")
                })?
                .timestamp_millis(),
        ),
    };
    let (action, change) = kind(&path.action, until)?;
    change_chat(&state, &session.id, &path.chat, action, change).await
}

#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}/chats/{chat}", tag = "messages",
    params(("session_id" = String, Path), ("chat" = String, Path, description = "A phone number, a user JID, a LID or a group JID")),
    security(("api_key" = [])),
    responses((status = 200, description = "Deleted on every device of the account, with its stored messages (sends still waiting stay)", body = Object),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, chat) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let change = ChatChange::Emptied { deleted: true };
    change_chat(&state, &session.id, &chat, ChatActionKind::Delete, change).await
}

async fn change_chat(
    state: &AppState,
    session_id: &str,
    raw: &str,
    action: ChatActionKind,
    change: ChatChange,
) -> ApiResult<HttpResponse> {
    let jid = chat_of(raw).map_err(|e| ApiError::invalid(format!("chat: {e}")))?;
    let chats = addresses(state, session_id, &jid).await?;
    let order = ChatAction { chat: jid, action };
    state.sessions.call(session_id, order).await?;
    let sid = session_id.to_string();
    let (stored, event) = state
        .db
        .run(move |pool| chat_states::apply(pool, &sid, &chats, change, now_ms()))
        .await?;
    if event.is_some() {
        state.db.events_appended();
    }
    let mut body = stored.json();
    if let (Some(map), ChatChange::Emptied { .. }) = (body.as_object_mut(), change) {
        map.insert("deleted".into(), serde_json::json!(true));
    }
    Ok(HttpResponse::Ok().json(body))
}
