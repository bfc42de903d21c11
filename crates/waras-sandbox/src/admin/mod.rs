//! The sandbox's admin HTTP API (API.md, "Sandbox"): act as the simulated people.

mod blocking;
mod calls;
mod channels;
mod chats;
mod group_admin;
mod messages;
mod profile_admin;
mod status;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, Scope, web};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::net::core::{Core, Fault, FaultKind};
use crate::net::group_views as groups;
use crate::net::network::ConnCommand;
use crate::phones::accounts::{self, AccountError, normalize_phone};
use crate::phones::phone;
use crate::server::linkcode;
use crate::server::pairing::{self, ScanError};

/// Fault duration when the request names none.
const DEFAULT_FAULT_SECS: u64 = 30;

/// A problem+json error with a stable `code`.
#[derive(Debug)]
pub struct AdminError {
    status: StatusCode,
    code: &'static str,
    detail: String,
}

impl AdminError {
    pub(crate) fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
        }
    }
    #[allow(
        clippy::needless_pass_by_value,
        reason = "takes the error by value to fit `map_err(AdminError::internal)`"
    )]
    pub(crate) fn internal(e: anyhow::Error) -> Self {
        log::error!("sandbox admin: {e:#}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type("application/problem+json")
            .json(json!({
                "type": "about:blank",
                "title": self.status.canonical_reason().unwrap_or("error"),
                "status": self.status.as_u16(),
                "detail": self.detail,
                "code": self.code,
            }))
    }
}

impl From<AccountError> for AdminError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::InvalidPhone(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
            }
            AccountError::Exists(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            AccountError::NotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            AccountError::Internal(e) => Self::internal(e),
        }
    }
}

impl From<ScanError> for AdminError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::InvalidQr(_) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
            }
            ScanError::NoAccount(_) => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            ScanError::UnknownRef => {
                Self::new(StatusCode::NOT_FOUND, "pairing_not_found", e.to_string())
            }
            ScanError::Internal(e) => Self::internal(e),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, AdminError>;

pub(crate) struct AdminState {
    pub core: Arc<Core>,
}

/// A 400 `invalid_request` problem.
pub(crate) fn invalid(detail: impl Into<String>) -> AdminError {
    AdminError::new(StatusCode::BAD_REQUEST, "invalid_request", detail)
}

/// A 404 `not_found` problem.
pub(crate) fn not_found(detail: impl Into<String>) -> AdminError {
    AdminError::new(StatusCode::NOT_FOUND, "not_found", detail)
}

/// The `/sandbox` admin routes over the network in `core`.
pub(crate) fn scope_for(core: Arc<Core>) -> Scope {
    people_routes(web::scope("/sandbox"))
        .app_data(web::Data::new(AdminState { core }))
        .app_data(
            web::JsonConfig::default()
                .limit(64 * 1024)
                .content_type_required(false),
        )
        .route("/info", web::get().to(info))
        .route("/accounts", web::post().to(create_account))
        .route("/accounts", web::get().to(list_accounts))
        .route("/accounts/{phone}/scan", web::post().to(scan))
        .route("/accounts/{phone}/link-code", web::post().to(link_code))
        .route("/accounts/{phone}/devices", web::get().to(devices))
        .route(
            "/accounts/{phone}/devices/{device}",
            web::delete().to(unlink),
        )
        .service(
            web::resource("/accounts/{phone}/messages")
                .app_data(
                    web::JsonConfig::default()
                        .limit(messages::MAX_BODY_BYTES)
                        .content_type_required(false),
                )
                .route(web::post().to(messages::send))
                .route(web::get().to(messages::received)),
        )
        .route(
            "/accounts/{phone}/receipts",
            web::get().to(messages::receipts),
        )
        .route(
            "/accounts/{phone}/chatstates",
            web::get().to(messages::chatstates),
        )
        .route(
            "/accounts/{phone}/presences",
            web::get().to(messages::presences),
        )
        .route("/accounts/{phone}/groups", web::post().to(create_group))
        .route("/accounts/{phone}/groups", web::get().to(list_groups))
        .route(
            "/accounts/{phone}/groups/join",
            web::post().to(group_admin::join),
        )
        .route(
            "/accounts/{phone}/groups/{group}/participants",
            web::post().to(group_admin::participants),
        )
        .route(
            "/accounts/{phone}/groups/{group}/leave",
            web::post().to(group_admin::leave),
        )
        .route(
            "/accounts/{phone}/groups/{group}",
            web::put().to(group_admin::update),
        )
        .route("/groups/{group}", web::get().to(group_admin::get))
        .service(
            web::resource("/accounts/{phone}/profile")
                .app_data(
                    web::JsonConfig::default()
                        .limit(profile_admin::MAX_BODY_BYTES)
                        .content_type_required(false),
                )
                .route(web::get().to(profile_admin::get))
                .route(web::put().to(profile_admin::update)),
        )
        .route("/faults", web::post().to(fault))
}

/// What the people do besides messaging: calls, blocklists, status, channels, chat changes on
/// the phone.
fn people_routes(scope: Scope) -> Scope {
    scope
        .route(
            "/accounts/{phone}/blocklist",
            web::post().to(blocking::change),
        )
        .route("/accounts/{phone}/blocklist", web::get().to(blocking::list))
        .route("/accounts/{phone}/calls", web::post().to(calls::ring))
        .route("/accounts/{phone}/calls", web::get().to(calls::list))
        .route(
            "/accounts/{phone}/calls/{call_id}/{action}",
            web::post().to(calls::act),
        )
        .route("/accounts/{phone}/status", web::post().to(status::post))
        .route(
            "/accounts/{phone}/channels",
            web::post().to(channels::create),
        )
        .route(
            "/accounts/{phone}/channels",
            web::get().to(channels::of_account),
        )
        .route(
            "/accounts/{phone}/channels/{channel}/{action}",
            web::post().to(channels::follow),
        )
        .route("/channels/{channel}", web::get().to(channels::get))
        .route("/channels/{channel}/posts", web::post().to(channels::post))
        .route(
            "/accounts/{phone}/app-state",
            web::get().to(chats::versions),
        )
        .route(
            "/accounts/{phone}/chats/{chat}/{action}",
            web::post().to(chats::act),
        )
}

