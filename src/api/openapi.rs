use std::collections::HashMap;
use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, Response};
use utoipa::{Modify, OpenApi};

use super::{
    audit, blocking, calls, campaigns, channels, chat_actions, chats, cluster, contacts, events,
    groups, keys, linking, messages, ops, profile, rules, sessions, sinks, status, stream,
    templates, tenancy, tenants, usage, webhooks,
};

/// The OpenAPI document `/openapi.json` serves: `clients/openapi.json`, which is [`ApiDoc`]
/// rendered (pretty-printed, key order kept) and checked against it by a test
/// (`the_served_document_is_the_derived_one`), without its layout (build.rs). It is compiled in
/// as text rather than built at start: the builder code utoipa derives for the whole document was
/// 2 MB of the binary.
pub const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// Every route's documentation, derived from the handlers' annotations: the source of
/// [`DOCUMENT`].
#[derive(OpenApi)]
#[openapi(
    info(title = "WARAS", description = "WhatsApp Remote Automation Service: many WhatsApp sessions behind one multi-tenant REST API. Errors are application/problem+json with a stable `code`."),
    paths(
        tenants::create, tenants::list, tenants::get, tenants::delete, tenants::create_key,
        tenancy::update, tenancy::suspend, tenancy::resume, tenancy::own, usage::report,
        audit::list,
        keys::create, keys::list, keys::get, keys::revoke,
        sessions::create, sessions::list, sessions::get, sessions::update, sessions::delete,
        sessions::start, sessions::stop, sessions::restart,
        linking::qr, linking::pair_code, linking::logout,
        messages::send::send, messages::list, messages::get, messages::download::media,
        messages::schedule::reschedule, messages::schedule::cancel,
        chats::list, chats::messages, chat_actions::act, chat_actions::delete, chats::mark_read, chats::presence, calls::list, calls::reject, status::post,
        groups::list, groups::create, groups::join, groups::get, groups::update,
        groups::participants, groups::get_invite, groups::revoke_invite, groups::leave,
        contacts::list, contacts::get, contacts::check, contacts::picture, contacts::about,
        blocking::block, blocking::unblock, blocking::list,
        channels::list, channels::create, channels::get, channels::follow, channels::unfollow,
        channels::post,
        profile::get, profile::update, profile::set_picture, profile::remove_picture,
        events::list, stream::stream, stream::ticket,
        webhooks::create, webhooks::list, webhooks::get, webhooks::update, webhooks::delete,
        webhooks::rotate_secret, webhooks::deliveries, webhooks::retry,
        sinks::create, sinks::list, sinks::get, sinks::update, sinks::delete,
        templates::create, templates::list, templates::get, templates::update, templates::delete,
        campaigns::create, campaigns::list, campaigns::get, campaigns::recipients,
        campaigns::pause, campaigns::resume, campaigns::cancel,
        rules::create, rules::list, rules::get, rules::update, rules::delete,
        ops::healthz, ops::readyz, ops::metrics, cluster::view,
    ),
    modifiers(&SecuritySchemes, &ProblemResponses, &IdParameters, &OperationIds),
    tags((name = "admin", description = "Tenants; needs the admin key"),
        (name = "keys", description = "A tenant's API keys"),
        (name = "sessions", description = "WhatsApp accounts"),
        (name = "messages", description = "Sending and reading messages"),
        (name = "groups", description = "WhatsApp groups of a WORKING session"),
        (name = "contacts", description = "Who is on WhatsApp; other people's pictures and about texts"),
        (name = "calls", description = "Calls the account received; declining them"),
        (name = "channels", description = "WhatsApp channels (newsletters) the account follows or runs"),
        (name = "profile", description = "The session's own name, about text and picture"),
        (name = "events", description = "The event log"),
        (name = "webhooks", description = "Signed event delivery (Standard Webhooks)"),
        (name = "sinks", description = "Events published to NATS JetStream, RabbitMQ or Redis Streams"),
        (name = "templates", description = "Message templates with {{variables}}, filled by a send"),
        (name = "campaigns", description = "One message to many recipients, paced per session"),
        (name = "rules", description = "Answers, forwards and events for matching incoming messages"),
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

/// Path parameters holding WARAS ids, by name, with the prefix their ids carry.
const ID_PARAMETERS: [(&str, &str); 10] = [
    ("tenant_id", "tnt"),
    ("session_id", "ses"),
    ("key_id", "key"),
    ("webhook_id", "whk"),
    ("delivery_id", "dlv"),
    ("message_id", "msg"),
    ("template_id", "tpl"),
    ("campaign_id", "cmp"),
    ("rule_id", "rul"),
    ("sink_id", "snk"),
];

/// Declares the range of every `limit` and the form of every id in a path (a prefix and 32 lowercase hex digits, as the
/// handlers parse them) once here instead of in every annotation.
struct IdParameters;

impl Modify for IdParameters {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (_, op) in operations_mut(item) {
                for param in op.parameters.iter_mut().flatten() {
                    if param.name == "limit" {
                        param.schema = Some(RefOr::T(Schema::Object(limit_schema())));
                        continue;
                    }
                    if param.name == "group_id" {
                        // As `groups::group_jid` reads it: `120363…` or `120363…@g.us`, older
                        // groups `<creator>-<time>`.
                        let schema = ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some("^[0-9]([0-9-]{0,62}[0-9])?(@g\\.us)?$"))
                            .build();
                        param.schema = Some(RefOr::T(Schema::Object(schema)));
                        continue;
                    }
                    let in_path = matches!(param.parameter_in, ParameterIn::Path);
                    if let Some(schema) = address_schema(&param.name).filter(|_| in_path) {
                        param.schema = Some(RefOr::T(Schema::Object(schema)));
                        continue;
                    }
                    if param.name == "cursor"
                        && let Some(schema) = cursor_schema(path)
                    {
                        param.schema = Some(RefOr::T(Schema::Object(schema)));
                        continue;
                    }
                    let Some((_, prefix)) = ID_PARAMETERS.iter().find(|(n, _)| *n == param.name)
                    else {
                        continue;
                    };
                    let schema = ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(format!("^{prefix}_[0-9a-f]{{32}}$")))
                        .min_length(Some(36))
                        .max_length(Some(36))
                        .build();
                    param.schema = Some(RefOr::T(Schema::Object(schema)));
                }
            }
        }
    }
}

