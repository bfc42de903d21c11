//! Storing a history sync chunk: its messages (a message already stored, by its WhatsApp id, is
//! kept as it is), what it tells about people, and one `history.progress` event, together.

use diesel::prelude::*;

use super::contacts::{Seen, learn_contact};
use super::events::{EventLog, EventRow, NewEvent};
use super::messages::{MessageRow, insert_message};
use super::schema::{messages, sessions};
use super::{DbConn, DbPool, DbResult};
use crate::domain::EventType;
use crate::with_conn;

/// What a chunk came with, for its event.
pub struct Chunk {
    /// `initial_bootstrap`, `recent`, `full`, …
    pub sync_type: String,
    pub chunk_order: Option<u32>,
    pub progress: Option<u32>,
    pub conversations: usize,
}

/// Stores the rows and sightings of one chunk; the number of new messages and the event.
pub fn store(
    pool: &DbPool,
    session_id: &str,
    rows: &[MessageRow],
    seen: &[Seen],
    chunk: &Chunk,
    now: i64,
) -> DbResult<(usize, EventRow)> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let mut added = 0;
            for row in rows {
                let known: i64 = messages::table
                    .filter(messages::session_id.eq(session_id))
                    .filter(messages::wa_id.eq(&row.wa_id))
                    .count()
                    .get_result(conn)?;
                if known == 0 {
                    added += insert_message!(conn, row)?;
                }
            }
            for s in seen {
                learn_contact!(conn, session_id, s, now)?;
            }
            let tenant: String = sessions::table
                .find(session_id)
                .select(sessions::tenant_id)
                .first(conn)?;
            let event = conn.append_event(&NewEvent {
                tenant_id: &tenant,
                session_id: Some(session_id),
                event_type: EventType::HistoryProgress,
                data: serde_json::json!({
                    "sync_type": chunk.sync_type,
                    "chunk_order": chunk.chunk_order,
                    "progress": chunk.progress,
                    "conversations": chunk.conversations,
                    "messages": added,
                }),
                created_at: now,
            })?;
            Ok((added, event))
        })
    })
}
