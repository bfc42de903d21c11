//! Scheduled sends after they are accepted: moving one to another time and cancelling it, while
//! it still waits (`scheduled`). Listing them is `GET …/messages?status=scheduled`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::request::send_time;
use super::{Message, load_message};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ApiResult, Problem};
use crate::api::sessions::load_session;
use crate::api::state::AppState;
use crate::db::now_ms;
use crate::db::outbox;
use crate::domain::Scope;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// The new time (RFC 3339, at most a year ahead); a time already past sends it now.
    #[schema(format = DateTime)]
    pub send_at: String,
}

#[utoipa::path(patch, path = "/api/v1/sessions/{session_id}/messages/{message_id}", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), request_body = Reschedule,
    security(("api_key" = [])),
    responses((status = 200, body = Message, description = "Rescheduled"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`not_scheduled`: the message is not waiting for its time"),
        (status = 503, body = Problem)))]
pub async fn reschedule(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<Reschedule>,
) -> ApiResult<HttpResponse> {
    let at = send_time(&body.send_at)?;
    change(&state, &caller, &path, Some(at.max(now_ms()))).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/messages/{message_id}/cancel", tag = "messages",
    params(("session_id" = String, Path), ("message_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Message, description = "Cancelled: it will not be sent"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`not_scheduled`: the message is not waiting for its time"),
        (status = 503, body = Problem)))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    change(&state, &caller, &path, None).await
}

/// Moves (`Some` time) or cancels (`None`) a scheduled send, then wakes its session's outbox so
/// it keeps time with the change.
async fn change(
    state: &AppState,
    caller: &Caller,
    (session_id, message_id): &(String, String),
    send_at: Option<i64>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let session = load_session(state, key, session_id).await?;
    let row = load_message(state, &session, message_id).await?;
    let (sid, id) = (session.id.clone(), row.id.clone());
    let changed = state
        .db
        .run(move |pool| outbox::reschedule(pool, &sid, &id, send_at, now_ms()))
        .await?;
    let Some(changed) = changed else {
        return Err(ApiError::conflict(
            "not_scheduled",
            format!(
                "the message is {}; only a scheduled send can be moved or cancelled",
                row.status
            ),
        ));
    };
    state.sessions.nudge(&session.id);
    Ok(HttpResponse::Ok().json(Message::from(changed)))
}
