//! The HTTP layer. [`routes`] is the one route table.

pub mod audit;
pub mod auth;
pub mod blocking;
pub mod calls;
pub mod campaigns;
pub mod channels;
pub mod chat_actions;
pub mod chats;
pub mod cluster;
pub mod contacts;
mod docs;
pub mod error;
pub mod events;
pub mod groups;
mod json_object;
pub mod keys;
pub mod linking;
pub mod live;
pub mod mcp;
pub mod messages;
pub mod openapi;
pub mod ops;
mod page;
pub mod profile;
pub mod rate_limit;
pub mod rules;
pub mod sessions;
pub mod sinks;
pub mod state;
pub mod status;
pub mod stream;
pub mod templates;
pub mod tenancy;
pub mod tenants;
mod ui;
mod usage;
pub mod webhooks;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, Scope, web};

use error::ApiError;
pub use state::AppState;

/// Every route of the service: this function and the five below it are the one route table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(crate::cluster::forward::ORDER_PATH)
            // A forwarded profile picture or media download is larger than an API body.
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .route(web::post().to(cluster::order)),
    );
    // Everything under one session is one scope: its prefix is matched once, and the routes in
    // it by what follows (most of them without a pattern), instead of each route's pattern being
    // tried against the whole path in turn.
    let session = web::scope("/sessions/{session_id}");
    let session = contact_routes(live_routes(session_routes(session)));
    let api = web::scope("/api/v1")
        .route("/sessions", web::post().to(sessions::create))
        .route("/sessions", web::get().to(sessions::list))
        .service(session);
    let api = automation_routes(event_routes(account_routes(api)));
    cfg.service(
        api.default_service(web::to(unknown_route))
            .wrap(actix_web::middleware::from_fn(json_object::require_object))
            .wrap(actix_web::middleware::from_fn(audit::record))
            .wrap(actix_web::middleware::from_fn(rate_limit::headers)),
    )
    .service(
        web::resource("/mcp")
            .app_data(web::PayloadConfig::new(mcp::MAX_BODY))
            .route(web::post().to(mcp::post))
            .route(web::get().to(mcp::not_offered))
            .route(web::delete().to(mcp::not_offered)),
    )
    .configure(ui::routes)
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics))
    .configure(docs::routes)
    .default_service(web::to(unknown_route));
}

/// The cluster view, tenants and API keys.
fn account_routes(api: Scope) -> Scope {
    api.route("/cluster", web::get().to(cluster::view))
        .route("/tenants", web::post().to(tenants::create))
        .route("/tenants", web::get().to(tenants::list))
        .route("/tenants/{tenant_id}", web::get().to(tenants::get))
        .route("/tenants/{tenant_id}", web::delete().to(tenants::delete))
        .route("/tenants/{tenant_id}", web::patch().to(tenancy::update))
        .route(
            "/tenants/{tenant_id}/suspend",
            web::post().to(tenancy::suspend),
        )
        .route(
            "/tenants/{tenant_id}/resume",
            web::post().to(tenancy::resume),
        )
        .route("/tenant", web::get().to(tenancy::own))
        .route("/usage", web::get().to(usage::report))
        .route("/audit", web::get().to(audit::list))
        .route(
            "/tenants/{tenant_id}/keys",
            web::post().to(tenants::create_key),
        )
        .route("/keys", web::post().to(keys::create))
        .route("/keys", web::get().to(keys::list))
        .route("/keys/{key_id}", web::get().to(keys::get))
        .route("/keys/{key_id}", web::delete().to(keys::revoke))
}

