//! `waras media migrate`: moves stored media bytes from the database into the bucket, or back.
//! One file at a time, each move a conditional update, so it may run beside a serving WARAS: a
//! file deleted meanwhile leaves an orphaned object for the sweep, never a row without bytes.

use diesel::prelude::*;

use super::media::MediaRow;
use super::objects::{ObjectError, ObjectStore};
use super::schema::{media, orphan_objects};
use super::{Db, DbConn, DbPool, DbResult, now_ms};
use crate::with_conn;

/// Files read per query (their bytes are in memory together).
const BATCH: i64 = 16;

/// Where `waras media migrate` moves files to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Bucket,
    Database,
}

/// What a migration moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub files: usize,
    pub bytes: u64,
}

/// Moves every file not yet at `to`; `db` must have a bucket. Stops at the first failure (what
/// moved before stays moved; running it again carries on).
pub async fn move_all(db: &Db, to: Destination) -> DbResult<Moved> {
    let objects = db
        .objects()
        .ok_or_else(|| ObjectError::Unreachable("no bucket is configured".into()))?;
    let mut moved = Moved::default();
    let mut after = String::new();
    loop {
        let from = after.clone();
        let rows = db
            .run(move |pool| not_yet_moved(pool, to, &from, BATCH))
            .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.id.clone();
        for row in rows {
            let size = u64::try_from(row.size).unwrap_or_default();
            let done = match to {
                Destination::Bucket => into_bucket(db, row).await?,
                Destination::Database => into_database(db, objects, row).await?,
            };
            if done {
                moved.files += 1;
                moved.bytes += size;
            }
        }
    }
    if to == Destination::Database {
        db.sweep_orphan_objects().await?;
    }
    Ok(moved)
}

/// The bytes go to the bucket as for a new file ([`Db::stash_media`]); the row then points at
/// its object.
async fn into_bucket(db: &Db, row: MediaRow) -> DbResult<bool> {
    let stashed = db.stash_media(row).await?;
    let key = stashed.object_key.unwrap_or_default();
    let id = stashed.id;
    db.run(move |pool| point_at_object(pool, &id, &key)).await
}

async fn into_database(db: &Db, objects: &ObjectStore, row: MediaRow) -> DbResult<bool> {
    let Some(key) = row.object_key else {
        return Ok(false);
    };
    let data = objects.get(&key).await?.to_vec();
    let id = row.id;
    db.run(move |pool| take_bytes_back(pool, &id, &key, &data))
        .await
}

fn not_yet_moved(pool: &DbPool, to: Destination, after: &str, n: i64) -> DbResult<Vec<MediaRow>> {
    with_conn!(pool, |conn| {
        let query = media::table
            .filter(media::id.gt(after))
            .order(media::id)
            .limit(n);
        Ok(match to {
            Destination::Bucket => query.filter(media::object_key.is_null()).load(conn)?,
            Destination::Database => query.filter(media::object_key.is_not_null()).load(conn)?,
        })
    })
}

/// The row now refers to its object and no longer holds the bytes; the object is no orphan.
fn point_at_object(pool: &DbPool, id: &str, key: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let updated = diesel::update(
                media::table
                    .filter(media::id.eq(id))
                    .filter(media::object_key.is_null()),
            )
            .set((media::object_key.eq(key), media::data.eq(Vec::<u8>::new())))
            .execute(conn)?;
            if updated == 1 {
                diesel::delete(orphan_objects::table.find(key)).execute(conn)?;
            }
            Ok(updated == 1)
        })
    })
}

/// The row holds the bytes again; its object becomes an orphan, deleted by the sweep.
fn take_bytes_back(pool: &DbPool, id: &str, key: &str, data: &[u8]) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        conn.write_txn(|conn| {
            let updated = diesel::update(
                media::table
                    .filter(media::id.eq(id))
                    .filter(media::object_key.eq(key)),
            )
            .set((media::object_key.eq(None::<String>), media::data.eq(data)))
            .execute(conn)?;
            if updated == 1 {
                diesel::insert_into(orphan_objects::table)
                    .values((
                        orphan_objects::object_key.eq(key),
                        orphan_objects::not_before.eq(now_ms()),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            Ok(updated == 1)
        })
    })
}
