//! Sending and reading messages. A send is durable in the outbox (with its pre-generated WhatsApp
//! id) before the 202; the session's actor sends it while WORKING.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, list_type, split_page};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::media::MediaRow;
use crate::db::messages::{self, Enqueued, FAILED, MessageRow, QUEUED};
use crate::db::now_ms;
use crate::db::sessions::SessionRow;
use crate::domain::{
    Content, Edit, MediaId, MediaInfo, MessageId, MessageKind, MessageRef, Reaction, Revoke, Scope,
    SessionStatus,
};
use crate::engine::compose::{EngineRef, new_message_id, new_poll_secret};
use crate::media::{self, MediaError, MediaFile, MediaKind};
use crate::time::rfc3339;

mod body;
pub mod download;
pub mod request;

pub use request::SendMessage;

const MAX_IDEMPOTENCY_KEY: usize = 255;

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
    /// text, image, video, audio, document, sticker, location, contact, poll, reaction,
    /// poll_vote, edit or revoke.
    #[serde(rename = "type")]
    pub kind: String,
    /// queued, sent, delivered, read, failed (own) or received.
    pub status: String,
    pub error: Option<String>,
    pub reply_to: Option<String>,
    pub timestamp: Option<String>,
    pub created_at: String,
    pub updated_at: String,
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

fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::invalid("Idempotency-Key: must be visible ASCII"))?
        .trim();
    if v.is_empty() || v.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::invalid(format!(
            "Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY} characters"
        )));
    }
    Ok(Some(v.to_string()))
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

/// A message of this session another message points at (400 naming `field` when there is none).
async fn referenced(
    state: &AppState,
    session: &SessionRow,
    field: &str,
    raw: &str,
) -> ApiResult<MessageRow> {
    find_message(state, session, raw)
        .await?
        .ok_or_else(|| ApiError::invalid(format!("{field}: no such message in this session")))
}

fn reference(row: &MessageRow) -> MessageRef {
    let content = row.content();
    MessageRef {
        id: Some(row.id.clone()),
        wa_id: row.wa_id.clone(),
        chat: row.chat_jid.clone(),
        from_me: row.from_me,
        sender: Some(row.sender_jid.clone()),
        text: content.text.or(content.caption),
    }
}

fn media_problem(kind: MediaKind, e: &MediaError) -> ApiError {
    let field = kind.as_str();
    match e {
        MediaError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("{field}: {e}"),
        ),
        MediaError::WrongType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("{field}: {e}"),
        ),
        MediaError::Unreachable(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "media_unreachable",
            format!("{field}.{e}"),
        ),
        MediaError::Empty | MediaError::Invalid(_) => ApiError::invalid(format!("{field}: {e}")),
    }
}

/// The media file of a send, from the multipart file, inline base64 or a URL.
async fn media_file(
    state: &AppState,
    kind: MediaKind,
    input: request::MediaInput,
    upload: Option<Vec<u8>>,
) -> ApiResult<MediaFile> {
    let limit = state.media_max_bytes;
    let field = kind.as_str();
    let (file, hinted_type, hinted_name) = match (upload, input.data, input.url) {
        (Some(bytes), None, None) => (Body::Raw(bytes), None, None),
        (None, Some(b64), None) => {
            if b64.len() / 4 * 3 > limit + 3 {
                return Err(media_problem(
                    kind,
                    &MediaError::TooLarge {
                        size: b64.len() / 4 * 3,
                        limit,
                    },
                ));
            }
            (Body::Base64(b64), None, None)
        }
        (None, None, Some(url)) => {
            let fetched = media::fetch::fetch(&url, state.allow_private, limit)
                .await
                .map_err(|e| media_problem(kind, &e))?;
            (
                Body::Raw(fetched.data),
                fetched.content_type,
                fetched.filename,
            )
        }
        (None, None, None) => {
            return Err(ApiError::invalid(format!(
                "{field}: give data (base64), url, or a multipart file"
            )));
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "{field}: give only one of data, url and a multipart file"
            )));
        }
    };
    // A server's Content-Type is only a hint, and only documents keep one that was not declared.
    let declared = input
        .mimetype
        .or(hinted_type.filter(|_| kind == MediaKind::Document));
    let filename = input.filename.or(hinted_name);
    // Decoding, sniffing and hashing up to media_max_bytes is CPU work: not on the HTTP worker.
    web::block(move || {
        let data = match file {
            Body::Raw(bytes) => bytes,
            Body::Base64(b64) => B64
                .decode(b64.trim())
                .map_err(|_| ApiError::invalid(format!("{field}.data: not valid base64")))?,
        };
        media::accept(kind, data, declared.as_deref(), filename, limit)
            .map_err(|e| media_problem(kind, &e))
    })
    .await
    .map_err(|_| ApiError::internal("the media check stopped"))?
}

