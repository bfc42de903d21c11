//! The session's own WhatsApp profile: name (push name), about text and picture.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::now_ms;
use crate::db::sessions::{self, SessionRow};
use crate::domain::Scope;
use crate::engine::live::contacts::{About, ProfilePicture};
use crate::engine::live::profile::{OwnDevice, RemovePicture, SetAbout, SetName, SetPicture};

/// WhatsApp's limits for a push name and an about text.
pub const MAX_NAME_CHARS: usize = 25;
pub const MAX_ABOUT_CHARS: usize = 139;
/// Largest accepted profile picture (WhatsApp itself keeps 640×640 JPEGs).
pub const MAX_PICTURE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct OwnProfile {
    /// The account's phone-number JID.
    pub jid: Option<String>,
    pub lid: Option<String>,
    /// The push name others see.
    pub name: Option<String>,
    pub about: Option<String>,
    pub picture_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfile {
    /// 1–25 characters.
    #[schema(min_length = 1, max_length = 25)]
    pub name: Option<String>,
    /// Up to 139 characters; empty clears it.
    #[schema(max_length = 139)]
    pub about: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PictureSet {
    /// WhatsApp's id of the new picture.
    pub id: String,
}

/// The account's phone-number JID (without device), once linked.
fn own_jid(session: &SessionRow) -> ApiResult<String> {
    session
        .me_phone_jid
        .as_deref()
        .and_then(crate::engine::jid::without_device)
        .ok_or_else(|| {
            ApiError::conflict(
                "session_not_working",
                "the session has no linked account yet",
            )
        })
}

async fn read_profile(state: &AppState, session: &SessionRow) -> ApiResult<OwnProfile> {
    let me = own_jid(session)?;
    let doors = &state.sessions;
    let device = doors.call(&session.id, OwnDevice).await?;
    let about = doors.call(&session.id, About { jid: me.clone() }).await?;
    let picture = doors
        .call(&session.id, ProfilePicture { jid: me.clone() })
        .await?;
    Ok(OwnProfile {
        jid: Some(me),
        lid: device.lid.or_else(|| session.me_lid.clone()),
        name: device.push_name.or_else(|| session.me_push_name.clone()),
        about,
        picture_url: picture.map(|p| p.url),
    })
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/profile", tag = "profile",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = OwnProfile),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(read_profile(&state, &session).await?))
}

#[utoipa::path(patch, path = "/api/v1/sessions/{session_id}/profile", tag = "profile",
    params(("session_id" = String, Path)), request_body = UpdateProfile, security(("api_key" = [])),
    responses((status = 200, body = OwnProfile, description = "The profile after the change; a new name also shows as the session's `me.push_name`"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateProfile>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    let body = body.into_inner();
    let name = match body.name.as_deref().map(str::trim) {
        Some(n) if n.is_empty() || n.chars().count() > MAX_NAME_CHARS => {
            return Err(ApiError::invalid(format!(
                "name: 1 to {MAX_NAME_CHARS} characters"
            )));
        }
        other => other.map(str::to_string),
    };
    if let Some(about) = &body.about
        && about.chars().count() > MAX_ABOUT_CHARS
    {
        return Err(ApiError::invalid(format!(
            "about: at most {MAX_ABOUT_CHARS} characters"
        )));
    }
    if name.is_none() && body.about.is_none() {
        return Err(ApiError::invalid("give at least one of name, about"));
    }
    if let Some(text) = body.about {
        state.sessions.call(&session.id, SetAbout { text }).await?;
    }
    let mut session = session;
    if let Some(name) = name {
        state
            .sessions
            .call(&session.id, SetName { name: name.clone() })
            .await?;
        let row = session.clone();
        let stored = name.clone();
        state
            .db
            .run(move |pool| {
                sessions::set_me(
                    pool,
                    &row.id,
                    row.me_phone_jid.as_deref(),
                    row.me_lid.as_deref(),
                    Some(&stored),
                    now_ms(),
                )
            })
            .await?;
        session.me_push_name = Some(name);
    }
    Ok(HttpResponse::Ok().json(read_profile(&state, &session).await?))
}

/// The request body, up to [`MAX_PICTURE_BYTES`] (413 beyond).
async fn read_image(req: &HttpRequest, mut payload: web::Payload) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the picture exceeds {MAX_PICTURE_BYTES} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_PICTURE_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > MAX_PICTURE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[utoipa::path(put, path = "/api/v1/sessions/{session_id}/profile/picture", tag = "profile",
    params(("session_id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "A JPEG (or PNG) image, at most 2 MiB; WhatsApp shows 640×640"),
    security(("api_key" = [])),
    responses((status = 200, body = PictureSet),
        (status = 400, body = Problem, description = "Empty body, or not the image its Content-Type says"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 413, body = Problem), (status = 415, body = Problem, description = "Not image/jpeg or image/png"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn set_picture(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    let kind = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let magic: &[u8] = match kind.as_str() {
        "image/jpeg" | "image/jpg" => &[0xFF, 0xD8, 0xFF],
        "image/png" => &[0x89, b'P', b'N', b'G'],
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be an image/jpeg or image/png picture",
            ));
        }
    };
    let image = read_image(&req, payload).await?;
    if image.is_empty() {
        return Err(ApiError::invalid(
            "the body is empty; DELETE removes the picture",
        ));
    }
    if !image.starts_with(magic) {
        return Err(ApiError::invalid(format!("the body is not a {kind} image")));
    }
    let id = state
        .sessions
        .call(&session.id, SetPicture { image })
        .await?;
    Ok(HttpResponse::Ok().json(PictureSet { id }))
}

#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}/profile/picture", tag = "profile",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 204, description = "Removed"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn remove_picture(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    state.sessions.call(&session.id, RemovePicture).await?;
    Ok(HttpResponse::NoContent().finish())
}
