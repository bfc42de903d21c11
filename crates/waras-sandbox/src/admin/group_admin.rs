//! Groups through the admin API: read any group, and make an account's phone change
//! membership, join by invite code, leave, or edit the subject, description and settings.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::messages::parse_group;
use super::{AdminError, AdminState, Result, invalid, known_phone, not_found};
use crate::net::group_views as groups;
use crate::phones::actions::{self, GroupChanges};

pub(super) async fn get(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let group = parse_group(&path)?;
    let view = groups::view(&state.core, group.user.as_str())
        .ok_or_else(|| not_found(format!("no group {group}")))?;
    Ok(HttpResponse::Ok().json(view))
}

fn forbidden(detail: String) -> AdminError {
    AdminError::new(actix_web::http::StatusCode::FORBIDDEN, "forbidden", detail)
}

/// What a member may do, by the rules the server enforces.
#[derive(Clone, Copy)]
enum Need {
    Member,
    Admin,
    /// Admin when the group is locked.
    InfoEditor,
}

/// The group, which must exist and let `phone` do what `need` says.
fn member_group(
    state: &AdminState,
    phone: &str,
    raw: &str,
    need: Need,
) -> Result<wacore_binary::Jid> {
    let group = parse_group(raw)?;
    let net = state.core.read_net();
    let g = net
        .groups
        .get(group.user.as_str())
        .ok_or_else(|| not_found(format!("no group {group}")))?;
    if !g.members.iter().any(|m| m == phone) {
        return Err(forbidden(format!("{phone} is not a member of {group}")));
    }
    let admin_needed = match need {
        Need::Member => false,
        Need::Admin => true,
        Need::InfoEditor => g.locked,
    };
    if admin_needed && !g.is_admin(phone) {
        return Err(forbidden(format!("{phone} is not an admin of {group}")));
    }
    Ok(group)
}

#[derive(Deserialize)]
pub(super) struct ParticipantsRequest {
    action: String,
    participants: Vec<String>,
}

pub(super) async fn participants(
    state: web::Data<AdminState>,
    path: web::Path<(String, String)>,
    body: web::Json<ParticipantsRequest>,
) -> Result<HttpResponse> {
    let (raw_phone, raw_group) = path.into_inner();
    let phone = known_phone(&state.core, &raw_phone)?;
    let group = member_group(&state, &phone, &raw_group, Need::Admin)?;
    let body = body.into_inner();
    if !matches!(
        body.action.as_str(),
        "add" | "remove" | "promote" | "demote"
    ) {
        return Err(invalid("action must be add, remove, promote or demote"));
    }
    if body.participants.is_empty() {
        return Err(invalid("participants must not be empty"));
    }
    let members = body
        .participants
        .iter()
        .map(|p| known_phone(&state.core, p))
        .collect::<Result<Vec<_>>>()?;
    let outcome =
        actions::change_participants(&state.core, &phone, group.clone(), &body.action, members)
            .await
            .map_err(AdminError::internal)?;
    Ok(HttpResponse::Ok().json(json!({
        "id": group.to_string(),
        "action": body.action,
        "participants": outcome,
    })))
}

#[derive(Deserialize)]
pub(super) struct JoinRequest {
    code: String,
}

pub(super) async fn join(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<JoinRequest>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let code = body.into_inner().code;
    let bare = code
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let exists = !bare.is_empty()
        && state
            .core
            .read_net()
            .groups
            .values()
            .any(|g| g.invite_code.as_deref() == Some(bare.as_str()));
    if !exists {
        return Err(not_found("no group has this invite code"));
    }
    let group = actions::join(&state.core, &phone, code)
        .await
        .map_err(AdminError::internal)?;
    let view = groups::view(&state.core, group.user.as_str())
        .ok_or_else(|| not_found(format!("no group {group}")))?;
    Ok(HttpResponse::Ok().json(view))
}

pub(super) async fn leave(
    state: web::Data<AdminState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (raw_phone, raw_group) = path.into_inner();
    let phone = known_phone(&state.core, &raw_phone)?;
    let group = member_group(&state, &phone, &raw_group, Need::Member)?;
    actions::leave(&state.core, &phone, group.clone())
        .await
        .map_err(AdminError::internal)?;
    Ok(HttpResponse::Ok().json(json!({ "id": group.to_string(), "left": true })))
}

#[derive(Deserialize)]
pub(super) struct GroupUpdate {
    subject: Option<String>,
    description: Option<String>,
    announce: Option<bool>,
    locked: Option<bool>,
}

pub(super) async fn update(
    state: web::Data<AdminState>,
    path: web::Path<(String, String)>,
    body: web::Json<GroupUpdate>,
) -> Result<HttpResponse> {
    let (raw_phone, raw_group) = path.into_inner();
    let phone = known_phone(&state.core, &raw_phone)?;
    let body = body.into_inner();
    let need = if body.announce.is_some() || body.locked.is_some() {
        Need::Admin
    } else {
        Need::InfoEditor
    };
    let group = member_group(&state, &phone, &raw_group, need)?;
    if let Some(s) = &body.subject
        && (s.trim().is_empty() || s.len() > 100)
    {
        return Err(invalid("subject must be 1..100 bytes"));
    }
    if body.description.as_ref().is_some_and(|d| d.len() > 2048) {
        return Err(invalid("description must be at most 2048 bytes"));
    }
    let changes = GroupChanges {
        subject: body.subject,
        description: body.description,
        announce: body.announce,
        locked: body.locked,
    };
    actions::update_group(&state.core, &phone, group.clone(), changes)
        .await
        .map_err(AdminError::internal)?;
    let view = groups::view(&state.core, group.user.as_str())
        .ok_or_else(|| not_found(format!("no group {group}")))?;
    Ok(HttpResponse::Ok().json(view))
}
