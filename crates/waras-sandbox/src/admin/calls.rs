//! Calls as the simulated people make them: ring another account, hang up, answer on the phone,
//! and the calls an account made or received.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{AdminState, Result, invalid, known_phone, not_found};
use crate::phones::accounts::normalize_phone;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Ring {
    to: String,
    #[serde(default)]
    video: bool,
}

/// `POST /sandbox/accounts/{phone}/calls {"to","video"?}`: `phone` calls `to`; every linked device
/// of `to` rings.
pub(super) async fn ring(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<Ring>,
) -> Result<HttpResponse> {
    let from = known_phone(&state.core, &path)?;
    let to = normalize_phone(body.to.trim_end_matches("@s.whatsapp.net"))?;
    let to = known_phone(&state.core, &to)?;
    if to == from {
        return Err(invalid("an account cannot call itself"));
    }
    let call = state.core.lock_net().ring(&from, &to, body.video);
    Ok(HttpResponse::Created().json(call))
}

/// `GET /sandbox/accounts/{phone}/calls`: the calls `phone` made or received, oldest first.
pub(super) async fn list(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    Ok(HttpResponse::Ok().json(state.core.read_net().calls_of(&phone)))
}

/// `POST /sandbox/accounts/{phone}/calls/{call_id}/{action}`: the caller `end`s the call, or the
/// callee's phone `accept`s it (its other devices stop ringing).
pub(super) async fn act(
    state: web::Data<AdminState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse> {
    let (raw, id, action) = path.into_inner();
    let phone = known_phone(&state.core, &raw)?;
    let mut net = state.core.lock_net();
    let Some(call) = net.calls.get(&id).cloned() else {
        return Err(not_found(format!("no call {id}")));
    };
    let done = match action.as_str() {
        "end" if call.from == phone => net.call_ended(&id),
        "accept" if call.to == phone => net.call_accepted(&id),
        "end" | "accept" => {
            return Err(invalid(format!("{phone} cannot {action} call {id}")));
        }
        _ => return Err(not_found(format!("no call action {action}"))),
    };
    match done {
        Some(call) => Ok(HttpResponse::Ok().json(call)),
        None => Err(super::AdminError::new(
            actix_web::http::StatusCode::CONFLICT,
            "conflict",
            format!("call {id} is {:?}", call.status).to_lowercase(),
        )),
    }
}