/// A send's file as it came: bytes, or base64 still to decode.
enum Body {
    Raw(Vec<u8>),
    Base64(String),
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/messages", tag = "messages",
    params(("session_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key (24 h) sends once; 1 to 255 visible ASCII characters", max_length = 255, pattern = "^[\\x21-\\x7e]([\\t\\x20-\\x7e]*[\\x21-\\x7e])?$")),
    request_body(content(
        (SendMessage = "application/json"),
        (SendMessage = "multipart/form-data")
    ), description = "JSON, or multipart/form-data with a `file` part holding the media and the other fields as text parts (`mentions` comma-separated). The body may be up to 4 × ⌈`media_max_bytes` / 3⌉ + 65536 bytes (a file of `media_max_bytes` in base64 plus 64 KiB; 22,435,160 bytes by default) instead of `max_json_bytes`; a larger body, or one whose Content-Length announces more, is refused with 413 before it is read"),
    security(("api_key" = [])),
    responses((status = 202, body = Accepted, description = "Durable in the outbox; sent while the session is WORKING"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 413, body = Problem, description = "`payload_too_large`: the body exceeds the send limit, or the media file `media_max_bytes`"),
        (status = 415, body = Problem, description = "The media is not of a type its message type accepts"),
        (status = 422, body = Problem, description = "Idempotency-Key reused with another body, or the media URL could not be fetched"),
        (status = 503, body = Problem)))]
