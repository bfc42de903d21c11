//! Prepared statements kept for the statements of the send path.
//!
//! Diesel keeps a connection's prepared statement only for a query whose SQL cannot change
//! between two calls of the same Rust type. It cannot tell for an UPDATE (a changeset may skip
//! `None` fields), an upsert's `DO UPDATE`, a SQLite INSERT with an optional column, an `IN`
//! list or raw SQL, so it prepares each of those again on every call: SQLite parses and plans
//! the statement anew (tens of µs for a wide table with many indexes), PostgreSQL takes an
//! extra round trip. [`CachedDsl::cached`] keys such a statement by its SQL text and bind types
//! instead of its Rust type, which is right whatever the SQL turns out to be: two calls share a
//! prepared statement only when their SQL is the same.
//!
//! Only where diesel takes the query by value: `load`, `get_result(s)` and `first`. `execute`
//! hands diesel a reference, through which diesel asks the statement itself whether it may be
//! kept. A statement run for its effect goes through [`Cached::run`] instead, which loads it as a
//! query of no rows. (It used to return a column and be loaded, but SQLite collects a
//! `RETURNING` clause's rows in a temporary table of their own, with a page cache set up and torn
//! down for each: 11.7 per message sent, counted with uprobes on the bundled SQLite; see the
//! README, "Performance".) A statement whose caller needs to know what it changed keeps its
//! `RETURNING`.
//!
//! Only for statements whose SQL takes a few shapes: each distinct text stays prepared on the
//! connection for as long as the connection lives. An `IN` list of any length uses
//! [`CachedDsl::cached_if`] with a bound on its length. (Diesel cannot run a multi-row INSERT of
//! SQLite through this wrapper; the send path writes a few rows one statement each instead.)

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// Values of an `IN` list (or rows written one statement each) up to which the statement is kept.
pub const KEEP_UP_TO: usize = 4;

/// A query whose prepared statement is kept by its SQL text (see the module's notes).
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q> {
    query: Q,
    keep: bool,
}

/// `.cached()` on any query.
pub trait CachedDsl: Sized {
    /// Keeps this query's prepared statement on the connection, keyed by its SQL text.
    fn cached(self) -> Cached<Self> {
        Cached {
            query: self,
            keep: true,
        }
    }

    /// Keeps it only when `keep` (say, when an `IN` list has at most [`KEEP_UP_TO`] values);
    /// otherwise diesel decides as usual.
    fn cached_if(self, keep: bool) -> Cached<Self> {
        Cached { query: self, keep }
    }
}

impl<Q> CachedDsl for Q {}

impl<Q> QueryId for Cached<Q> {
    // No type id: the statement cache then keys the statement by its SQL text.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, backend: &DB) -> QueryResult<bool> {
        if self.keep {
            Ok(true)
        } else {
            self.query.is_safe_to_cache_prepared(backend)
        }
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Cached<Q> {}

impl<Q> Cached<Q> {
    /// Runs a statement that returns no rows (no `RETURNING`) for its effect, through the path
    /// that keeps it prepared.
    pub fn run<'query, Conn>(self, conn: &mut Conn) -> QueryResult<()>
    where
        Effect<Q>: diesel::query_dsl::LoadQuery<'query, Conn, i32>,
    {
        let rows: Vec<i32> = Effect(self).load(conn)?;
        debug_assert!(
            rows.is_empty(),
            "a statement run for its effect returned rows"
        );
        Ok(())
    }
}

/// A statement run for its effect, seen by diesel as a query of no rows (see [`Cached::run`]).
/// Its result type is never read: such a statement answers with no row at all.
#[derive(Debug, Clone, Copy)]
pub struct Effect<Q>(Cached<Q>);

impl<Q> QueryId for Effect<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Effect<Q> {
    type SqlType = diesel::sql_types::Integer;
}

impl<Q, DB> QueryFragment<DB> for Effect<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, backend: &DB) -> QueryResult<bool> {
        self.0.is_safe_to_cache_prepared(backend)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Effect<Q> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::tenants;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use diesel::prelude::*;
    use std::sync::{Arc, Mutex};

