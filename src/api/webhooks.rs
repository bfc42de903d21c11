use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, narrow_session};
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::state::AppState;
use crate::auth::TenantKey;
use crate::db::webhooks::{self, DeliveryFilter, DeliveryRow, WebhookRow};
use crate::db::{now_ms, sessions};
use crate::domain::{DeliveryId, Scope, SessionId, WebhookId};
use crate::time::{rfc3339, rfc3339_opt};
use crate::webhooks::{sealed, signature, target};

const MAX_URL_CHARS: usize = 2048;
const MAX_EVENT_TYPES: usize = 50;
const MAX_HEADERS: usize = 20;
const RESERVED_HEADERS: [&str; 6] = [
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "transfer-encoding",
    "connection",
];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// http(s) URL; private addresses need `webhook_allow_private`.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event types, `family.*`, or `["*"]` for all.
    #[schema(min_items = 1, max_items = 50)]
    pub events: Vec<String>,
    /// Only events of this session (default: every session of the tenant).
    pub session_id: Option<String>,
    /// Extra headers sent with every delivery. Their values are kept sealed and shown only in
    /// this request's answer; later answers show `[REDACTED]`.
    pub headers: Option<BTreeMap<String, String>>,
    /// Deliver one session's events strictly in order (a failing event holds back later ones).
    pub ordered: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub events: Option<Vec<String>>,
    /// Replaces the custom headers; a value of `[REDACTED]` keeps that header's current value.
    pub headers: Option<BTreeMap<String, String>>,
    pub ordered: Option<bool>,
    /// `true` re-enables a disabled endpoint.
    pub enabled: Option<bool>,
    /// With `enabled: true` on a disabled endpoint: also deliver what was still pending when it
    /// was disabled. Default `false`: those deliveries are marked failed (each can be retried),
    /// and only events from the re-enabling on are delivered.
    pub replay: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub session_id: Option<String>,
    /// Custom header names; values are `[REDACTED]` except in the answer that created them.
    pub headers: BTreeMap<String, String>,
    pub ordered: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Since when deliveries fail without a success in between.
    pub failing_since: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only in the answers that create or rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Webhook {
    /// The endpoint as shown after its creation: header values redacted.
    fn view(state: &AppState, r: WebhookRow) -> Self {
        Self {
            events: r.types(),
            headers: sealed::redacted_headers(&state.webhook_secrets, &r),
            id: r.id,
            url: r.url,
            session_id: r.session_id,
            ordered: r.ordered,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            failing_since: rfc3339_opt(r.failing_since),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            secret: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    /// pending, delivering, succeeded or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        let next = (r.status == webhooks::PENDING).then(|| rfc3339(r.next_attempt_at));
        Self {
            id: r.id,
            event_id: r.event_id.to_string(),
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: next,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: rfc3339(r.created_at),
            delivered_at: rfc3339_opt(r.delivered_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub secret: String,
    /// Until then deliveries carry a signature by the previous secret too.
    pub previous_valid_until: String,
}

list_type!(WebhookList, Webhook);
list_type!(DeliveryList, Delivery);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// pending, delivering, succeeded or failed.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn parse_url(state: &AppState, raw: &str) -> ApiResult<String> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::invalid(format!(
            "url: must be at most {MAX_URL_CHARS} characters"
        )));
    }
    target::parse(raw, state.allow_private)
        .map(|u| u.to_string())
        .map_err(|e| ApiError::invalid(format!("url: {e}")))
}

pub(crate) fn parse_events(raw: &[String]) -> ApiResult<String> {
    if raw.is_empty() || raw.len() > MAX_EVENT_TYPES {
        return Err(ApiError::invalid(format!(
            "events: name 1 to {MAX_EVENT_TYPES} event types, or [\"*\"]"
        )));
    }
    let valid = |t: &str| {
        t == "*"
            || t.strip_prefix("rule.matched:")
                .is_some_and(|id| crate::domain::RuleId::parse(id).is_some())
            || (!t.is_empty()
                && t.len() <= 64
                && t.split('.').enumerate().all(|(i, part)| {
                    (part == "*" && i > 0)
                        || (!part.is_empty()
                            && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                }))
    };
    if let Some(bad) = raw.iter().find(|t| !valid(t)) {
        return Err(ApiError::invalid(format!(
            "events: `{bad}` is not an event type (e.g. message.received, message.*, *, rule.matched:rul_…)"
        )));
    }
    Ok(serde_json::to_string(raw).unwrap_or_else(|_| "[]".into()))
}

fn check_headers(raw: &BTreeMap<String, String>) -> ApiResult<()> {
    if raw.len() > MAX_HEADERS {
        return Err(ApiError::invalid(format!("headers: at most {MAX_HEADERS}")));
    }
    for (name, value) in raw {
        let lower = name.to_ascii_lowercase();
        let token = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !token || RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("webhook-") {
            return Err(ApiError::invalid(format!(
                "headers: `{name}` cannot be set"
            )));
        }
        if value.len() > 1024 || value.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(ApiError::invalid(format!(
                "headers: the value of `{name}` is not allowed"
            )));
        }
    }
    Ok(())
}