/// The form of the path parameters that name a person or chat, as `engine::jid` reads them (a
/// phone number or a JID), and of a chat action.
fn address_schema(name: &str) -> Option<utoipa::openapi::schema::Object> {
    let string = ObjectBuilder::new().schema_type(Type::String);
    Some(match name {
        "chat" => string
            .pattern(Some(
                "^(\\+?[1-9][0-9]{6,14}|[0-9][0-9-]{0,40}@(s\\.whatsapp\\.net|lid|g\\.us|newsletter))$",
            ))
            .build(),
        "contact" => string
            .pattern(Some(
                "^(\\+?[1-9][0-9]{6,14}|[1-9][0-9]{6,14}@s\\.whatsapp\\.net|[0-9]{1,20}@lid)$",
            ))
            .build(),
        "channel" => string.pattern(Some("^[0-9]{1,40}@newsletter$")).build(),
        "action" => string
            .enum_values(Some([
                "archive",
                "unarchive",
                "pin",
                "unpin",
                "mute",
                "unmute",
                "read",
                "unread",
            ]))
            .build(),
        _ => return None,
    })
}

/// What each list takes as `cursor`: the id of its last entry (the chat list: a chat's JID).
/// The event list's cursor is an event number, declared on its parameters.
fn cursor_schema(path: &str) -> Option<utoipa::openapi::schema::Object> {
    let string = ObjectBuilder::new().schema_type(Type::String);
    let prefix = match path.rsplit('/').next()? {
        "tenants" => "tnt",
        "keys" => "key",
        "sessions" => "ses",
        "webhooks" => "whk",
        "deliveries" => "dlv",
        "messages" => "msg",
        "chats" => {
            return Some(
                string
                    .pattern(Some("@"))
                    .min_length(Some(1))
                    .max_length(Some(128))
                    .build(),
            );
        }
        _ => return None,
    };
    Some(
        string
            .pattern(Some(format!("^{prefix}_[0-9a-f]{{32}}$")))
            .build(),
    )
}

/// `limit` of every list, as [`super::page::PageQuery::limit`] checks it.
fn limit_schema() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .minimum(Some(1))
        .maximum(Some(super::page::MAX_LIMIT))
        .default(Some(super::page::DEFAULT_LIMIT.into()))
        .build()
}

const PROBLEM_JSON: &str = "application/problem+json";

