//! Groups of a WORKING session: list, create, read, change subject/description/settings,
//! participants, invite links, join and leave. Everything goes to WhatsApp at once; WARAS keeps
//! no copy.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatsapp_rust::features::{
    GroupCreateOptions, GroupDescription, GroupMetadata, GroupParticipant, GroupParticipantOptions,
    GroupSubject, JoinGroupResult, PreviousDescription,
};
use whatsapp_rust::wacore_binary::Jid;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::live::live_client;
use super::page::list_type;
use super::sessions::load_session;
use super::state::AppState;
use super::whatsapp::{call, jid_text, person, phone_of};
use crate::domain::Scope;
use crate::time::rfc3339;

pub const MAX_SUBJECT_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2048;
pub const MAX_PARTICIPANTS: usize = 256;
const INVITE_PREFIX: &str = "https://chat.whatsapp.com/";

#[derive(Debug, Serialize, ToSchema)]
pub struct Participant {
    /// The JID WhatsApp lists the participant under (phone number or LID).
    pub jid: String,
    /// `+` and the phone number, where known.
    pub phone: Option<String>,
    /// The participant's LID JID, where known.
    pub lid: Option<String>,
    pub admin: bool,
    pub super_admin: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// `<id>@g.us`; works as `to` when sending.
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    /// The creator's JID (phone number where known).
    pub owner: Option<String>,
    pub created_at: Option<String>,
    /// Only admins may send.
    pub announce: bool,
    /// Only admins may change the group's info.
    pub locked: bool,
    pub participants: Vec<Participant>,
}

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

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
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
pub struct ParticipantResult {
    pub jid: String,
    /// `ok`, or WhatsApp's error code for this participant (e.g. `403`, `404`, `409`).
    pub status: String,
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub id: String,
    /// `joined`, or `pending_approval` when an admin must approve.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Left {
    pub id: String,
    pub left: bool,
}

fn participant(p: &GroupParticipant) -> Participant {
    let phone = phone_of(&p.jid).or_else(|| p.phone_number.as_ref().and_then(phone_of));
    let lid = if p.jid.is_lid() {
        Some(jid_text(&p.jid))
    } else {
        p.lid.as_ref().map(jid_text)
    };
    Participant {
        jid: jid_text(&p.jid),
        phone,
        lid,
        admin: p.is_admin(),
        super_admin: p.is_super_admin(),
    }
}

impl From<GroupMetadata> for Group {
    fn from(m: GroupMetadata) -> Self {
        let owner = m.creator_pn.as_ref().or(m.creator.as_ref()).map(jid_text);
        Self {
            id: m.id.to_string(),
            subject: m.subject.clone(),
            description: m.description.clone().filter(|d| !d.is_empty()),
            owner,
            created_at: m.creation_time.map(|s| rfc3339(s as i64 * 1000)),
            announce: m.is_announcement,
            locked: m.is_locked,
            participants: m.participants.iter().map(participant).collect(),
        }
    }
}

/// `120363…@g.us` or just `120363…` (older groups: `<creator>-<time>`).
pub fn group_jid(raw: &str) -> ApiResult<Jid> {
    let raw = raw.trim();
    let user = match raw.split_once('@') {
        Some((user, "g.us")) => user,
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "group_id: `{raw}` is not a group JID (…@g.us)"
            )));
        }
        None => raw,
    };
    let valid = (1..=64).contains(&user.len())
        && user.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && user.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && user.bytes().last().is_some_and(|b| b.is_ascii_digit());
    if !valid {
        return Err(ApiError::invalid(format!(
            "group_id: `{raw}` is not a group id"
        )));
    }
    Ok(Jid::group(user))
}

fn subject(raw: &str) -> ApiResult<GroupSubject> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_SUBJECT_CHARS {
        return Err(ApiError::invalid(format!(
            "subject: 1 to {MAX_SUBJECT_CHARS} characters"
        )));
    }
    GroupSubject::new(trimmed).map_err(|e| ApiError::invalid(format!("subject: {e}")))
}

fn description(raw: &str) -> ApiResult<Option<GroupDescription>> {
    if raw.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if raw.trim().is_empty() {
        return Ok(None);
    }
    GroupDescription::new(raw)
        .map(Some)
        .map_err(|e| ApiError::invalid(format!("description: {e}")))
}

/// 1–256 people, duplicates dropped, order kept.
fn people(raw: &[String]) -> ApiResult<Vec<Jid>> {
    if raw.is_empty() || raw.len() > MAX_PARTICIPANTS {
        return Err(ApiError::invalid(format!(
            "participants: 1 to {MAX_PARTICIPANTS} phone numbers or JIDs"
        )));
    }
    let mut out: Vec<Jid> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let jid = person(&format!("participants[{i}]"), p)?;
        if !out.contains(&jid) {
            out.push(jid);
        }
    }
    Ok(out)
}

