//! `POST /sessions/{id}/messages`: a send is checked, its references and media resolved, and it
//! is stored in the outbox with its pre-generated WhatsApp id before the 202; the session's owner
//! is nudged to send it at once.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};

use super::request::{self, Draft, SendMessage};
use super::{Accepted, accepted, body, find_message};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::sessions::load_session;
use crate::api::state::AppState;
use crate::api::templates;
use crate::db::media::MediaRow;
use crate::db::messages::{self, FAILED, MessageRow, QUEUED, SCHEDULED};
use crate::db::now_ms;
use crate::db::outbox::{self, Enqueued};
use crate::db::sessions::SessionRow;
use crate::domain::{
    DesiredState, Edit, MediaId, MediaInfo, MessageId, MessageKind, MessageRef, Reaction, Revoke,
    Scope, SessionStatus,
};
use crate::engine::compose::{EngineRef, new_message_id, new_poll_secret};
use crate::media::{self, MediaError, MediaFile, MediaKind};

const MAX_IDEMPOTENCY_KEY: usize = 255;

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
        (status = 422, body = Problem, description = "Idempotency-Key reused with another body, the media URL could not be fetched, or the named template does not exist (`template_not_found`) or lacks a variable's value (`template_variable_missing`)"),
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
    let idempotency_key = idempotency_key(&req)?;
    let (request, draft, file) = read_draft(&req, payload, &state, &session.tenant_id).await?;
    let Draft {
        to,
        kind,
        mut content,
        media: media_input,
        target,
        send_at,
    } = draft;
    // A time already past sends now.
    let send_at = send_at.filter(|at| *at > now_ms());
    accepts_sends(&session, send_at.is_some())?;
    if let Some(reply) = &request.reply_to {
        content.quoted = Some(reference(
            &referenced(&state, &session, "reply_to", reply).await?,
        ));
    }
    if let Some(target) = &target {
        let change = change_of(&state, &session, &request, kind, target).await?;
        match change {
            Change::Reaction(r) => content.reaction = Some(r),
            Change::Edit(e) => content.edit = Some(e),
            Change::Revoke(r) => content.revoke = Some(r),
        }
    }
    let now = now_ms();
    let id = MessageId::generate().into_string();
    let mut engine_ref = EngineRef::default();
    let mut stored_file = None;
    if let Some((kind, input)) = media_input {
        let (info, row) = stored_media(&state, &session, Some(&id), kind, input, file).await?;
        content.media = Some(info);
        engine_ref.file = Some(row.id.clone());
        stored_file = Some(row);
    }
    if kind == MessageKind::Poll {
        engine_ref.poll_secret = Some(new_poll_secret());
    }
    let request_hash = idempotency_key
        .as_ref()
        .map(|_| request_hash(&request, stored_file.as_ref()));
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
        status: match send_at {
            Some(_) => SCHEDULED.into(),
            None => QUEUED.into(),
        },
        error: None,
        attempts: 0,
        reply_to: request.reply_to.clone(),
        request_hash,
        idempotency_key,
        wa_timestamp: Some(send_at.unwrap_or(now)),
        created_at: now,
        updated_at: now,
        engine_ref: (engine_ref != "{}").then_some(engine_ref),
        send_at,
        late: false,
        campaign_id: None,
    };
    answer(&state, row, stored_file).await
}

/// The send as it came (JSON or multipart), filled from its template if it names one, checked
/// into a draft; a multipart file comes apart.
async fn read_draft(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    tenant_id: &str,
) -> ApiResult<(SendMessage, Draft, Option<Vec<u8>>)> {
    let limit = body::send_limit(state.media_max_bytes);
    let body::Incoming { mut request, file } =
        body::read(req, payload, limit, state.media_max_bytes).await?;
    // The inline file moves to the draft instead of being copied with the request.
    let inline = request.take_inline_data();
    templates::fill(state, tenant_id, &mut request).await?;
    let mut draft = request.check()?;
    if let (Some((_, input)), Some(data)) = (draft.media.as_mut(), inline) {
        input.data = Some(data);
    }
    if file.is_some() && draft.media.is_none() {
        return Err(ApiError::invalid("file: only media messages carry a file"));
    }
    Ok((request, draft, file))
}