async fn info(state: web::Data<AdminState>) -> HttpResponse {
    let root = base64::engine::general_purpose::STANDARD
        .encode(state.core.root.public_key.public_key_bytes());
    HttpResponse::Ok().json(json!({
        "ws_url": state.core.ws_url,
        "root_public_key": root,
        "media_host": state.core.media_host,
        "media_ca_pem": state.core.media_ca_pem,
    }))
}

#[derive(Deserialize)]
struct NewAccount {
    phone: Option<String>,
    name: Option<String>,
}

async fn create_account(
    state: web::Data<AdminState>,
    body: web::Json<NewAccount>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let info = accounts::create(state.core.clone(), body.phone, body.name).await?;
    Ok(HttpResponse::Created().json(info))
}

async fn list_accounts(state: web::Data<AdminState>) -> HttpResponse {
    HttpResponse::Ok().json(accounts::list(&state.core))
}

pub(crate) fn known_phone(core: &Core, raw: &str) -> Result<String> {
    let phone = normalize_phone(raw)?;
    if !core.read_net().accounts.contains_key(&phone) {
        return Err(AccountError::NotFound(phone).into());
    }
    Ok(phone)
}

#[derive(Deserialize)]
struct Scan {
    qr: String,
}

async fn scan(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<Scan>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let jid = pairing::scan(&state.core, &phone, &body.qr)?;
    Ok(HttpResponse::Ok().json(json!({ "device": jid.device, "jid": jid.to_string() })))
}

#[derive(Deserialize)]
struct LinkCode {
    code: String,
}

async fn link_code(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<LinkCode>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    // Unwrapping the code's keys is slow key stretching: keep it off the server's worker.
    let (core, who, code) = (state.core.clone(), phone.clone(), body.into_inner().code);
    web::block(move || linkcode::enter_code(&core, &who, &code))
        .await
        .map_err(|e| AdminError::internal(anyhow::anyhow!("pairing-code task failed: {e}")))??;
    // The companion finishes the exchange on its own; the link shows up in the device list.
    Ok(HttpResponse::Accepted().json(json!({ "phone": phone })))
}

async fn devices(state: web::Data<AdminState>, path: web::Path<String>) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    Ok(HttpResponse::Ok().json(accounts::devices(&state.core, &phone)?))
}

async fn unlink(
    state: web::Data<AdminState>,
    path: web::Path<(String, u16)>,
) -> Result<HttpResponse> {
    let (raw, device) = path.into_inner();
    let phone = known_phone(&state.core, &raw)?;
    if device == 0 {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "device 0 is the phone itself",
        ));
    }
    match pairing::unlink(&state.core, &phone, device).map_err(AdminError::internal)? {
        true => Ok(HttpResponse::NoContent().finish()),
        false => Err(AdminError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no device {device}"),
        )),
    }
}

#[derive(Deserialize)]
struct NewGroup {
    subject: String,
    participants: Vec<String>,
}

async fn create_group(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<NewGroup>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let body = body.into_inner();
    if body.subject.trim().is_empty() || body.subject.len() > 100 {
        return Err(AdminError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "subject must be 1..100 bytes",
        ));
    }
    let members = body
        .participants
        .iter()
        .map(|p| known_phone(&state.core, p))
        .collect::<Result<Vec<_>>>()?;
    let group = phone::create_group(state.core.clone(), phone, body.subject, members)
        .await
        .map_err(AdminError::internal)?;
    Ok(HttpResponse::Created().json(group))
}

async fn list_groups(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    Ok(HttpResponse::Ok().json(groups::of_account(&state.core, &phone)))
}

#[derive(Deserialize)]
struct FaultRequest {
    kind: String,
    phone: Option<String>,
    seconds: Option<u64>,
}

async fn fault(
    state: web::Data<AdminState>,
    body: web::Json<FaultRequest>,
) -> Result<HttpResponse> {
    let body = body.into_inner();
    let phone = body
        .phone
        .as_deref()
        .map(|p| known_phone(&state.core, p))
        .transpose()?;
    let until = Instant::now() + Duration::from_secs(body.seconds.unwrap_or(DEFAULT_FAULT_SECS));
    match body.kind.as_str() {
        "drop" => {
            // Cut connections now; clients reconnect on their own.
            let net = state.core.read_net();
            for ((p, _), conn) in net.conns.iter() {
                if phone.as_ref().is_none_or(|want| want == p) {
                    let _ = conn.tx.send(ConnCommand::Close(None));
                }
            }
        }
        "refuse" => state.core.faults.add(Fault {
            kind: FaultKind::Refuse,
            phone: phone.clone(),
            until,
        }),
        "delay" => state.core.faults.add(Fault {
            kind: FaultKind::Delay,
            phone: phone.clone(),
            until,
        }),
        "rate_limit" => state.core.faults.add(Fault {
            kind: FaultKind::RateLimit,
            phone: phone.clone(),
            until,
        }),
        other => {
            return Err(AdminError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("unknown fault kind {other:?} (drop, refuse, delay, rate_limit)"),
            ));
        }
    }
    Ok(HttpResponse::Accepted().json(json!({ "kind": body.kind, "phone": phone })))
}
