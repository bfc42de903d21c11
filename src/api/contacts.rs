//! Other people as a WORKING session's account sees them: who is on WhatsApp, profile pictures,
//! about texts.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Problem};
use super::page::{PageQuery, fetch_page, list_type};
use super::sessions::load_session;
use super::state::AppState;
use crate::db::contacts::{self, ContactRow, Seen};
use crate::db::now_ms;
use crate::domain::{ContactId, Scope};
use crate::engine::jid::{person, phone_digits};
use crate::engine::live::contacts::{self as cmd, Picture};

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
    /// A WhatsApp Business account.
    pub business: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactChecks {
    pub data: Vec<ContactCheck>,
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
    let mut unique: Vec<String> = Vec::with_capacity(asked.len());
    for (_, digits) in &asked {
        if !unique.contains(digits) {
            unique.push(digits.clone());
        }
    }
    let results = state
        .sessions
        .call(&session.id, cmd::CheckNumbers { digits: unique })
        .await?;
    let data = asked
        .into_iter()
        .map(
            |(phone, digits)| match results.iter().find(|r| r.digits == digits && r.registered) {
                Some(r) => ContactCheck {
                    phone,
                    on_whatsapp: true,
                    jid: Some(format!("{digits}@s.whatsapp.net")),
                    lid: r.lid.clone(),
                    business: r.business,
                },
                None => ContactCheck {
                    phone,
                    on_whatsapp: false,
                    jid: None,
                    lid: None,
                    business: false,
                },
            },
        )
        .collect::<Vec<_>>();
    learn_checked(&state, &session.id, &data).await?;
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
    let jid = contact_jid(&contact)?;
    let picture = state
        .sessions
        .call(&session.id, cmd::ProfilePicture { jid })
        .await?
        .ok_or_else(|| ApiError::not_found("profile picture"))?;
    Ok(HttpResponse::Ok().json(picture))
}

/// The people a number check found on WhatsApp become contacts with their LIDs.
async fn learn_checked(
    state: &AppState,
    session_id: &str,
    checks: &[ContactCheck],
) -> ApiResult<()> {
    let seen: Vec<Seen> = checks
        .iter()
        .filter(|c| c.on_whatsapp)
        .map(|c| Seen {
            business: Some(c.business),
            ..Seen::mapping(c.jid.clone(), c.lid.clone())
        })
        .collect();
    let sid = session_id.to_string();
    let learned = state
        .db
        .run(move |pool| {
            let now = now_ms();
            let mut any = false;
            for s in &seen {
                any |= contacts::learn(pool, &sid, s, now)?.is_some();
            }
            Ok(any)
        })
        .await?;
    if learned {
        state.db.events_appended();
    }
    Ok(())
}

fn contact_jid(raw: &str) -> ApiResult<String> {
    person(raw).map_err(|e| ApiError::invalid(format!("contact: {e}")))
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
    let jid = contact_jid(&contact)?;
    let about = state.sessions.call(&session.id, cmd::About { jid }).await?;
    Ok(HttpResponse::Ok().json(About {
        about,
        set_at: None,
    }))
}

/// One person as this session knows them: both addresses where WhatsApp told them, and names.
#[derive(Debug, Serialize, ToSchema)]
pub struct Contact {
    /// `…@s.whatsapp.net`, where known.
    pub phone_jid: Option<String>,
    /// `…@lid`, where known.
    pub lid: Option<String>,
    /// The phone number with `+`, where known.
    pub phone: Option<String>,
    /// The name the account saved, where known.
    pub name: Option<String>,
    /// The name the person set for themselves.
    pub push_name: Option<String>,
    pub business: bool,
    pub updated_at: String,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Self {
        Self {
            phone: r
                .phone_jid
                .as_deref()
                .and_then(|j| j.strip_suffix("@s.whatsapp.net"))
                .map(|d| format!("+{d}")),
            phone_jid: r.phone_jid,
            lid: r.lid,
            name: r.name,
            push_name: r.push_name,
            business: r.business,
            updated_at: crate::time::rfc3339(r.updated_at),
        }
    }
}

list_type!(ContactList, Contact);

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/contacts", tag = "contacts",
    params(("session_id" = String, Path), PageQuery), security(("api_key" = [])),
    responses((status = 200, body = ContactList, description = "Everyone the session has seen, one entry per person"),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 503, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let session = load_session(&state, key, &path).await?;
    let (rows, next_cursor) = fetch_page(
        &state.db,
        &q,
        |c| ContactId::parse(c).is_some(),
        |r: &ContactRow| r.id.clone(),
        move |pool, after, n| contacts::list(pool, &session.id, after, n),
    )
    .await?;
    Ok(HttpResponse::Ok().json(ContactList {
        data: rows.into_iter().map(Contact::from).collect(),
        next_cursor,
    }))
}

/// The stored contact `raw` (a phone number or a user JID) names, or 404.
pub async fn stored_contact(
    state: &AppState,
    session_id: &str,
    raw: &str,
) -> ApiResult<ContactRow> {
    let jid = contact_jid(raw)?;
    let sid = session_id.to_string();
    state
        .db
        .run(move |pool| contacts::find(pool, &sid, &jid))
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))
}

#[utoipa::path(get, path = "/api/v1/sessions/{session_id}/contacts/{contact}", tag = "contacts",
    params(("session_id" = String, Path), ("contact" = String, Path, description = "A phone number (`+4915…`), a phone-number JID or a LID")),
    security(("api_key" = [])),
    responses((status = 200, body = Contact),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "`not_found`: the session has not seen this person"),
        (status = 503, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let key = caller.tenant(Scope::Read)?;
    let (session_id, contact) = path.into_inner();
    let session = load_session(&state, key, &session_id).await?;
    let row = stored_contact(&state, &session.id, &contact).await?;
    Ok(HttpResponse::Ok().json(Contact::from(row)))
}