/// A session takes sends while WORKING or RECONNECTING; a linked session that is STARTING is
/// (re)connecting — after a restart, or moving to another instance — and sends its outbox once
/// WORKING. A scheduled send only needs a linked account: it goes out once the session is WORKING.
fn accepts_sends(session: &SessionRow, scheduled: bool) -> ApiResult<()> {
    if scheduled && session.me_phone_jid.is_some() {
        return Ok(());
    }
    let status = SessionStatus::from_db(&session.status);
    let reconnecting = status == SessionStatus::Starting
        && session.me_phone_jid.is_some()
        && session.desired_state == DesiredState::Running.as_str();
    if matches!(status, SessionStatus::Working | SessionStatus::Reconnecting) || reconnecting {
        return Ok(());
    }
    Err(ApiError::conflict(
        "session_not_working",
        format!(
            "the session is {}; sends are accepted while it is WORKING or RECONNECTING \
             (or STARTING when linked), scheduled sends while it is linked",
            session.status
        ),
    ))
}

/// What a reaction, an edit or a revoke does to the message it points at.
enum Change {
    Reaction(Reaction),
    Edit(Edit),
    Revoke(Revoke),
}

/// Resolves the message a reaction, edit or revoke points at; only this session's own sent
/// messages can be edited or revoked, and only those with text can be edited.
async fn change_of(
    state: &AppState,
    session: &SessionRow,
    request: &SendMessage,
    kind: MessageKind,
    target: &str,
) -> ApiResult<Change> {
    let field = match kind {
        MessageKind::Reaction => "reaction.message_id",
        MessageKind::Edit => "edit.message_id",
        _ => "revoke.message_id",
    };
    let row = referenced(state, session, field, target).await?;
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
    Ok(match kind {
        MessageKind::Reaction => {
            let emoji = request
                .reaction
                .as_ref()
                .map(|r| r.emoji.clone())
                .unwrap_or_default();
            Change::Reaction(Reaction { emoji, target })
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
            Change::Edit(Edit { target, text })
        }
        _ => Change::Revoke(Revoke { target }),
    })
}

/// The send's media, checked, as the message describes it and as the outbox stores it.
pub(crate) async fn stored_media(
    state: &AppState,
    session: &SessionRow,
    message_id: Option<&str>,
    kind: MediaKind,
    input: request::MediaInput,
    upload: Option<Vec<u8>>,
) -> ApiResult<(MediaInfo, MediaRow)> {
    let voice = input.voice.unwrap_or(false);
    let f = media_file(state, kind, input, upload).await?;
    let info = MediaInfo {
        mimetype: f.mimetype.clone(),
        size: f.data.len() as u64,
        filename: f.filename.clone(),
        sha256: Some(f.sha256.clone()),
        voice,
    };
    let row = MediaRow {
        id: MediaId::generate().into_string(),
        session_id: session.id.clone(),
        tenant_id: session.tenant_id.clone(),
        message_id: message_id.map(str::to_string),
        mimetype: f.mimetype,
        filename: f.filename,
        size: f.data.len() as i64,
        sha256: f.sha256,
        data: f.data,
        created_at: now_ms(),
        object_key: None,
    };
    Ok((info, state.db.stash_media(row).await?))
}

/// What the Idempotency-Key vouches for: the request, with a file counted by its digest.
fn request_hash(request: &SendMessage, file: Option<&MediaRow>) -> String {
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
    if let Some(f) = file {
        hasher.update(f.sha256.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// 202 for a new send (its owner nudged) or a repeated one (as it stands now); 422 for a key
/// reused with another request.
/// Writes the send to the outbox (within the tenant's quotas) and answers what happened.
async fn answer(
    state: &AppState,
    row: MessageRow,
    file: Option<MediaRow>,
) -> ApiResult<HttpResponse> {
    let quotas = state.default_quotas;
    let result = state
        .db
        .run(move |pool| outbox::enqueue(pool, &row, file.as_ref(), quotas))
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
