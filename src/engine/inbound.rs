//! Inbound durability: a batch of received messages is committed to WARAS (rows and their
//! events, in one transaction) before the engine acknowledges it to WhatsApp. A crash in between
//! makes WhatsApp redeliver; the unique key on (session, chat, sender, id) drops the duplicate.
//! A database outage holds the batch (unacknowledged) until the database answers again.

use std::sync::Arc;

use anyhow::Result;
use wacore::types::events::InboundMessage;
use whatsapp_rust::client::Client;
use whatsapp_rust::types::durability_hook::InboundDurabilityHook;

use super::decode::{Decoded, Origin, decode};
use super::jid::{is_lid, user_jid};
use crate::db::messages::{self, Inbound, MessageRow, RECEIVED};
use crate::db::{Db, now_ms};
use crate::domain::{EventType, MessageId};
use wacore_binary::JidExt as _;

/// The event a received message raises, and its sender's phone number and LID. A contact's
/// status post and a channel's post are stored like messages, each with an event of its own; a
/// channel is nobody's phone number.
fn classify(
    src: &wacore::types::message::MessageSource,
    kind: crate::domain::MessageKind,
    sender: &str,
) -> (EventType, Option<String>, Option<String>) {
    if src.chat.is_newsletter() {
        return (EventType::ChannelMessage, None, None);
    }
    let event_type = if src.chat.is_status_broadcast() {
        EventType::StatusReceived
    } else {
        Decoded::event_type_of(kind)
    };
    let alt = src.sender_alt.as_ref().map(user_jid);
    if is_lid(&src.sender) {
        (event_type, alt, Some(sender.to_string()))
    } else {
        (event_type, Some(sender.to_string()), alt)
    }
}

#[derive(Clone)]
pub struct InboundRecorder {
    pub db: Db,
    pub session_id: String,
    pub tenant_id: String,
    /// Wakes the session's outbox when reply rules answered.
    pub answered: Arc<dyn Fn() + Send + Sync>,
}