/// The code of an invite link or a bare code.
pub fn invite_code(raw: &str) -> ApiResult<String> {
    let raw = raw.trim();
    let code = raw
        .strip_prefix(INVITE_PREFIX)
        .or_else(|| raw.strip_prefix("http://chat.whatsapp.com/"))
        .map(|rest| rest.strip_prefix("invite/").unwrap_or(rest))
        .unwrap_or(raw)
        .trim_end_matches('/');
    let valid = (1..=128).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(ApiError::invalid(format!(
            "`{raw}` is not an invite code or https://chat.whatsapp.com/<code> link"
        )));
    }
    Ok(code.to_string())
}

fn invite(link: &str) -> Invite {
    let code = link
        .strip_prefix(INVITE_PREFIX)
        .unwrap_or(link)
        .trim_end_matches('/')
        .to_string();
    Invite {
        url: format!("{INVITE_PREFIX}{code}"),
        code,
    }
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
    let live = live_client(&state, &session).await?;
    let groups = call(&live, "group", |c| async move {
        c.groups().get_participating().await
    })
    .await?;
    let mut data: Vec<Group> = groups.into_values().map(Group::from).collect();
    data.sort_by(|a, b| a.id.cmp(&b.id));
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
    let live = live_client(&state, &session).await?;
    let options = GroupCreateOptions::new(subject.into_string()).with_participants(
        members
            .into_iter()
            .map(GroupParticipantOptions::new)
            .collect(),
    );
    let created = call(&live, "group", |c| async move {
        c.groups().create_group(options).await
    })
    .await?;
    let group = Group::from(created.metadata);
    Ok(HttpResponse::Created().json(CreatedGroup {
        id: group.id,
        subject: group.subject,
        participants: group.participants,
    }))
}

async fn metadata(live: &crate::actors::LiveClient, jid: Jid) -> ApiResult<Group> {
    let meta = call(live, "group", |c| async move {
        c.groups().get_metadata(&jid).await
    })
    .await?;
    Ok(Group::from(meta))
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
    let jid = group_jid(&group_id)?;
    let live = live_client(&state, &session).await?;
    Ok(HttpResponse::Ok().json(metadata(&live, jid).await?))
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
    let jid = group_jid(&group_id)?;
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
    let live = live_client(&state, &session).await?;
    if let Some(s) = new_subject {
        let j = jid.clone();
        call(&live, "group", |c| async move {
            c.groups().set_subject(j, s).await
        })
        .await?;
    }
    if let Some(d) = new_description {
        let j = jid.clone();
        call(&live, "group", |c| async move {
            c.groups()
                .set_description(j, d, PreviousDescription::Resolve)
                .await
        })
        .await?;
    }
    if let Some(announce) = body.announce {
        let j = jid.clone();
        call(&live, "group", move |c| async move {
            c.groups().set_announce(j, announce).await
        })
        .await?;
    }
    if let Some(locked) = body.locked {
        let j = jid.clone();
        call(&live, "group", move |c| async move {
            c.groups().set_locked(j, locked).await
        })
        .await?;
    }
    Ok(HttpResponse::Ok().json(metadata(&live, jid).await?))
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
    let jid = group_jid(&group_id)?;
    let members = people(&body.participants)?;
    let action = body.action;
    let live = live_client(&state, &session).await?;
    let answers = call(&live, "group", move |c| async move {
        let groups = c.groups();
        match action {
            ParticipantAction::Add => groups.add_participants(jid, &members).await,
            ParticipantAction::Remove => groups.remove_participants(jid, &members).await,
            ParticipantAction::Promote => groups.promote_participants(jid, &members).await,
            ParticipantAction::Demote => groups.demote_participants(jid, &members).await,
        }
    })
    .await?;
    let data = answers
        .iter()
        .map(|a| ParticipantResult {
            jid: jid_text(&a.jid),
            status: a.error.clone().unwrap_or_else(|| "ok".into()),
        })
        .collect();
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
    let jid = group_jid(&group_id)?;
    let live = live_client(&state, &session).await?;
    let link = call(&live, "group", move |c| async move {
        c.groups().get_invite_link(jid, reset).await
    })
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
    let live = live_client(&state, &session).await?;
    let joined = call(&live, "invite", move |c| async move {
        c.groups().join_with_invite_code(&code).await
    })
    .await?;
    let (id, status) = match joined {
        JoinGroupResult::Joined(jid) => (jid, "joined"),
        JoinGroupResult::PendingApproval(jid) => (jid, "pending_approval"),
    };
    Ok(HttpResponse::Ok().json(Joined {
        id: id.to_string(),
        status: status.into(),
    }))
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
    let jid = group_jid(&group_id)?;
    let live = live_client(&state, &session).await?;
    let id = jid.to_string();
    call(&live, "group", move |c| async move {
        c.groups().leave(jid).await
    })
    .await?;
    Ok(HttpResponse::Ok().json(Left { id, left: true }))
}

#[cfg(test)]
mod tests;