    /// Counts the statements the connection prepares to keep.
    #[derive(Clone, Default)]
    struct Prepared(Arc<Mutex<Vec<String>>>);

    impl Instrumentation for Prepared {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                self.0.lock().unwrap().push(sql.to_string());
            }
        }
    }

    fn connection() -> (SqliteConnection, Prepared) {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&mut conn)
            .unwrap();
        let seen = Prepared::default();
        conn.set_instrumentation(seen.clone());
        (conn, seen)
    }

    fn rename(conn: &mut SqliteConnection, id: &str, name: &str, cached: bool) -> usize {
        let update = diesel::update(tenants::table.filter(tenants::id.eq(id)))
            .set(tenants::name.eq(name))
            .returning(tenants::id);
        let renamed: Vec<String> = update.cached_if(cached).load(conn).unwrap();
        renamed.len()
    }

    #[test]
    fn an_update_is_prepared_once_when_cached_and_on_every_call_otherwise() {
        let (mut conn, seen) = connection();
        diesel::sql_query("INSERT INTO tenants (id, name) VALUES ('t1', 'a'), ('t2', 'b')")
            .execute(&mut conn)
            .unwrap();
        seen.0.lock().unwrap().clear();
        for round in 0..3 {
            assert_eq!(rename(&mut conn, "t1", &format!("a{round}"), true), 1);
            assert_eq!(rename(&mut conn, "t2", &format!("b{round}"), false), 1);
        }
        let kept = seen.0.lock().unwrap().clone();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].starts_with("UPDATE `tenants`"), "{kept:?}");
        let names: Vec<String> = tenants::table
            .order(tenants::id)
            .select(tenants::name)
            .load(&mut conn)
            .unwrap();
        assert_eq!(names, ["a2", "b2"]);
    }

    #[test]
    fn a_statement_run_for_its_effect_is_prepared_once_and_takes_effect() {
        let (mut conn, seen) = connection();
        for round in 0..3 {
            diesel::insert_into(tenants::table)
                .values((tenants::id.eq("t1"), tenants::name.eq(format!("n{round}"))))
                .on_conflict(tenants::id)
                .do_update()
                .set(tenants::name.eq(diesel::upsert::excluded(tenants::name)))
                .cached()
                .run(&mut conn)
                .unwrap();
        }
        let kept = seen.0.lock().unwrap().clone();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].starts_with("INSERT INTO `tenants`"), "{kept:?}");
        assert!(!kept[0].contains("RETURNING"), "{kept:?}");
        let names: Vec<String> = tenants::table
            .select(tenants::name)
            .load(&mut conn)
            .unwrap();
        assert_eq!(names, ["n2"]);
    }

    #[test]
    fn statements_of_one_type_but_different_sql_are_kept_apart() {
        let (mut conn, seen) = connection();
        diesel::sql_query(
            "INSERT INTO tenants (id, name) VALUES ('t1', 'a'), ('t2', 'b'), ('t3', 'c')",
        )
        .execute(&mut conn)
        .unwrap();
        seen.0.lock().unwrap().clear();
        let named = |conn: &mut SqliteConnection, ids: &[&str]| -> Vec<String> {
            tenants::table
                .filter(tenants::id.eq_any(ids))
                .order(tenants::id)
                .select(tenants::name)
                .cached_if(ids.len() <= KEEP_UP_TO)
                .load(conn)
                .unwrap()
        };
        for _ in 0..2 {
            assert_eq!(named(&mut conn, &["t2"]), ["b"]);
            assert_eq!(named(&mut conn, &["t1", "t3"]), ["a", "c"]);
            assert_eq!(named(&mut conn, &["t3", "t2", "t1"]), ["a", "b", "c"]);
        }
        let long: Vec<&str> = std::iter::repeat_n("t1", KEEP_UP_TO + 1).collect();
        assert_eq!(named(&mut conn, &long), ["a"]);
        let kept = seen.0.lock().unwrap().clone();
        assert_eq!(
            kept.len(),
            3,
            "one statement per list length up to the bound: {kept:?}"
        );
    }
}