/// Every operation of a path item with its method name, as an `Allow` header spells it.
/// Unique `operationId`s, as code generators need them: the handler's name under its tag
/// (`sessions_list`), with the path's last literal segment added where two would clash
/// (`contacts_list_blocklist`).
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut named: Vec<(String, &'static str, String)> = Vec::new();
        for (path, item) in &mut openapi.paths.paths {
            for (method, op) in operations_mut(item) {
                let tag = op.tags.as_ref().and_then(|t| t.first()).cloned();
                let handler = op
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| method.to_lowercase());
                let id = tag.map_or_else(|| handler.clone(), |t| format!("{t}_{handler}"));
                named.push((path.clone(), method, id));
            }
        }
        for (path, method, id) in &named {
            let clashes = named.iter().filter(|(_, _, other)| other == id).count() > 1;
            let id = match clashes {
                false => id.clone(),
                true => {
                    let literal = path
                        .rsplit('/')
                        .find(|seg| !seg.starts_with('{') && !seg.is_empty())
                        .unwrap_or_default()
                        .replace('-', "_");
                    format!("{id}_{literal}")
                }
            };
            if let Some(item) = openapi.paths.paths.get_mut(path)
                && let Some((_, op)) = operations_mut(item).find(|(m, _)| m == method)
            {
                op.operation_id = Some(id);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("HEAD", item.head.as_mut()),
        ("POST", item.post.as_mut()),
        ("PUT", item.put.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
        ("OPTIONS", item.options.as_mut()),
        ("TRACE", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.map(|op| (method, op)))
}

/// Error responses are RFC 9457 problems: declares them as `application/problem+json` (the
/// annotations only name the body type, which utoipa would serve as `application/json`), and
/// adds the errors every operation of its kind can answer, so no handler can forget one.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (_, op) in operations_mut(item) {
                add_common_errors(op);
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && (status.starts_with('4') || status.starts_with('5'))
                    {
                        relabel_problem(response);
                    }
                }
            }
        }
    }
}

fn relabel_problem(response: &mut Response) {
    if let Some(content) = response.content.shift_remove("application/json") {
        response.content.insert(PROBLEM_JSON.to_string(), content);
    }
}

/// Errors any operation of a kind can answer: authenticated ones look the key up in the
/// database (401, 500, 503) and check what it may do (403), and a JSON body can be malformed or too large (400, 413).
fn add_common_errors(op: &mut Operation) {
    let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut common: Vec<(&str, &str)> = Vec::new();
    if authenticated {
        common.extend([
            ("401", "Missing, unknown, revoked or expired key"),
            (
                "403",
                "The key may not do this (scope, session restriction, admin or tenant key)",
            ),
            (
                "500",
                "An internal error (logged; the body reveals nothing)",
            ),
            ("503", "The database is unavailable; retry later"),
        ]);
    }
    if op.request_body.is_some() {
        common.extend([
            ("400", "The body is malformed or breaks a constraint"),
            ("413", "The body exceeds the size limit"),
        ]);
    }
    if op.responses.responses.contains_key("502") {
        // An operation that asks WhatsApp relays its refusals (see `whatsapp::Refusal`).
        common.extend([
            ("400", "WhatsApp refused the request as malformed"),
            ("403", "WhatsApp does not allow this account to do it"),
            ("404", "WhatsApp does not know what the request names"),
            (
                "409",
                "The session is not WORKING, or WhatsApp reports a conflict",
            ),
        ]);
    }
    let has_query = op.parameters.as_ref().is_some_and(|ps| {
        ps.iter()
            .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
    });
    if has_query {
        common.push(("400", "A query parameter is malformed or out of range"));
    }
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    }
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .build(),
        )
        .build()
}

/// Paths served outside the API document (web UI and API reference), all GET only.
const UNDOCUMENTED_GET_PATHS: [&str; 7] = [
    "/",
    "/ui/{file}",
    "/openapi.json",
    "/docs",
    "/docs/",
    "/docs/start.js",
    "/docs/{file}",
];

