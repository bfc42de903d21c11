//! What WhatsApp (or the engine) answered instead of doing a live command: WhatsApp's error code
//! when it gave one, and a description. The API turns it into the matching problem (a group that
//! does not exist is a 404, not an outage).

use serde::{Deserialize, Serialize};
use whatsapp_rust::IqError;
use whatsapp_rust::features::{ContactError, GroupError, ProfileError};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refusal {
    /// WhatsApp's error code (or 400 for a request the engine would not even send, 413 for a
    /// download over the media limit); `None` for failures without one.
    pub code: Option<u16>,
    pub detail: String,
}

impl Refusal {
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self {
            code: Some(400),
            detail: detail.into(),
        }
    }

    /// A failure without a code of WhatsApp's (a timeout, a lost connection).
    pub fn failed(detail: impl std::fmt::Display) -> Self {
        Self {
            code: None,
            detail: detail.to_string(),
        }
    }

    pub(super) fn from_iq(e: &IqError) -> Self {
        let code = match e {
            IqError::ServerError { code, .. } => Some(*code),
            _ => None,
        };
        Self {
            code,
            detail: e.to_string(),
        }
    }

    fn coded(code: u16, e: &impl std::fmt::Display) -> Self {
        Self {
            code: Some(code),
            detail: e.to_string(),
        }
    }
}

impl From<GroupError> for Refusal {
    fn from(e: GroupError) -> Self {
        match &e {
            GroupError::Iq(iq) => Self::from_iq(iq),
            GroupError::InvalidRequest(_) => Self::coded(400, &e),
            GroupError::DescriptionConflict => Self::coded(409, &e),
            _ => Self::failed(e),
        }
    }
}

impl From<ContactError> for Refusal {
    fn from(e: ContactError) -> Self {
        match &e {
            ContactError::Iq(iq) => Self::from_iq(iq),
            ContactError::InvalidJid(_) => Self::coded(400, &e),
            _ => Self::failed(e),
        }
    }
}

impl From<ProfileError> for Refusal {
    fn from(e: ProfileError) -> Self {
        match &e {
            ProfileError::Iq(iq) => Self::from_iq(iq),
            ProfileError::InvalidArgument(_) => Self::coded(400, &e),
            _ => Self::failed(e),
        }
    }
}
