//! Posting a status: a text, image or video the chosen contacts see for a day.

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::load_session;
use super::state::AppState;
use crate::domain::Scope;
use crate::engine::jid::person;
use crate::engine::live::status::{PostStatus, StatusContent};

/// Most contacts one status names.
pub const MAX_STATUS_AUDIENCE: usize = 1000;
/// Largest status file, decoded.
pub const MAX_STATUS_FILE: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusFile {
    /// The file, base64.
    pub data: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStatus {
    /// `text`, `image` or `video`.
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    /// Background of a text status, `#RRGGBB` (default WhatsApp green).
    pub background: Option<String>,
    pub image: Option<StatusFile>,
    pub video: Option<StatusFile>,
    pub caption: Option<String>,
    /// Who sees it: 1–1000 phone numbers or user JIDs.
    pub to: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PostedStatus {
    /// The status's WhatsApp id.
    pub id: String,
    pub to: Vec<String>,
}

fn file(f: Option<StatusFile>, kind: &str) -> ApiResult<Vec<u8>> {
    let f = f.ok_or_else(|| ApiError::invalid(format!("{kind}: required for a {kind} status")))?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(f.data.as_bytes())
        .map_err(|_| ApiError::invalid(format!("{kind}.data: not base64")))?;
    if data.is_empty() || data.len() > MAX_STATUS_FILE {
        return Err(ApiError::invalid(format!("{kind}.data: 1 byte to 16 MiB")));
    }
    Ok(data)
}

fn content(body: NewStatus) -> ApiResult<StatusContent> {
    Ok(match body.kind.as_str() {
        "text" => {
            let text = body.text.filter(|t| !t.trim().is_empty());
            let text = text.ok_or_else(|| ApiError::invalid("text: required for a text status"))?;
            let background = match body.background.as_deref() {
                None => 0xFF25_D366,
                Some(hex) => hex
                    .strip_prefix('#')
                    .filter(|h| h.len() == 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .map(|rgb| 0xFF00_0000 | rgb)
                    .ok_or_else(|| ApiError::invalid("background: #RRGGBB"))?,
            };
            StatusContent::Text { text, background }
        }
        "image" => StatusContent::Image {
            data: file(body.image, "image")?,
            caption: body.caption,
        },
        "video" => StatusContent::Video {
            data: file(body.video, "video")?,
            caption: body.caption,
        },
        other => {
            return Err(ApiError::invalid(format!(
                "type: `{other}` is not text, image or video"
            )));
        }
    })
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/status", tag = "messages",
    params(("session_id" = String, Path)), request_body = NewStatus, security(("api_key" = [])),
    responses((status = 201, body = PostedStatus, description = "Posted: the contacts named see it"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 413, body = Problem), (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn post(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<NewStatus>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let session = load_session(&state, key, &path).await?;
    let body = body.into_inner();
    if body.to.is_empty() || body.to.len() > MAX_STATUS_AUDIENCE {
        return Err(ApiError::invalid("to: 1 to 1000 contacts"));
    }
    let to = body
        .to
        .iter()
        .enumerate()
        .map(|(i, raw)| person(raw).map_err(|e| ApiError::invalid(format!("to[{i}]: {e}"))))
        .collect::<ApiResult<Vec<String>>>()?;
    let order = PostStatus {
        content: content(body)?,
        to: to.clone(),
    };
    let id = state.sessions.call(&session.id, order).await?;
    Ok(HttpResponse::Created().json(PostedStatus { id, to }))
}
