//! The account's blocklist: block and unblock a person (by phone number, phone-number JID or
//! LID), and who is blocked, read from WhatsApp each time (so a block made on the phone shows).

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::contacts;
use crate::domain::Scope;
use crate::engine::jid::person;
use crate::engine::live::blocking::{GetBlocklist, SetBlocked};

#[derive(Debug, Serialize, ToSchema)]
pub struct Blocked {
    /// The person as named in the request (a JID).
    pub jid: String,
    pub blocked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedContact {
    /// How WhatsApp lists the person (mostly a LID).
    pub jid: String,
    /// Both addresses where the session knows them.
    pub phone_jid: Option<String>,
    pub lid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Blocklist {
    pub data: Vec<BlockedContact>,
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/contacts/{contact}/block", tag = "contacts",
    params(("session_id" = String, Path), ("contact" = String, Path, description = "A phone number (`+4915…`), a phone-number JID or a LID")),
    security(("api_key" = [])),
    responses((status = 200, body = Blocked, description = "Blocked: their messages no longer reach the account"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: not on WhatsApp"),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn block(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    set(state, caller, path, true).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/contacts/{contact}/unblock", tag = "contacts",
    params(("session_id" = String, Path), ("contact" = String, Path, description = "A phone number (`+4915…`), a phone-number JID or a LID")),
    security(("api_key" = [])),
    responses((status = 200, body = Blocked, description = "Unblocked"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: not on WhatsApp"),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn unblock(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    set(state, caller, path, false).await
}

async fn set(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    block: bool,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, contact) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = person(&contact).map_err(|e| ApiError::invalid(format!("contact: {e}")))?;
    let order = SetBlocked {
        jid: jid.clone(),
        block,
    };
    state.sessions.call(&session.id, order).await?;
    Ok(HttpResponse::Ok().json(Blocked {
        jid,
        blocked: block,
    }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/blocklist", tag = "contacts",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Blocklist, description = "Everyone the account blocked, on any of its devices"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let listed = state.sessions.call(&session.id, GetBlocklist).await?;
    let sid = session.id.clone();
    let data = state
        .db
        .run(move |pool| {
            listed
                .into_iter()
                .map(|jid| {
                    let known = contacts::find(pool, &sid, &jid)?;
                    Ok(BlockedContact {
                        phone_jid: known.as_ref().and_then(|c| c.phone_jid.clone()),
                        lid: known
                            .and_then(|c| c.lid)
                            .or_else(|| jid.ends_with("@lid").then(|| jid.clone())),
                        jid,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(Blocklist { data }))
}
