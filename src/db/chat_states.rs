//! Chats' shared state (archived, pinned, muted, marked unread), changed through the API or on
//! another device of the account (app state): each change is stored with its `chat.updated`
//! event. The engine also reports the session's own changes when it reads them back from app
//! state, so a change that changes nothing raises nothing: one event per real change, whoever
//! stores it first. Deleting or clearing a chat removes its stored messages (waiting sends stay).

use diesel::prelude::*;
use serde_json::json;

use super::events::{EventLog, EventRow, NewEvent};
use super::schema::{chat_states, messages, sessions};
use super::{DbConn, DbPool, DbResult};
use crate::domain::EventType;
use crate::with_conn;

#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_states)]
pub struct ChatState {
    pub session_id: String,
    pub chat_jid: String,
    pub archived: bool,
    pub pinned: bool,
    /// Unix ms; -1: for ever; `None`: not muted.
    pub muted_until: Option<i64>,
    pub marked_unread: bool,
    pub updated_at: i64,
}

/// One change to a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatChange {
    Archived(bool),
    Pinned(bool),
    /// `None`: unmuted; `Some(-1)`: for ever.
    Muted(Option<i64>),
    MarkedUnread(bool),
    /// The chat was deleted (`true`) or cleared (`false`) on a device of the account.
    Emptied {
        deleted: bool,
    },
}

impl ChatState {
    pub fn json(&self) -> serde_json::Value {
        json!({
            "chat": self.chat_jid,
            "archived": self.archived,
            "pinned": self.pinned,
            "muted": self.muted_until.is_some(),
            "muted_until": self.muted_until.filter(|t| *t > 0).map(crate::time::rfc3339),
            "marked_unread": self.marked_unread,
        })
    }
}

/// Applies `change` to `chat` (all its addresses in `chats`, the first one named); the state and
/// the `chat.updated` event, if it changed anything.
pub fn apply(
    pool: &DbPool,
    session_id: &str,
    chats: &[String],
    change: ChatChange,
    now: i64,
) -> DbResult<(ChatState, Option<EventRow>)> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            // The API's change and the engine's report of it race: taken in turn (held to
            // commit), the second sees the first and changes nothing.
            conn.lock_chat_changes()?;
            let chat = chats.first().cloned().unwrap_or_default();
            let mut state = chat_states::table
                .find((session_id, &chat))
                .select(ChatState::as_select())
                .first(conn)
                .optional()?
                .unwrap_or_else(|| ChatState {
                    session_id: session_id.to_string(),
                    chat_jid: chat.clone(),
                    ..ChatState::default()
                });
            let before = state.clone();
            match change {
                ChatChange::Archived(a) => state.archived = a,
                ChatChange::Pinned(p) => state.pinned = p,
                ChatChange::Muted(until) => state.muted_until = until,
                ChatChange::MarkedUnread(u) => state.marked_unread = u,
                ChatChange::Emptied { deleted } => {
                    diesel::delete(
                        messages::table
                            .filter(messages::session_id.eq(session_id))
                            .filter(messages::chat_jid.eq_any(chats))
                            .filter(messages::status.ne_all(["queued", "scheduled"])),
                    )
                    .execute(conn)?;
                    if deleted {
                        state = ChatState {
                            session_id: session_id.to_string(),
                            chat_jid: chat.clone(),
                            ..ChatState::default()
                        };
                    }
                }
            }
            let emptied = matches!(change, ChatChange::Emptied { .. });
            if !emptied && state.json() == before.json() {
                return Ok((state, None));
            }
            state.updated_at = now;
            diesel::insert_into(chat_states::table)
                .values(&state)
                .on_conflict((chat_states::session_id, chat_states::chat_jid))
                .do_update()
                .set((
                    chat_states::archived.eq(state.archived),
                    chat_states::pinned.eq(state.pinned),
                    chat_states::muted_until.eq(state.muted_until),
                    chat_states::marked_unread.eq(state.marked_unread),
                    chat_states::updated_at.eq(now),
                ))
                .execute(conn)?;
            let tenant: String = sessions::table
                .find(session_id)
                .select(sessions::tenant_id)
                .first(conn)?;
            let mut data = state.json();
            if let (Some(map), ChatChange::Emptied { deleted }) = (data.as_object_mut(), change) {
                map.insert(
                    if deleted { "deleted" } else { "cleared" }.into(),
                    json!(true),
                );
            }
            let event = conn.append_event(&NewEvent {
                tenant_id: &tenant,
                session_id: Some(session_id),
                event_type: EventType::ChatUpdated,
                data,
                created_at: now,
            })?;
            Ok((state, Some(event)))
        })
    })
}

/// The states of these chats of a session.
pub fn of(pool: &DbPool, session_id: &str, chats: &[String]) -> DbResult<Vec<ChatState>> {
    with_conn!(pool, |conn| {
        Ok(chat_states::table
            .filter(chat_states::session_id.eq(session_id))
            .filter(chat_states::chat_jid.eq_any(chats))
            .select(ChatState::as_select())
            .load(conn)?)
    })
}
