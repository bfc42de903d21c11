//! An account's profile through the admin API: read what any of its devices set, or have the
//! phone set its name, about text and picture.

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use serde::Deserialize;

use super::{AdminError, AdminState, Result, invalid, known_phone, not_found};
use crate::net::profile as profiles;
use crate::phones::actions::{self, ProfileChanges};

/// Room for a picture of a few MB once base64-encoded.
pub(super) const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub(super) async fn get(
    state: web::Data<AdminState>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let view = profiles::view(&state.core, &phone)
        .ok_or_else(|| not_found(format!("no account {phone}")))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
pub(super) struct ProfileUpdate {
    name: Option<String>,
    about: Option<String>,
    /// Base64; an empty string removes the picture.
    picture: Option<String>,
    /// Whether the account is a WhatsApp Business account (how WhatsApp lists it to others).
    business: Option<bool>,
}

pub(super) async fn update(
    state: web::Data<AdminState>,
    path: web::Path<String>,
    body: web::Json<ProfileUpdate>,
) -> Result<HttpResponse> {
    let phone = known_phone(&state.core, &path)?;
    let body = body.into_inner();
    if let Some(name) = &body.name
        && (name.trim().is_empty() || name.len() > 100)
    {
        return Err(invalid("name must be 1..100 bytes"));
    }
    if body.about.as_ref().is_some_and(|a| a.len() > 1024) {
        return Err(invalid("about must be at most 1024 bytes"));
    }
    let picture = body
        .picture
        .map(|p| {
            base64::engine::general_purpose::STANDARD
                .decode(p.trim())
                .map_err(|_| invalid("picture must be base64"))
        })
        .transpose()?;
    if let Some(business) = body.business {
        let mut net = state.core.lock_net();
        net.profiles.entry(phone.clone()).or_default().business = business;
    }
    let changes = ProfileChanges {
        name: body.name,
        about: body.about,
        picture,
    };
    actions::update_profile(&state.core, &phone, changes)
        .await
        .map_err(AdminError::internal)?;
    let view = profiles::view(&state.core, &phone)
        .ok_or_else(|| not_found(format!("no account {phone}")))?;
    Ok(HttpResponse::Ok().json(view))
}
