//! `/api/v1/campaigns`: one message (or a template filled per recipient) sent to up to 100,000
//! recipients through one or more sessions, paced per session; paused, resumed and cancelled
//! here, sent by each session's owner (`db::campaigns::dispatch`).

mod input;
mod message;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use input::{CreateCampaign, RecipientInput};
use message::{campaign_file, message_of};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use crate::auth::TenantKey;
use crate::db::campaigns::{
    self, ASSIGNED, CHECKING, CampaignRow, Change, Changed, Counts, PENDING, RecipientProgress,
};
use crate::db::now_ms;
use crate::db::sessions::SessionRow;
use crate::domain::campaign::Pacing;
use crate::domain::{CampaignId, CampaignStatus, Name, Scope};
use crate::engine::compose::EngineRef;
use crate::time::{rfc3339, rfc3339_opt};

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    /// draft, running, paused, completed, cancelled or stopped.
    #[schema(example = "running")]
    pub status: String,
    /// Why a `stopped` campaign stopped (a session left WORKING, WhatsApp's rate limit, a run
    /// of failures).
    pub stopped_reason: Option<String>,
    pub session_ids: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub template_id: Option<String>,
    pub pacing: Pacing,
    pub skip_unregistered: bool,
    pub counts: Counts,
    pub created_at: String,
    pub updated_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

list_type!(CampaignList, Campaign);

#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    /// Upload order, from 0; the list's cursor.
    pub seq: i32,
    pub to: String,
    pub variables: Option<BTreeMap<String, String>>,
    /// queued, scheduled, sent, delivered, read, failed, skipped or cancelled.
    pub status: String,
    pub session_id: Option<String>,
    pub message_id: Option<String>,
    pub wa_id: Option<String>,
    pub error: Option<String>,
    pub updated_at: String,
}

list_type!(RecipientList, Recipient);

fn campaign(row: CampaignRow, session_ids: Vec<String>, counts: Counts) -> Campaign {
    Campaign {
        pacing: row.pacing(),
        id: row.id,
        name: row.name,
        status: row.status,
        stopped_reason: row.stopped_reason,
        session_ids,
        kind: row.msg_type,
        template_id: row.template_id,
        skip_unregistered: row.skip_unregistered,
        counts,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        started_at: rfc3339_opt(row.started_at),
        finished_at: rfc3339_opt(row.finished_at),
    }
}

fn recipient((r, message): RecipientProgress) -> Recipient {
    let (status, error, wa_id) = match (r.status.as_str(), message) {
        (ASSIGNED, Some((status, error, wa_id))) => (status, error, Some(wa_id)),
        (PENDING | CHECKING, _) => ("queued".to_string(), None, None),
        (other, _) => (other.to_string(), r.error.clone(), None),
    };
    Recipient {
        seq: r.seq,
        to: r.recipient,
        variables: r.variables.and_then(|v| serde_json::from_str(&v).ok()),
        status,
        session_id: r.session_id,
        message_id: r.message_id,
        wa_id,
        error,
        updated_at: rfc3339(r.updated_at),
    }
}

