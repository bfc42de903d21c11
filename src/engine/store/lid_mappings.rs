//! LID ↔ phone-number mappings. Not secret (directory data); `seq` orders writes so that a
//! phone number answers with the LID most recently mapped to it, as the reference store does.

use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::LidPnMappingEntry;

use super::schema::engine_lid_pn_mappings as lid;
use super::{CHUNK, DieselStore, last_occurrences};
use crate::db::DbConn;
use crate::db::contacts::{Seen, learn_contact};
use crate::with_conn;

/// The columns every lookup reads.
#[derive(Queryable, Selectable)]
#[diesel(table_name = lid)]
struct LidRow {
    lid: String,
    phone_number: String,
    created_at: i64,
    updated_at: i64,
    learning_source: String,
}

fn lid_entry(r: LidRow) -> LidPnMappingEntry {
    LidPnMappingEntry {
        lid: r.lid,
        phone_number: r.phone_number,
        created_at: r.created_at,
        updated_at: r.updated_at,
        learning_source: r.learning_source,
    }
}

impl DieselStore {
    pub(super) async fn upsert_lid_mappings(&self, entries: Vec<LidPnMappingEntry>) -> Result<()> {
        // seq follows the caller's order (later writes win the reverse lookup); rows are then
        // written in key order so overlapping concurrent batches cannot deadlock.
        let mut entries: Vec<(i64, LidPnMappingEntry)> =
            last_occurrences(entries, |e| e.lid.clone())
                .into_iter()
                .zip(1..)
                .map(|(e, n)| (n, e))
                .collect();
        entries.sort_by(|a, b| a.1.lid.cmp(&b.1.lid));
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                // seq orders mappings by write, so a phone number answers with its latest LID.
                let base: Option<i64> = lid::table
                    .filter(lid::session_id.eq(sid))
                    .select(diesel::dsl::max(lid::seq))
                    .first(conn)?;
                let base = base.unwrap_or(0);
                for chunk in entries.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(n, e)| {
                            (
                                lid::session_id.eq(sid),
                                lid::lid.eq(&e.lid),
                                lid::phone_number.eq(&e.phone_number),
                                lid::created_at.eq(e.created_at),
                                lid::updated_at.eq(e.updated_at),
                                lid::learning_source.eq(&e.learning_source),
                                lid::seq.eq(base + n),
                            )
                        })
                        .collect();
                    diesel::insert_into(lid::table)
                        .values(values)
                        .on_conflict((lid::session_id, lid::lid))
                        .do_update()
                        .set((
                            lid::phone_number.eq(excluded(lid::phone_number)),
                            lid::created_at.eq(excluded(lid::created_at)),
                            lid::updated_at.eq(excluded(lid::updated_at)),
                            lid::learning_source.eq(excluded(lid::learning_source)),
                            lid::seq.eq(excluded(lid::seq)),
                        ))
                        .execute(conn)?;
                }
                // The session's contacts learn each mapping (and raise `contact.updated`).
                let now = crate::db::now_ms();
                for (_, e) in &entries {
                    let seen = Seen::mapping(
                        Some(format!("{}@s.whatsapp.net", e.phone_number)),
                        Some(format!("{}@lid", e.lid)),
                    );
                    learn_contact!(conn, sid, &seen, now)?;
                }
                Ok(())
            }))
        })
        .await
    }

    pub(super) async fn lid_get(&self, lid_user: &str) -> Result<Option<LidPnMappingEntry>> {
        let l = lid_user.to_string();
        let row: Option<LidRow> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(lid::table
                    .find((sid, &l))
                    .select(LidRow::as_select())
                    .first(conn)
                    .optional()?))
            })
            .await?;
        Ok(row.map(lid_entry))
    }

    pub(super) async fn pn_get(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        let p = phone.to_string();
        let row: Option<LidRow> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(lid::table
                    .filter(lid::session_id.eq(sid))
                    .filter(lid::phone_number.eq(&p))
                    .order(lid::seq.desc())
                    .select(LidRow::as_select())
                    .first(conn)
                    .optional()?))
            })
            .await?;
        Ok(row.map(lid_entry))
    }

    pub(super) async fn lid_all(&self) -> Result<Vec<LidPnMappingEntry>> {
        let rows: Vec<LidRow> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(lid::table
                    .filter(lid::session_id.eq(sid))
                    .order(lid::lid.asc())
                    .select(LidRow::as_select())
                    .load(conn)?))
            })
            .await?;
        Ok(rows.into_iter().map(lid_entry).collect())
    }
}
