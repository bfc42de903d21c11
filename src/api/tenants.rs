use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::keys::{CreateKey, CreatedKey, create_key_for};
use super::page::{PageQuery, fetch_page, list_type};
use super::state::AppState;
use crate::db::tenants::{self, TenantRow};
use crate::db::{now_ms, sessions};
use crate::domain::{Name, TenantId};
use crate::time::rfc3339;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// 1–100 characters, not all blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            created_at: rfc3339(r.created_at),
        }
    }
}

list_type!(TenantList, Tenant);

pub fn tenant_id(raw: &str) -> ApiResult<TenantId> {
    TenantId::parse(raw).ok_or_else(|| ApiError::not_found("tenant"))
}

#[utoipa::path(post, path = "/api/v1/tenants", tag = "admin", request_body = CreateTenant,
    security(("api_key" = [])),
    responses((status = 201, body = Tenant), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateTenant>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let name = Name::parse("name", &body.name)?;
    let row = TenantRow {
        id: TenantId::generate().into_string(),
        name: name.into_string(),
        created_at: now_ms(),
    };
    let stored = row.clone();
    state
        .db
        .run(move |pool| tenants::create(pool, &stored))
        .await?;
    Ok(HttpResponse::Created().json(Tenant::from(row)))
}

#[utoipa::path(get, path = "/api/v1/tenants", tag = "admin", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = TenantList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| TenantId::parse(c).is_some(),
        |r: &TenantRow| r.id.clone(),
        tenants::list,
    )
    .await?;
    Ok(HttpResponse::Ok().json(TenantList {
        data: rows.into_iter().map(Tenant::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant_id}", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = super::tenancy::TenantStanding, description = "The tenant with its suspension, quotas and usage"),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let id = tenant_id(&path)?;
    Ok(HttpResponse::Ok().json(super::tenancy::standing(&state, &id).await?))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant_id}", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)),
    responses((status = 204, description = "Deleted with all its sessions, keys and events"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let id = tenant_id(&path)?;
    let lookup = id.clone();
    let session_ids = state
        .db
        .run(move |pool| {
            Ok(tenants::get(pool, lookup.as_str())?
                .map(|_| sessions::ids_of_tenant(pool, lookup.as_str())))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))??;
    // Side by side: unlinking a stopped session may wait for it to connect.
    let removals = session_ids
        .iter()
        .map(|sid| super::sessions::remove_session(&state, sid));
    for removed in futures_util::future::join_all(removals).await {
        removed?;
    }
    let deleted = state
        .db
        .run(move |pool| tenants::delete(pool, id.as_str()))
        .await?;
    if !deleted {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant_id}/keys", tag = "admin", security(("api_key" = [])),
    params(("tenant_id" = String, Path)), request_body = CreateKey,
    responses((status = 201, body = CreatedKey), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 503, body = Problem)))]
pub async fn create_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<CreateKey>,
) -> ApiResult<HttpResponse> {
    caller.admin()?;
    let id = tenant_id(&path)?;
    let lookup = id.clone();
    state
        .db
        .run(move |pool| tenants::get(pool, lookup.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let created = create_key_for(&state, &id, None, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}
