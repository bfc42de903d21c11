//! `GET …/messages/{message_id}/media`: the decrypted file of a media message. Sent files and
//! received files downloaded before are served from storage; a received file is otherwise
//! downloaded from WhatsApp (which needs the session WORKING), checked and kept.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use buffa::Message as _;
use sha2::{Digest, Sha256};
use waproto::whatsapp as wa;

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult, Problem};
use super::super::live::{engine_error, live_client};
use super::super::sessions::load_session;
use super::super::state::AppState;
use crate::actors::LiveClient;
use crate::actors::SessionCommandError;
use crate::db::media::{self, MediaRow};
use crate::db::messages::MessageRow;
use crate::db::now_ms;
use crate::domain::{MediaId, Scope};
use crate::engine::compose::EngineRef;

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/messages/{message_id}/media", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, content_type = "application/octet-stream", description = "The decrypted file, with its mime type as Content-Type"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such message, or it has no media (or it was deleted for everyone)"),
        (status = 409, body = Problem, description = "`session_not_working`: a received file not downloaded yet needs a WORKING session"),
        (status = 502, body = Problem, description = "WhatsApp's media host failed"), (status = 503, body = Problem)))]
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
    let stored = state
        .db
        .run(move |pool| media::of_message(pool, &sid, &mid))
        .await?;
    let file = match stored {
        Some(file) => file,
        None => {
            let client = live_client(&state, &session).await?;
            let data = download(&client, &row).await.map_err(engine_error)?;
            let sha256 = hex::encode(Sha256::digest(&data));
            if info.sha256.as_ref().is_some_and(|want| *want != sha256) {
                return Err(engine_error(SessionCommandError::Engine(
                    "the downloaded file does not match its checksum".into(),
                )));
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
                data,
                created_at: now_ms(),
            };
            let keep = file.clone();
            state.db.run(move |pool| media::store(pool, &keep)).await?;
            file
        }
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((CONTENT_TYPE, file.mimetype.clone()));
    if let Some(name) = &file.filename {
        let safe: String = name
            .chars()
            .map(|c| if c == '"' || c.is_control() { '_' } else { c })
            .collect();
        res.insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}\""),
        ));
    }
    Ok(res.body(file.data))
}

/// Downloads and decrypts a received message's media through the engine.
async fn download(client: &LiveClient, row: &MessageRow) -> Result<Vec<u8>, SessionCommandError> {
    let missing =
        || SessionCommandError::Engine("the media descriptor of this message is gone".into());
    let encoded = EngineRef::parse(row.engine_ref.as_deref())
        .media
        .and_then(|b| B64.decode(b).ok())
        .ok_or_else(missing)?;
    let kind = row.msg_type.clone();
    let bad =
        |e: buffa::DecodeError| SessionCommandError::Engine(format!("bad media descriptor: {e}"));
    match kind.as_str() {
        "image" => {
            let m = wa::message::ImageMessage::decode_from_slice(&encoded).map_err(bad)?;
            client
                .run(move |c| async move { c.download(&m).await })
                .await
        }
        "video" => {
            let m = wa::message::VideoMessage::decode_from_slice(&encoded).map_err(bad)?;
            client
                .run(move |c| async move { c.download(&m).await })
                .await
        }
        "audio" => {
            let m = wa::message::AudioMessage::decode_from_slice(&encoded).map_err(bad)?;
            client
                .run(move |c| async move { c.download(&m).await })
                .await
        }
        "document" => {
            let m = wa::message::DocumentMessage::decode_from_slice(&encoded).map_err(bad)?;
            client
                .run(move |c| async move { c.download(&m).await })
                .await
        }
        "sticker" => {
            let m = wa::message::StickerMessage::decode_from_slice(&encoded).map_err(bad)?;
            client
                .run(move |c| async move { c.download(&m).await })
                .await
        }
        _ => Err(missing()),
    }
}