/// Automation: message templates.
fn automation_routes(api: Scope) -> Scope {
    api.route("/templates", web::post().to(templates::create))
        .route("/templates", web::get().to(templates::list))
        .route("/templates/{template_id}", web::get().to(templates::get))
        .route(
            "/templates/{template_id}",
            web::patch().to(templates::update),
        )
        .route(
            "/templates/{template_id}",
            web::delete().to(templates::delete),
        )
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns", web::get().to(campaigns::list))
        .route("/campaigns/{campaign_id}", web::get().to(campaigns::get))
        .route(
            "/campaigns/{campaign_id}/recipients",
            web::get().to(campaigns::recipients),
        )
        .route(
            "/campaigns/{campaign_id}/pause",
            web::post().to(campaigns::pause),
        )
        .route(
            "/campaigns/{campaign_id}/resume",
            web::post().to(campaigns::resume),
        )
        .route(
            "/campaigns/{campaign_id}/cancel",
            web::post().to(campaigns::cancel),
        )
        .route("/rules", web::post().to(rules::create))
        .route("/rules", web::get().to(rules::list))
        .route("/rules/{rule_id}", web::get().to(rules::get))
        .route("/rules/{rule_id}", web::patch().to(rules::update))
        .route("/rules/{rule_id}", web::delete().to(rules::delete))
}

/// Sessions: lifecycle, linking, messages and chats.
fn session_routes(session: Scope) -> Scope {
    session
        .route("", web::get().to(sessions::get))
        .route("", web::patch().to(sessions::update))
        .route("", web::delete().to(sessions::delete))
        .route("/start", web::post().to(sessions::start))
        .route("/stop", web::post().to(sessions::stop))
        .route("/restart", web::post().to(sessions::restart))
        .route("/logout", web::post().to(linking::logout))
        .route("/qr", web::get().to(linking::qr))
        .route("/pair-code", web::post().to(linking::pair_code))
        .route("/messages", web::post().to(messages::send::send))
        .route("/messages", web::get().to(messages::list))
        .route("/messages/{message_id}", web::get().to(messages::get))
        .route(
            "/messages/{message_id}",
            web::patch().to(messages::schedule::reschedule),
        )
        .route(
            "/messages/{message_id}/cancel",
            web::post().to(messages::schedule::cancel),
        )
        .route(
            "/messages/{message_id}/media",
            web::get().to(messages::download::media),
        )
        .route(
            "/messages/{message_id}/read",
            web::post().to(chats::mark_read),
        )
        .route("/chats", web::get().to(chats::list))
        .route("/chats/{chat}/messages", web::get().to(chats::messages))
        .route("/chats/{chat}", web::delete().to(chat_actions::delete))
        .route("/chats/{chat}/{action}", web::post().to(chat_actions::act))
        .route("/calls", web::get().to(calls::list))
        .route("/status", web::post().to(status::post))
        .route("/calls/{call_id}/reject", web::post().to(calls::reject))
        .route("/presence", web::post().to(chats::presence))
}

/// Channels the session follows or runs.
fn channel_routes(session: Scope) -> Scope {
    session
        .route("/channels", web::get().to(channels::list))
        .route("/channels", web::post().to(channels::create))
        .route("/channels/{channel}", web::get().to(channels::get))
        .route(
            "/channels/{channel}/follow",
            web::post().to(channels::follow),
        )
        .route(
            "/channels/{channel}/unfollow",
            web::post().to(channels::unfollow),
        )
        .route(
            "/channels/{channel}/messages",
            web::post().to(channels::post),
        )
}

/// Other people as the session knows them: contacts, number checks, pictures, the blocklist.
fn contact_routes(session: Scope) -> Scope {
    session
        .route("/contacts", web::get().to(contacts::list))
        .route("/contacts/check", web::post().to(contacts::check))
        // Other methods on `check` get their 405 here, not the contact route below.
        .route("/contacts/check", web::route().to(unknown_route))
        .route("/contacts/{contact}", web::get().to(contacts::get))
        .route("/contacts/{contact}/block", web::post().to(blocking::block))
        .route(
            "/contacts/{contact}/unblock",
            web::post().to(blocking::unblock),
        )
        .route("/blocklist", web::get().to(blocking::list))
        .route(
            "/contacts/{contact}/picture",
            web::get().to(contacts::picture),
        )
        .route("/contacts/{contact}/about", web::get().to(contacts::about))
}

