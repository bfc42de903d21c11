use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    chats, contacts, events, groups, keys, linking, messages, ops, profile, sessions, stream,
    tenants, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "WARAS", description = "WhatsApp Remote Automation Service: many WhatsApp sessions behind one multi-tenant REST API. Errors are application/problem+json with a stable `code`."),
    paths(
        tenants::create, tenants::list, tenants::get, tenants::delete, tenants::create_key,
        keys::create, keys::list, keys::get, keys::revoke,
        sessions::create, sessions::list, sessions::get, sessions::update, sessions::delete,
        sessions::start, sessions::stop, sessions::restart,
        linking::qr, linking::pair_code, linking::logout,
        messages::send, messages::list, messages::get, messages::download::media,
        chats::list, chats::mark_read, chats::presence,
        groups::list, groups::create, groups::join, groups::get, groups::update,
        groups::participants, groups::get_invite, groups::revoke_invite, groups::leave,
        contacts::check, contacts::picture, contacts::about,
        profile::get, profile::update, profile::set_picture, profile::remove_picture,
        events::list, stream::stream, stream::ticket,
        webhooks::create, webhooks::list, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::deliveries, webhooks::retry,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    modifiers(&SecuritySchemes),
    tags((name = "admin", description = "Tenants; needs the admin key"),
        (name = "keys", description = "A tenant's API keys"),
        (name = "sessions", description = "WhatsApp accounts"),
        (name = "messages", description = "Sending and reading messages"),
        (name = "groups", description = "WhatsApp groups of a WORKING session"),
        (name = "contacts", description = "Who is on WhatsApp; other people's pictures and about texts"),
        (name = "profile", description = "The session's own name, about text and picture"),
        (name = "events", description = "The event log"),
        (name = "webhooks", description = "Signed event delivery (Standard Webhooks)"),
        (name = "ops", description = "Health, readiness, metrics"))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "x_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}
