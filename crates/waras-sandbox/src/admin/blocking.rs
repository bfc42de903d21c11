//! An account's blocklist as its phone keeps it: block or unblock someone, and the list.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{AdminState, Result, invalid, known_phone};
use crate::phones::accounts::normalize_phone;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Change {
    phone: String,
    action: String,
}

/// `POST /sandbox/accounts/{phone}/blocklist {"phone","action":"block"|"unblock"}`.
pub(super) async fn change(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<Change>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let target = known_phone(&state.core, &normalize_phone(&body.phone)?)?;
    let block = match body.action.as_str() {
        "block" => true,
        "unblock" => false,
        other => {
            return Err(invalid(format!(
                "action: `{other}` is not block or unblock"
            )));
        }
    };
    let mut net = state.core.lock_net();
    net.set_blocked(&phone, &target, block);
    // Made on the phone (device 0): the companions hear of it.
    crate::server::blocklist::tell_other_devices(&mut net, &phone, 0, &target, block);
    Ok(HttpResponse::Ok().json(listed(&net.blocked_by(&phone))))
}

/// `GET /sandbox/accounts/{phone}/blocklist`: the phone numbers the account blocked.
pub(super) async fn list(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    Ok(HttpResponse::Ok().json(listed(&state.core.read_net().blocked_by(&phone))))
}

fn listed(list: &[(String, i64)]) -> Vec<String> {
    list.iter().map(|(p, _)| p.clone()).collect()
}
