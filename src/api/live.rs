//! How the API answers what the one door (`cluster::Sessions`) reports: a session in the wrong
//! state is a 409, WhatsApp's refusals keep their meaning (a group that does not exist is a 404,
//! not an outage), a session moving between instances is a 503 with `Retry-After`.

use actix_web::http::StatusCode;

use super::error::ApiError;
use crate::cluster::CommandError;
use crate::engine::live::Refusal;

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::NotWorking { .. } => {
                ApiError::conflict("session_not_working", e.to_string())
            }
            CommandError::WrongState { .. } | CommandError::NotRunning => {
                ApiError::conflict("conflict", e.to_string())
            }
            CommandError::Refused { what, refusal } => refused(&what, refusal),
            // Every 503 carries `Retry-After`.
            CommandError::Moving { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "session_moving",
                "the session is moving to another instance; try again shortly",
            ),
            CommandError::Unreachable(detail) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "instance_unreachable",
                format!("the instance that runs this session did not answer: {detail}"),
            ),
            CommandError::DatabaseUnavailable(detail) => {
                crate::db::DbError::Unavailable(detail).into()
            }
            CommandError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

/// The problem for a refusal; `what` names the thing WhatsApp did not find.
fn refused(what: &str, refusal: Refusal) -> ApiError {
    let detail = format!("WhatsApp refused: {}", refusal.detail);
    match refusal.code {
        Some(400) => ApiError::invalid(detail),
        Some(404 | 410) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found ({})", refusal.detail),
        ),
        Some(401 | 403 | 405) => ApiError::new(StatusCode::FORBIDDEN, "whatsapp_forbidden", detail),
        Some(304 | 409) => ApiError::conflict("conflict", detail),
        _ => ApiError::new(StatusCode::BAD_GATEWAY, "whatsapp_error", refusal.detail),
    }
}