/// Path templates split into segments, with the methods each one answers and whether that
/// method's body is JSON; kept by their number of segments, the only templates a path of that
/// many segments can match.
type MethodTable = HashMap<usize, Vec<(Vec<String>, Vec<(&'static str, bool)>)>>;

/// What the route table needs of the document: its paths, their methods and whether each
/// method's body is JSON. Everything else is skipped while parsing, not built: read into a
/// `serde_json::Value` tree, the whole document left 3.4 MB of heap behind at the first request.
#[derive(serde::Deserialize)]
struct Paths {
    paths: std::collections::BTreeMap<String, PathMethods>,
}

/// A path item's operations, in the order of the HTTP layer's names.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PathMethods {
    get: Option<DocOperation>,
    head: Option<DocOperation>,
    post: Option<DocOperation>,
    put: Option<DocOperation>,
    patch: Option<DocOperation>,
    delete: Option<DocOperation>,
    options: Option<DocOperation>,
    trace: Option<DocOperation>,
}

#[derive(serde::Deserialize)]
struct DocOperation {
    #[serde(rename = "requestBody")]
    request_body: Option<DocRequestBody>,
}

#[derive(serde::Deserialize)]
struct DocRequestBody {
    #[serde(default)]
    content: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

impl PathMethods {
    fn methods(&self) -> Vec<(&'static str, bool)> {
        let ops = [
            ("GET", &self.get),
            ("HEAD", &self.head),
            ("POST", &self.post),
            ("PUT", &self.put),
            ("PATCH", &self.patch),
            ("DELETE", &self.delete),
            ("OPTIONS", &self.options),
            ("TRACE", &self.trace),
        ];
        ops.into_iter()
            .filter_map(|(method, op)| {
                let op = op.as_ref()?;
                let json = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                Some((method, json))
            })
            .collect()
    }
}

/// The route table read off the served document, once.
fn method_table() -> &'static MethodTable {
    static TABLE: OnceLock<MethodTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let doc: Option<Paths> = serde_json::from_str(DOCUMENT).ok();
        let documented = doc
            .into_iter()
            .flat_map(|d| d.paths)
            .map(|(path, item)| (segments(&path), item.methods()));
        let undocumented = UNDOCUMENTED_GET_PATHS
            .iter()
            .map(|p| (segments(p), vec![("GET", false)]));
        let mut table = MethodTable::new();
        for (template, methods) in documented.chain(undocumented) {
            table
                .entry(template.len())
                .or_default()
                .push((template, methods));
        }
        table
    })
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').map(str::to_string).collect()
}

/// Whether a template matches a path of as many segments.
fn template_matches(template: &[String], path: &str) -> bool {
    template.iter().zip(path.split('/')).all(|(t, p)| {
        if t.starts_with('{') && t.ends_with('}') {
            !p.is_empty()
        } else {
            t == p
        }
    })
}

fn literal_segments(template: &[String]) -> usize {
    template.iter().filter(|t| !t.starts_with('{')).count()
}

/// The methods a path answers (`None` when no route has this path), for a 405's `Allow` header.
/// When several templates match (`…/groups/join` and `…/groups/{group_id}`), the most literal one
/// is the resource the path names: `join` is no group id.
pub fn allowed_methods(path: &str) -> Option<Vec<&'static str>> {
    let mut allowed: Vec<&'static str> = route_of(path)?.iter().map(|(m, _)| *m).collect();
    allowed.sort_unstable();
    Some(allowed)
}

/// The methods of the route a path names (see [`allowed_methods`]).
fn route_of(path: &str) -> Option<&'static [(&'static str, bool)]> {
    method_table()
        .get(&path.split('/').count())?
        .iter()
        .filter(|(template, _)| template_matches(template, path))
        .max_by_key(|(template, _)| literal_segments(template))
        .map(|(_, methods)| methods.as_slice())
}

/// Whether the document declares a JSON body for this method on this path.
pub fn takes_json_body(method: &str, path: &str) -> bool {
    route_of(path).is_some_and(|methods| methods.iter().any(|(m, json)| *m == method && *json))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `WARAS_WRITE_OPENAPI=1 cargo test --lib the_served_document` writes the derived document
    /// into `clients/openapi.json`; `clients/generate.sh` then regenerates the clients from it.
    #[test]
    fn the_served_document_is_the_derived_one() {
        const COMMITTED: &str = include_str!("../../clients/openapi.json");
        let derived = serde_json::to_string_pretty(&ApiDoc::openapi()).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/openapi.json");
        if std::env::var_os("WARAS_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &derived).unwrap();
            return;
        }
        // What is served is the committed file without its layout.
        let served: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(
            served,
            serde_json::from_str::<serde_json::Value>(COMMITTED).unwrap()
        );
        assert!(!DOCUMENT.contains('\n') && DOCUMENT.len() < COMMITTED.len());
        let line = derived
            .lines()
            .zip(COMMITTED.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "at its end".to_string(),
                |n| format!("from line {}", n + 1),
            );
        assert!(
            derived == COMMITTED,
            "clients/openapi.json differs from the handlers' annotations ({line}): run \
             `WARAS_WRITE_OPENAPI=1 cargo test --lib the_served_document`, then \
             `clients/generate.sh`, and commit what changed"
        );
    }

    #[test]
    fn the_route_table_read_off_the_document_knows_methods_and_bodies() {
        assert_eq!(
            allowed_methods("/api/v1/sessions/s1").unwrap(),
            vec!["DELETE", "GET", "PATCH"]
        );
        assert!(takes_json_body("POST", "/api/v1/sessions/s1/messages"));
        assert!(!takes_json_body("GET", "/api/v1/sessions/s1/messages"));
        assert_eq!(allowed_methods("/docs/start.js").unwrap(), vec!["GET"]);
        assert!(allowed_methods("/api/v1/nothing/here").is_none());
    }
}