/// A campaign as the API shows it: with its sessions and counts.
async fn shown(state: &AppState, row: CampaignRow) -> ApiResult<Campaign> {
    let id = row.id.clone();
    let (sessions, mut counts) = state
        .db
        .run(move |pool| {
            let ids = vec![id.clone()];
            Ok((
                campaigns::session_ids(pool, &id)?,
                campaigns::counts(pool, &ids)?,
            ))
        })
        .await?;
    let c = counts.remove(&row.id).unwrap_or_default();
    Ok(campaign(row, sessions, c))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns",
    request_body(content(
        (CreateCampaign = "application/json"),
        (CreateCampaign = "multipart/form-data")
    ), description = "JSON, or multipart/form-data with a CSV file part `recipients` (a header row with a `to` column; every other column is a template variable) and the other fields as parts (objects and arrays as JSON, `session_ids` also comma-separated). Up to 32 MiB."),
    security(("api_key" = [])),
    responses((status = 201, body = Campaign, description = "Stored with its recipients; a running campaign starts sending at once"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "A session does not exist"),
        (status = 409, body = Problem, description = "`session_not_linked`: a session has no WhatsApp account yet"),
        (status = 413, body = Problem),
        (status = 422, body = Problem, description = "`template_not_found`, `template_variable_missing` (naming the recipient) or `campaign_type_unsupported`"),
        (status = 503, body = Problem)))]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let mut body = input::read(&req, payload).await?;
    let name = Name::parse("name", &body.name)?;
    body.pacing.check()?;
    let sessions = checked_sessions(&state, key, &body.session_ids).await?;
    let session_ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    let mut message = message_of(&state, key, &body).await?;
    let file = campaign_file(&state, &sessions[0], &mut message).await?;
    let list = body.recipients.take().unwrap_or_default();
    let source = message.source.clone();
    let name_of = body.template.clone().unwrap_or_else(|| "message".into());
    let recipients = web::block(move || {
        input::checked_recipients(list, |values| match &source {
            None => Ok(()),
            Some(t) => t.render(values).map(drop).map_err(|missing| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "template_variable_missing",
                    format!(
                        "variables: the template `{name_of}` needs {} (no value given and no default)",
                        missing.join(", ")
                    ),
                )
            }),
        })
    })
    .await
    .map_err(|_| ApiError::internal("the recipient check stopped"))??;
    let now = now_ms();
    let start = body.start.unwrap_or(true);
    let status = if start {
        CampaignStatus::Running
    } else {
        CampaignStatus::Draft
    };
    let row = CampaignRow {
        id: CampaignId::generate().into_string(),
        tenant_id: key.tenant_id.as_str().to_string(),
        name: name.as_str().to_string(),
        status: status.as_str().to_string(),
        msg_type: message.kind.as_str().to_string(),
        body: message.content.to_json(),
        template_id: message.template_id,
        template_source: message.source_text,
        pacing: serde_json::to_string(&body.pacing).unwrap_or_default(),
        skip_unregistered: body.skip_unregistered.unwrap_or(false),
        media_id: file.as_ref().map(|f| f.id.clone()),
        engine_ref: file.as_ref().map(|f| {
            EngineRef {
                file: Some(f.id.clone()),
                ..EngineRef::default()
            }
            .to_json()
        }),
        total: recipients.len() as i32,
        stopped_reason: None,
        created_at: now,
        updated_at: now,
        started_at: start.then_some(now),
        finished_at: None,
    };
    let (stored, ids) = (row.clone(), session_ids.clone());
    let event = state
        .db
        .run(move |pool| campaigns::create(pool, &stored, &ids, &recipients, file.as_ref()))
        .await?;
    if event.is_some() {
        state.db.events_appended();
        for s in &session_ids {
            state.sessions.nudge(s);
        }
    }
    let counts = Counts {
        total: i64::from(row.total),
        queued: i64::from(row.total),
        ..Counts::default()
    };
    Ok(HttpResponse::Created().json(campaign(row, session_ids, counts)))
}

/// The campaign's sessions: this tenant's, covered by the key, linked; each once.
async fn checked_sessions(
    state: &AppState,
    key: &TenantKey,
    raw: &[String],
) -> ApiResult<Vec<SessionRow>> {
    if raw.is_empty() || raw.len() > input::MAX_SESSIONS {
        return Err(ApiError::invalid(format!(
            "session_ids: 1 to {} sessions",
            input::MAX_SESSIONS
        )));
    }
    let mut sessions: Vec<SessionRow> = Vec::with_capacity(raw.len());
    for id in raw {
        let session = load_session(state, key, id).await?;
        if session.me_phone_jid.is_none() {
            return Err(ApiError::conflict(
                "session_not_linked",
                format!("session_ids: {id} has no WhatsApp account linked yet"),
            ));
        }
        if !sessions.iter().any(|s| s.id == session.id) {
            sessions.push(session);
        }
    }
    Ok(sessions)
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = CampaignList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let tenant = caller.tenant(Scope::Read)?.tenant_id.as_str().to_string();
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| CampaignId::parse(c).is_some(),
        |r: &CampaignRow| r.id.clone(),
        move |pool, after, n| campaigns::list(pool, &tenant, after, n),
    )
    .await?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let (mut counts, mut sessions) = state
        .db
        .run(move |pool| {
            let counts = campaigns::counts(pool, &ids)?;
            let sessions = ids
                .iter()
                .map(|id| Ok((id.clone(), campaigns::session_ids(pool, id)?)))
                .collect::<crate::db::DbResult<std::collections::HashMap<_, _>>>()?;
            Ok((counts, sessions))
        })
        .await?;
    let data = rows
        .into_iter()
        .map(|r| {
            let (c, s) = (
                counts.remove(&r.id).unwrap_or_default(),
                sessions.remove(&r.id).unwrap_or_default(),
            );
            campaign(r, s, c)
        })
        .collect();
    Ok(HttpResponse::Ok().json(CampaignList { data, next_cursor }))
}

