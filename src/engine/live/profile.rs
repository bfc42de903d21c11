//! The session's own profile: its device's names, about text, push name and picture.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use whatsapp_rust::client::Client;

use super::{Refusal, b64};
use crate::engine::jid::jid_text;

/// The push name and LID the engine keeps for the linked device.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceNames {
    pub push_name: Option<String>,
    pub lid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OwnDevice;

impl OwnDevice {
    pub(super) const WHAT: &'static str = "profile";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<DeviceNames, Refusal> {
        let device = c.persistence_manager().get_device_snapshot();
        Ok(DeviceNames {
            push_name: Some(device.push_name.clone()).filter(|n| !n.is_empty()),
            lid: device.lid.as_ref().map(jid_text),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetAbout {
    pub text: String,
}

impl SetAbout {
    pub(super) const WHAT: &'static str = "profile";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        c.profile().set_status_text(&self.text).await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetName {
    pub name: String,
}

impl SetName {
    pub(super) const WHAT: &'static str = "profile";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        c.profile().set_push_name(&self.name).await?;
        Ok(())
    }
}

/// Sets the profile picture (a JPEG or PNG the API checked); answers WhatsApp's picture id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetPicture {
    #[serde(with = "b64")]
    pub image: Vec<u8>,
}

impl SetPicture {
    pub(super) const WHAT: &'static str = "profile";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<String, Refusal> {
        Ok(c.profile().set_profile_picture(self.image).await?.id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemovePicture;

impl RemovePicture {
    pub(super) const WHAT: &'static str = "profile";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        c.profile().remove_profile_picture().await?;
        Ok(())
    }
}
