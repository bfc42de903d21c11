//! `/mcp`: a Model Context Protocol server for AI agents, over the streamable HTTP transport
//! (JSON-RPC 2.0 in a POST, answered as one JSON body; no server-initiated stream, so GET and
//! DELETE answer 405). A tenant key authenticates every POST. Each tool is a thin adapter over
//! one REST call made with the caller's own key on this instance's loopback address, so scopes,
//! session restrictions, quotas, rate limits and the audit log apply exactly as for the API.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::auth::Caller;
use super::error::ApiResult;
use crate::domain::Scope;

/// Protocol revisions this server speaks; a client asking for another gets the newest.
const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// Largest JSON-RPC body, in bytes (a media send may carry a file in base64).
pub const MAX_BODY: usize = 24 * 1024 * 1024;

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .disable_redirects()
        .finish();
}

/// A JSON-RPC error: code and message.
type RpcError = (i64, String);

fn invalid_params(message: impl Into<String>) -> RpcError {
    (-32602, message.into())
}

/// `POST /mcp`: one JSON-RPC message (or a batch); 202 when nothing needs an answer.
pub async fn post(req: HttpRequest, caller: Caller, body: web::Bytes) -> ApiResult<HttpResponse> {
    caller.tenant(Scope::Read)?;
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return Ok(HttpResponse::BadRequest()
            .json(rpc_error(&Value::Null, (-32700, "parse error".into()))));
    };
    let answers = match message {
        Value::Array(batch) => {
            let mut answers = Vec::new();
            for m in batch {
                answers.extend(answer(&req, m).await);
            }
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        m => answer(&req, m).await,
    };
    Ok(match answers {
        Some(a) => HttpResponse::Ok().content_type("application/json").json(a),
        None => HttpResponse::Accepted().finish(),
    })
}

/// `GET` and `DELETE /mcp`: no event stream and no sessions to end.
pub async fn not_offered() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((ALLOW, "POST"))
        .finish()
}

/// The answer to one message; `None` for a notification or a response.
async fn answer(req: &HttpRequest, message: Value) -> Option<Value> {
    let id = message.get("id").cloned();
    let method = message.get("method").and_then(Value::as_str);
    let (Some(id), Some(method)) = (id, method) else {
        if method.is_none() && message.get("id").is_none() {
            return Some(rpc_error(&Value::Null, (-32600, "invalid request".into())));
        }
        return None; // a notification, or a response to nothing we asked
    };
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    Some(match dispatch(req, method, &params).await {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(e) => rpc_error(&id, e),
    })
}

fn rpc_error(id: &Value, (code, message): RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

async fn dispatch(req: &HttpRequest, method: &str, params: &Value) -> Result<Value, RpcError> {
    match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str);
            let version = asked
                .filter(|v| VERSIONS.contains(v))
                .unwrap_or(VERSIONS[0]);
            Ok(json!({
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": "waras", "title": "WARAS", "version": env!("CARGO_PKG_VERSION")},
                "instructions": "WhatsApp accounts of this tenant: list sessions, read chats and messages, send messages, check numbers. Phone numbers are international (+4915…)."
            }))
        }
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools()})),
        "tools/call" => {
            let name = params
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let args = params
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| json!({}));
            call(req, name, &args).await
        }
        _ => Err((-32601, format!("method not found: {method}"))),
    }
}

fn tools() -> Value {
    let session =
        json!({"type": "string", "description": "The session (WhatsApp account) id, ses_…"});
    json!([
        {"name": "list_sessions", "title": "List sessions",
         "description": "The tenant's WhatsApp sessions with their status (WORKING can send and receive) and phone number.",
         "inputSchema": {"type": "object", "properties": {}}},
        {"name": "list_chats", "title": "List chats",
         "description": "A session's chats, newest first, with their last message and unread count.",
         "inputSchema": {"type": "object", "required": ["session_id"], "properties": {
             "session_id": session, "limit": {"type": "integer", "minimum": 1, "maximum": 200}}}},
        {"name": "read_messages", "title": "Read messages",
         "description": "Messages of a session, newest first; of one chat when `chat` is given (a phone number or a JID).",
         "inputSchema": {"type": "object", "required": ["session_id"], "properties": {
             "session_id": session, "chat": {"type": "string"},
             "limit": {"type": "integer", "minimum": 1, "maximum": 200}, "cursor": {"type": "string"}}}},
        {"name": "send_message", "title": "Send a message",
         "description": "Sends text, or media with an optional caption, from a WORKING session. Media comes as a URL or base64 data.",
         "inputSchema": {"type": "object", "required": ["session_id", "to"], "properties": {
             "session_id": session,
             "to": {"type": "string", "description": "A phone number (+4915…), a contact or group JID"},
             "text": {"type": "string"},
             "type": {"type": "string", "enum": ["text", "image", "video", "audio", "document", "sticker"]},
             "media": {"type": "object", "properties": {
                 "url": {"type": "string"}, "data": {"type": "string", "description": "base64"},
                 "mimetype": {"type": "string"}, "filename": {"type": "string"}}},
             "caption": {"type": "string"}}}},
        {"name": "check_numbers", "title": "Check numbers",
         "description": "Whether phone numbers are on WhatsApp (and business accounts).",
         "inputSchema": {"type": "object", "required": ["session_id", "phones"], "properties": {
             "session_id": session,
             "phones": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 50}}}}
    ])
}

