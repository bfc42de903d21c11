//! `/api/v1/sinks`: a tenant's event sinks (NATS JetStream, RabbitMQ, Redis Streams). Each
//! publishes the tenant's events from the log in commit order, at least once, signed like
//! webhooks (see [`crate::sinks`]).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, narrow_session};
use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use super::webhooks::parse_events;
use crate::auth::TenantKey;
use crate::db::sinks::{self, SinkChanges, SinkRow, secret_aad, url_aad};
use crate::db::{events, now_ms, sessions};
use crate::domain::{Scope, SessionId, SinkId, SinkKind};
use crate::sinks::{LAG_CAP, check_host};
use crate::time::{rfc3339, rfc3339_opt};
use crate::webhooks::signature;

const MAX_URL_CHARS: usize = 2048;
/// A Redis stream's length cap unless the sink sets one (`MAXLEN ~`).
const DEFAULT_MAX_LEN: i64 = 100_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSink {
    /// `nats`, `rabbitmq` or `redis`.
    pub kind: String,
    /// The broker: `nats://[user:pass@]host:4222`, `amqp://user:pass@host:5672/vhost` or
    /// `redis://[:pass@]host:6379/db` (`tls`, `amqps`, `rediss` for TLS). Private addresses need
    /// `webhook_allow_private`.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Event types, `family.*`, or `["*"]` (the default).
    #[schema(min_items = 1, max_items = 50)]
    pub events: Option<Vec<String>>,
    /// Only events of this session (default: every session of the tenant, and tenant events).
    pub session_id: Option<String>,
    /// NATS: subjects are `<subject_prefix>.<tenant_id>.<session_id or _>.<event type>`
    /// (default `waras`).
    pub subject_prefix: Option<String>,
    /// RabbitMQ: the durable topic exchange (default `waras`); the routing key is the event type.
    pub exchange: Option<String>,
    /// Redis: the stream (default `waras:<tenant_id>`), one per sink.
    pub stream: Option<String>,
    /// Redis: the stream's approximate length cap (default 100000).
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_len: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSink {
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub events: Option<Vec<String>>,
    /// `false` pauses the sink (its cursor stays); `true` resumes it where it stopped.
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Sink {
    pub id: String,
    pub kind: String,
    /// With its password redacted.
    pub url: String,
    pub events: Vec<String>,
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_len: Option<i64>,
    pub enabled: bool,
    /// `active`, `failing` (the broker is down or refusing; `last_error` says why) or `paused`.
    pub status: String,
    /// Events in the log after the sink's cursor (of its tenant, or its session), at most 100000.
    pub lag: i64,
    /// Events published and confirmed by the broker.
    pub delivered: i64,
    /// The id of the last event the sink is past (published or not selected).
    pub cursor: String,
    pub last_error: Option<String>,
    pub failing_since: Option<String>,
    pub last_delivered_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The signing secret (`whsec_…`; headers `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`), only in the answer that created the sink.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SinkList {
    pub data: Vec<Sink>,
}

fn view(r: SinkRow, lag: i64) -> Sink {
    let status = match (r.enabled, r.failing_since) {
        (false, _) => "paused",
        (true, Some(_)) => "failing",
        (true, None) => "active",
    };
    let kind = SinkKind::parse(&r.kind);
    let named = |k: SinkKind| (kind == Some(k)).then(|| r.destination.clone());
    Sink {
        events: r.types(),
        subject_prefix: named(SinkKind::Nats),
        exchange: named(SinkKind::Rabbitmq),
        stream: named(SinkKind::Redis),
        max_len: r.max_len,
        status: status.into(),
        lag,
        delivered: r.delivered,
        cursor: r.cursor.to_string(),
        last_error: r.last_error,
        failing_since: rfc3339_opt(r.failing_since),
        last_delivered_at: rfc3339_opt(r.last_delivered_at),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        id: r.id,
        kind: r.kind,
        url: r.url_shown,
        session_id: r.session_id,
        enabled: r.enabled,
        secret: None,
    }
}

/// The row with its lag counted.
async fn shown(state: &AppState, row: SinkRow) -> ApiResult<Sink> {
    let counted = row.clone();
    let lag = state
        .db
        .run(move |pool| sinks::lag(pool, &counted, LAG_CAP))
        .await?;
    Ok(view(row, lag))
}

/// A broker URL of `kind`'s schemes on an allowed address; the URL and how it is shown.
async fn parse_url(state: &AppState, kind: SinkKind, raw: &str) -> ApiResult<(String, String)> {
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::invalid(format!(
            "url: must be at most {MAX_URL_CHARS} characters"
        )));
    }
    let url = url::Url::parse(raw).map_err(|e| ApiError::invalid(format!("url: {e}")))?;
    if !kind.schemes().contains(&url.scheme()) || url.host_str().is_none_or(str::is_empty) {
        return Err(ApiError::invalid(format!(
            "url: a {kind} sink needs a {}:// URL with a host",
            kind.schemes().join(":// or ")
        )));
    }
    check_host(raw, state.allow_private)
        .await
        .map_err(ApiError::invalid)?;
    let mut shown = url.clone();
    if url.password().is_some() {
        let _ = shown.set_password(Some("REDACTED"));
    }
    Ok((raw.to_string(), shown.to_string()))
}

/// Where the sink publishes: its kind's field (checked), others refused.
fn destination(kind: SinkKind, body: &CreateSink, tenant_id: &str) -> ApiResult<String> {
    let fields = [
        ("subject_prefix", &body.subject_prefix, SinkKind::Nats),
        ("exchange", &body.exchange, SinkKind::Rabbitmq),
        ("stream", &body.stream, SinkKind::Redis),
    ];
    if let Some((name, _, _)) = fields.iter().find(|(_, v, k)| v.is_some() && *k != kind) {
        return Err(ApiError::invalid(format!("{name}: not for a {kind} sink")));
    }
    if body.max_len.is_some() && kind != SinkKind::Redis {
        return Err(ApiError::invalid(format!("max_len: not for a {kind} sink")));
    }
    let (name, given) = match kind {
        SinkKind::Nats => ("subject_prefix", body.subject_prefix.clone()),
        SinkKind::Rabbitmq => ("exchange", body.exchange.clone()),
        SinkKind::Redis => ("stream", body.stream.clone()),
    };
    let value = given.unwrap_or_else(|| match kind {
        SinkKind::Redis => format!("waras:{tenant_id}"),
        _ => "waras".into(),
    });
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let valid = match kind {
        SinkKind::Nats => value.len() <= 64 && value.split('.').all(token),
        SinkKind::Rabbitmq => {
            !value.is_empty()
                && value.len() <= 127
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        }
        SinkKind::Redis => {
            !value.is_empty() && value.len() <= 200 && value.bytes().all(|b| b.is_ascii_graphic())
        }
    };
    if !valid {
        return Err(ApiError::invalid(format!(
            "{name}: `{value}` is not allowed (letters, digits, `_`, `-`{})",
            match kind {
                SinkKind::Nats => ", tokens separated by `.`",
                SinkKind::Rabbitmq => ", `.`, `:`",
                SinkKind::Redis => ", any visible ASCII",
            }
        )));
    }
    Ok(value)
}

async fn load_sink(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<SinkRow> {
    let id = SinkId::parse(raw).ok_or_else(|| ApiError::not_found("sink"))?;
    let tenant = key.tenant_id.as_str().to_string();
    let row = state
        .db
        .run(move |pool| sinks::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("sink"))?;
    if let Some(own) = &key.session_id
        && row.session_id.as_deref() != Some(own.as_str())
    {
        return Err(ApiError::forbidden(
            "this key is restricted to another session",
        ));
    }
    Ok(row)
}

/// The asked session, narrowed by the key and checked to exist.
async fn sink_session(
    state: &AppState,
    key: &TenantKey,
    raw: Option<&str>,
) -> ApiResult<Option<String>> {
    let asked = match raw {
        None => None,
        Some(raw) => Some(
            SessionId::parse(raw)
                .ok_or_else(|| ApiError::invalid("session_id: no such session"))?,
        ),
    };
    let Some(sid) = narrow_session(key, asked)? else {
        return Ok(None);
    };
    let (t, s) = (key.tenant_id.as_str().to_string(), sid.as_str().to_string());
    match state
        .db
        .run(move |pool| sessions::get(pool, &t, &s))
        .await?
    {
        Some(_) => Ok(Some(sid.into_string())),
        None => Err(ApiError::invalid("session_id: no such session")),
    }
}

#[utoipa::path(post, path = "/api/v1/sinks", tag = "sinks", request_body = CreateSink, security(("api_key" = [])),
    responses((status = 201, body = Sink, description = "Created, publishing the events that follow; `secret` (whsec_…) is shown only here"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "`conflict`: another Redis sink of the tenant writes this stream, or the tenant has 20 sinks"),
        (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateSink>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let body = body.into_inner();
    let kind = SinkKind::parse(&body.kind)
        .ok_or_else(|| ApiError::invalid("kind: one of nats, rabbitmq, redis"))?;
    let tenant = key.tenant_id.as_str().to_string();
    let (url, url_shown) = parse_url(&state, kind, &body.url).await?;
    let event_types = parse_events(body.events.as_deref().unwrap_or(&["*".to_string()]))?;
    let target = destination(kind, &body, &tenant)?;
    let max_len = match (kind, body.max_len) {
        (SinkKind::Redis, None) => Some(DEFAULT_MAX_LEN),
        (_, Some(n)) if !(1..=1_000_000_000).contains(&n) => {
            return Err(ApiError::invalid("max_len: 1 to 1000000000"));
        }
        (_, n) => n,
    };
    let session_id = sink_session(&state, key, body.session_id.as_deref()).await?;
    let id = SinkId::generate().into_string();
    let secret = signature::generate_secret();
    let now = now_ms();
    let row = SinkRow {
        url_sealed: state.event_sinks.seal(url.as_bytes(), &url_aad(&id)),
        secret_sealed: state.event_sinks.seal(secret.as_bytes(), &secret_aad(&id)),
        id,
        tenant_id: tenant,
        kind: kind.as_str().into(),
        url_shown,
        session_id,
        event_types,
        destination: target,
        max_len,
        enabled: true,
        cursor: 0,
        delivered: 0,
        failing_since: None,
        last_error: None,
        last_delivered_at: None,
        owner: None,
        lease_until: 0,
        epoch: 0,
        created_at: now,
        updated_at: now,
    };
    let mut stored = row.clone();
    let inserted = state
        .db
        .run(move |pool| {
            // From the events that follow on.
            stored.cursor = events::last_id(pool)?;
            let clash = kind == SinkKind::Redis
                && sinks::list(pool, &stored.tenant_id)?
                    .iter()
                    .any(|s| s.kind == stored.kind && s.destination == stored.destination);
            if clash {
                return Ok(None);
            }
            Ok(sinks::insert(pool, &stored)?.then_some(stored))
        })
        .await?;
    let Some(row) = inserted else {
        return Err(ApiError::conflict(
            "conflict",
            "the tenant has 20 sinks, or another of its Redis sinks writes this stream",
        ));
    };
    let mut answer = view(row, 0);
    answer.secret = Some(secret);
    Ok(HttpResponse::Created().json(answer))
}

#[utoipa::path(get, path = "/api/v1/sinks", tag = "sinks", security(("api_key" = [])),
    responses((status = 200, body = SinkList), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 503, body = Problem)))]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (tenant, only) = key.listing();
    let rows = state.db.run(move |pool| sinks::list(pool, &tenant)).await?;
    let mut data = Vec::with_capacity(rows.len());
    for row in rows {
        if only.is_none() || row.session_id == only {
            data.push(shown(&state, row).await?);
        }
    }
    Ok(HttpResponse::Ok().json(SinkList { data }))
}

