//! The one HTTP error type: a status, a stable snake_case `code`, and an RFC 9457 problem body.
//! Anything unclassified becomes a logged, opaque 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::domain::InvalidInput;

/// Seconds a client is asked to wait before retrying a 503.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// For `quota_exceeded`: the quota.
    pub quota: Option<&'static str>,
    /// For `rate_limited`: seconds to wait (`Retry-After`).
    pub retry_after: Option<u64>,
}

/// RFC 9457 problem details, as every error response carries them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_request`, `not_found`, `session_not_working`.
    pub code: String,
    /// For `quota_exceeded` (429): which quota — `sessions`, `messages_per_day`, `media_bytes`
    /// or `webhooks`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            quota: None,
            retry_after: None,
        }
    }

    /// 429 `rate_limited`: try again after `wait` (rounded up to whole seconds).
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        let secs = wait.as_millis().div_ceil(1000).max(1);
        Self {
            retry_after: Some(u64::try_from(secs).unwrap_or(u64::MAX)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; try again in {secs} s"),
            )
        }
    }

    /// 429 `quota_exceeded` naming the quota.
    pub fn quota_exceeded(quota: &'static str, limit: u64) -> Self {
        Self {
            quota: Some(quota),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "quota_exceeded",
                format!("the tenant's {quota} quota ({limit}) is used up"),
            )
        }
    }

    /// The same problem, its detail preceded by `prefix` (e.g. which item of a list).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.detail = format!("{prefix}{}", self.detail);
        self
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            detail,
        )
    }

    /// The database cannot be reached: worth retrying shortly (the answer carries Retry-After).
    pub fn database_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database is unavailable; retry later",
        )
    }

    /// Logs the cause and answers without revealing it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:waras:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            quota: self.quota.map(str::to_string),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // The health probe notices a returning database within a fraction of a second.
            res.insert_header((actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        res.json(self.problem())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(msg) => {
                log::warn!("database unavailable: {msg}");
                ApiError::database_unavailable()
            }
            e if crate::db::health::is_outage(&e) => {
                log::warn!("database connection lost: {e}");
                ApiError::database_unavailable()
            }
            DbError::QuotaExceeded { quota, limit } => ApiError::quota_exceeded(quota, limit),
            DbError::Objects(e) => {
                log::warn!("media storage: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "media_store_unavailable",
                    "the media storage did not answer; try again",
                )
            }
            e if e.is_unique_violation() => {
                ApiError::conflict("conflict", "a resource with these values already exists")
            }
            e => ApiError::internal(e),
        }
    }
}

/// Maps a failed insert or update: a unique violation becomes a 409 that says `what` exists
/// already (e.g. "a session with this name"); anything else as [`From<DbError>`].
pub fn unless_duplicate(what: &'static str) -> impl FnOnce(DbError) -> ApiError {
    move |e| match e.is_unique_violation() {
        true => ApiError::conflict("conflict", format!("the tenant already has {what}")),
        false => e.into(),
    }
}

impl From<InvalidInput> for ApiError {
    fn from(e: InvalidInput) -> Self {
        ApiError::invalid(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