fn text_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, RpcError> {
    args.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_params(format!("`{name}` is required (a string)")))
}

/// Runs a tool: its REST call, answered as text and as structured content.
async fn call(req: &HttpRequest, name: &str, args: &Value) -> Result<Value, RpcError> {
    if !args.is_object() {
        return Err(invalid_params("`arguments` must be an object"));
    }
    let limit = args.get("limit").and_then(Value::as_u64);
    let (method, segments, query, body) = match name {
        "list_sessions" => ("GET", vec!["sessions".into()], vec![], None),
        "list_chats" => {
            let sid = text_arg(args, "session_id")?;
            let q = limit
                .map(|n| ("limit", n.to_string()))
                .into_iter()
                .collect();
            (
                "GET",
                vec!["sessions".into(), sid.into(), "chats".into()],
                q,
                None,
            )
        }
        "read_messages" => {
            let sid = text_arg(args, "session_id")?;
            let mut path = vec!["sessions".to_string(), sid.into()];
            if let Some(chat) = args.get("chat").and_then(Value::as_str) {
                path.extend(["chats".into(), chat.into()]);
            }
            path.push("messages".into());
            let mut q: Vec<(&str, String)> = limit
                .map(|n| ("limit", n.to_string()))
                .into_iter()
                .collect();
            if let Some(c) = args.get("cursor").and_then(Value::as_str) {
                q.push(("cursor", c.into()));
            }
            ("GET", path, q, None)
        }
        "send_message" => {
            let sid = text_arg(args, "session_id")?;
            let body = send_body(args)?;
            (
                "POST",
                vec!["sessions".into(), sid.into(), "messages".into()],
                vec![],
                Some(body),
            )
        }
        "check_numbers" => {
            let sid = text_arg(args, "session_id")?;
            let body = json!({"phones": args.get("phones").cloned().unwrap_or(Value::Null)});
            let path = vec![
                "sessions".into(),
                sid.into(),
                "contacts".into(),
                "check".into(),
            ];
            ("POST", path, vec![], Some(body))
        }
        other => return Err(invalid_params(format!("unknown tool: {other}"))),
    };
    let (status, answer) = rest(req, method, &segments, &query, body).await?;
    let text = serde_json::to_string_pretty(&answer).unwrap_or_default();
    let mut result =
        json!({"content": [{"type": "text", "text": text}], "isError": !status.is_success()});
    if answer.is_object() {
        result["structuredContent"] = answer;
    }
    Ok(result)
}

/// The REST body of a send: text, or a media part named by its type.
fn send_body(args: &Value) -> Result<Value, RpcError> {
    let to = text_arg(args, "to")?;
    let kind = args
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(if args.get("media").is_some() {
            "document"
        } else {
            "text"
        });
    let mut body = json!({"to": to, "type": kind});
    match kind {
        "text" => body["text"] = json!(text_arg(args, "text")?),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let media = args
                .get("media")
                .filter(|m| m.is_object())
                .ok_or_else(|| invalid_params(format!("`media` is required for a {kind}")))?;
            body[kind] = media.clone();
            if let Some(caption) = args.get("caption") {
                body["caption"] = caption.clone();
            }
        }
        other => {
            return Err(invalid_params(format!(
                "`type` {other} is not one of text, image, video, audio, document, sticker"
            )));
        }
    }
    Ok(body)
}

/// One call of this instance's own REST API with the caller's key; its status and JSON answer.
async fn rest(
    req: &HttpRequest,
    method: &str,
    segments: &[String],
    query: &[(&str, String)],
    body: Option<Value>,
) -> Result<(StatusCode, Value), RpcError> {
    let internal = |e: String| (-32603, format!("the API call failed: {e}"));
    let mut url = url::Url::parse(&format!("http://{}/", req.app_config().local_addr()))
        .map_err(|e| internal(e.to_string()))?;
    url.path_segments_mut()
        .map_err(|()| internal("no base".into()))?
        .pop_if_empty()
        .extend(["api", "v1"])
        .extend(segments);
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    let key = req.headers().get(AUTHORIZATION).cloned();
    let client = CLIENT.with(Clone::clone);
    let mut request = match method {
        "POST" => client.post(url.as_str()),
        _ => client.get(url.as_str()),
    };
    if let Some(key) = key {
        request = request.insert_header((AUTHORIZATION, key));
    }
    let sent = match body {
        Some(b) => {
            request
                .insert_header((CONTENT_TYPE, "application/json"))
                .send_json(&b)
                .await
        }
        None => request.send().await,
    };
    let mut res = sent.map_err(|e| internal(e.to_string()))?;
    let bytes = res
        .body()
        .limit(MAX_BODY)
        .await
        .map_err(|e| internal(e.to_string()))?;
    let answer = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({}));
    Ok((res.status(), answer))
}
