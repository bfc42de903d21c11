//! Inbound durability: a batch of received messages is committed to WARAS (rows and
//! `message.received` events, in one transaction) before the engine acknowledges it to WhatsApp.
//! A crash in between makes WhatsApp redeliver; the unique key on (session, chat, sender, id)
//! drops the duplicate.

use std::sync::Arc;

use anyhow::Result;
use wacore::types::events::InboundMessage;
use waproto::whatsapp as wa;
use whatsapp_rust::client::Client;
use whatsapp_rust::types::durability_hook::InboundDurabilityHook;

use super::jid::{is_lid, user_jid};
use crate::db::messages::{self, MessageRow, RECEIVED};
use crate::db::{Db, now_ms};
use crate::domain::MessageId;

pub struct InboundRecorder {
    pub db: Db,
    pub session_id: String,
    pub tenant_id: String,
}

/// The user-visible content of a message, if it has any WARAS records.
pub fn content(message: &wa::Message) -> Option<(&'static str, serde_json::Value)> {
    if let Some(text) = &message.conversation {
        return Some(("text", serde_json::json!({ "text": text })));
    }
    if let Some(ext) = message.extended_text_message.as_option() {
        return Some((
            "text",
            serde_json::json!({ "text": ext.text.clone().unwrap_or_default() }),
        ));
    }
    None
}

impl InboundRecorder {
    fn row(&self, m: &InboundMessage, now: i64) -> Option<(MessageRow, serde_json::Value)> {
        let (kind, body) = content(&m.message)?;
        let src = &m.info.source;
        let sender = user_jid(&src.sender);
        let alt = src.sender_alt.as_ref().map(user_jid);
        let (phone, lid) = if is_lid(&src.sender) {
            (alt, Some(sender.clone()))
        } else {
            (Some(sender.clone()), alt)
        };
        let id = MessageId::generate().into_string();
        let chat = user_jid(&src.chat);
        let timestamp = m.info.timestamp.timestamp_millis();
        let data = serde_json::json!({
            "id": id,
            "wa_id": m.info.id.to_string(),
            "chat": chat,
            "from": sender,
            "from_phone": phone,
            "from_lid": lid,
            "from_me": src.is_from_me,
            "push_name": m.info.push_name,
            "type": kind,
            "text": body.get("text"),
            "timestamp": crate::time::rfc3339(timestamp),
        });
        let row = MessageRow {
            id,
            session_id: self.session_id.clone(),
            tenant_id: self.tenant_id.clone(),
            from_me: src.is_from_me,
            chat_jid: chat,
            sender_jid: sender,
            sender_lid: lid,
            sender_phone: phone,
            wa_id: m.info.id.to_string(),
            msg_type: kind.to_string(),
            body: body.to_string(),
            status: RECEIVED.to_string(),
            error: None,
            attempts: 0,
            reply_to: None,
            idempotency_key: None,
            request_hash: None,
            wa_timestamp: Some(timestamp),
            created_at: now,
            updated_at: now,
            media_ref: None,
        };
        Some((row, data))
    }
}

#[async_trait::async_trait]
impl InboundDurabilityHook for InboundRecorder {
    async fn on_messages(&self, _client: Arc<Client>, batch: &[InboundMessage]) -> Result<()> {
        let now = now_ms();
        let rows: Vec<_> = batch.iter().filter_map(|m| self.row(m, now)).collect();
        if rows.is_empty() {
            return Ok(());
        }
        let stored = self
            .db
            .run(move |pool| messages::store_inbound(pool, &rows))
            .await?;
        if !stored.is_empty() {
            self.db.events_appended();
        }
        Ok(())
    }
}
