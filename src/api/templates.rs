//! `/api/v1/templates`: a tenant's named message templates (a text, or a media caption, with
//! `{{variable}}` placeholders), checked when saved; a send names one with `template` and fills
//! it with `variables` ([`fill`]).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem, unless_duplicate};
use super::messages::SendMessage;
use super::page::{PageQuery, fetch_page, list_type};
use super::state::AppState;
use crate::auth::TenantKey;
use crate::db::now_ms;
use crate::db::templates::{self, TemplateRow};
use crate::domain::{MessageKind, Name, Scope, Template as Parsed, TemplateId};
use crate::time::rfc3339;

/// Both stay well inside `max_json_bytes` (64 KiB by default) however the text is encoded.
const MAX_TEXT_CHARS: usize = 4_096;
const MAX_CAPTION_CHARS: usize = 4_096;
const MAX_VARIABLES: usize = 100;
const MAX_VALUE_CHARS: usize = 4_096;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// Unique within the tenant; a send may name the template by it.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `text`, or `image`, `video` or `document` (a template of their caption; the send brings
    /// the file).
    #[serde(rename = "type")]
    pub kind: String,
    /// A text template: `Hi {{first_name}}`, `{{name|default}}` for a default.
    #[schema(max_length = 4096)]
    pub text: Option<String>,
    /// A media template's caption, with placeholders as in `text`.
    #[schema(max_length = 4096)]
    pub caption: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTemplate {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(max_length = 4096)]
    pub text: Option<String>,
    #[schema(max_length = 4096)]
    pub caption: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The variables the template uses, sorted.
    pub variables: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<TemplateRow> for Template {
    fn from(r: TemplateRow) -> Self {
        let source = r.text.as_deref().or(r.caption.as_deref()).unwrap_or("");
        let variables = Parsed::parse(source)
            .map(|t| t.variables().into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        Self {
            id: r.id,
            name: r.name,
            kind: r.msg_type,
            text: r.text,
            caption: r.caption,
            variables,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

list_type!(TemplateList, Template);

/// The template's source checked: `text` for a text template, `caption` for a media one.
fn checked_source(kind: MessageKind, text: Option<&str>, caption: Option<&str>) -> ApiResult<()> {
    let (field, source, other, max) = match kind {
        MessageKind::Text => ("text", text, caption.map(|_| "caption"), MAX_TEXT_CHARS),
        _ => ("caption", caption, text.map(|_| "text"), MAX_CAPTION_CHARS),
    };
    if let Some(other) = other {
        return Err(ApiError::invalid(format!(
            "{other}: not part of a `{kind}` template (it has a {field})"
        )));
    }
    let source = source
        .ok_or_else(|| ApiError::invalid(format!("{field}: required for a `{kind}` template")))?;
    if source.trim().is_empty() || source.chars().count() > max {
        return Err(ApiError::invalid(format!("{field}: 1 to {max} characters")));
    }
    Parsed::parse(source).map_err(|e| ApiError::invalid(format!("{field}: {e}")))?;
    Ok(())
}

fn template_kind(raw: &str) -> ApiResult<MessageKind> {
    MessageKind::parse(raw)
        .filter(|k| {
            matches!(
                k,
                MessageKind::Text | MessageKind::Image | MessageKind::Video | MessageKind::Document
            )
        })
        .ok_or_else(|| ApiError::invalid("type: text, image, video or document"))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = CreateTemplate,
    security(("api_key" = [])),
    responses((status = 201, body = Template), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem, description = "A template of this name exists"),
        (status = 413, body = Problem), (status = 503, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CreateTemplate>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let name = Name::parse("name", &body.name)?;
    let kind = template_kind(&body.kind)?;
    checked_source(kind, body.text.as_deref(), body.caption.as_deref())?;
    let now = now_ms();
    let row = TemplateRow {
        id: TemplateId::generate().into_string(),
        tenant_id: key.tenant_id.as_str().to_string(),
        name: name.as_str().to_string(),
        msg_type: kind.as_str().to_string(),
        text: body.text.clone(),
        caption: body.caption.clone(),
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    state
        .db
        .run(move |pool| templates::insert(pool, &stored))
        .await
        .map_err(unless_duplicate("a template with this name"))?;
    Ok(HttpResponse::Created().json(Template::from(row)))
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", params(PageQuery), security(("api_key" = [])),
    responses((status = 200, body = TemplateList), (status = 400, body = Problem), (status = 401, body = Problem),
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
        |c| TemplateId::parse(c).is_some(),
        |r: &TemplateRow| r.id.clone(),
        move |pool, after, n| templates::list(pool, &tenant, after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(TemplateList {
        data: rows.into_iter().map(Template::from).collect(),
        next_cursor,
    }))
}

async fn load_template(state: &AppState, key: &TenantKey, raw: &str) -> ApiResult<TemplateRow> {
    let id = TemplateId::parse(raw).ok_or_else(|| ApiError::not_found("template"))?;
    let tenant = key.tenant_id.as_str().to_string();
    state
        .db
        .run(move |pool| templates::get(pool, &tenant, id.as_str()))
        .await?
        .ok_or_else(|| ApiError::not_found("template"))
}

#[utoipa::path(get, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Template), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let row = load_template(&state, key, &path).await?;
    Ok(HttpResponse::Ok().json(Template::from(row)))
}

#[utoipa::path(patch, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path)), request_body = UpdateTemplate, security(("api_key" = [])),
    responses((status = 200, body = Template), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 503, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<UpdateTemplate>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let mut row = load_template(&state, key, &path).await?;
    if let Some(name) = &body.name {
        row.name = Name::parse("name", name)?.as_str().to_string();
    }
    if body.text.is_some() {
        row.text = body.text.clone();
    }
    if body.caption.is_some() {
        row.caption = body.caption.clone();
    }
    // A field the template's type does not have is refused here, before anything is written.
    checked_source(
        template_kind(&row.msg_type)?,
        row.text.as_deref(),
        row.caption.as_deref(),
    )?;
    row.updated_at = now_ms();
    let stored = row.clone();
    let found = state
        .db
        .run(move |pool| templates::update(pool, &stored))
        .await
        .map_err(unless_duplicate("a template with this name"))?;
    if !found {
        return Err(ApiError::not_found("template"));
    }
    Ok(HttpResponse::Ok().json(Template::from(row)))
}

#[utoipa::path(delete, path = "/api/v1/templates/{template_id}", tag = "templates",
    params(("template_id" = String, Path)), security(("api_key" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_template(&state, key, &path).await?;
    let (tenant, id) = (row.tenant_id, row.id);
    state
        .db
        .run(move |pool| templates::delete(pool, &tenant, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A send that names a `template`: its type and its text (or caption) come from the template,
/// filled with the send's `variables`. A template the tenant does not have, or a variable with
/// neither a value nor a default, is a 422 that names it.
pub async fn fill(state: &AppState, tenant_id: &str, send: &mut SendMessage) -> ApiResult<()> {
    let Some(named) = send.template.clone() else {
        if send.variables.is_some() {
            return Err(ApiError::invalid(
                "variables: only a send from a template has them",
            ));
        }
        return Ok(());
    };
    let row = find(state, tenant_id, &named).await?;
    if !send.kind.is_empty() && send.kind != row.msg_type {
        return Err(ApiError::invalid(format!(
            "type: the template `{}` makes a `{}` message",
            row.name, row.msg_type
        )));
    }
    if send.text.is_some() || send.caption.is_some() {
        return Err(ApiError::invalid(
            "text, caption: a send from a template takes them from the template",
        ));
    }
    let values = checked_values(send.variables.take().unwrap_or_default())?;
    let source = row.text.as_deref().or(row.caption.as_deref()).unwrap_or("");
    let parsed = Parsed::parse(source)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "template_invalid", e))?;
    let filled = parsed.render(&values).map_err(|missing| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "template_variable_missing",
            format!(
                "variables: the template `{}` needs {} (no value given and no default)",
                row.name,
                missing.join(", ")
            ),
        )
    })?;
    send.kind = row.msg_type.clone();
    match row.text {
        Some(_) => send.text = Some(filled),
        None => send.caption = Some(filled),
    }
    Ok(())
}

/// The tenant's template by id (`tpl_…`) or by name.
pub(crate) async fn find(state: &AppState, tenant_id: &str, named: &str) -> ApiResult<TemplateRow> {
    let (tenant, wanted) = (tenant_id.to_string(), named.to_string());
    let by_id = TemplateId::parse(named).is_some();
    state
        .db
        .run(move |pool| match by_id {
            true => templates::get(pool, &tenant, &wanted),
            false => templates::by_name(pool, &tenant, &wanted),
        })
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_not_found",
                format!("template: the tenant has no template `{named}`"),
            )
        })
}

pub(crate) fn checked_values(
    values: BTreeMap<String, String>,
) -> ApiResult<BTreeMap<String, String>> {
    if values.len() > MAX_VARIABLES {
        return Err(ApiError::invalid(format!(
            "variables: at most {MAX_VARIABLES}"
        )));
    }
    if let Some((name, _)) = values
        .iter()
        .find(|(_, v)| v.chars().count() > MAX_VALUE_CHARS)
    {
        return Err(ApiError::invalid(format!(
            "variables.{name}: at most {MAX_VALUE_CHARS} characters"
        )));
    }
    Ok(values)
}
