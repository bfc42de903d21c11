//! The API's way to the WhatsApp connection of a session: [`live_client`] lends out a WORKING
//! session's engine client (409 `session_not_working` otherwise), [`engine_error`] turns what
//! WhatsApp refused into a 502 problem.

use actix_web::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::state::AppState;
use crate::actors::{ActorAddr, Live, LiveClient, SessionCommandError};
use crate::db::sessions::SessionRow;
use crate::domain::SessionId;

pub async fn live_client(state: &AppState, session: &SessionRow) -> ApiResult<LiveClient> {
    let not_working = || {
        ApiError::conflict(
            "session_not_working",
            format!(
                "the session is {}; this needs a WORKING session",
                session.status
            ),
        )
    };
    let actor = state
        .supervisor
        .send(ActorAddr(SessionId::from_db(session.id.clone())))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(not_working)?;
    actor
        .send(Live)
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            SessionCommandError::WrongState(..) => not_working(),
            other => engine_error(other),
        })
}

pub fn engine_error(e: SessionCommandError) -> ApiError {
    match e {
        SessionCommandError::WrongState(..) => ApiError::conflict("conflict", e.to_string()),
        SessionCommandError::Engine(msg) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "whatsapp_error", msg)
        }
    }
}
