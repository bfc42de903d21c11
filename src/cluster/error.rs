//! Why a command for a session did not happen, as data: the same answer whether the session runs
//! in this process or was reached through another instance.

use serde::{Deserialize, Serialize};

use crate::engine::live::Refusal;

#[derive(Debug, Clone, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommandError {
    /// A live command found the session in another state than WORKING.
    #[error("the session is {status}; this needs a WORKING session")]
    NotWorking { status: String },
    /// A lifecycle command found the session in a state it cannot act in.
    #[error("the session is {status}; this needs {needs}")]
    WrongState { status: String, needs: String },
    /// The session has no running actor anywhere.
    #[error("the session is not running; start it first")]
    NotRunning,
    /// WhatsApp (or the engine) refused; `what` names the thing a 404 is about.
    #[error("{}", refusal.detail)]
    Refused { what: String, refusal: Refusal },
    /// The session is changing owners; try again shortly.
    #[error("the session is moving to another instance")]
    Moving { retry_after_secs: u64 },
    /// The instance that owns the session did not answer.
    #[error("the instance that runs this session did not answer: {0}")]
    Unreachable(String),
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl CommandError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        CommandError::Internal(e.to_string())
    }
}

impl From<crate::db::DbError> for CommandError {
    fn from(e: crate::db::DbError) -> Self {
        match e {
            crate::db::DbError::Unavailable(detail) => CommandError::DatabaseUnavailable(detail),
            other => CommandError::internal(other),
        }
    }
}
