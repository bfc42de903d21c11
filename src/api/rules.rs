//! `/api/v1/rules`: reply rules of a tenant (or of one of its sessions), tried in `position`
//! order on every received message: match it (keyword, regex, chat kind, type, sender, hours),
//! then answer, answer from a template, forward it, and/or raise `rule.matched`. They run where
//! the message is stored (`db::rules`), so each message is answered once.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use super::{templates, webhooks};
use crate::auth::TenantKey;
use crate::db::now_ms;
use crate::db::rules::{self, RuleRow};
use crate::domain::rule::{RuleAction, RuleMatch};
use crate::domain::{Name, RuleId, Scope};
use crate::engine::jid::chat_of;
use crate::time::rfc3339;

/// A week.
const MAX_COOLDOWN_SECS: u32 = 7 * 24 * 3600;
const MAX_POSITION: u32 = 1_000_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRule {
    /// Only this session's messages (default: every session of the tenant).
    pub session_id: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(rename = "match", deserialize_with = "super::json_object::object")]
    pub matches: RuleMatch,
    #[serde(deserialize_with = "super::json_object::object")]
    pub action: RuleAction,
    /// A chat is answered by this rule at most once in this many seconds (0 to 604800, default 0).
    #[schema(minimum = 0, maximum = 604800)]
    pub cooldown_secs: Option<u32>,
    /// No further rules run after this one matched (default false).
    pub stop: Option<bool>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Lower runs first (default: after the tenant's last rule).
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRule {
    /// A session id, or null for every session of the tenant.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub session_id: Option<Option<String>>,
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(
        rename = "match",
        default,
        deserialize_with = "super::json_object::object_or_null"
    )]
    pub matches: Option<RuleMatch>,
    #[serde(default, deserialize_with = "super::json_object::object_or_null")]
    pub action: Option<RuleAction>,
    #[schema(minimum = 0, maximum = 604800)]
    pub cooldown_secs: Option<u32>,
    pub stop: Option<bool>,
    pub enabled: Option<bool>,
    #[schema(minimum = 0, maximum = 1000000)]
    pub position: Option<u32>,
}

/// A field that is present (even as null) is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rule {
    pub id: String,
    pub session_id: Option<String>,
    pub name: String,
    pub position: i32,
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    pub action: RuleAction,
    pub cooldown_secs: i32,
    pub stop: bool,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The secret of the webhook that calls `action.webhook_url`: only in the answer that set
    /// the URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

impl From<RuleRow> for Rule {
    fn from(r: RuleRow) -> Self {
        Self {
            id: r.id,
            session_id: r.session_id,
            name: r.name,
            position: r.position,
            matches: serde_json::from_str(&r.match_spec).unwrap_or_default(),
            action: serde_json::from_str(&r.action).unwrap_or_default(),
            cooldown_secs: r.cooldown_secs,
            stop: r.stop,
            enabled: r.enabled,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
            webhook_secret: None,
        }
    }
}

list_type!(RuleList, Rule);

/// The match and the action checked; `forward_to` becomes a JID and a template must exist and
/// be a text template.
async fn checked(
    state: &AppState,
    key: &TenantKey,
    matches: &RuleMatch,
    action: &mut RuleAction,
) -> ApiResult<()> {
    matches.compile()?;
    action.check()?;
    if let Some(to) = &action.forward_to {
        action.forward_to =
            Some(chat_of(to).map_err(|e| ApiError::invalid(format!("action.forward_to: {e}")))?);
    }
    if let Some(named) = &action.template {
        let row = templates::find(state, key.tenant_id.as_str(), named).await?;
        if row.text.is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_invalid",
                format!("action.template: `{}` is not a text template", row.name),
            ));
        }
        action.template = Some(row.id);
        if let Some(v) = action.variables.take() {
            action.variables = Some(templates::checked_values(v)?);
        }
    }
    if action.webhook_id.is_some() {
        return Err(ApiError::invalid(
            "action.webhook_id: WARAS sets it (give webhook_url)",
        ));
    }
    Ok(())
}

