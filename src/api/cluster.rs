//! The cluster as the admin sees it (`GET /api/v1/cluster`), and the route the instances call
//! each other on (`/internal/…`, signed with the cluster secret, never part of the public API).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use crate::cluster::forward::{SIGNATURE_HEADER, TIMESTAMP_HEADER, verify};
use crate::cluster::{CommandError, Order};
use crate::db::cluster as leases;
use crate::db::sessions;
use crate::time::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct Instance {
    pub id: String,
    /// How the other instances reach this one.
    pub advertise_url: String,
    pub started_at: String,
    pub last_seen_at: String,
    /// Sessions it runs now.
    pub sessions: i64,
    /// `active`, `draining` (handing its sessions over), `stopped`, or `unreachable` (no
    /// heartbeat within the lease TTL: its sessions move to the others).
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterView {
    pub instances: Vec<Instance>,
}

#[utoipa::path(get, path = "/api/v1/cluster", tag = "admin", security(("api_key" = [])),
    responses((status = 200, body = ClusterView, description = "Every instance on this database (one with SQLite), newest heartbeat first"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn view(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    caller.admin()?;
    if state.sessions.cluster().is_none() {
        let running = state.db.run(sessions::count_by_status).await?;
        let active: i64 = running
            .iter()
            .filter(|(s, _)| !matches!(s.as_str(), "STOPPED" | "LOGGED_OUT" | "FAILED"))
            .map(|(_, n)| n)
            .sum();
        let now = rfc3339(crate::db::now_ms());
        return Ok(HttpResponse::Ok().json(ClusterView {
            instances: vec![Instance {
                id: state.sessions.instance_id().to_string(),
                advertise_url: String::new(),
                started_at: rfc3339(state.started_at),
                last_seen_at: now,
                sessions: active,
                status: "active".into(),
            }],
        }));
    }
    let rows = state
        .db
        .run(move |pool| leases::instances(pool, true))
        .await?;
    let mut instances: Vec<Instance> = rows
        .into_iter()
        .map(|r| {
            let status = if r.status != "stopped" && r.lease_until <= r.now {
                "unreachable".to_string()
            } else {
                r.status
            };
            Instance {
                id: r.id,
                advertise_url: r.advertise_url,
                started_at: rfc3339(r.started_at),
                last_seen_at: rfc3339(r.last_seen_at),
                sessions: r.sessions,
                status,
            }
        })
        .collect();
    instances.sort_by(|a, b| b.last_seen_at.cmp(&a.last_seen_at));
    Ok(HttpResponse::Ok().json(ClusterView { instances }))
}

/// An order another instance forwards for a session this one owns.
pub async fn order(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let Some(config) = state.sessions.cluster().cloned() else {
        return Err(ApiError::not_found("route"));
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    if !verify(
        &config.secret,
        req.path(),
        &header(TIMESTAMP_HEADER),
        &header(SIGNATURE_HEADER),
        &body,
    ) {
        return Err(ApiError::unauthorized(
            "not signed with this cluster's secret",
        ));
    }
    let order: Order = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid(format!("not an order: {e}")))?;
    let answer: Result<_, CommandError> = state.sessions.accept_forwarded(&path, order).await;
    Ok(HttpResponse::Ok().json(answer))
}
