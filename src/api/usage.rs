//! Usage per day from the persisted roll-ups: messages in and out (with their types), media
//! bytes stored, session-hours WORKING and webhook deliveries. A tenant sees its own; the admin
//! names the tenant. JSON, or CSV with `Accept: text/csv`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use super::tenants::tenant_id;
use crate::auth::Principal;
use crate::db::now_ms;
use crate::db::tenancy::{self, metric};
use crate::domain::Scope;

/// The longest span one request covers.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day (UTC, `YYYY-MM-DD`); default 30 days before `to`.
    pub from: Option<String>,
    /// Last day (UTC, `YYYY-MM-DD`), included; default today.
    pub to: Option<String>,
    /// The tenant (admin key only; a tenant key sees its own).
    pub tenant_id: Option<String>,
}

/// One day of a tenant's usage.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UsageDay {
    pub day: String,
    pub messages_in: i64,
    pub messages_out: i64,
    pub media_bytes: i64,
    pub session_hours: f64,
    pub webhook_deliveries: i64,
    /// Messages in by type (`text`, `image`, …).
    pub messages_in_by_type: BTreeMap<String, i64>,
    /// Messages out by type.
    pub messages_out_by_type: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReport {
    pub data: Vec<UsageDay>,
}

fn day(raw: &str, what: &str) -> ApiResult<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(format!("{what}: a day like 2026-12-04")))
}

/// The rows of `(day, metric, amount)` as one entry per day.
fn by_day(rows: Vec<(String, String, i64)>) -> Vec<UsageDay> {
    let mut days: BTreeMap<String, UsageDay> = BTreeMap::new();
    for (d, name, amount) in rows {
        let entry = days.entry(d.clone()).or_insert_with(|| UsageDay {
            day: d,
            ..UsageDay::default()
        });
        match name.as_str() {
            metric::MESSAGES_IN => entry.messages_in = amount,
            metric::MESSAGES_OUT => entry.messages_out = amount,
            metric::MEDIA_BYTES => entry.media_bytes = amount,
            metric::WEBHOOK_DELIVERIES => entry.webhook_deliveries = amount,
            metric::SESSION_SECONDS => {
                entry.session_hours = (amount as f64 / 36.0).round() / 100.0;
            }
            other => {
                if let Some(kind) = other.strip_prefix("messages_in:") {
                    entry.messages_in_by_type.insert(kind.to_string(), amount);
                } else if let Some(kind) = other.strip_prefix("messages_out:") {
                    entry.messages_out_by_type.insert(kind.to_string(), amount);
                }
            }
        }
    }
    days.into_values().collect()
}

fn csv(days: &[UsageDay]) -> String {
    let mut out =
        String::from("day,messages_in,messages_out,media_bytes,session_hours,webhook_deliveries\n");
    for d in days {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            d.day,
            d.messages_in,
            d.messages_out,
            d.media_bytes,
            d.session_hours,
            d.webhook_deliveries
        ));
    }
    out
}

#[utoipa::path(get, path = "/api/v1/usage", tag = "keys", params(UsageQuery), security(("api_key" = [])),
    responses((status = 200, body = UsageReport, description = "One entry per day with any usage, oldest first (`text/csv` on request)"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: web::Query<UsageQuery>,
) -> ApiResult<HttpResponse> {
    let tenant = match &caller.0 {
        Principal::Admin => {
            let raw = q
                .tenant_id
                .as_deref()
                .ok_or_else(|| ApiError::invalid("tenant_id: the admin names the tenant"))?;
            super::tenancy::standing(&state, &tenant_id(raw)?).await?;
            raw.to_string()
        }
        Principal::Tenant(_) => {
            let key = caller.tenant(Scope::Read)?;
            if q.tenant_id
                .as_deref()
                .is_some_and(|t| t != key.tenant_id.as_str())
            {
                return Err(ApiError::forbidden("a tenant key sees its own usage only"));
            }
            key.tenant_id.as_str().to_string()
        }
    };
    let now = now_ms();
    let to = match q.to.as_deref() {
        Some(raw) => day(raw, "to")?,
        None => chrono::DateTime::from_timestamp_millis(now)
            .unwrap_or_default()
            .date_naive(),
    };
    let from = match q.from.as_deref() {
        Some(raw) => day(raw, "from")?,
        None => to - chrono::Duration::days(30),
    };
    if from > to || (to - from).num_days() > MAX_DAYS {
        return Err(ApiError::invalid(
            "from..to: at most 366 days, from before to",
        ));
    }
    let (from, to) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    let rows = state
        .db
        .run(move |pool| {
            tenancy::flush_working(pool, &tenant, now)?;
            tenancy::usage(pool, &tenant, &from, &to)
        })
        .await?;
    let days = by_day(rows);
    let wants_csv = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(csv(&days)));
    }
    Ok(HttpResponse::Ok().json(UsageReport { data: days }))
}
