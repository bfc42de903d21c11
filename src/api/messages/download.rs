//! `GET …/messages/{message_id}/media`: the decrypted file of a media message. Sent files and
//! received files downloaded before are served from storage; a received file is otherwise
//! downloaded from WhatsApp (which needs the session WORKING), checked and kept.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult, Problem};
use super::super::sessions::load_session;
use super::super::state::AppState;
use crate::cluster::CommandError;
use crate::db::media::{self, MediaRow};
use crate::db::now_ms;
use crate::domain::{MediaId, Scope};
use crate::engine::live::media::{DownloadMedia, TOO_LARGE};

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/messages/{message_id}/media", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", description = "The decrypted file, with its mime type as Content-Type, `Content-Disposition: attachment` and `X-Content-Type-Options: nosniff`"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such message, or it has no media (or it was deleted for everyone)"),
        (status = 409, body = Problem, description = "`session_not_working`: a received file not downloaded yet needs a WORKING session"),
        (status = 413, body = Problem, description = "`media_too_large`: the file is larger than `media_max_bytes`"),
        (status = 502, body = Problem, description = "`media_download_failed`: WhatsApp's media host failed or was not one"), (status = 503, body = Problem)))]
pub async fn media(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, message_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let row = super::load_message(&state, &session, &message_id).await?;
    let Some(info) = row.content().media else {
        return Err(ApiError::not_found("media of this message"));
    };
    let (sid, mid) = (session.id.clone(), row.id.clone());
    // A campaign's messages share the campaign's one file.
    let shared = crate::engine::compose::EngineRef::parse(row.engine_ref.as_deref()).file;
    let stored = state
        .db
        .run(move |pool| match media::of_message(pool, &sid, &mid)? {
            Some(file) => Ok(Some(file)),
            None => shared.map_or(Ok(None), |id| media::get(pool, &id)),
        })
        .await?;
    let (file, data) = match stored {
        Some(file) => {
            let data = state.db.media_bytes(file.clone()).await?;
            (file, data)
        }
        None => download_and_keep(&state, &session.id, &row, &info).await?,
    };
    // Served as a download, never rendered: the bytes and the type are the sender's choice.
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, file.mimetype.clone()))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CONTENT_DISPOSITION, attachment(file.filename.as_deref())))
        .body(data))
}

/// A received file not stored yet: downloaded from WhatsApp through the session, checked against
/// its checksum and kept; the row as stored and the bytes.
async fn download_and_keep(
    state: &AppState,
    session_id: &str,
    row: &crate::db::messages::MessageRow,
    info: &crate::domain::MediaInfo,
) -> ApiResult<(MediaRow, Vec<u8>)> {
    // The size is the sender's claim; the HTTP client enforces the limit on the bytes.
    let limit = state.media_max_bytes;
    if info.size > limit as u64 {
        return Err(too_large(limit));
    }
    let download = DownloadMedia {
        kind: row.msg_type.clone(),
        engine_ref: row.engine_ref.clone(),
    };
    let data = match state.sessions.call(session_id, download).await {
        Ok(bytes) => bytes.data,
        Err(CommandError::Refused { refusal, .. }) => {
            log::debug!(
                "message {}: media download failed: {}",
                row.id,
                refusal.detail
            );
            return Err(if refusal.code == Some(TOO_LARGE) {
                too_large(limit)
            } else {
                download_failed()
            });
        }
        Err(other) => return Err(other.into()),
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    if info.sha256.as_ref().is_some_and(|want| *want != sha256) {
        log::debug!(
            "message {}: the downloaded file does not match its checksum",
            row.id
        );
        return Err(download_failed());
    }
    let file = MediaRow {
        id: MediaId::generate().into_string(),
        session_id: row.session_id.clone(),
        tenant_id: row.tenant_id.clone(),
        message_id: Some(row.id.clone()),
        mimetype: info.mimetype.clone(),
        filename: info.filename.clone(),
        size: data.len() as i64,
        sha256,
        data: data.clone(),
        created_at: now_ms(),
        object_key: None,
    };
    let keep = state.db.stash_media(file).await?;
    let file = MediaRow {
        data: Vec::new(),
        ..keep.clone()
    };
    // Past the tenant's media quota the file is served but not kept (it is downloaded again
    // next time; a bucket object already written is swept).
    let quotas = state.default_quotas;
    let kept = state
        .db
        .run(move |pool| media::store(pool, &keep, quotas))
        .await?;
    if !kept {
        log::info!(
            "message {}: received file not kept: the tenant's media quota is used up",
            row.id
        );
    }
    Ok((file, data))
}

/// `attachment` with a file name that cannot break out of the header's quoted string or name a
/// path: only the last path segment, quotes, backslashes and control characters replaced; a
/// name outside ASCII also goes in RFC 5987 `filename*`.
fn attachment(name: Option<&str>) -> String {
    let base = name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().trim())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..");
    let Some(base) = base else {
        return "attachment".into();
    };
    let base: String = base.chars().take(200).collect();
    let ascii: String = base
        .chars()
        .map(|c| match c {
            '"' | '\\' | ';' => '_',
            c if c.is_control() || !c.is_ascii() => '_',
            c => c,
        })
        .collect();
    if base.is_ascii() {
        return format!("attachment; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for b in base.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "media_too_large",
        format!("the file is larger than this server's media limit of {limit} bytes"),
    )
}

fn download_failed() -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "media_download_failed",
        "the file could not be downloaded from WhatsApp's media host",
    )
}
