//! Reading a send's body: JSON (media inline as base64 or by URL), or `multipart/form-data` with
//! a `file` part and the other fields as text parts. Both end as one [`SendMessage`], the file's
//! bytes apart.

use std::cell::Cell;
use std::rc::Rc;

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use super::super::error::ApiError;
use super::request::{MediaInput, SendMessage};

/// JSON bodies up to this size are parsed on the HTTP worker itself.
const PARSE_INLINE_BYTES: usize = 64 * 1024;

pub struct Incoming {
    pub request: SendMessage,
    /// The bytes of a multipart `file` part.
    pub file: Option<Vec<u8>>,
}

pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body exceeds {limit} bytes"),
    )
}

/// The largest body a send takes: a media file of `media_max_bytes` written in base64 (4 bytes
/// for every 3), plus 64 KiB for the other fields. It replaces `max_json_bytes` here because a
/// send carries its file inline; a multipart send is held to it too.
pub fn send_limit(media_max_bytes: usize) -> usize {
    media_max_bytes
        .div_ceil(3)
        .saturating_mul(4)
        .saturating_add(64 * 1024)
}

/// The declared length, when there is one: a body announced larger than the limit is refused
/// before a byte of it is read.
pub(crate) fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// `limit` bounds the whole body (see [`send_limit`]); `media_limit` a multipart file.
pub async fn read(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    media_limit: usize,
) -> Result<Incoming, ApiError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    // Anything but multipart is read as JSON, like on every other JSON endpoint (`curl -d`
    // labels its body `application/x-www-form-urlencoded`).
    let multipart = content_type.starts_with("multipart/form-data");
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    if multipart {
        return read_multipart(req, payload, limit, media_limit).await;
    }
    let body = read_all(payload, declared, limit).await?;
    // Parsing megabytes of base64 JSON is CPU work: off the HTTP worker. A body of a few
    // kilobytes parses in microseconds, less than the trip to another thread and back.
    let parsed = if body.len() <= PARSE_INLINE_BYTES {
        serde_json::from_slice(&body)
    } else {
        web::block(move || serde_json::from_slice(&body))
            .await
            .map_err(|_| ApiError::internal("the body parser stopped"))?
    };
    let request: SendMessage =
        parsed.map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))?;
    Ok(Incoming {
        request,
        file: None,
    })
}

pub(crate) async fn read_all(
    mut payload: web::Payload,
    declared: Option<usize>,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    // Sized once from the declared length (already within the limit): no regrowth copies.
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(crate) const TEXT_PART_LIMIT: usize = 256 * 1024;

/// A part's bytes, up to `part_limit` (413 beyond); a body past its own `limit` (`over`) is a
/// 413 as well, anything else that breaks the part a 400 naming `name`.
pub(crate) async fn read_part(
    field: &mut actix_multipart::Field,
    part_limit: usize,
    over: &Cell<bool>,
    limit: usize,
    name: &str,
) -> Result<Vec<u8>, ApiError> {
    let bytes = field
        .bytes(part_limit)
        .await
        .map_err(|_| too_large(part_limit))?
        .map_err(|e| match over.get() {
            true => too_large(limit),
            false => ApiError::invalid(format!("{name}: cannot read it: {e}")),
        })?;
    Ok(bytes.to_vec())
}

/// One text part of a multipart send, into the request (or its media's description).
fn text_field(
    request: &mut SendMessage,
    media: &mut MediaInput,
    name: &str,
    value: String,
) -> Result<(), ApiError> {
    match name {
        "to" => request.to = value,
        "type" => request.kind = value,
        "text" => request.text = Some(value),
        "caption" => request.caption = Some(value),
        "reply_to" => request.reply_to = Some(value),
        "send_at" => request.send_at = Some(value),
        "template" => request.template = Some(value),
        "variables" => {
            request.variables = Some(serde_json::from_str(&value).map_err(|_| {
                ApiError::invalid(
                    "variables: a JSON object of strings, e.g. {\"first_name\":\"Ana\"}",
                )
            })?)
        }
        "mentions" => {
            request.mentions = Some(
                value
                    .split(',')
                    .map(|m| m.trim().to_string())
                    .filter(|m| !m.is_empty())
                    .collect(),
            )
        }
        "mimetype" => media.mimetype = Some(value),
        "filename" => media.filename = Some(value),
        "voice" => {
            media.voice = Some(match value.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(ApiError::invalid("voice: true or false")),
            })
        }
        other => {
            return Err(ApiError::invalid(format!(
                "{other}: unknown form field (to, type, text, caption, reply_to, mentions, send_at, template, variables, mimetype, filename, voice, file)"
            )));
        }
    }
    Ok(())
}

async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    media_limit: usize,
) -> Result<Incoming, ApiError> {
    // Text parts are bounded one by one, not in number: bound the whole body as well.
    let over = Rc::new(Cell::new(false));
    let flag = over.clone();
    let mut seen = 0usize;
    let counted = payload.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > limit {
            flag.set(true);
            return Err(PayloadError::Overflow);
        }
        Ok(chunk)
    });
    let mut form = Multipart::new(req.headers(), counted);
    let mut request = SendMessage::default();
    let mut media = MediaInput::default();
    let mut file = None;
    let mut part_type = None;
    let mut part_name = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| match over.get() {
            true => too_large(limit),
            false => ApiError::invalid(format!("invalid multipart body: {e}")),
        })?;
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::invalid("file: only one file per message"));
            }
            part_type = field.content_type().map(|m| m.essence_str().to_string());
            part_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(str::to_string);
            file = Some(read_part(&mut field, media_limit, &over, limit, "file").await?);
            continue;
        }
        let value = read_part(&mut field, TEXT_PART_LIMIT, &over, limit, &name).await?;
        let value = String::from_utf8(value)
            .map_err(|_| ApiError::invalid(format!("{name}: must be UTF-8 text")))?;
        text_field(&mut request, &mut media, &name, value)?;
    }
    if file.is_none() {
        return Err(ApiError::invalid(
            "file: a multipart send needs a file part (use JSON for messages without a file)",
        ));
    }
    media.mimetype = media.mimetype.or(part_type);
    media.filename = media.filename.or(part_name);
    match request.kind.as_str() {
        "image" => request.image = Some(media),
        "video" => request.video = Some(media),
        "audio" => request.audio = Some(media),
        "document" => request.document = Some(media),
        "sticker" => request.sticker = Some(media),
        other => {
            return Err(ApiError::invalid(format!(
                "type: a file can be sent as image, video, audio, document or sticker, not `{other}`"
            )));
        }
    }
    Ok(Incoming { request, file })
}
