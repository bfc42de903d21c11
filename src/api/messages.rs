//! Sending and reading messages. A send is durable in the outbox (with its pre-generated WhatsApp
//! id) before the 202; the session's actor sends it while WORKING.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use wacore::request::RequestUtils;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, list_type, split_page};
use super::sessions::load_session;
use super::state::AppState;
use crate::actors::Nudge;
use crate::db::messages::{self, Enqueued, MessageRow, QUEUED};
use crate::db::now_ms;
use crate::domain::{MessageId, Scope, SessionId, SessionStatus};
use crate::engine::jid::{parse_recipient, user_jid};
use crate::time::rfc3339;

const MAX_TEXT_CHARS: usize = 65_536;
const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// A phone number in international form (+4915…) or a JID.
    pub to: String,
    /// `text` (more types come with media support).
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    /// WARAS id of a message in this session to reply to.
    pub reply_to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub id: String,
    pub session_id: String,
    pub to: String,
    /// queued, sent, delivered, read or failed.
    pub status: String,
    /// The WhatsApp message id, fixed when the send was accepted.
    pub wa_id: String,
    pub created_at: String,
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
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    /// queued, sent, delivered, read, failed (own) or received.
    pub status: String,
    pub error: Option<String>,
    pub reply_to: Option<String>,
    pub timestamp: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<MessageRow> for Message {
    fn from(m: MessageRow) -> Self {
        Self {
            text: m.text(),
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
    }
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/messages", tag = "messages",
    params(("session_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key (24 h) sends once")),
    request_body = SendMessage, security(("api_key" = [])),
    responses((status = 202, body = Accepted, description = "Durable in the outbox; sent while the session is WORKING"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 413, body = Problem), (status = 422, body = Problem, description = "Idempotency-Key reused with another body"),
        (status = 503, body = Problem)))]
pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<SendMessage>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let session = load_session(&state, key, &path).await?;
    let body = body.into_inner();
    if body.kind != "text" {
        return Err(ApiError::invalid(format!(
            "type: `{}` is not supported; use `text`",
            body.kind
        )));
    }
    let text = body.text.clone().unwrap_or_default();
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid(format!(
            "text: 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    let to = parse_recipient(&body.to).map_err(|e| ApiError::invalid(format!("to: {e}")))?;
    let idempotency_key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key: must be visible ASCII"))?
                .trim();
            if v.is_empty() || v.len() > MAX_IDEMPOTENCY_KEY {
                return Err(ApiError::invalid(format!(
                    "Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY} characters"
                )));
            }
            Some(v.to_string())
        }
    };
    if let Some(reply) = &body.reply_to {
        let (sid, rid) = (session.id.clone(), reply.clone());
        if MessageId::parse(reply).is_none()
            || state
                .db
                .run(move |pool| messages::get(pool, &sid, &rid))
                .await?
                .is_none()
        {
            return Err(ApiError::invalid(
                "reply_to: no such message in this session",
            ));
        }
    }
    let status = crate::domain::SessionStatus::from_db(&session.status);
    if !matches!(status, SessionStatus::Working | SessionStatus::Reconnecting) {
        return Err(ApiError::conflict(
            "session_not_working",
            format!(
                "the session is {}; sends are accepted while it is WORKING or RECONNECTING",
                session.status
            ),
        ));
    }
    let me = session.me_phone_jid.as_deref().and_then(|j| j.parse().ok());
    let now = now_ms();
    let row = MessageRow {
        id: MessageId::generate().into_string(),
        session_id: session.id.clone(),
        tenant_id: session.tenant_id.clone(),
        from_me: true,
        chat_jid: user_jid(&to),
        sender_jid: session.me_phone_jid.clone().unwrap_or_default(),
        sender_lid: session.me_lid.clone(),
        sender_phone: session.me_phone_jid.clone(),
        wa_id: RequestUtils::message_id_at(me.as_ref(), (now / 1000) as u64),
        msg_type: "text".into(),
        body: serde_json::json!({ "text": text }).to_string(),
        status: QUEUED.into(),
        error: None,
        attempts: 0,
        reply_to: body.reply_to.clone(),
        request_hash: idempotency_key.as_ref().map(|_| {
            hex::encode(Sha256::digest(
                serde_json::to_vec(&body).unwrap_or_default(),
            ))
        }),
        idempotency_key,
        wa_timestamp: Some(now),
        created_at: now,
        updated_at: now,
            media_ref: None,
    };
    let result = state
        .db
        .run(move |pool| messages::enqueue(pool, &row))
        .await?;
    match result {
        Enqueued::New(m) => {
            state
                .supervisor
                .do_send(Nudge(SessionId::from_db(m.session_id.clone())));
            Ok(HttpResponse::Accepted().json(accepted(&m)))
        }
        Enqueued::Existing(m) => {
            let (sid, id) = (m.session_id.clone(), m.id.clone());
            let fresh = state
                .db
                .run(move |pool| messages::get(pool, &sid, &id))
                .await?
                .unwrap_or(m);
            Ok(HttpResponse::Accepted().json(accepted(&fresh)))
        }
        Enqueued::Mismatch => Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Only this chat (a JID).
    pub chat: Option<String>,
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
    let limit = page.limit()?;
    let after = page.cursor(|c| MessageId::parse(c).is_some())?;
    let chat = q.chat.clone();
    let rows = state
        .db
        .run(move |pool| {
            messages::list(
                pool,
                &session.id,
                chat.as_deref(),
                after.as_deref(),
                limit + 1,
            )
        })
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.id.clone());
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
    let id = MessageId::parse(&message_id).ok_or_else(|| ApiError::not_found("message"))?;
    let row = state
        .db
        .run(move |pool| messages::get(pool, &session.id, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(HttpResponse::Ok().json(Message::from(row)))
}
