//! The tables that hold one sealed record per `(session, text key)`: identities, Signal
//! sessions, sender keys, app-state collection versions and group metadata. Their queries are
//! written once here ([`keyed_table!`] expands them per table) and each table's trait methods
//! only say which table and how a record's bytes look.

use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use zeroize::Zeroizing;

use crate::db::cached::{CachedDsl, KEEP_UP_TO};

use super::{CHUNK, DieselStore, last_wins};
use crate::db::{DbConn, DbPool, DbResult};
use crate::with_conn;

/// `(key, sealed)` rows ready for an upsert.
type SealedRows = Vec<(String, Vec<u8>)>;

/// A table keyed by `(session_id, key)` with one sealed blob per row.
pub(super) trait KeyedTable: Send + Sync + 'static {
    /// The table's name: part of every row's sealing identity.
    const NAME: &'static str;
    fn get(pool: &DbPool, sid: &str, key: &str) -> DbResult<Option<Vec<u8>>>;
    /// Upserts the rows in one transaction (the last row of a key wins).
    fn put(pool: &DbPool, sid: &str, rows: &[(String, Vec<u8>)]) -> DbResult<()>;
    fn delete(pool: &DbPool, sid: &str, key: &str) -> DbResult<()>;
    fn exists(pool: &DbPool, sid: &str, key: &str) -> DbResult<bool>;
}

/// Implements [`KeyedTable`] for `$name` over the schema table `$table` whose key column is `$key`.
macro_rules! keyed_table {
    ($(#[$doc:meta])* $name:ident = $table:ident . $key:ident) => {
        $(#[$doc])*
        pub(super) struct $name;

        impl KeyedTable for $name {
            const NAME: &'static str = stringify!($table);

            fn get(pool: &DbPool, sid: &str, key: &str) -> DbResult<Option<Vec<u8>>> {
                use super::schema::$table as t;
                with_conn!(pool, |conn| Ok(t::table
                    .find((sid, key))
                    .select(t::sealed)
                    .first(conn)
                    .optional()?))
            }

            fn put(pool: &DbPool, sid: &str, rows: &[(String, Vec<u8>)]) -> DbResult<()> {
                use super::schema::$table as t;
                macro_rules! upsert_one {
                    ($conn:expr, $k:expr, $s:expr) => {
                        diesel::insert_into(t::table)
                            .values((t::session_id.eq(sid), t::$key.eq($k), t::sealed.eq($s)))
                            .on_conflict((t::session_id, t::$key))
                            .do_update()
                            .set(t::sealed.eq(excluded(t::sealed)))
                            .cached()
                            .run($conn)
                    };
                }
                with_conn!(pool, |conn| {
                    if let [(k, s)] = rows {
                        // A send's usual case: one record, one statement.
                        return conn.write_statement(|conn| Ok(upsert_one!(conn, k, s)?));
                    }
                    conn.write_txn(|conn| {
                    if rows.len() <= KEEP_UP_TO {
                        // A few rows: one kept statement each (`db::cached`).
                        for (k, s) in rows {
                            upsert_one!(conn, k, s)?;
                        }
                        return Ok(());
                    }
                    for chunk in rows.chunks(CHUNK) {
                        let values: Vec<_> = chunk
                            .iter()
                            .map(|(k, s)| (t::session_id.eq(sid), t::$key.eq(k), t::sealed.eq(s)))
                            .collect();
                        diesel::insert_into(t::table)
                            .values(values)
                            .on_conflict((t::session_id, t::$key))
                            .do_update()
                            .set(t::sealed.eq(excluded(t::sealed)))
                            .execute(conn)?;
                    }
                    Ok(())
                    })
                })
            }

            fn delete(pool: &DbPool, sid: &str, key: &str) -> DbResult<()> {
                use super::schema::$table as t;
                with_conn!(pool, |conn| {
                    diesel::delete(t::table.find((sid, key))).execute(conn)?;
                    Ok(())
                })
            }

            fn exists(pool: &DbPool, sid: &str, key: &str) -> DbResult<bool> {
                use super::schema::$table as t;
                with_conn!(pool, |conn| Ok(diesel::select(diesel::dsl::exists(
                    t::table.find((sid, key))
                ))
                .get_result(conn)?))
            }
        }
    };
}

keyed_table!(
    /// Identity keys of the peers' devices, by Signal address.
    Identities = engine_identities.address
);
keyed_table!(
    /// Signal sessions, by Signal address.
    SignalSessions = engine_signal_sessions.address
);
keyed_table!(
    /// Group sender keys, by sender key name.
    SenderKeys = engine_sender_keys.address
);
keyed_table!(
    /// App-state collection versions (ltHash state as JSON), by collection name.
    Versions = engine_app_state_versions.name
);
keyed_table!(
    /// Cached group metadata, by group JID.
    Groups = engine_group_metadata.group_jid
);

impl DieselStore {
    /// The opened record under `key`, if there is one.
    pub(super) async fn keyed_get<T: KeyedTable>(
        &self,
        key: &str,
    ) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let k = key.to_string();
        let sealed = self.run(move |pool, sid| T::get(pool, sid, &k)).await?;
        sealed
            .map(|s| self.open_value(T::NAME, &[key.as_bytes()], &s))
            .transpose()
    }

    /// Seals and upserts `(key, record)` pairs in one transaction; the last record of a key wins.
    pub(super) async fn keyed_put<'a, T, I>(&self, items: I) -> Result<()>
    where
        T: KeyedTable,
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let rows = items
            .into_iter()
            .map(|(key, record)| {
                let sealed = self.seal_value(T::NAME, &[key.as_bytes()], record)?;
                Ok((key.to_string(), sealed))
            })
            .collect::<Result<SealedRows>>()?;
        let rows = last_wins(rows, |r| r.0.clone());
        self.run(move |pool, sid| T::put(pool, sid, &rows)).await
    }

    pub(super) async fn keyed_delete<T: KeyedTable>(&self, key: &str) -> Result<()> {
        let k = key.to_string();
        self.run(move |pool, sid| T::delete(pool, sid, &k)).await
    }

    pub(super) async fn keyed_exists<T: KeyedTable>(&self, key: &str) -> Result<bool> {
        let k = key.to_string();
        self.run(move |pool, sid| T::exists(pool, sid, &k)).await
    }
}
