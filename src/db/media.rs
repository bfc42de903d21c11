//! Media files WARAS holds: what a send will upload (written with its outbox row) and received
//! media once downloaded from WhatsApp.

use diesel::prelude::*;

use super::schema::media;
use super::{DbPool, DbResult};
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

pub fn store(pool: &DbPool, row: &MediaRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(media::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(())
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
