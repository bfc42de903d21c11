//! Calls to a session's account: the calls it received and how each ended, and declining one
//! that still rings. A session declines every call itself with `config.auto_reject_calls`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::calls::{self, CallRow, RINGING};
use crate::db::now_ms;
use crate::domain::Scope;
use crate::engine::live::calls::RejectCall;

#[derive(Debug, Serialize, ToSchema)]
pub struct Call {
    /// WhatsApp's id of the call.
    pub call_id: String,
    /// The caller: the phone-number JID where known, else the LID.
    pub from: String,
    pub from_phone: Option<String>,
    pub from_lid: Option<String>,
    pub video: bool,
    /// `ringing`, `rejected`, `missed` (the caller gave up), `accepted_elsewhere` or
    /// `rejected_elsewhere` (another device of the account answered or declined).
    pub status: String,
    pub created_at: String,
    pub ended_at: Option<String>,
}

impl From<CallRow> for Call {
    fn from(r: CallRow) -> Self {
        Self {
            from: r
                .from_phone
                .clone()
                .or(r.from_lid.clone())
                .unwrap_or(r.peer),
            call_id: r.call_id,
            from_phone: r.from_phone,
            from_lid: r.from_lid,
            video: r.video,
            status: r.status,
            created_at: crate::time::rfc3339(r.created_at),
            ended_at: r.ended_at.map(crate::time::rfc3339),
        }
    }
}

list_type!(CallList, Call);

/// A cursor is the last call's `created_at` (ms) and id: `1733300000000:ABC…`.
fn parse_cursor(c: &str) -> Option<(i64, String)> {
    let (at, id) = c.split_once(':')?;
    let valid = !id.is_empty() && id.len() <= 128 && id.chars().all(|ch| ch.is_ascii_graphic());
    Some((at.parse().ok()?, id.to_string())).filter(|_| valid)
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/calls", tag = "calls",
    params(("session_id" = String, Path), PageQuery), security(("api_key" = [])),
    responses((status = 200, body = CallList, description = "Calls the account received, newest first"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| parse_cursor(c).is_some(),
        |r: &CallRow| format!("{}:{}", r.created_at, r.call_id),
        move |pool, after, n| calls::list(pool, &session.id, after.and_then(parse_cursor), n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(CallList {
        data: rows.into_iter().map(Call::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/calls/{call_id}/reject", tag = "calls",
    params(("session_id" = String, Path), ("call_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Call, description = "Declined: the caller's phone stops ringing; `call.ended` with status `rejected`"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: no such call"),
        (status = 409, body = Problem, description = "`call_not_ringing` or `session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn reject(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let (session_id, call_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let (sid, cid) = (session.id.clone(), call_id.clone());
    let row = state
        .db
        .run(move |pool| calls::find(pool, &sid, &cid))
        .await?
        .ok_or_else(|| ApiError::not_found("call"))?;
    if row.status != RINGING {
        return Err(ApiError::conflict(
            "call_not_ringing",
            format!("the call is {}", row.status),
        ));
    }
    let order = RejectCall {
        call_id: row.call_id.clone(),
        peer: row.peer.clone(),
        creator: row.creator.clone(),
    };
    state.sessions.call(&session.id, order).await?;
    let (sid, cid) = (session.id.clone(), call_id.clone());
    let ended = state
        .db
        .run(move |pool| {
            calls::ended(
                pool,
                &sid,
                &cid,
                "rejected",
                None,
                now_ms(),
                Default::default(),
            )
        })
        .await?;
    if ended.is_some() {
        state.db.events_appended();
    }
    let (sid, cid) = (session.id.clone(), call_id);
    let fresh = state
        .db
        .run(move |pool| calls::find(pool, &sid, &cid))
        .await?
        .ok_or_else(|| ApiError::not_found("call"))?;
    Ok(HttpResponse::Ok().json(Call::from(fresh)))
}