/// The stored form of new custom headers; `[REDACTED]` stands for a header's current value, so
/// that what GET shows can be sent back unchanged.
fn replace_headers(
    state: &AppState,
    row: &WebhookRow,
    asked: &BTreeMap<String, String>,
) -> ApiResult<String> {
    check_headers(asked)?;
    let current = sealed::open_headers(&state.webhook_secrets, row).map_err(ApiError::internal)?;
    let mut headers = BTreeMap::new();
    for (name, value) in asked {
        let value = if value == sealed::REDACTED {
            current.get(name).cloned().ok_or_else(|| {
                ApiError::invalid(format!(
                    "headers: `{name}` has no value to keep; send its value"
                ))
            })?
        } else {
            value.clone()
        };
        headers.insert(name.clone(), value);
    }
    Ok(sealed::seal_headers(
        &state.webhook_secrets,
        &row.id,
        &headers,
    ))
}

/// The webhook if the key may see it: another tenant's → 404; another session's → 403.
async fn load_webhook(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<WebhookRow> {
    let id = WebhookId::parse(raw).ok_or_else(|| ApiError::not_found("webhook"))?;
    let tenant = key.tenant_id.as_str().to_string();
    let row = state
        .db
        .run(move |pool| webhooks::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    if let Some(own) = &key.session_id
        && row.session_id.as_deref() != Some(own.as_str())
    {
        return Err(ApiError::forbidden(
            "this key is restricted to another session",
        ));
    }
    Ok(row)
}

/// Stores a new webhook with a fresh secret (sealed, like its headers); the row and the secret.
pub(crate) async fn subscribe(
    state: &AppState,
    tenant_id: &str,
    session_id: Option<String>,
    url: String,
    event_types: String,
    headers: &BTreeMap<String, String>,
    ordered: bool,
) -> ApiResult<(WebhookRow, String)> {
    let id = WebhookId::generate().into_string();
    let secret = signature::generate_secret();
    let now = now_ms();
    let row = WebhookRow {
        secret_sealed: state.webhook_secrets.seal(secret.as_bytes(), id.as_bytes()),
        headers: sealed::seal_headers(&state.webhook_secrets, &id, headers),
        id,
        tenant_id: tenant_id.to_string(),
        session_id,
        url,
        event_types,
        previous_secret_sealed: None,
        previous_secret_expires_at: None,
        ordered,
        enabled: true,
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    let defaults = state.default_quotas;
    state
        .db
        .run(move |pool| {
            let quota = crate::db::tenancy::quotas(pool, &stored.tenant_id, defaults)?.webhooks;
            webhooks::insert(pool, &stored, quota)
        })
        .await?;
    Ok((row, secret))
}

/// A rule's webhook (`action.webhook_url`): its matches (`rule.matched:{rule_id}`), signed like
/// every webhook; the row and its secret.
pub(crate) async fn for_rule(
    state: &AppState,
    tenant_id: &str,
    session_id: Option<String>,
    rule_id: &str,
    raw_url: &str,
) -> ApiResult<(WebhookRow, String)> {
    let url = parse_url(state, raw_url).map_err(|e| e.prefixed("action.webhook_"))?;
    let events =
        serde_json::to_string(&[format!("rule.matched:{rule_id}")]).unwrap_or_else(|_| "[]".into());
    subscribe(
        state,
        tenant_id,
        session_id,
        url,
        events,
        &BTreeMap::new(),
        false,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook, security(("api_key" = [])),
    responses((status = 201, body = Webhook, description = "Created; `secret` (whsec_…) is shown only here"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateWebhook>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let body = body.into_inner();
    let url = parse_url(&state, &body.url)?;
    let event_types = parse_events(&body.events)?;
    let headers = body.headers.unwrap_or_default();
    check_headers(&headers)?;
    let mut session_id = match &body.session_id {
        None => None,
        Some(raw) => Some(
            SessionId::parse(raw)
                .ok_or_else(|| ApiError::invalid("session_id: no such session"))?,
        ),
    };
    session_id = narrow_session(key, session_id)?;
    if let Some(sid) = &session_id {
        let (t, s) = (key.tenant_id.as_str().to_string(), sid.as_str().to_string());
        if state
            .db
            .run(move |pool| sessions::get(pool, &t, &s))
            .await?
            .is_none()
        {
            return Err(ApiError::invalid("session_id: no such session"));
        }
    }
    let (row, secret) = subscribe(
        &state,
        key.tenant_id.as_str(),
        session_id.map(SessionId::into_string),
        url,
        event_types,
        &headers,
        body.ordered.unwrap_or(false),
    )
    .await?;
    let mut view = Webhook::view(&state, row);
    // The one answer that shows the header values: the caller just sent them.
    view.headers = headers;
    view.secret = Some(secret);
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = WebhookList), (status = 400, body = Problem), (status = 401, body = Problem),
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
        |c| WebhookId::parse(c).is_some(),
        |r: &WebhookRow| r.id.clone(),
        move |pool, after, n| webhooks::list(pool, &tenant, only.as_deref(), after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        data: rows.into_iter().map(|r| Webhook::view(&state, r)).collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = Webhook), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load_webhook(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(Webhook::view(&state, row)))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    request_body = UpdateWebhook, security(("api_key" = [])),
    responses((status = 200, body = Webhook), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateWebhook>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let mut row = load_webhook(&state, key, &path).await?;
    let body = body.into_inner();
    if let Some(url) = &body.url {
        row.url = parse_url(&state, url)?;
    }
    if let Some(events) = &body.events {
        row.event_types = parse_events(events)?;
    }
    if let Some(headers) = &body.headers {
        row.headers = replace_headers(&state, &row, headers)?;
    }
    if let Some(ordered) = body.ordered {
        row.ordered = ordered;
    }
    let mut skip_stale = false;
    match body.enabled {
        Some(true) if !row.enabled => {
            skip_stale = !body.replay.unwrap_or(false);
            row.enabled = true;
            row.disabled_reason = None;
            row.failing_since = None;
        }
        Some(false) if row.enabled => {
            row.enabled = false;
            row.disabled_reason = Some("disabled through the API".into());
        }
        _ => {}
    }
    row.updated_at = now_ms();
    let stored = row.clone();
    state
        .db
        .run(move |pool| {
            // Before the endpoint is enabled again, so no worker claims what is being skipped.
            if skip_stale {
                webhooks::skip_pending(pool, &stored.id, stored.updated_at)?;
            }
            webhooks::save(pool, &stored)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Webhook::view(&state, row)))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted with its deliveries"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_webhook(&state, key, &path).await?;
    state
        .db
        .run(move |pool| webhooks::delete(pool, &row.tenant_id, &row.id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/webhooks/{webhook_id}/rotate-secret", tag = "webhooks",
    params(("webhook_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = RotatedSecret), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let mut row = load_webhook(&state, key, &path).await?;
    let secret = signature::generate_secret();
    let now = now_ms();
    let until = now + state.secret_grace_ms;
    sealed::rotate(&state.webhook_secrets, &mut row, &secret, now, until)
        .map_err(ApiError::internal)?;
    row.updated_at = now;
    state.db.run(move |pool| webhooks::save(pool, &row)).await?;
    Ok(HttpResponse::Ok().json(RotatedSecret {
        secret,
        previous_valid_until: rfc3339(until),
    }))
}

#[utoipa::path(get, path = "/api/v1/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = String, Path), DeliveryQuery), security(("api_key" = [])),
    responses((status = 200, body = DeliveryList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load_webhook(&state, key, &path).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let status = match q.status.as_deref() {
        None => None,
        Some(s @ ("pending" | "delivering" | "succeeded" | "failed")) => Some(s.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "status: one of pending, delivering, succeeded, failed",
            ));
        }
    };
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &page,
        |c| DeliveryId::parse(c).is_some(),
        |r: &DeliveryRow| r.id.clone(),
        move |pool, after, n| {
            let filter = DeliveryFilter {
                status,
                after: after.map(str::to_string),
            };
            webhooks::list_deliveries(pool, &row.id, &filter, n)
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        data: rows.into_iter().map(Delivery::from).collect(),
        next_cursor,
    }))
}

#[utoipa::path(post, path = "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(("webhook_id" = String, Path), ("delivery_id" = String, Path)), security(("api_key" = [])),
    responses((status = 202, body = Delivery, description = "Queued for an immediate attempt"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let (webhook_id, delivery_id) = path.into_inner();
    let row = load_webhook(&state, key, &webhook_id).await?;
    let did = DeliveryId::parse(&delivery_id).ok_or_else(|| ApiError::not_found("delivery"))?;
    let delivery = state
        .db
        .run(move |pool| webhooks::retry(pool, &row.id, did.as_str(), now_ms()))
        .await?
        .ok_or_else(|| ApiError::not_found("delivery"))?;
    state.db.events_appended();
    Ok(HttpResponse::Accepted().json(Delivery::from(delivery)))
}
