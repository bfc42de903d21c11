//! The audit log over HTTP: every mutating call (POST, PUT, PATCH, DELETE) under `/api/v1` is
//! recorded once it was answered — who (the admin, a key, or nobody a key vouched for), the
//! method and route, the path, the caller's address and the status — and `GET /audit` reads it
//! back: a tenant its own, the admin everyone's.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage as _, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use crate::auth::Principal;
use crate::db::audit::{self, AuditFilter, AuditRow};
use crate::db::now_ms;
use crate::domain::{AuditId, Scope};
use crate::time::rfc3339;

/// Records the call after it was answered (the caller is known only once its key was checked).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let res = next.call(req).await?;
    if !mutating {
        return Ok(res);
    }
    let request = res.request();
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return Ok(res);
    };
    let principal = request.extensions().get::<Principal>().cloned();
    let path_tenant = request.match_info().get("tenant_id").map(str::to_string);
    let (actor_kind, key_id, tenant_id) = match principal {
        Some(Principal::Admin) => ("admin", None, path_tenant),
        Some(Principal::Tenant(k)) => ("key", Some(k.key_id), Some(k.tenant_id.into_string())),
        None => ("anonymous", None, None),
    };
    let pattern = request
        .match_pattern()
        .unwrap_or_else(|| "(no route)".to_string());
    let ip = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    state.audit.record(AuditRow {
        id: AuditId::generate().into_string(),
        tenant_id,
        at: now_ms(),
        actor_kind: actor_kind.to_string(),
        key_id,
        action: format!("{} {pattern}", request.method()),
        target: request.path().to_string(),
        ip,
        status: i32::from(res.status().as_u16()),
    });
    Ok(res)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The `id` of the last entry seen (`next_cursor`).
    pub after: Option<String>,
    /// Only this action, e.g. `POST /api/v1/sessions/{session_id}/start`.
    pub action: Option<String>,
    /// 1–200 (as every list), default 100.
    pub limit: Option<i64>,
    /// Only this tenant's entries (admin key only).
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    /// `admin`, `key`, or `anonymous` (a call no valid key vouched for).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: String,
    pub actor: Actor,
    pub tenant_id: Option<String>,
    pub action: String,
    pub target: String,
    pub ip: String,
    pub status: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub data: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        Self {
            id: r.id,
            at: rfc3339(r.at),
            actor: Actor {
                kind: r.actor_kind,
                key_id: r.key_id,
            },
            tenant_id: r.tenant_id,
            action: r.action,
            target: r.target,
            ip: r.ip,
            status: u16::try_from(r.status).unwrap_or(0),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "keys", params(AuditQuery), security(("api_key" = [])),
    responses((status = 200, body = AuditList, description = "Mutating calls, oldest first: a tenant's own, or (admin) everyone's"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let tenant_id = match &caller.0 {
        Principal::Admin => q.tenant_id.clone(),
        Principal::Tenant(_) => {
            let key = caller.tenant(Scope::Manage)?;
            if q.tenant_id.is_some() {
                return Err(ApiError::invalid("tenant_id: for the admin key only"));
            }
            Some(key.tenant_id.as_str().to_string())
        }
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=super::page::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: must be between 1 and {}",
            super::page::MAX_LIMIT
        )));
    }
    if q.after
        .as_deref()
        .is_some_and(|a| AuditId::parse(a).is_none())
    {
        return Err(ApiError::invalid("after: an audit entry id (aud_…)"));
    }
    let filter = AuditFilter {
        tenant_id,
        action: q.action.clone(),
    };
    let after = q.after.clone();
    let rows = state
        .db
        .run(move |pool| audit::list(pool, &filter, after.as_deref(), limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    let data: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(AuditEntry::from)
        .collect();
    let next_cursor = more.then(|| data.last().map(|e| e.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(AuditList { data, next_cursor }))
}
