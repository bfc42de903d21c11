//! Sending and reading messages. A send is durable in the outbox (with its pre-generated WhatsApp
//! id) before the 202; the session's actor sends it while WORKING.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::messages::{self, MessageFilter, MessageRow};
use crate::db::sessions::SessionRow;
use crate::domain::{Content, MessageId, MessageStatus, Scope};
use crate::time::rfc3339;

pub(crate) mod body;
pub mod download;
pub mod request;
pub mod schedule;
pub mod send;

pub use request::SendMessage;

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub id: String,
    pub session_id: String,
    pub to: String,
    /// queued (or scheduled, with `send_at`), sent, delivered, read or failed.
    pub status: String,
    /// The WhatsApp message id, fixed when the send was accepted.
    pub wa_id: String,
    pub created_at: String,
    /// When a scheduled send goes out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub session_id: String,
    pub chat: String,
    pub from_me: bool,
    pub from: String,
    pub from_phone: Option<String>,
    pub from_lid: Option<String>,
    pub wa_id: String,
    /// text, image, video, audio, document, sticker, location, contact, poll, reaction,
    /// poll_vote, edit or revoke.
    #[serde(rename = "type")]
    pub kind: String,
    /// queued, scheduled, sent, delivered, read, failed, cancelled (own) or received.
    pub status: String,
    pub error: Option<String>,
    pub reply_to: Option<String>,
    pub timestamp: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// A scheduled send's time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_at: Option<String>,
    /// A scheduled send that went out more than a second after `send_at` (its session was not
    /// WORKING then).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// The content: `text`, `caption`, `media`, `location`, `contact`, `poll`, `reaction`, …
    #[serde(flatten)]
    pub content: Content,
}

impl From<MessageRow> for Message {
    fn from(m: MessageRow) -> Self {
        Self {
            content: m.content(),
            id: m.id,
            session_id: m.session_id,
            chat: m.chat_jid,
            from_me: m.from_me,
            from: m.sender_jid,
            from_phone: m.sender_phone,
            from_lid: m.sender_lid,
            wa_id: m.wa_id,
            kind: m.msg_type,
            status: m.status,
            error: m.error,
            reply_to: m.reply_to,
            timestamp: m.wa_timestamp.map(rfc3339),
            created_at: rfc3339(m.created_at),
            updated_at: rfc3339(m.updated_at),
            send_at: m.send_at.map(rfc3339),
            late: m.late,
        }
    }
}

list_type!(MessageList, Message);

fn accepted(m: &MessageRow) -> Accepted {
    Accepted {
        id: m.id.clone(),
        session_id: m.session_id.clone(),
        to: m.chat_jid.clone(),
        status: m.status.clone(),
        wa_id: m.wa_id.clone(),
        created_at: rfc3339(m.created_at),
        send_at: m.send_at.map(rfc3339),
    }
}

/// A message of this session by its WARAS id; `None` for an unknown or malformed id.
async fn find_message(
    state: &AppState,
    session: &SessionRow,
    raw: &str,
) -> ApiResult<Option<MessageRow>> {
    let Some(id) = MessageId::parse(raw) else {
        return Ok(None);
    };
    let sid = session.id.clone();
    Ok(state
        .db
        .run(move |pool| messages::get(pool, &sid, id.as_str()))
        .await?)
}

/// A message of this session named in a path; 404 when there is none.
pub async fn load_message(
    state: &AppState,
    session: &SessionRow,
    raw: &str,
) -> ApiResult<MessageRow> {
    find_message(state, session, raw)
        .await?
        .ok_or_else(|| ApiError::not_found("message"))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only this chat (a JID).
    pub chat: Option<String>,
    /// Only messages in this status (e.g. `scheduled`: the sends waiting for their time).
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/messages", tag = "messages",
    params(("session_id" = String, Path), MessageQuery), security(("api_key" = [])),
    responses((status = 200, body = MessageList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<MessageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(MessageStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "status: `{s}` is not one of {}",
                MessageStatus::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?),
    };
    let filter = MessageFilter {
        chats: q.chat.clone().into_iter().collect(),
        status,
    };
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &page,
        |c| MessageId::parse(c).is_some(),
        |r: &MessageRow| r.id.clone(),
        move |pool, after, n| messages::list(pool, &session.id, &filter, after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(MessageList {
        data: rows.into_iter().map(Message::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/messages/{message_id}", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Message), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, message_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let row = load_message(&state, &session, &message_id).await?;
    Ok(HttpResponse::Ok().json(Message::from(row)))
}
