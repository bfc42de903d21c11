//! Running WARAS for customers: the admin suspends and resumes a tenant and sets its quotas;
//! the admin (`GET /tenants/{id}`) and the tenant itself (`GET /tenant`) see its quotas against
//! its usage.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use super::tenants::{Tenant, tenant_id};
use crate::db::tenancy::{self, metric};
use crate::db::{DbPool, DbResult, now_ms, tenants};
use crate::domain::{Quotas, Scope, TenantId};
use crate::time::rfc3339;

/// What a tenant uses of each quota now.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaUsage {
    pub sessions: u64,
    /// Messages sent today (UTC), whatever sent them.
    pub messages_today: u64,
    /// Bytes of media stored for the tenant.
    pub media_bytes: u64,
    pub webhooks: u64,
}

/// A tenant with its standing: suspension, quotas (its own, else the defaults; absent: no
/// limit) and usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantStanding {
    #[serde(flatten)]
    pub tenant: Tenant,
    pub suspended: bool,
    pub suspended_at: Option<String>,
    pub quotas: Quotas,
    pub usage: QuotaUsage,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantChange {
    /// The tenant's own quotas; a quota left out (or null) falls back to the configured default.
    /// Left out or null: the quotas stay as they are.
    #[schema(nullable)]
    #[serde(default, deserialize_with = "super::json_object::object_or_null")]
    pub quotas: Option<Quotas>,
}

/// What counts against the quotas now.
pub fn usage_now(pool: &DbPool, tenant_id: &str, now: i64) -> DbResult<QuotaUsage> {
    let counts = tenants::counts(pool, tenant_id)?;
    let today = tenancy::today(pool, tenant_id, metric::MESSAGES_OUT, now)?;
    Ok(QuotaUsage {
        sessions: counts.sessions,
        messages_today: u64::try_from(today).unwrap_or(0),
        media_bytes: counts.media_bytes,
        webhooks: counts.webhooks,
    })
}

/// The tenant's standing, or 404.
pub async fn standing(state: &AppState, id: &TenantId) -> ApiResult<TenantStanding> {
    let tid = id.as_str().to_string();
    let defaults = state.default_quotas;
    let found = state
        .db
        .run(move |pool| {
            let Some(row) = tenants::get(pool, &tid)? else {
                return Ok(None);
            };
            let controls = tenancy::controls(pool, &tid)?;
            let usage = usage_now(pool, &tid, now_ms())?;
            Ok(Some((row, controls, usage)))
        })
        .await?;
    let (row, controls, usage) = found.ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(TenantStanding {
        tenant: Tenant::from(row),
        suspended: controls.suspended_at.is_some(),
        suspended_at: controls.suspended_at.map(rfc3339),
        quotas: controls.quotas().or(defaults),
        usage,
    })
}

#[utoipa::path(get, path = "/api/v1/tenant", tag = "keys", security(("api_key" = [])),
    responses((status = 200, body = TenantStanding, description = "The caller's tenant: its quotas and what it uses of them"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn own(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    Ok(HttpResponse::Ok().json(standing(&state, &key.tenant_id).await?))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{tenant_id}", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)), request_body = TenantChange,
    responses((status = 200, body = TenantStanding), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<TenantChange>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let id = tenant_id(&path)?;
    standing(&state, &id).await?;
    if let Some(quotas) = body.into_inner().quotas {
        if let Some(name) = quotas.out_of_range() {
            return Err(ApiError::invalid(format!(
                "quotas.{name}: at most {}",
                i64::MAX
            )));
        }
        let tid = id.as_str().to_string();
        state
            .db
            .run(move |pool| tenancy::set_quotas(pool, &tid, &quotas))
            .await?;
    }
    Ok(HttpResponse::Ok().json(standing(&state, &id).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/suspend", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = TenantStanding, description = "Suspended: its keys get 403 `tenant_suspended`, its sessions stop; nothing is deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn suspend(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_suspended(&state, &caller, &path, true).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/resume", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = TenantStanding, description = "Resumed: its keys work again and the sessions the suspension stopped start"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn resume(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_suspended(&state, &caller, &path, false).await
}

/// Suspends the tenant (its running sessions stop) or resumes it (the sessions the suspension
/// stopped start again); answers its standing.
async fn set_suspended(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    suspend: bool,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let id = tenant_id(raw_id)?;
    standing(state, &id).await?;
    let tid = id.as_str().to_string();
    let changed = state
        .db
        .run(move |pool| match suspend {
            true => tenancy::suspend(pool, &tid, now_ms()),
            false => tenancy::resume(pool, &tid),
        })
        .await?;
    for sid in &changed {
        match suspend {
            true => state.sessions.stop(sid).await?,
            false => state.sessions.start(sid).await?,
        }
    }
    Ok(HttpResponse::Ok().json(standing(state, &id).await?))
}