/// Keeps the rule's webhook in step with `action.webhook_url`: the webhook of `old` goes when the
/// URL (or the rule's session) changed, and a new one is made for a new URL; its secret is
/// returned once.
async fn follow_webhook(
    state: &AppState,
    row: &RuleRow,
    old: Option<&RuleAction>,
    action: &mut RuleAction,
) -> ApiResult<Option<String>> {
    let kept = old.filter(|o| o.webhook_url == action.webhook_url);
    if let Some(o) = kept {
        action.webhook_id = o.webhook_id.clone();
        return Ok(None);
    }
    if let Some(id) = old.and_then(|o| o.webhook_id.clone()) {
        let tenant = row.tenant_id.clone();
        state
            .db
            .run(move |pool| crate::db::webhooks::delete(pool, &tenant, &id))
            .await?;
    }
    let Some(url) = action.webhook_url.clone() else {
        return Ok(None);
    };
    let (hook, secret) =
        webhooks::for_rule(state, &row.tenant_id, row.session_id.clone(), &row.id, &url).await?;
    action.webhook_id = Some(hook.id);
    Ok(Some(secret))
}

/// A rule's place, as the schema bounds it (a larger one is refused, not clamped).
fn position(p: u32) -> ApiResult<i32> {
    i32::try_from(p)
        .ok()
        .filter(|_| p <= MAX_POSITION)
        .ok_or_else(|| ApiError::invalid(format!("position: 0 to {MAX_POSITION}")))
}

fn cooldown(secs: Option<u32>) -> ApiResult<i32> {
    match secs.unwrap_or(0) {
        s if s <= MAX_COOLDOWN_SECS => Ok(s as i32),
        _ => Err(ApiError::invalid(format!(
            "cooldown_secs: 0 to {MAX_COOLDOWN_SECS}"
        ))),
    }
}

async fn session_of(
    state: &AppState,
    key: &TenantKey,
    raw: Option<&str>,
) -> ApiResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(id) => Ok(Some(load_session(state, key, id).await?.id)),
    }
}

#[utoipa::path(post, path = "/api/v1/rules", tag = "rules", request_body = CreateRule,
    security(("api_key" = [])),
    responses((status = 201, body = Rule), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem, description = "The session does not exist"),
        (status = 413, body = Problem),
        (status = 422, body = Problem, description = "`template_not_found`, or `template_invalid` (not a text template)"),
        (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateRule>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let body = body.into_inner();
    let name = Name::parse("name", &body.name)?;
    let mut action = body.action;
    checked(&state, key, &body.matches, &mut action).await?;
    let session_id = session_of(&state, key, body.session_id.as_deref()).await?;
    let tenant = key.tenant_id.as_str().to_string();
    let position = match body.position {
        Some(p) => position(p)?,
        None => {
            let t = tenant.clone();
            state
                .db
                .run(move |pool| rules::next_position(pool, &t))
                .await?
        }
    };
    let now = now_ms();
    let mut row = RuleRow {
        id: RuleId::generate().into_string(),
        tenant_id: tenant,
        session_id,
        name: name.as_str().to_string(),
        position,
        match_spec: serde_json::to_string(&body.matches).unwrap_or_default(),
        action: serde_json::to_string(&action).unwrap_or_default(),
        cooldown_secs: cooldown(body.cooldown_secs)?,
        stop: body.stop.unwrap_or(false),
        enabled: body.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    let secret = follow_webhook(&state, &row, None, &mut action).await?;
    row.action = serde_json::to_string(&action).unwrap_or_default();
    let stored = row.clone();
    state
        .db
        .run(move |pool| rules::insert(pool, &stored))
        .await?;
    let mut shown = Rule::from(row);
    shown.webhook_secret = secret;
    Ok(HttpResponse::Created().json(shown))
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "rules", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = RuleList), (status = 400, body = Problem), (status = 401, body = Problem),
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
        |c| RuleId::parse(c).is_some(),
        |r: &RuleRow| r.id.clone(),
        move |pool, after, n| rules::list(pool, &tenant, after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(RuleList {
        data: rows.into_iter().map(Rule::from).collect(),
        next_cursor,
    }))
}

