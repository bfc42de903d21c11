//! The caller as an extractor: `Authorization: Bearer <key>` or `X-Api-Key: <key>`.

use std::future::Future;
use std::pin::Pin;

use actix_web::HttpMessage as _;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use secrecy::ExposeSecret;

use super::error::{ApiError, ApiResult};
use super::state::AppState;
use crate::auth::{Principal, TenantKey, hash_key, secrets_equal};
use crate::db::{keys, now_ms, tenants};
use crate::domain::{Scope, Scopes, SessionId, TenantId};

/// `last_used_at` is refreshed at most this often per key.
const TOUCH_INTERVAL_MS: i64 = 10_000;

pub struct Caller(pub Principal);

impl Caller {
    pub fn admin(&self) -> ApiResult<()> {
        match &self.0 {
            Principal::Admin => Ok(()),
            Principal::Tenant(_) => Err(ApiError::forbidden("this endpoint needs the admin key")),
        }
    }

    /// The tenant key, if it carries `scope`.
    pub fn tenant(&self, scope: Scope) -> ApiResult<&TenantKey> {
        match &self.0 {
            Principal::Admin => Err(ApiError::forbidden(
                "the admin key manages tenants; use a tenant key (waras_…) for tenant resources",
            )),
            Principal::Tenant(k) if k.allows(scope) => Ok(k),
            Principal::Tenant(_) => Err(ApiError::forbidden(format!(
                "this key lacks the `{}` scope",
                scope.as_str()
            ))),
        }
    }
}

/// The session a request by `key` is about: the one asked for, or the key's own when the key is
/// restricted to one (asking for another is 403).
pub fn narrow_session(key: &TenantKey, asked: Option<SessionId>) -> ApiResult<Option<SessionId>> {
    match (&key.session_id, asked) {
        (None, asked) => Ok(asked),
        (Some(own), None) => Ok(Some(own.clone())),
        (Some(own), Some(asked)) if asked == *own => Ok(Some(asked)),
        (Some(_), Some(_)) => Err(ApiError::forbidden(
            "this key is restricted to another session",
        )),
    }
}

/// Why a key that authenticated earlier may no longer act (revoked, expired, its tenant or
/// session deleted); `None` while it still may. Long-lived connections ask this again and again,
/// since their key was checked only once, when they opened.
pub(crate) async fn key_withdrawn(state: &AppState, key: &TenantKey) -> ApiResult<Option<String>> {
    if key.expires_at.is_some_and(|t| t <= now_ms()) {
        return Ok(Some("the API key expired".into()));
    }
    let (tenant, id) = (key.tenant_id.as_str().to_string(), key.key_id.clone());
    let (row, tenant_exists, suspended) = state
        .db
        .run(move |pool| {
            let row = keys::get(pool, &tenant, &id)?;
            let exists = row.is_some() || tenants::get(pool, &tenant)?.is_some();
            let suspended = crate::db::tenancy::controls(pool, &tenant)?
                .suspended_at
                .is_some();
            Ok((row, exists, suspended))
        })
        .await?;
    Ok(match row {
        None if !tenant_exists => Some("the tenant was deleted".into()),
        _ if suspended => Some("the tenant is suspended".into()),
        None => Some("the API key was revoked".into()),
        Some(r) if r.expires_at.is_some_and(|t| t <= now_ms()) => {
            Some("the API key expired".into())
        }
        Some(_) => None,
    })
}

pub(crate) fn presented_key(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    if let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if let Some(token) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
        {
            return Some(token.trim().to_string());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

pub(crate) async fn authenticate(
    state: web::Data<AppState>,
    presented: Option<String>,
) -> ApiResult<Caller> {
    let key = presented.filter(|k| !k.is_empty()).ok_or_else(|| {
        ApiError::unauthorized("an API key is required (Authorization: Bearer or X-Api-Key)")
    })?;
    if secrets_equal(&key, state.admin_key.expose_secret()) {
        return Ok(Caller(Principal::Admin));
    }
    let invalid = || ApiError::unauthorized("the API key is invalid, expired or revoked");
    if !key.starts_with(crate::auth::KEY_PREFIX) || key.len() > 128 {
        return Err(invalid());
    }
    let hash = hash_key(&key);
    let found = state
        .db
        .run(move |pool| keys::find_by_hash_with_suspension(pool, &hash))
        .await?;
    let (row, suspended_at) = found.ok_or_else(invalid)?;
    let suspended = suspended_at.is_some();
    let now = now_ms();
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|t| t <= now) {
        return Err(invalid());
    }
    if suspended {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "tenant_suspended",
            "the tenant is suspended; its provider can resume it",
        ));
    }
    if row.last_used_at.is_none_or(|t| t < now - TOUCH_INTERVAL_MS) {
        let id = row.id.clone();
        // Best effort and off the request path: a lost touch only delays last_used_at.
        actix_web::rt::spawn(async move {
            let stale = now - TOUCH_INTERVAL_MS;
            if let Err(e) = state
                .db
                .run(move |pool| keys::touch(pool, &id, now, stale))
                .await
            {
                log::warn!("cannot record key use: {e}");
            }
        });
    }
    Ok(Caller(Principal::Tenant(TenantKey {
        key_id: row.id,
        tenant_id: TenantId::from_db(row.tenant_id),
        scopes: Scopes::from_db(&row.scopes),
        session_id: row.session_id.map(SessionId::from_db),
        expires_at: row.expires_at,
    })))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = presented_key(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let caller = authenticate(state.clone(), presented).await;
            let caller = match caller {
                Ok(c) => c,
                Err(e) => return Err(e),
            };
            // For the audit log, which records who called once the call was answered.
            req.extensions_mut().insert(caller.0.clone());
            if let Principal::Tenant(k) = &caller.0 {
                let budget = state
                    .rate_limits
                    .check(&k.key_id, k.tenant_id.as_str())
                    .await?;
                if let Some(b) = budget {
                    req.extensions_mut().insert(b);
                }
            }
            Ok(caller)
        })
    }
}