async fn load(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<CampaignRow> {
    let id = CampaignId::parse(raw).ok_or_else(|| ApiError::not_found("campaign"))?;
    let tenant = key.tenant_id.as_str().to_string();
    state
        .db
        .run(move |pool| campaigns::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}", tag = "campaigns",
    params(("campaign_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Campaign), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(shown(&state, row).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecipientQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/recipients", tag = "campaigns",
    params(("campaign_id" = String, Path), RecipientQuery), security(("api_key" = [])),
    responses((status = 200, body = RecipientList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn recipients(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<RecipientQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load(&state, key, &path).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &page,
        |c| {
            c.parse::<u32>()
                .is_ok_and(|n| n < input::MAX_RECIPIENTS as u32)
        },
        |r: &RecipientProgress| r.0.seq.to_string(),
        move |pool, after, n| {
            campaigns::recipients(pool, &row.id, after.and_then(|a| a.parse().ok()), n)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(RecipientList {
        data: rows.into_iter().map(recipient).collect(),
        next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/pause", tag = "campaigns",
    params(("campaign_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Campaign, description = "Paused: no session claims a recipient any more, and sends still waiting for their typing indicator are taken back"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`campaign_not_running`"), (status = 503, body = Problem)))]
pub async fn pause(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change(&state, caller, &path, Change::Pause).await
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/resume", tag = "campaigns",
    params(("campaign_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Campaign, description = "Running again (or started, from a draft)"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`campaign_not_paused`: only a draft, paused or stopped campaign resumes"),
        (status = 503, body = Problem)))]
pub async fn resume(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change(&state, caller, &path, Change::Resume).await
}

#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/cancel", tag = "campaigns",
    params(("campaign_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Campaign, description = "Cancelled: recipients not sent to yet are `cancelled`"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`campaign_finished`: it completed or was cancelled"),
        (status = 503, body = Problem)))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change(&state, caller, &path, Change::Cancel).await
}

async fn change(
    state: &AppState,
    caller: Caller,
    raw: &str,
    change: Change,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Send)?;
    let id = CampaignId::parse(raw).ok_or_else(|| ApiError::not_found("campaign"))?;
    let tenant = key.tenant_id.as_str().to_string();
    let changed = state
        .db
        .run(move |pool| campaigns::change(pool, &tenant, id.as_str(), change, now_ms()))
        .await?;
    let row = match changed {
        Changed::Done(row, _) => row,
        Changed::Missing => return Err(ApiError::not_found("campaign")),
        Changed::Refused(row) => {
            let (code, what) = match change {
                Change::Pause => ("campaign_not_running", "only a running campaign pauses"),
                Change::Resume => (
                    "campaign_not_paused",
                    "only a draft, paused or stopped campaign resumes",
                ),
                Change::Cancel => ("campaign_finished", "it has already finished"),
            };
            return Err(ApiError::conflict(
                code,
                format!("the campaign is {}: {what}", row.status),
            ));
        }
    };
    state.db.events_appended();
    let shown = shown(state, row).await?;
    if change == Change::Resume {
        for s in &shown.session_ids {
            state.sessions.nudge(s);
        }
    }
    Ok(HttpResponse::Ok().json(shown))
}