async fn load(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<RuleRow> {
    let id = RuleId::parse(raw).ok_or_else(|| ApiError::not_found("rule"))?;
    let tenant = key.tenant_id.as_str().to_string();
    state
        .db
        .run(move |pool| rules::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("rule"))
}

#[utoipa::path(get, path = "/api/v1/rules/{rule_id}", tag = "rules",
    params(("rule_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Rule), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    Ok(HttpResponse::Ok().json(Rule::from(load(&state, key, &path).await?)))
}

#[utoipa::path(patch, path = "/api/v1/rules/{rule_id}", tag = "rules",
    params(("rule_id" = String, Path)), request_body = UpdateRule, security(("api_key" = [])),
    responses((status = 200, body = Rule), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateRule>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let body = body.into_inner();
    let mut row = load(&state, key, &path).await?;
    if let Some(name) = &body.name {
        row.name = Name::parse("name", name)?.as_str().to_string();
    }
    if let Some(p) = body.position {
        row.position = position(p)?;
    }
    let matches = match body.matches {
        Some(m) => m,
        None => serde_json::from_str(&row.match_spec).unwrap_or_default(),
    };
    let mut action = match body.action {
        Some(a) => a,
        None => serde_json::from_str(&row.action).unwrap_or_default(),
    };
    // The stored webhook id is WARAS's: not part of what is checked.
    let old: RuleAction = serde_json::from_str(&row.action).unwrap_or_default();
    action.webhook_id = None;
    checked(&state, key, &matches, &mut action).await?;
    row.match_spec = serde_json::to_string(&matches).unwrap_or_default();
    let mut moved = false;
    if let Some(session) = body.session_id {
        let session = session_of(&state, key, session.as_deref()).await?;
        moved = session != row.session_id;
        row.session_id = session;
    }
    let mut previous = old.clone();
    if moved {
        // The webhook follows the rule's session: made again.
        previous.webhook_url = None;
        if let Some(id) = old.webhook_id.clone() {
            let tenant = row.tenant_id.clone();
            state
                .db
                .run(move |pool| crate::db::webhooks::delete(pool, &tenant, &id))
                .await?;
        }
        previous.webhook_id = None;
    }
    let secret = follow_webhook(&state, &row, Some(&previous), &mut action).await?;
    row.action = serde_json::to_string(&action).unwrap_or_default();
    if body.cooldown_secs.is_some() {
        row.cooldown_secs = cooldown(body.cooldown_secs)?;
    }
    row.stop = body.stop.unwrap_or(row.stop);
    row.enabled = body.enabled.unwrap_or(row.enabled);
    row.updated_at = now_ms();
    let stored = row.clone();
    if !state
        .db
        .run(move |pool| rules::update(pool, &stored))
        .await?
    {
        return Err(ApiError::not_found("rule"));
    }
    let mut shown = Rule::from(row);
    shown.webhook_secret = secret;
    Ok(HttpResponse::Ok().json(shown))
}

#[utoipa::path(delete, path = "/api/v1/rules/{rule_id}", tag = "rules",
    params(("rule_id" = String, Path)), security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load(&state, key, &path).await?;
    let hook = serde_json::from_str::<RuleAction>(&row.action)
        .ok()
        .and_then(|a| a.webhook_id);
    state
        .db
        .run(move |pool| {
            rules::delete(pool, &row.tenant_id, &row.id)?;
            match hook {
                Some(id) => crate::db::webhooks::delete(pool, &row.tenant_id, &id).map(drop),
                None => Ok(()),
            }
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
