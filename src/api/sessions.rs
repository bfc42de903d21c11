use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem, unless_duplicate};
use super::page::{PageQuery, fetch_page, list_type};
use super::state::AppState;
use crate::auth::TenantKey;
use crate::db::now_ms;
use crate::db::sessions::{self, SessionPatch, SessionRow};
use crate::domain::proxy::ProxyUrl;
use crate::domain::{DesiredState, Name, Scope, SessionId, SessionStatus};
use crate::time::rfc3339;

/// Largest accepted `config` object, serialised.
const MAX_CONFIG_BYTES: usize = 16 * 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// 1–100 characters, unique within the tenant; not all blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
    /// Start at once (default true).
    pub start: Option<bool>,
    /// Free-form settings object kept with the session.
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    /// `socks5://[user:password@]host:port` or `http://[user:password@]host:port` (an HTTP
    /// CONNECT proxy): the session's WhatsApp connection and media go through it.
    pub proxy: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSession {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    /// A new proxy URL, or null to connect directly; a running session restarts to use it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub proxy: Option<Option<String>>,
}

/// A field that may be null: absent → `None`, null → `Some(None)`.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub phone_jid: Option<String>,
    pub lid: Option<String>,
    pub push_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub name: String,
    /// STOPPED, STARTING, SCAN_QR, PAIR_CODE, WORKING, RECONNECTING, LOGGED_OUT or FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    /// `running` or `stopped`: what the service restores at boot.
    pub desired_state: String,
    pub me: Option<Me>,
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    /// The proxy the session connects through, with its password shown as `***`.
    pub proxy: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The instance that runs the session now (its owner), or null when none does.
    pub instance: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        let me = (r.me_phone_jid.is_some() || r.me_lid.is_some()).then_some(Me {
            phone_jid: r.me_phone_jid,
            lid: r.me_lid,
            push_name: r.me_push_name,
        });
        Self {
            id: r.id,
            name: r.name,
            status: r.status,
            status_reason: r.status_reason,
            desired_state: r.desired_state,
            me,
            config: serde_json::from_str(&r.config).unwrap_or(serde_json::Value::Null),
            proxy: r.proxy,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            instance: None,
        }
    }
}

/// Session objects as the API shows them, each with the instance that runs it.
pub async fn present(state: &AppState, rows: Vec<SessionRow>) -> ApiResult<Vec<Session>> {
    let running: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.id.clone(), r.status.clone()))
        .collect();
    let owners = state.sessions.owners(running).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let instance = owners.get(&r.id).cloned();
            Session {
                instance,
                ..Session::from(r)
            }
        })
        .collect())
}

/// [`present`] for one session.
pub async fn present_one(state: &AppState, row: SessionRow) -> ApiResult<Session> {
    let mut one = present(state, vec![row]).await?;
    one.pop().ok_or_else(|| ApiError::not_found("session"))
}

list_type!(SessionList, Session);

fn config_text(config: Option<serde_json::Value>) -> ApiResult<Option<String>> {
    match config {
        None => Ok(None),
        Some(v @ serde_json::Value::Object(_)) => {
            crate::domain::SessionOptions::parse(&v).map_err(ApiError::from)?;
            let text = v.to_string();
            if text.len() > MAX_CONFIG_BYTES {
                return Err(ApiError::invalid(format!(
                    "config: must be at most {MAX_CONFIG_BYTES} bytes"
                )));
            }
            Ok(Some(text))
        }
        Some(_) => Err(ApiError::invalid("config: must be a JSON object")),
    }
}