/// What a session asks of WhatsApp: groups, channels and its profile.
fn live_routes(session: Scope) -> Scope {
    channel_routes(session)
        .route("/groups", web::get().to(groups::list))
        .route("/groups", web::post().to(groups::create))
        .route("/groups/join", web::post().to(groups::join))
        // Other methods on `join` get their 405 here instead of reaching the group routes
        // below with `join` as a group id.
        .route("/groups/join", web::route().to(unknown_route))
        .route("/groups/{group_id}", web::get().to(groups::get))
        .route("/groups/{group_id}", web::patch().to(groups::update))
        .route(
            "/groups/{group_id}/participants",
            web::post().to(groups::participants),
        )
        .route(
            "/groups/{group_id}/invite",
            web::get().to(groups::get_invite),
        )
        .route(
            "/groups/{group_id}/invite/revoke",
            web::post().to(groups::revoke_invite),
        )
        .route("/groups/{group_id}/leave", web::post().to(groups::leave))
        .route("/profile", web::get().to(profile::get))
        .route("/profile", web::patch().to(profile::update))
        .route("/profile/picture", web::put().to(profile::set_picture))
        .route(
            "/profile/picture",
            web::delete().to(profile::remove_picture),
        )
}

/// Events (replay and stream), webhooks and sinks.
fn event_routes(api: Scope) -> Scope {
    api.route("/events", web::get().to(events::list))
        .route("/events/ws", web::get().to(stream::stream))
        .route("/events/ws-ticket", web::post().to(stream::ticket))
        .route("/webhooks", web::post().to(webhooks::create))
        .route("/webhooks", web::get().to(webhooks::list))
        .route("/webhooks/{webhook_id}", web::get().to(webhooks::get))
        .route("/webhooks/{webhook_id}", web::patch().to(webhooks::update))
        .route("/webhooks/{webhook_id}", web::delete().to(webhooks::delete))
        .route(
            "/webhooks/{webhook_id}/rotate-secret",
            web::post().to(webhooks::rotate_secret),
        )
        .route(
            "/webhooks/{webhook_id}/deliveries",
            web::get().to(webhooks::deliveries),
        )
        .route(
            "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
            web::post().to(webhooks::retry),
        )
        .route("/sinks", web::post().to(sinks::create))
        .route("/sinks", web::get().to(sinks::list))
        .route("/sinks/{sink_id}", web::get().to(sinks::get))
        .route("/sinks/{sink_id}", web::patch().to(sinks::update))
        .route("/sinks/{sink_id}", web::delete().to(sinks::delete))
}

async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(allowed) = openapi::allowed_methods(req.path())
        && !allowed.contains(&req.method().as_str())
    {
        return Ok(method_not_allowed(&req, &allowed));
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// 405 for a method a known path does not answer, with the `Allow` header RFC 9110 requires.
fn method_not_allowed(req: &HttpRequest, allowed: &[&str]) -> HttpResponse {
    let mut res = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.path()),
    )
    .error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    res
}

/// Turns extractor failures into problem+json with the right 4xx.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(false)
        .error_handler(|err, _req| {
            let api = match &err {
                JsonPayloadError::Overflow { limit }
                | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the request body exceeds {limit} bytes"),
                ),
                JsonPayloadError::Deserialize(e) => {
                    ApiError::invalid(format!("invalid JSON body: {e}"))
                }
                JsonPayloadError::ContentType => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "the body must be application/json",
                ),
                other => ApiError::invalid(format!("cannot read the body: {other}")),
            };
            api.into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::invalid(format!("invalid query string: {err}")).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_err: PathError, _req| ApiError::not_found("resource").into())
}

/// Counts every request by route pattern (never the raw path, which holds ids) and status.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let status = res.status().as_u16().to_string();
        state
            .metrics
            .http_requests
            .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[route.as_str()])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
