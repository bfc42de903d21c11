//! Chat changes made on an account's phone (archive, pin, mute, read state, delete, clear): the
//! phone uploads them to app state, and the account's linked devices pick them up.

use actix_web::{HttpResponse, web};
use serde_json::json;
use wacore_binary::Jid;

use super::{AdminError, AdminState, Result, invalid, known_phone};
use crate::phones::accounts::normalize_phone;
use crate::phones::phone::phone_client;

/// `GET /sandbox/accounts/{phone}/app-state`: each collection's version (how many patches the
/// account's devices uploaded to it).
pub(super) async fn versions(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let net = state.core.read_net();
    let versions: serde_json::Map<String, serde_json::Value> = net
        .syncd
        .get(&phone)
        .map(|c| c.iter().map(|(n, l)| (n.clone(), json!(l.len()))).collect())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(versions))
}

/// `POST /sandbox/accounts/{phone}/chats/{chat}/{action}`; `chat` is a phone number or a JID.
pub(super) async fn act(
    state: web::Data<AdminState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (raw, chat, action) = path.into_inner();
    let phone = known_phone(&state.core, &raw)?;
    let jid: Jid = if chat.contains('@') {
        chat.parse()
            .map_err(|_| invalid(format!("`{chat}` is not a JID")))?
    } else {
        Jid::pn(normalize_phone(&chat)?.as_str())
    };
    let client = phone_client(&state.core, &phone).map_err(AdminError::internal)?;
    let act = action.clone();
    let done = state
        .core
        .rt
        .spawn(async move {
            let a = client.chat_actions();
            let r = match act.as_str() {
                "archive" => a.archive_chat(&jid, None).await,
                "unarchive" => a.unarchive_chat(&jid, None).await,
                "pin" => a.pin_chat(&jid).await,
                "unpin" => a.unpin_chat(&jid).await,
                "mute" => a.mute_chat(&jid).await,
                "unmute" => a.unmute_chat(&jid).await,
                "read" => a.mark_chat_as_read(&jid, true, None).await,
                "unread" => a.mark_chat_as_read(&jid, false, None).await,
                "delete" => a.delete_chat(&jid, true, None).await,
                "clear" => a.clear_chat(&jid, false, true, None).await,
                _ => return Ok(false),
            };
            r.map(|()| true)
        })
        .await
        .map_err(|e| AdminError::internal(anyhow::anyhow!("phone task: {e}")))?;
    match done {
        Ok(true) => Ok(HttpResponse::Ok().json(json!({"chat": chat, "action": action}))),
        Ok(false) => Err(invalid(format!("no chat action `{action}`"))),
        Err(e) => Err(AdminError::internal(anyhow::anyhow!("{e}"))),
    }
}
