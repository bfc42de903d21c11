//! The API reference: `/openapi.json` (the OpenAPI document of every route) and `/docs`, an
//! interactive Swagger UI page reading it. Swagger UI's bundle and stylesheet are compiled in
//! gzip-compressed (see build.rs) and sent as they are to every browser that accepts gzip.

use std::io::Read;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use flate2::read::GzDecoder;

use super::error::{ApiError, ApiResult};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui-bundle.js.gz")),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        gzipped: include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui.css.gz")),
    },
];

const PAGE: &str = include_str!("../../static/docs/index.html");
const START: &str = include_str!("../../static/docs/start.js");

/// The reference's routes, for the route table.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json))
        .route("/docs", web::get().to(redirect))
        .route("/docs/", web::get().to(page))
        .route("/docs/start.js", web::get().to(start))
        .route("/docs/{file}", web::get().to(asset));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(super::openapi::DOCUMENT)
}

async fn redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

async fn start() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("text/javascript; charset=utf-8")
        .body(START)
}

async fn asset(req: HttpRequest, name: web::Path<String>) -> ApiResult<HttpResponse> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type(asset.content_type);
    if accepts_gzip(&req) {
        return Ok(res
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(asset.gzipped));
    }
    let mut plain = Vec::new();
    GzDecoder::new(asset.gzipped)
        .read_to_end(&mut plain)
        .map_err(|e| ApiError::internal(format!("decompressing {}: {e}", asset.name)))?;
    Ok(res.body(plain))
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        let with = |v: &str| {
            TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, v))
                .to_http_request()
        };
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0, br")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn the_compiled_assets_unpack() {
        for a in ASSETS {
            let mut plain = Vec::new();
            GzDecoder::new(a.gzipped).read_to_end(&mut plain).unwrap();
            assert!(plain.len() > 10_000, "{} is {} bytes", a.name, plain.len());
        }
    }
}
