//! Health, readiness and metrics: unauthenticated, for load balancers and Prometheus.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, Problem};
use super::state::AppState;
use crate::db::sessions;

/// Longest `/readyz` waits for the database.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    /// `on` unless this is a sandbox build (`off`), which only talks to loopback.
    pub cert_verification: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub status: &'static str,
    pub database: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        cert_verification: crate::CERT_VERIFICATION,
    })
}

#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = Ready), (status = 503, body = Problem, description = "The database cannot be reached")))]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let backend = state.db.pool().backend_name();
    let unready = || {
        ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database cannot be reached",
        )
    };
    // A load balancer asks often and gives up quickly: a database slower than this is not ready.
    let ping = tokio::time::timeout(READY_TIMEOUT, state.db.run(|pool| pool.ping()));
    match ping.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            log::warn!("readiness check failed: {e}");
            return Err(unready());
        }
        Err(_) => {
            log::warn!("readiness check got no answer in {READY_TIMEOUT:?}");
            return Err(unready());
        }
    }
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready",
        database: backend,
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format"),
        (status = 503, body = Problem)))]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let counts = state.db.run(sessions::count_by_status).await?;
    state.metrics.set_session_counts(&counts);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}
