//! Status posts as the simulated people make them: a text status to chosen accounts (or to every
//! other account).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use wacore_binary::Jid;
use waproto::whatsapp as wa;

use super::{AdminError, AdminState, Result, invalid, known_phone};
use crate::phones::accounts::normalize_phone;
use crate::phones::phone::phone_client;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Post {
    text: String,
    to: Option<Vec<String>>,
}

/// `POST /sandbox/accounts/{phone}/status {"text","to"?}`.
pub(super) async fn post(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<Post>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let body = body.into_inner();
    if body.text.trim().is_empty() {
        return Err(invalid("text: must not be empty"));
    }
    let audience: Vec<String> = match body.to {
        Some(list) => list
            .iter()
            .map(|p| normalize_phone(p).map_err(AdminError::from))
            .collect::<Result<_>>()?,
        None => state
            .core
            .read_net()
            .accounts
            .keys()
            .filter(|p| **p != phone)
            .cloned()
            .collect(),
    };
    let recipients: Vec<Jid> = audience.iter().map(|p| Jid::pn(p.as_str())).collect();
    let client = phone_client(&state.core, &phone).map_err(AdminError::internal)?;
    let text = body.text.clone();
    let sent = state
        .core
        .rt
        .spawn(async move {
            // The engine addresses a status by LID: asking about the audience teaches it theirs.
            if let Err(e) = client.contacts().is_on_whatsapp(&recipients).await {
                log::warn!("sandbox phone could not look up its status audience: {e}");
            }
            client
                .status()
                .send_text(
                    &text,
                    0xFF25_D366,
                    wa::message::extended_text_message::FontType::SYSTEM,
                    &recipients,
                    Default::default(),
                )
                .await
        })
        .await
        .map_err(|e| AdminError::internal(anyhow::anyhow!("phone task: {e}")))?
        .map_err(|e| {
            AdminError::new(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "status_failed",
                format!("the phone could not post the status: {e}"),
            )
        })?;
    Ok(HttpResponse::Created().json(json!({"id": sent.message_id, "to": audience})))
}
