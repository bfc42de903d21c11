//! Media files WARAS holds: what a send will upload (written with its outbox row) and received
//! media once downloaded from WhatsApp.

use diesel::prelude::*;

use super::schema::media;
use super::{DbConn, DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    pub id: String,
    pub session_id: String,
    pub tenant_id: String,
    pub message_id: Option<String>,
    pub mimetype: String,
    pub filename: Option<String>,
    pub size: i64,
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_at: i64,
}

/// Keeps a downloaded file (once; a second store of the same id does nothing) and meters its
/// bytes.
pub fn store(pool: &DbPool, row: &MediaRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let added = diesel::insert_into(media::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(conn)?;
            if added == 1 {
                let day = super::tenancy::day_of(row.created_at);
                super::tenancy::add_usage!(
                    conn,
                    &row.tenant_id,
                    &day,
                    super::tenancy::metric::MEDIA_BYTES,
                    row.size
                )?;
            }
            Ok(())
        })
    })
}

/// The media file of a message, if WARAS holds it.
pub fn of_message(pool: &DbPool, session_id: &str, message_id: &str) -> DbResult<Option<MediaRow>> {
    with_conn!(pool, |conn| {
        Ok(media::table
            .filter(media::session_id.eq(session_id))
            .filter(media::message_id.eq(message_id))
            .first(conn)
            .optional()?)
    })
}

pub fn get(pool: &DbPool, id: &str) -> DbResult<Option<MediaRow>> {
    with_conn!(pool, |conn| {
        Ok(media::table.find(id).first(conn).optional()?)
    })
}