/// The session named by `raw`, if the key may see it: 404 when it is not the tenant's,
/// 403 when the key is restricted to another session.
pub async fn load_session(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<SessionRow> {
    let id = SessionId::parse(raw).ok_or_else(|| ApiError::not_found("session"))?;
    if !key.covers_session(&id) {
        return Err(ApiError::forbidden(
            "this key is restricted to another session",
        ));
    }
    let tenant = key.tenant_id.as_str().to_string();
    state
        .db
        .run(move |pool| sessions::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("session"))
}

async fn reload(state: &AppState, row: &SessionRow) -> ApiResult<Session> {
    let (t, id) = (row.tenant_id.clone(), row.id.clone());
    let fresh = state
        .db
        .run(move |pool| sessions::get(pool, &t, &id))
        .await?;
    present_one(state, fresh.ok_or_else(|| ApiError::not_found("session"))?).await
}

#[utoipa::path(post, path = "/api/v1/sessions", tag = "sessions", request_body = CreateSession,
    security(("api_key" = [])),
    responses((status = 201, body = Session), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateSession>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    if key.session_id.is_some() {
        return Err(ApiError::forbidden(
            "a session-scoped key cannot create sessions",
        ));
    }
    let body = body.into_inner();
    let name = Name::parse("name", &body.name)?;
    let config = config_text(body.config)?.unwrap_or_else(|| "{}".to_string());
    let start = body.start.unwrap_or(true);
    let now = now_ms();
    let desired = if start {
        DesiredState::Running
    } else {
        DesiredState::Stopped
    };
    let id = SessionId::generate().into_string();
    let proxy = body
        .proxy
        .as_deref()
        .map(|raw| seal_proxy(&state, &id, raw))
        .transpose()?;
    let row = SessionRow {
        id,
        tenant_id: key.tenant_id.as_str().to_string(),
        name: name.into_string(),
        desired_state: desired.as_str().to_string(),
        status: SessionStatus::Stopped.as_str().to_string(),
        status_reason: None,
        me_phone_jid: None,
        me_lid: None,
        me_push_name: None,
        config,
        created_at: now,
        updated_at: now,
        qr_code: None,
        qr_expires_at: None,
        proxy: proxy.as_ref().map(|(shown, _)| shown.clone()),
        proxy_sealed: proxy.map(|(_, sealed)| sealed),
    };
    let stored = row.clone();
    let defaults = state.default_quotas;
    state
        .db
        .run(move |pool| {
            let quota = crate::db::tenancy::quotas(pool, &stored.tenant_id, defaults)?.sessions;
            sessions::insert(pool, &stored, quota)
        })
        .await
        .map_err(unless_duplicate("a session with this name"))?;
    if start {
        state.sessions.start(&row.id).await?;
    }
    Ok(HttpResponse::Created().json(reload(&state, &row).await?))
}

#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = SessionList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (tenant, only) = key.listing();
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| SessionId::parse(c).is_some(),
        |r: &SessionRow| r.id.clone(),
        move |pool, after, n| sessions::list(pool, &tenant, only.as_deref(), after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(SessionList {
        data: present(&state, rows).await?,
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}", tag = "sessions", params(("session_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load_session(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(present_one(&state, row).await?))
}

#[utoipa::path(patch, path = "/api/v1/sessions/{session_id}", tag = "sessions", params(("session_id" = String, Path)),
    request_body = UpdateSession, security(("api_key" = [])),
    responses((status = 200, body = Session), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateSession>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(&state, key, &path).await?;
    let body = body.into_inner();
    let patch = SessionPatch {
        name: body
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose()?
            .map(Name::into_string),
        config: config_text(body.config)?,
        proxy: body
            .proxy
            .map(|p| p.map(|raw| seal_proxy(&state, &row.id, &raw)).transpose())
            .transpose()?,
        desired_state: None,
    };
    let new_proxy = patch.proxy.is_some();
    let updated = state
        .db
        .run(move |pool| sessions::update(pool, &row.tenant_id, &row.id, &patch, now_ms()))
        .await
        .map_err(unless_duplicate("a session with this name"))?
        .ok_or_else(|| ApiError::not_found("session"))?;
    if new_proxy && updated.desired_state == DesiredState::Running.as_str() {
        // The engine dials through the proxy from its next connection: restart to use it now.
        state.sessions.restart(&updated.id).await?;
    }
    Ok(HttpResponse::Ok().json(present_one(&state, updated).await?))
}

/// The proxy as shown (password hidden) and as sealed for `session_id`.
fn seal_proxy(state: &AppState, session_id: &str, raw: &str) -> ApiResult<(String, String)> {
    let proxy = ProxyUrl::parse(raw)?;
    let sealed = state
        .session_proxies
        .seal(proxy.to_url().as_bytes(), session_id.as_bytes());
    Ok((proxy.redacted(), sealed))
}

#[utoipa::path(delete, path = "/api/v1/sessions/{session_id}", tag = "sessions", params(("session_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 204, description = "Stopped and deleted with all its data"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(&state, key, &path).await?;
    remove_session(&state, &row.id).await?;
    let stopped = state
        .db
        .run(move |pool| {
            sessions::delete(pool, &row.tenant_id, &row.id)?;
            // Its running campaigns can no longer send through it.
            crate::db::campaigns::stop_for_session(pool, &row.id, "deleted", now_ms())
        })
        .await?;
    if !stopped.is_empty() {
        state.db.events_appended();
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Unlinks a session from its account (best effort), then ends its actor; the caller deletes the
/// rows.
pub async fn remove_session(state: &AppState, session_id: &str) -> ApiResult<()> {
    Ok(state.sessions.remove(session_id).await?)
}

/// What `start`, `stop` and `restart` ask of a session.
#[derive(Clone, Copy)]
enum Lifecycle {
    Start,
    Stop,
    Restart,
}

/// Records the desired state the call implies, has the session's owner act on it and answers
/// with the session as it is then.
async fn change_lifecycle(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    to: Lifecycle,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(state, key, raw_id).await?;
    let desired = match to {
        Lifecycle::Stop => DesiredState::Stopped,
        Lifecycle::Start | Lifecycle::Restart => DesiredState::Running,
    };
    set_desired(state, &row, desired).await?;
    match to {
        Lifecycle::Start => state.sessions.start(&row.id).await?,
        Lifecycle::Stop => state.sessions.stop(&row.id).await?,
        Lifecycle::Restart => state.sessions.restart(&row.id).await?,
    }
    Ok(HttpResponse::Ok().json(reload(state, &row).await?))
}

/// Persists the desired state, then lets the supervisor act on it.
async fn set_desired(state: &AppState, row: &SessionRow, desired: DesiredState) -> ApiResult<()> {
    let patch = SessionPatch {
        name: None,
        config: None,
        proxy: None,
        desired_state: Some(desired),
    };
    let (t, id) = (row.tenant_id.clone(), row.id.clone());
    state
        .db
        .run(move |pool| sessions::update(pool, &t, &id, &patch, now_ms()))
        .await?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/start", tag = "sessions",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change_lifecycle(&state, &caller, &path, Lifecycle::Start).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/stop", tag = "sessions",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn stop(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change_lifecycle(&state, &caller, &path, Lifecycle::Stop).await
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/restart", tag = "sessions",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Session), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn restart(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    change_lifecycle(&state, &caller, &path, Lifecycle::Restart).await
}
