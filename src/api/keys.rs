use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, narrow_session};
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::state::AppState;
use crate::auth::{GeneratedKey, TenantKey};
use crate::db::keys::{self, KeyRow};
use crate::db::{now_ms, sessions};
use crate::domain::{KeyId, Name, Scope, Scopes, SessionId, TenantId};
use crate::time::{rfc3339, rfc3339_opt};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// Any of `read`, `send`, `manage`.
    #[schema(value_type = Vec<ScopeName>, min_items = 1)]
    pub scopes: Vec<String>,
    /// Restricts the key to one session of the tenant.
    #[schema(pattern = "^ses_[0-9a-f]{32}$", min_length = 36, max_length = 36)]
    pub session_id: Option<String>,
    /// RFC 3339; must be in the future.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// What a key may do: `read` GETs anything of the tenant, `send` sends messages, `manage`
/// changes sessions, keys and webhooks.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ScopeName {
    Read,
    Send,
    Manage,
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub session_id: Option<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
}

/// A key as created: the only time its secret `key` is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub key: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub session_id: Option<String>,
    pub expires_at: Option<String>,
    pub created_at: String,
}

impl From<KeyRow> for ApiKey {
    fn from(r: KeyRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: Scopes::from_db(&r.scopes)
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            session_id: r.session_id,
            expires_at: rfc3339_opt(r.expires_at),
            last_used_at: rfc3339_opt(r.last_used_at),
            created_at: rfc3339(r.created_at),
        }
    }
}

list_type!(KeyList, ApiKey);

/// Validates and stores a new key of `tenant`. `creator` (a tenant key) bounds what the new key may
/// do: a subset of its scopes and its own session restriction.
pub async fn create_key_for(
    state: &AppState,
    tenant: &TenantId,
    creator: Option<&TenantKey>,
    body: CreateKey,
) -> ApiResult<CreatedKey> {
    let name = Name::parse("name", &body.name)?;
    let scopes = Scopes::parse_list("scopes", &body.scopes)?;
    let now = now_ms();
    let expires_at = match &body.expires_at {
        None => None,
        Some(raw) => {
            let t = DateTime::parse_from_rfc3339(raw)
                .map_err(|_| ApiError::invalid("expires_at: must be an RFC 3339 time"))?
                .timestamp_millis();
            if t <= now {
                return Err(ApiError::invalid("expires_at: must be in the future"));
            }
            Some(t)
        }
    };
    let mut session_id = match &body.session_id {
        None => None,
        Some(raw) => Some(
            SessionId::parse(raw)
                .ok_or_else(|| ApiError::invalid("session_id: no such session"))?,
        ),
    };
    if let Some(creator) = creator {
        if !scopes.is_subset_of(&creator.scopes) {
            return Err(ApiError::forbidden(
                "a key can only grant scopes it has itself",
            ));
        }
        session_id = narrow_session(creator, session_id)?;
        outlives_check(creator.expires_at, expires_at)?;
    }
    if let Some(sid) = &session_id {
        let (t, s) = (tenant.as_str().to_string(), sid.as_str().to_string());
        if state
            .db
            .run(move |pool| sessions::get(pool, &t, &s))
            .await?
            .is_none()
        {
            return Err(ApiError::invalid("session_id: no such session"));
        }
    }
    let generated = GeneratedKey::new();
    let row = KeyRow {
        id: KeyId::generate().into_string(),
        tenant_id: tenant.as_str().to_string(),
        name: name.into_string(),
        prefix: generated.prefix.clone(),
        secret_hash: generated.hash.clone(),
        scopes: scopes.to_db(),
        session_id: session_id.map(SessionId::into_string),
        expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    let stored = row.clone();
    state
        .db
        .run(move |pool| keys::insert(pool, &stored))
        .await?;
    let view = ApiKey::from(row);
    Ok(CreatedKey {
        id: view.id,
        name: view.name,
        key: generated.secret,
        prefix: view.prefix,
        scopes: view.scopes,
        session_id: view.session_id,
        expires_at: view.expires_at,
        created_at: view.created_at,
    })
}

/// A key may not mint one that outlives it: otherwise an expiring key could make itself permanent.
fn outlives_check(creator_expires: Option<i64>, expires_at: Option<i64>) -> ApiResult<()> {
    match (creator_expires, expires_at) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "key_outlives_creator",
            "expires_at: this key expires, so the keys it creates must expire too (at or before its own expiry)",
        )),
        (Some(limit), Some(t)) if t > limit => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "key_outlives_creator",
            format!(
                "expires_at: must not be later than the creating key's expiry ({})",
                rfc3339(limit)
            ),
        )),
        _ => Ok(()),
    }
}

/// Whether `caller` may see or revoke `row`: a session-scoped key only sees keys of its session.
fn visible_to(caller: &TenantKey, row: &KeyRow) -> bool {
    caller
        .session_id
        .as_ref()
        .is_none_or(|own| row.session_id.as_deref() == Some(own.as_str()))
}

#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", request_body = CreateKey, security(("api_key" = [])),
    responses((status = 201, body = CreatedKey), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateKey>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let created = create_key_for(&state, &key.tenant_id, Some(key), body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = KeyList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?.clone();
    let tenant = key.tenant_id.as_str().to_string();
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| KeyId::parse(c).is_some(),
        |r: &KeyRow| r.id.clone(),
        move |pool, after, n| keys::list(pool, &tenant, after, n),
    )
    .await?;
    let data = rows
        .into_iter()
        .filter(|r| visible_to(&key, r))
        .map(ApiKey::from)
        .collect();
    Ok(HttpResponse::Ok().json(KeyList { data, next_cursor }))
}

async fn find_visible(state: &AppState, key: &TenantKey, raw_id: &str) -> ApiResult<KeyRow> {
    let id = KeyId::parse(raw_id).ok_or_else(|| ApiError::not_found("key"))?;
    let tenant = key.tenant_id.as_str().to_string();
    let row = state
        .db
        .run(move |pool| keys::get(pool, &tenant, id.as_str()))
        .await?
        .filter(|r| visible_to(key, r))
        .ok_or_else(|| ApiError::not_found("key"))?;
    Ok(row)
}

#[utoipa::path(get, path = "/api/v1/keys/{key_id}", tag = "keys", params(("key_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = ApiKey), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = find_visible(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(ApiKey::from(row)))
}

#[utoipa::path(delete, path = "/api/v1/keys/{key_id}", tag = "keys", params(("key_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 204, description = "Revoked; it stops working at once"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = find_visible(&state, key, &path).await?;
    let tenant = key.tenant_id.as_str().to_string();
    let revoked = state
        .db
        .run(move |pool| keys::revoke(pool, &tenant, &row.id, now_ms()))
        .await?;
    if !revoked {
        return Err(ApiError::not_found("key"));
    }
    Ok(HttpResponse::NoContent().finish())
}
