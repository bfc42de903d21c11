//! The bundled web UI: the files of `static/`, compiled into the binary so it needs nothing on disk.
//! `/` is the page, `/ui/<file>` its scripts and stylesheet. Everything is revalidated (`no-cache`
//! with an ETag), so a new binary never leaves a browser on stale scripts.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Same-origin only: no inline script, nothing from elsewhere; QR images arrive as blob: URLs.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../../static/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("style.css", CSS),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("stream.js", JS),
    asset!("tenants.js", JS),
    asset!("keys.js", JS),
    asset!("audit.js", JS),
    asset!("sessions.js", JS),
    asset!("session.js", JS),
    asset!("templates.js", JS),
    asset!("campaigns.js", JS),
    asset!("rules.js", JS),
    asset!("chats.js", JS),
    asset!("webhooks.js", JS),
    asset!("events.js", JS),
];

/// The UI's routes, for the route table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/ui/{file}", web::get().to(file));
}

async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, 0)
}

async fn file(req: HttpRequest, name: web::Path<String>) -> ApiResult<HttpResponse> {
    let at = ASSETS
        .iter()
        .position(|a| a.name == name.as_str() && a.name != "index.html")
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(serve(&req, at))
}

/// A strong ETag per asset, computed once.
fn etag(at: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    &TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                format!(
                    "\"{}\"",
                    &hex::encode(Sha256::digest(a.body.as_bytes()))[..20]
                )
            })
            .collect()
    })[at]
}

fn serve(req: &HttpRequest, at: usize) -> HttpResponse {
    let asset = &ASSETS[at];
    let tag = etag(at);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, tag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if asset.content_type == HTML {
        res.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    if fresh {
        return res.finish();
    }
    res.content_type(asset.content_type).body(asset.body)
}
