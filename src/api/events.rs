use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Caller, narrow_session};
use super::error::{ApiError, ApiResult, Problem};
use super::page::{DEFAULT_LIMIT, MAX_LIMIT, list_type, split_page};
use super::state::AppState;
use crate::db::events::{self, EventFilter};
use crate::domain::{Scope, SessionId};

pub use crate::db::events::Envelope as Event;

list_type!(EventList, Event);

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events with a larger id (a previous page's `next_cursor` or the last id seen).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<String>,
    /// Alias of `after`, for the list convention.
    #[param(value_type = Option<i64>, minimum = 0)]
    pub cursor: Option<String>,
    pub session_id: Option<String>,
    /// Comma-separated event types.
    pub types: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

fn event_id(field: &str, raw: Option<&str>) -> ApiResult<Option<i64>> {
    raw.map(|raw| {
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid(format!("{field}: must be a non-negative event id")))
    })
    .transpose()
}

impl EventQuery {
    pub fn filter(&self) -> ApiResult<EventFilter> {
        // Both are checked even though `after` wins: a malformed value is never ignored.
        let after = event_id("after", self.after.as_deref())?;
        let cursor = event_id("cursor", self.cursor.as_deref())?;
        let after = after.or(cursor).unwrap_or(0);
        let session_id = match &self.session_id {
            None => None,
            Some(raw) => Some(
                SessionId::parse(raw)
                    .ok_or_else(|| ApiError::invalid("session_id: not a session id"))?
                    .into_string(),
            ),
        };
        let types = self
            .types
            .as_deref()
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        Ok(EventFilter {
            after,
            session_id,
            types,
        })
    }
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventQuery), security(("api_key" = [])),
    responses((status = 200, body = EventList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<EventQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let mut filter = q.filter()?;
    filter.session_id =
        narrow_session(key, filter.session_id.map(SessionId::from_db))?.map(SessionId::into_string);
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {MAX_LIMIT}"
        )));
    }
    let tenant = key.tenant_id.as_str().to_string();
    let rows = state
        .db
        .run(move |pool| events::list(pool, &tenant, &filter, limit + 1))
        .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.id.to_string());
    Ok(HttpResponse::Ok().json(EventList {
        data: rows
            .iter()
            .map(|r| r.envelope_for(key.allows(Scope::Manage)))
            .collect(),
        next_cursor,
    }))
}