#[utoipa::path(get, path = "/api/v1/sinks/{sink_id}", tag = "sinks", params(("sink_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, body = Sink), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load_sink(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(shown(&state, row).await?))
}

#[utoipa::path(patch, path = "/api/v1/sinks/{sink_id}", tag = "sinks", params(("sink_id" = String, Path)),
    request_body = UpdateSink, security(("api_key" = [])),
    responses((status = 200, body = Sink), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateSink>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_sink(&state, key, &path).await?;
    let body = body.into_inner();
    let kind = SinkKind::parse(&row.kind).ok_or_else(|| ApiError::internal("unknown sink kind"))?;
    let mut changes = SinkChanges {
        enabled: body.enabled,
        ..SinkChanges::default()
    };
    if let Some(raw) = &body.url {
        let (url, shown) = parse_url(&state, kind, raw).await?;
        changes.url = Some((
            state.event_sinks.seal(url.as_bytes(), &url_aad(&row.id)),
            shown,
        ));
    }
    if let Some(events) = &body.events {
        changes.event_types = Some(parse_events(events)?);
    }
    let (tenant, id) = (row.tenant_id.clone(), row.id.clone());
    let updated = state
        .db
        .run(move |pool| sinks::update(pool, &tenant, &id, &changes, now_ms()))
        .await?
        .ok_or_else(|| ApiError::not_found("sink"))?;
    Ok(HttpResponse::Ok().json(shown(&state, updated).await?))
}

#[utoipa::path(delete, path = "/api/v1/sinks/{sink_id}", tag = "sinks", params(("sink_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted; it stops publishing within a few seconds"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_sink(&state, key, &path).await?;
    state
        .db
        .run(move |pool| sinks::delete(pool, &row.tenant_id, &row.id))
        .await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
