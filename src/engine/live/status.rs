//! Posting a status (text, image or video) to chosen contacts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wacore::download::MediaType;
use waproto::whatsapp as wa;
use whatsapp_rust::client::Client;
use whatsapp_rust::features::StatusSendOptions;
use whatsapp_rust::upload::UploadOptions;

use super::{Refusal, b64, jids};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusContent {
    Text {
        text: String,
        /// ARGB background colour.
        background: u32,
    },
    Image {
        #[serde(with = "b64")]
        data: Vec<u8>,
        caption: Option<String>,
    },
    Video {
        #[serde(with = "b64")]
        data: Vec<u8>,
        caption: Option<String>,
    },
}

/// Posts `content` as a status seen by `to` (user JIDs); answers the status's WhatsApp id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostStatus {
    pub content: StatusContent,
    pub to: Vec<String>,
}

impl PostStatus {
    pub(super) const WHAT: &'static str = "status";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<String, Refusal> {
        let to = jids(&self.to)?;
        // A status is addressed by LID: asking about numbers the session never spoke with
        // teaches the engine theirs.
        let numbers: Vec<_> = to.iter().filter(|j| j.is_pn()).cloned().collect();
        if !numbers.is_empty() {
            c.contacts().is_on_whatsapp(&numbers).await?;
        }
        let status = c.status();
        let options = StatusSendOptions::default();
        let sent = match self.content {
            StatusContent::Text { text, background } => {
                let font = wa::message::extended_text_message::FontType::SYSTEM;
                status
                    .send_text(&text, background, font, &to, options)
                    .await
            }
            StatusContent::Image { data, caption } => {
                let upload = c
                    .upload(data, MediaType::Image, UploadOptions::default())
                    .await
                    .map_err(Refusal::failed)?;
                status
                    .send_image(upload, Vec::new(), caption.as_deref(), &to, options)
                    .await
            }
            StatusContent::Video { data, caption } => {
                let upload = c
                    .upload(data, MediaType::Video, UploadOptions::default())
                    .await
                    .map_err(Refusal::failed)?;
                status
                    .send_video(upload, Vec::new(), 0, caption.as_deref(), &to, options)
                    .await
            }
        };
        sent.map(|s| s.message_id).map_err(Refusal::failed)
    }
}