pub async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let session = load_session(&state, key, &path).await?;
    let limit = body::send_limit(state.media_max_bytes);
    let body::Incoming { mut request, file } =
        body::read(&req, payload, limit, state.media_max_bytes).await?;
    let idempotency_key = idempotency_key(&req)?;
    // The inline file moves to the draft instead of being copied with the request.
    let inline = request.take_inline_data();
    let mut draft = request.check()?;
    if let (Some((_, input)), Some(data)) = (draft.media.as_mut(), inline) {
        input.data = Some(data);
    }
    if file.is_some() && draft.media.is_none() {
        return Err(ApiError::invalid("file: only media messages carry a file"));
    }
    let status = SessionStatus::from_db(&session.status);
    // A linked session that is STARTING is (re)connecting — after a restart, or moving to another
    // instance — and sends its outbox once WORKING.
    let reconnecting = status == SessionStatus::Starting
        && session.me_phone_jid.is_some()
        && session.desired_state == crate::domain::DesiredState::Running.as_str();
    if !(matches!(status, SessionStatus::Working | SessionStatus::Reconnecting) || reconnecting) {
        return Err(ApiError::conflict(
            "session_not_working",
            format!(
                "the session is {}; sends are accepted while it is WORKING or RECONNECTING \
                 (or STARTING when linked)",
                session.status
            ),
        ));
    }
    let request::Draft {
        to,
        kind,
        mut content,
        media: media_input,
        target,
    } = draft;
    if let Some(reply) = &request.reply_to {
        content.quoted = Some(reference(
            &referenced(&state, &session, "reply_to", reply).await?,
        ));
    }
    if let Some(target) = &target {
        let field = match kind {
            MessageKind::Reaction => "reaction.message_id",
            MessageKind::Edit => "edit.message_id",
            _ => "revoke.message_id",
        };
        let row = referenced(&state, &session, field, target).await?;
        if kind != MessageKind::Reaction
            && (!row.from_me || row.status == QUEUED || row.status == FAILED)
        {
            return Err(ApiError::invalid(format!(
                "{field}: only messages this session has sent can be {}",
                if kind == MessageKind::Edit {
                    "edited"
                } else {
                    "deleted for everyone"
                }
            )));
        }
        let target = reference(&row);
        match kind {
            MessageKind::Reaction => {
                let emoji = request
                    .reaction
                    .as_ref()
                    .map(|r| r.emoji.clone())
                    .unwrap_or_default();
                content.reaction = Some(Reaction { emoji, target });
            }
            MessageKind::Edit => {
                let editable = matches!(
                    MessageKind::parse(&row.msg_type),
                    Some(
                        MessageKind::Text
                            | MessageKind::Image
                            | MessageKind::Video
                            | MessageKind::Document
                    )
                );
                if !editable {
                    return Err(ApiError::invalid(format!(
                        "{field}: a {} message has no text to edit",
                        row.msg_type
                    )));
                }
                let text = request
                    .edit
                    .as_ref()
                    .map(|e| e.text.clone())
                    .unwrap_or_default();
                content.edit = Some(Edit { target, text });
            }
            _ => content.revoke = Some(Revoke { target }),
        }
    }
    let mut engine_ref = EngineRef::default();
    let mut stored_file = None;
    let now = now_ms();
    let id = MessageId::generate().into_string();
    if let Some((media_kind, input)) = media_input {
        let voice = input.voice.unwrap_or(false);
        let f = media_file(&state, media_kind, input, file).await?;
        content.media = Some(MediaInfo {
            mimetype: f.mimetype.clone(),
            size: f.data.len() as u64,
            filename: f.filename.clone(),
            sha256: Some(f.sha256.clone()),
            voice,
        });
        let file_id = MediaId::generate().into_string();
        engine_ref.file = Some(file_id.clone());
        stored_file = Some(MediaRow {
            id: file_id,
            session_id: session.id.clone(),
            tenant_id: session.tenant_id.clone(),
            message_id: Some(id.clone()),
            mimetype: f.mimetype,
            filename: f.filename,
            size: f.data.len() as i64,
            sha256: f.sha256,
            data: f.data,
            created_at: now,
        });
    }
    if kind == MessageKind::Poll {
        engine_ref.poll_secret = Some(new_poll_secret());
    }
    // What the Idempotency-Key vouches for: the request, with a file counted by its digest.
    let request_hash = idempotency_key.as_ref().map(|_| {
        let mut hasher = Sha256::new();
        let mut canonical = request.clone();
        for m in [
            &mut canonical.image,
            &mut canonical.video,
            &mut canonical.audio,
            &mut canonical.document,
            &mut canonical.sticker,
        ]
        .into_iter()
        .flatten()
        {
            m.data = None;
        }
        hasher.update(serde_json::to_vec(&canonical).unwrap_or_default());
        if let Some(f) = &stored_file {
            hasher.update(f.sha256.as_bytes());
        }
        hex::encode(hasher.finalize())
    });
    let engine_ref = engine_ref.to_json();
    let row = MessageRow {
        id,
        session_id: session.id.clone(),
        tenant_id: session.tenant_id.clone(),
        from_me: true,
        chat_jid: to,
        sender_jid: session.me_phone_jid.clone().unwrap_or_default(),
        sender_lid: session.me_lid.clone(),
        sender_phone: session.me_phone_jid.clone(),
        wa_id: new_message_id(session.me_phone_jid.as_deref(), now),
        msg_type: kind.as_str().into(),
        body: content.to_json(),
        status: QUEUED.into(),
        error: None,
        attempts: 0,
        reply_to: request.reply_to.clone(),
        request_hash,
        idempotency_key,
        wa_timestamp: Some(now),
        created_at: now,
        updated_at: now,
        engine_ref: (engine_ref != "{}").then_some(engine_ref),
    };
    let result = state
        .db
        .run(move |pool| messages::enqueue(pool, &row, stored_file.as_ref()))
        .await?;
    match result {
        Enqueued::New(m) => {
            state.sessions.nudge(&m.session_id);
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
            StatusCode::UNPROCESSABLE_ENTITY,
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
    let row = load_message(&state, &session, &message_id).await?;
    Ok(HttpResponse::Ok().json(Message::from(row)))
}
