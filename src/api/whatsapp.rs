//! What WhatsApp answered a live call (groups, contacts, profile): a refusal with an error code
//! becomes the matching problem (a group that does not exist is a 404, not an outage); anything
//! else stays a 502 `whatsapp_error`.

use std::convert::Infallible;
use std::future::Future;

use actix_web::http::StatusCode;
use whatsapp_rust::IqError;
use whatsapp_rust::features::{ContactError, GroupError, ProfileError};
use whatsapp_rust::wacore_binary::Jid;

use super::error::{ApiError, ApiResult};
use super::live::engine_error;
use crate::actors::LiveClient;
use crate::engine::jid::parse_recipient;

/// Why an engine call failed, kept apart from the transport's own failures.
#[derive(Debug)]
pub struct Refusal {
    /// WhatsApp's error code when the server answered with one.
    code: Option<u16>,
    detail: String,
}

impl Refusal {
    fn from_iq(e: &IqError) -> Self {
        let code = match e {
            IqError::ServerError { code, .. } => Some(*code),
            _ => None,
        };
        Self {
            code,
            detail: e.to_string(),
        }
    }

    /// The problem the API answers; `what` names the thing WhatsApp did not find.
    pub fn into_api(self, what: &str) -> ApiError {
        let detail = format!("WhatsApp refused: {}", self.detail);
        match self.code {
            Some(400) => ApiError::invalid(detail),
            Some(404 | 410) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found ({})", self.detail),
            ),
            Some(401 | 403 | 405) => {
                ApiError::new(StatusCode::FORBIDDEN, "whatsapp_forbidden", detail)
            }
            Some(304 | 409) => ApiError::conflict("conflict", detail),
            _ => ApiError::new(StatusCode::BAD_GATEWAY, "whatsapp_error", self.detail),
        }
    }
}

impl From<GroupError> for Refusal {
    fn from(e: GroupError) -> Self {
        match &e {
            GroupError::Iq(iq) => Self::from_iq(iq),
            GroupError::InvalidRequest(_) => Self {
                code: Some(400),
                detail: e.to_string(),
            },
            GroupError::DescriptionConflict => Self {
                code: Some(409),
                detail: e.to_string(),
            },
            _ => Self {
                code: None,
                detail: e.to_string(),
            },
        }
    }
}

impl From<ContactError> for Refusal {
    fn from(e: ContactError) -> Self {
        match &e {
            ContactError::Iq(iq) => Self::from_iq(iq),
            ContactError::InvalidJid(_) => Self {
                code: Some(400),
                detail: e.to_string(),
            },
            _ => Self {
                code: None,
                detail: e.to_string(),
            },
        }
    }
}

impl From<ProfileError> for Refusal {
    fn from(e: ProfileError) -> Self {
        match &e {
            ProfileError::Iq(iq) => Self::from_iq(iq),
            ProfileError::InvalidArgument(_) => Self {
                code: Some(400),
                detail: e.to_string(),
            },
            _ => Self {
                code: None,
                detail: e.to_string(),
            },
        }
    }
}

/// Runs one engine call on the session's client; WhatsApp's refusals keep their meaning
/// (see [`Refusal::into_api`], `what` names the looked-up thing).
pub async fn call<T, E, F, Fut>(live: &LiveClient, what: &str, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    E: Into<Refusal> + Send + 'static,
    F: FnOnce(std::sync::Arc<whatsapp_rust::Client>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
{
    live.run(move |client| async move { Ok::<_, Infallible>(f(client).await.map_err(Into::into)) })
        .await
        .map_err(engine_error)?
        .map_err(|r: Refusal| r.into_api(what))
}

/// A person: a phone number (`+4915…`) or a user JID (`…@s.whatsapp.net`, `…@lid`); never a
/// group or a device.
pub fn person(field: &str, raw: &str) -> ApiResult<Jid> {
    let jid = parse_recipient(raw).map_err(|e| ApiError::invalid(format!("{field}: {e}")))?;
    if !(jid.is_pn() || jid.is_lid()) || jid.device != 0 || jid.user.is_empty() {
        return Err(ApiError::invalid(format!(
            "{field}: `{raw}` is not a phone number or a user JID"
        )));
    }
    if jid.is_pn() && crate::engine::jid::phone_digits(&jid.user).is_err() {
        return Err(ApiError::invalid(format!(
            "{field}: `{raw}` is not a phone number"
        )));
    }
    Ok(jid)
}

/// `+` and the digits of a phone-number JID.
pub fn phone_of(jid: &Jid) -> Option<String> {
    jid.is_pn().then(|| format!("+{}", jid.user))
}

/// A user JID as a string without its device part.
pub fn jid_text(jid: &Jid) -> String {
    jid.to_non_ad().to_string()
}