impl InboundRecorder {
    fn record(&self, m: &InboundMessage, now: i64) -> Option<Inbound> {
        let src = &m.info.source;
        let sender = user_jid(&src.sender);
        let chat = user_jid(&src.chat);
        let Decoded {
            kind,
            content,
            engine_ref,
        } = decode(
            &m.message,
            &Origin {
                chat: &chat,
                sender: &sender,
            },
        )?;
        let (event_type, phone, lid) = classify(src, kind, &sender);
        let id = MessageId::generate().into_string();
        let timestamp = m.info.timestamp.timestamp_millis();
        let reply_to = content.quoted.as_ref().map(|q| q.wa_id.clone());
        let envelope = serde_json::json!({
            "id": id,
            "wa_id": m.info.id.to_string(),
            "chat": chat,
            "from": sender,
            "from_phone": phone,
            "from_lid": lid,
            "from_me": src.is_from_me,
            "is_group": src.is_group,
            "push_name": m.info.push_name,
            "type": kind.as_str(),
            "timestamp": crate::time::rfc3339(timestamp),
        });
        let serde_json::Value::Object(envelope) = envelope else {
            return None;
        };
        let engine_ref = engine_ref.to_json();
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
            body: String::new(),
            status: RECEIVED.to_string(),
            error: None,
            attempts: 0,
            reply_to,
            idempotency_key: None,
            request_hash: None,
            wa_timestamp: Some(timestamp),
            created_at: now,
            updated_at: now,
            engine_ref: (engine_ref != "{}").then_some(engine_ref),
            send_at: None,
            late: false,
            campaign_id: None,
        };
        Some(Inbound {
            row,
            event_type,
            content,
            envelope,
            sender_is_admin: false,
        })
    }

    /// For a revoke of someone else's group message: whether its sender is an admin of the group
    /// (asked of WhatsApp; unknown counts as no, so the revoke is not applied).
    async fn check_admin(&self, client: &Arc<Client>, m: &InboundMessage, inbound: &mut Inbound) {
        let Some(revoke) = &inbound.content.revoke else {
            return;
        };
        let src = &m.info.source;
        let own_message = revoke.target.sender.as_deref() == Some(inbound.row.sender_jid.as_str());
        if !src.is_group || own_message {
            return;
        }
        let groups = client.groups();
        let asked = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            groups.get_metadata(&src.chat),
        );
        let outcome = match asked.await {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(_) => Err("timed out".to_string()),
        };
        match outcome {
            Ok(meta) => {
                inbound.sender_is_admin = meta.participants.iter().any(|p| {
                    p.is_admin()
                        && [Some(&p.jid), p.phone_number.as_ref(), p.lid.as_ref()]
                            .into_iter()
                            .flatten()
                            .any(|j| j.user == src.sender.user)
                })
            }
            Err(e) => log::warn!(
                "session {}: cannot check a revoker's group role: {e}",
                self.session_id
            ),
        }
    }

    /// Fills in the options a poll vote chose, when the poll is known to this session.
    async fn open_vote(&self, client: &Arc<Client>, m: &InboundMessage, inbound: &mut Inbound) {
        let Some(vote) = inbound.content.poll_vote.as_mut() else {
            return;
        };
        let Some(update) = m.message.poll_update_message.as_option() else {
            return;
        };
        let Some(ciphertext) = update.vote.as_option() else {
            return;
        };
        let (sid, wa_id) = (self.session_id.clone(), vote.target.wa_id.clone());
        let Ok(Some(poll)) = self
            .db
            .run_patiently(move |pool| messages::find_by_wa_id(pool, &sid, &wa_id))
            .await
        else {
            return;
        };
        let Some(secret) =
            super::compose::EngineRef::parse(poll.engine_ref.as_deref()).poll_secret()
        else {
            return;
        };
        let options = poll.content().poll.map(|p| p.options).unwrap_or_default();
        let (Some(payload), Some(iv)) = (&ciphertext.enc_payload, &ciphertext.enc_iv) else {
            return;
        };
        let Ok(creator) = poll.sender_jid.parse() else {
            return;
        };
        let creator = if poll.from_me {
            client.pn().map(|j| j.to_non_ad()).unwrap_or(creator)
        } else {
            creator
        };
        let voter = m.info.source.sender.clone();
        let chosen = client
            .polls()
            .decrypt_vote(
                whatsapp_rust::features::PollVoteCiphertext {
                    enc_payload: payload,
                    enc_iv: iv,
                },
                &secret,
                &poll.wa_id,
                &creator,
                &voter,
            )
            .await;
        match chosen {
            Ok(hashes) => {
                vote.options = Some(
                    options
                        .into_iter()
                        .filter(|o| {
                            let h = wacore::poll::compute_option_hash(o);
                            hashes.iter().any(|x| x.as_slice() == h.as_slice())
                        })
                        .collect(),
                );
            }
            Err(e) => log::debug!("session {}: cannot open a poll vote: {e}", self.session_id),
        }
    }
}

#[async_trait::async_trait]
impl InboundDurabilityHook for InboundRecorder {
    async fn on_messages(&self, client: Arc<Client>, batch: &[InboundMessage]) -> Result<()> {
        self.store(client, batch).await
    }
}

impl InboundRecorder {
    /// Stores a batch: rows and events in one transaction, waiting out a database outage.
    pub async fn store(&self, client: Arc<Client>, batch: &[InboundMessage]) -> Result<()> {
        let now = now_ms();
        let mut rows = Vec::with_capacity(batch.len());
        for m in batch {
            if let Some(mut inbound) = self.record(m, now) {
                self.open_vote(&client, m, &mut inbound).await;
                self.check_admin(&client, m, &mut inbound).await;
                rows.push(inbound);
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        // Waits out a database outage: until this returns the engine does not acknowledge the
        // batch, so WhatsApp keeps it (the insert is idempotent, so a retry cannot duplicate).
        let quotas = self.db.default_quotas();
        let stored = self
            .db
            .run_patiently(move |pool| {
                messages::store_inbound(pool, &rows, &super::compose::new_message_id, quotas)
            })
            .await?;
        if !stored.events.is_empty() {
            self.db.events_appended();
        }
        if stored.answers > 0 {
            (self.answered)();
        }
        Ok(())
    }
}
