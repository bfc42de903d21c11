//! Groups of a WORKING session: list, create, read, change subject/description/settings,
//! participants, invite links, join and leave. Everything goes to WhatsApp at once; WARAS keeps
//! no copy.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::list_type;
use super::sessions::load_session;
use super::state::AppState;
use crate::domain::Scope;
use crate::engine::jid::person;
use crate::engine::live::groups::{self as cmd, check_description, check_subject};
pub use crate::engine::live::groups::{Group, Participant, ParticipantAction, ParticipantResult};

pub const MAX_PARTICIPANTS: usize = 256;

list_type!(GroupList, Group);

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedGroup {
    pub id: String,
    pub subject: String,
    pub participants: Vec<Participant>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub subject: String,
    /// 1–256 phone numbers (`+4915…`) or user JIDs; the session's account joins as super admin.
    #[schema(min_items = 1, max_items = 256)]
    pub participants: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub subject: Option<String>,
    /// Up to 2048 characters; an empty string removes the description.
    #[schema(max_length = 2048)]
    pub description: Option<String>,
    /// Only admins may send.
    pub announce: Option<bool>,
    /// Only admins may change the group's info.
    pub locked: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeParticipants {
    pub action: ParticipantAction,
    /// 1–256 phone numbers (`+4915…`) or user JIDs.
    #[schema(min_items = 1, max_items = 256)]
    pub participants: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantResults {
    pub data: Vec<ParticipantResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invite {
    pub code: String,
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinGroup {
    /// The invite code.
    pub code: Option<String>,
    /// Or the invite link, `https://chat.whatsapp.com/<code>`.
    pub url: Option<String>,
}

pub use crate::engine::live::groups::Joined;

#[derive(Debug, Serialize, ToSchema)]
pub struct Left {
    pub id: String,
    pub left: bool,
}

/// `120363…@g.us` or just `120363…` (older groups: `<creator>-<time>`).
pub fn group_jid(raw: &str) -> ApiResult<String> {
    cmd::group_jid(raw).map_err(|e| ApiError::invalid(format!("group_id: {e}")))
}

fn subject(raw: &str) -> ApiResult<String> {
    check_subject(raw).map_err(|e| ApiError::invalid(format!("subject: {e}")))
}

fn description(raw: &str) -> ApiResult<String> {
    check_description(raw).map_err(|e| ApiError::invalid(format!("description: {e}")))
}

/// 1–256 people, duplicates dropped, order kept.
fn people(raw: &[String]) -> ApiResult<Vec<String>> {
    if raw.is_empty() || raw.len() > MAX_PARTICIPANTS {
        return Err(ApiError::invalid(format!(
            "participants: 1 to {MAX_PARTICIPANTS} phone numbers or JIDs"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let jid = person(p).map_err(|e| ApiError::invalid(format!("participants[{i}]: {e}")))?;
        if !out.contains(&jid) {
            out.push(jid);
        }
    }
    Ok(out)
}

/// The code of an invite link or a bare code.
pub fn invite_code(raw: &str) -> ApiResult<String> {
    cmd::invite_code(raw).map_err(ApiError::invalid)
}

fn invite(link: &str) -> Invite {
    let (code, url) = cmd::invite_parts(link);
    Invite { code, url }
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/groups", tag = "groups",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = GroupList, description = "Every group the account is in (one page)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let data = state.sessions.call(&session.id, cmd::ListGroups).await?;
    Ok(HttpResponse::Ok().json(GroupList {
        data,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/groups", tag = "groups",
    params(("session_id" = String, Path)), request_body = CreateGroup, security(("api_key" = [])),
    responses((status = 201, body = CreatedGroup),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<CreateGroup>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    let subject = subject(&body.subject)?;
    let members = people(&body.participants)?;
    let group = state
        .sessions
        .call(
            &session.id,
            cmd::CreateGroup {
                subject,
                participants: members,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(CreatedGroup {
        id: group.id,
        subject: group.subject,
        participants: group.participants,
    }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/groups/{group_id}", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path, description = "`120363…@g.us` or `120363…`")),
    security(("api_key" = [])),
    responses((status = 200, body = Group),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, group_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let group = group_jid(&group_id)?;
    let found = state
        .sessions
        .call(&session.id, cmd::GetGroup { group })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

#[utoipa::path(patch, path = "/api/v1/sessions/{session_id}/groups/{group_id}", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path)), request_body = UpdateGroup,
    security(("api_key" = [])),
    responses((status = 200, body = Group, description = "The group after the changes"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`, or the description changed meanwhile"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateGroup>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, group_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let group = group_jid(&group_id)?;
    let body = body.into_inner();
    let new_subject = body.subject.as_deref().map(subject).transpose()?;
    let new_description = body.description.as_deref().map(description).transpose()?;
    if new_subject.is_none()
        && new_description.is_none()
        && body.announce.is_none()
        && body.locked.is_none()
    {
        return Err(ApiError::invalid(
            "give at least one of subject, description, announce, locked",
        ));
    }
    let changed = state
        .sessions
        .call(
            &session.id,
            cmd::UpdateGroup {
                group,
                subject: new_subject,
                description: new_description,
                announce: body.announce,
                locked: body.locked,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(changed))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/groups/{group_id}/participants", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path)), request_body = ChangeParticipants,
    security(("api_key" = [])),
    responses((status = 200, body = ParticipantResults, description = "One result per participant"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn participants(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Json<ChangeParticipants>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, group_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let group = group_jid(&group_id)?;
    let participants = people(&body.participants)?;
    let data = state
        .sessions
        .call(
            &session.id,
            cmd::ChangeParticipants {
                group,
                action: body.action,
                participants,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(ParticipantResults { data }))
}

async fn invite_link(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    reset: bool,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(if reset { Scope::Manage } else { Scope::Read })?;
    let (session_id, group_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let group = group_jid(&group_id)?;
    let link = state
        .sessions
        .call(&session.id, cmd::InviteLink { group, reset })
        .await?;
    Ok(HttpResponse::Ok().json(invite(&link)))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/groups/{group_id}/invite", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Invite),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem, description = "Also `whatsapp_forbidden`: only admins see the link"),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn get_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    invite_link(state, caller, path, false).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/groups/{group_id}/invite/revoke", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Invite, description = "The new link; the old one stops working"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn revoke_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    invite_link(state, caller, path, true).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/groups/join", tag = "groups",
    params(("session_id" = String, Path)), request_body = JoinGroup, security(("api_key" = [])),
    responses((status = 200, body = Joined),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such invite (or it was revoked)"),
        (status = 409, body = Problem, description = "`session_not_working`, or already a member"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn join(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<JoinGroup>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let session = load_session(&state, key, &path).await?;
    let code = match (&body.code, &body.url) {
        (Some(code), None) => {
            invite_code(code).map_err(|e| ApiError::invalid(format!("code: {}", e.detail)))?
        }
        (None, Some(url)) => {
            invite_code(url).map_err(|e| ApiError::invalid(format!("url: {}", e.detail)))?
        }
        _ => return Err(ApiError::invalid("give either code or url")),
    };
    let joined = state
        .sessions
        .call(&session.id, cmd::JoinGroup { code })
        .await?;
    Ok(HttpResponse::Ok().json(joined))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/groups/{group_id}/leave", tag = "groups",
    params(("session_id" = String, Path), ("group_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Left),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn leave(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (session_id, group_id) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let group = group_jid(&group_id)?;
    state
        .sessions
        .call(
            &session.id,
            cmd::LeaveGroup {
                group: group.clone(),
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(Left {
        id: group,
        left: true,
    }))
}

#[cfg(test)]
mod tests;
