//! Every JSON request body of the API is an object. serde also reads a struct from a JSON array
//! (its fields by position), so `["name", true]` would pass as a session: this middleware
//! refuses a JSON body that does not start with `{` before any extractor sees it.

use actix_web::HttpMessage as _;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::StreamExt;

use super::error::ApiError;
use super::openapi::takes_json_body;

/// Leading whitespace read before giving up on finding the first byte; the body's own size limit
/// is applied later by its extractor.
const MAX_LEADING_WHITESPACE: usize = 64 * 1024;

/// Whether the body is read as JSON: operations with a JSON body read any Content-Type but
/// multipart (the send's file upload) as JSON (see `json_config`).
fn read_as_json(req: &ServiceRequest) -> bool {
    !req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("multipart/"))
}

/// The chunks read up to the first non-whitespace byte, and whether that byte opens an object
/// (`None` when the body ended, failed or stayed blank for too long).
async fn first_byte(payload: &mut Payload) -> (Vec<Result<Bytes, PayloadError>>, Option<bool>) {
    let mut seen = Vec::new();
    let mut read = 0;
    while read <= MAX_LEADING_WHITESPACE {
        let Some(chunk) = payload.next().await else {
            break;
        };
        let Ok(bytes) = chunk else {
            seen.push(chunk);
            break;
        };
        read += bytes.len();
        let verdict = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .map(|b| *b == b'{');
        seen.push(Ok(bytes));
        if verdict.is_some() {
            return (seen, verdict);
        }
    }
    (seen, None)
}

pub async fn require_object(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !(read_as_json(&req) && takes_json_body(req.method().as_str(), req.path())) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let mut payload = req.take_payload();
    let (seen, verdict) = first_byte(&mut payload).await;
    if verdict == Some(false) {
        let refused = ApiError::invalid("invalid JSON body: must be a JSON object");
        return Ok(req.error_response(refused).map_into_right_body());
    }
    let replay = futures_util::stream::iter(seen).chain(payload);
    req.set_payload(Payload::Stream {
        payload: Box::pin(replay),
    });
    Ok(next.call(req).await?.map_into_left_body())
}

/// A struct-valued field read only from a JSON object (serde alone would also read it from an
/// array, its fields by position): `#[serde(deserialize_with = "json_object::object")]`.
pub fn object<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let map = <serde_json::Map<String, serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    from_map(map)
}

/// An optional struct-valued field: a JSON object, or null (`None`); with `#[serde(default)]`
/// an absent field is `None` too.
pub fn object_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    <Option<serde_json::Map<String, serde_json::Value>> as serde::Deserialize>::deserialize(d)?
        .map(from_map)
        .transpose()
}

fn from_map<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: serde_json::Map<String, serde_json::Value>,
) -> Result<T, E> {
    serde_json::from_value(serde_json::Value::Object(map)).map_err(E::custom)
}
