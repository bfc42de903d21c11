//! Media files WARAS holds: what a send will upload (written with its outbox row) and received
//! media once downloaded from WhatsApp. Their bytes are in the row or, with a bucket configured,
//! in an object the row names (see [`super::objects`]).

use diesel::prelude::*;

use super::objects::{ObjectError, ObjectStore};
use super::schema::{media, orphan_objects};
use super::{Db, DbConn, DbPool, DbResult, now_ms};
use crate::with_conn;

/// How long an upload may take before the row that refers to its object is written; an object
/// whose row never came is deleted after that.
const UPLOAD_GRACE_MS: i64 = 15 * 60 * 1000;
/// Orphaned objects deleted per round of the sweep.
const SWEEP_BATCH: i64 = 100;

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
    /// The bucket object holding the bytes (`data` is then empty).
    pub object_key: Option<String>,
}

/// Inserts a new media row inside the caller's transaction, strikes its object (if any) off the
/// orphans and meters its bytes; evaluates to the number of rows inserted (0 when the id exists).
macro_rules! insert_file {
    ($conn:expr, $row:expr) => {{
        use $crate::db::schema::{media, orphan_objects};
        let row: &$crate::db::media::MediaRow = $row;
        let added = diesel::insert_into(media::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute($conn)?;
        if added == 1 {
            if let Some(key) = &row.object_key {
                diesel::delete(orphan_objects::table.find(key)).execute($conn)?;
            }
            let day = $crate::db::tenancy::day_of(row.created_at);
            $crate::db::tenancy::add_usage!(
                $conn,
                &row.tenant_id,
                &day,
                $crate::db::tenancy::metric::MEDIA_BYTES,
                row.size,
                &row.id
            )?;
        }
        added
    }};
}
pub(crate) use insert_file;

/// Keeps a downloaded file (once; a second store of the same id does nothing) and meters its
/// bytes.
/// Refused (`false`, nothing stored) when it would take the tenant past its media quota (its
/// own, else `default_quotas`).
pub fn store(
    pool: &DbPool,
    row: &MediaRow,
    default_quotas: crate::domain::Quotas,
) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let quotas = super::tenancy::read_controls!(conn, &row.tenant_id)?
                .quotas()
                .or(default_quotas);
            if let Some(limit) = quotas.media_bytes {
                let stored = super::tenants::media_bytes_of!(conn, &row.tenant_id)?;
                if u64::try_from(stored + row.size).unwrap_or(u64::MAX) > limit {
                    return Ok(false);
                }
            }
            insert_file!(conn, row);
            Ok(true)
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

impl Db {
    /// Puts a new file's bytes where they are kept: with a bucket, into an object (noted as an
    /// orphan until the row that refers to it is written, so an upload whose row never comes is
    /// deleted) and the row keeps only its key; without one, in the row itself.
    pub async fn stash_media(&self, mut row: MediaRow) -> DbResult<MediaRow> {
        let Some(objects) = self.objects() else {
            return Ok(row);
        };
        let key = ObjectStore::key_for(&row.tenant_id, &row.session_id, &row.id);
        let noted = key.clone();
        let until = now_ms() + UPLOAD_GRACE_MS;
        self.run(move |pool| note_orphan(pool, &noted, until))
            .await?;
        let data = bytes::Bytes::from(std::mem::take(&mut row.data));
        objects.put(&key, &row.mimetype, data).await?;
        row.object_key = Some(key);
        Ok(row)
    }

    /// A stored file's bytes, from its row or its object.
    pub async fn media_bytes(&self, row: MediaRow) -> DbResult<Vec<u8>> {
        let Some(key) = row.object_key else {
            return Ok(row.data);
        };
        let objects = self.objects().ok_or_else(|| {
            ObjectError::Unreachable(format!(
                "{key} is in a bucket but media_store is not \"s3\""
            ))
        })?;
        Ok(objects.get(&key).await?.to_vec())
    }

    /// Deletes the objects no row refers to any more (or never came to); answers how many.
    pub async fn sweep_orphan_objects(&self) -> DbResult<usize> {
        let Some(objects) = self.objects() else {
            return Ok(0);
        };
        let mut swept = 0;
        loop {
            let keys = self.run(|pool| due_orphans(pool, now_ms())).await?;
            let mut gone = Vec::with_capacity(keys.len());
            for key in &keys {
                match objects.delete(key).await {
                    Ok(()) => gone.push(key.clone()),
                    Err(e) => log::warn!("cannot delete orphaned object {key}: {e}"),
                }
            }
            let n = gone.len();
            self.run(move |pool| forget_orphans(pool, &gone)).await?;
            swept += n;
            if keys.len() < SWEEP_BATCH as usize || n < keys.len() {
                return Ok(swept);
            }
        }
    }
}

/// Notes an object no row refers to (yet): the sweep deletes it after `not_before`.
pub fn note_orphan(pool: &DbPool, key: &str, not_before: i64) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(orphan_objects::table)
            .values((
                orphan_objects::object_key.eq(key),
                orphan_objects::not_before.eq(not_before),
            ))
            .on_conflict(orphan_objects::object_key)
            .do_update()
            .set(orphan_objects::not_before.eq(not_before))
            .execute(conn)?;
        Ok(())
    })
}

fn due_orphans(pool: &DbPool, now: i64) -> DbResult<Vec<String>> {
    with_conn!(pool, |conn| {
        Ok(orphan_objects::table
            .select(orphan_objects::object_key)
            .filter(orphan_objects::not_before.le(now))
            .order(orphan_objects::not_before)
            .limit(SWEEP_BATCH)
            .load(conn)?)
    })
}

fn forget_orphans(pool: &DbPool, keys: &[String]) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::delete(orphan_objects::table.filter(orphan_objects::object_key.eq_any(keys)))
            .execute(conn)?;
        Ok(())
    })
}
