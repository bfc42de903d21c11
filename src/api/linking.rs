//! Linking a session to a WhatsApp account: the current QR (PNG, SVG or JSON), pairing codes, and
//! logout.

use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::sessions::{Session, load_session, present_one};
use super::state::AppState;
use crate::db::sessions;
use crate::domain::{Scope, SessionStatus};
use crate::engine::jid::phone_digits;

#[derive(Debug, Serialize, ToSchema)]
pub struct QrCode {
    /// The string to encode in a QR code (what the phone scans).
    pub code: String,
    pub expires_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairCodeRequest {
    /// The account's phone number in international form, e.g. +4915123456789.
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairCodeAnswer {
    /// Enter this on the phone: Linked devices → Link with phone number.
    pub code: String,
}

fn render_png(code: &str) -> ApiResult<Vec<u8>> {
    let qr = qrcode::QrCode::new(code.as_bytes()).map_err(ApiError::internal)?;
    let width = qr.width();
    let (scale, quiet) = (8usize, 4usize);
    let side = (width + 2 * quiet) * scale;
    let colors = qr.to_colors();
    let mut pixels = vec![255u8; side * side];
    for y in 0..width {
        for x in 0..width {
            if colors[y * width + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + quiet) * scale + dy) * side;
                    let start = row + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(ApiError::internal)?;
    writer
        .write_image_data(&pixels)
        .map_err(ApiError::internal)?;
    writer.finish().map_err(ApiError::internal)?;
    Ok(out)
}

fn render_svg(code: &str) -> ApiResult<String> {
    let qr = qrcode::QrCode::new(code.as_bytes()).map_err(ApiError::internal)?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build())
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/qr", tag = "sessions", params(("session_id" = String, Path)),
    security(("api_key" = [])),
    responses((status = 200, description = "The current QR: image/png (default), image/svg+xml, or application/json",
            content((QrCode = "application/json"), (String = "image/svg+xml"), (Vec<u8> = "image/png"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "`session_not_waiting_for_qr`"), (status = 503, body = Problem)))]
pub async fn qr(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(&state, key, &path).await?;
    let waiting = row.status == SessionStatus::ScanQr.as_str();
    let (code, expires) = match (waiting, row.qr_code.clone(), row.qr_expires_at) {
        (true, Some(code), Some(expires)) => (code, expires),
        _ => {
            return Err(ApiError::conflict(
                "session_not_waiting_for_qr",
                format!("the session is {}, not waiting for a QR scan", row.status),
            ));
        }
    };
    let accept = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("image/png");
    let cache = ("Cache-Control", "no-store");
    if accept.contains("application/json") {
        return Ok(HttpResponse::Ok().insert_header(cache).json(QrCode {
            code,
            expires_at: crate::time::rfc3339(expires),
        }));
    }
    if accept.contains("image/svg") {
        return Ok(HttpResponse::Ok()
            .insert_header(cache)
            .content_type("image/svg+xml")
            .body(render_svg(&code)?));
    }
    Ok(HttpResponse::Ok()
        .insert_header(cache)
        .content_type("image/png")
        .body(render_png(&code)?))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/pair-code", tag = "sessions",
    params(("session_id" = String, Path)), request_body = PairCodeRequest, security(("api_key" = [])),
    responses((status = 200, body = PairCodeAnswer), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The session is not started or already linked"),
        (status = 502, body = Problem, description = "WhatsApp refused the request"), (status = 503, body = Problem)))]
pub async fn pair_code(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<PairCodeRequest>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(&state, key, &path).await?;
    let phone = phone_digits(&body.phone).map_err(|e| ApiError::invalid(format!("phone: {e}")))?;
    let code = state.sessions.pair_code(&row.id, phone).await?;
    Ok(HttpResponse::Ok().json(PairCodeAnswer { code }))
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/logout", tag = "sessions",
    params(("session_id" = String, Path)), security(("api_key" = [])),
    responses((status = 200, body = Session, description = "Unlinked; key material deleted; status LOGGED_OUT"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 503, body = Problem)))]
pub async fn logout(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Manage)?;
    let row = load_session(&state, key, &path).await?;
    state.sessions.logout(&row.id).await?;
    let (t, sid) = (row.tenant_id.clone(), row.id.clone());
    let fresh = state
        .db
        .run(move |pool| sessions::get(pool, &t, &sid))
        .await?
        .ok_or_else(|| ApiError::not_found("session"))?;
    Ok(HttpResponse::Ok().json(present_one(&state, fresh).await?))
}
