//! Other people as a WORKING session's account sees them: who is on WhatsApp, profile pictures,
//! about texts.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatsapp_rust::wacore_binary::Jid;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::live::live_client;
use super::sessions::load_session;
use super::state::AppState;
use super::whatsapp::{call, jid_text, person};
use crate::domain::Scope;
use crate::engine::jid::phone_digits;

pub const MAX_CHECK_PHONES: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckContacts {
    /// 1–100 phone numbers in international form (`+4915…`).
    #[schema(min_items = 1, max_items = 100)]
    pub phones: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactCheck {
    /// The phone number as given.
    pub phone: String,
    pub on_whatsapp: bool,
    /// The phone-number JID when on WhatsApp.
    pub jid: Option<String>,
    /// The LID JID, where WhatsApp tells it.
    pub lid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactChecks {
    pub data: Vec<ContactCheck>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Picture {
    /// Where to download the picture (valid for a limited time).
    pub url: String,
    /// WhatsApp's id of the picture; changes when the picture does.
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct About {
    /// The about text, or null when the person has none or hides it.
    pub about: Option<String>,
    /// When it was set, where WhatsApp tells it.
    pub set_at: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sessions/{session_id}/contacts/check", tag = "contacts",
    params(("session_id" = String, Path)), request_body = CheckContacts, security(("api_key" = [])),
    responses((status = 200, body = ContactChecks, description = "One answer per phone, in request order"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn check(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<CheckContacts>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    if body.phones.is_empty() || body.phones.len() > MAX_CHECK_PHONES {
        return Err(ApiError::invalid(format!(
            "phones: 1 to {MAX_CHECK_PHONES} phone numbers"
        )));
    }
    let mut asked: Vec<(String, String)> = Vec::with_capacity(body.phones.len());
    for (i, raw) in body.phones.iter().enumerate() {
        let digits =
            phone_digits(raw).map_err(|e| ApiError::invalid(format!("phones[{i}]: {e}")))?;
        asked.push((raw.clone(), digits));
    }
    let mut unique: Vec<Jid> = Vec::with_capacity(asked.len());
    for (_, digits) in &asked {
        let jid = Jid::pn(digits.as_str());
        if !unique.contains(&jid) {
            unique.push(jid);
        }
    }
    let live = live_client(&state, &session).await?;
    let results = call(&live, "contact", move |c| async move {
        c.contacts().is_on_whatsapp(&unique).await
    })
    .await?;
    let data = asked
        .into_iter()
        .map(|(phone, digits)| {
            let found = results.iter().find(|r| {
                (r.jid.is_pn() && r.jid.user == digits.as_str())
                    || r.pn_jid.as_ref().is_some_and(|p| p.user == digits.as_str())
            });
            match found {
                Some(r) if r.is_registered => ContactCheck {
                    phone,
                    on_whatsapp: true,
                    jid: Some(format!("{digits}@s.whatsapp.net")),
                    lid: r
                        .lid
                        .as_ref()
                        .or(r.jid.is_lid().then_some(&r.jid))
                        .map(jid_text),
                },
                _ => ContactCheck {
                    phone,
                    on_whatsapp: false,
                    jid: None,
                    lid: None,
                },
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(ContactChecks { data }))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/contacts/{contact}/picture", tag = "contacts",
    params(("session_id" = String, Path), ("contact" = String, Path, description = "A phone number (`+4915…`) or a user JID")),
    security(("api_key" = [])),
    responses((status = 200, body = Picture),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: no picture, or not visible to this account"),
        (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn picture(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, contact) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = person("contact", &contact)?;
    let live = live_client(&state, &session).await?;
    let picture = call(&live, "profile picture", move |c| async move {
        c.contacts().get_profile_picture(&jid, false).await
    })
    .await?
    .ok_or_else(|| ApiError::not_found("profile picture"))?;
    Ok(HttpResponse::Ok().json(Picture {
        url: picture.url,
        id: picture.id,
    }))
}

/// The about text of one person (usync `status`).
pub(super) async fn about_of(
    live: &crate::actors::LiveClient,
    jid: Jid,
) -> ApiResult<Option<String>> {
    let info = call(live, "contact", move |c| async move {
        c.contacts().get_user_info(std::slice::from_ref(&jid)).await
    })
    .await?;
    Ok(info
        .into_values()
        .next()
        .and_then(|i| i.status)
        .filter(|s| !s.is_empty()))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/contacts/{contact}/about", tag = "contacts",
    params(("session_id" = String, Path), ("contact" = String, Path, description = "A phone number (`+4915…`) or a user JID")),
    security(("api_key" = [])),
    responses((status = 200, body = About),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "`session_not_working`"),
        (status = 502, body = Problem, description = "`whatsapp_error`"), (status = 503, body = Problem)))]
pub async fn about(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, contact) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let jid = person("contact", &contact)?;
    let live = live_client(&state, &session).await?;
    let about = about_of(&live, jid).await?;
    Ok(HttpResponse::Ok().json(About {
        about,
        set_at: None,
    }))
}
