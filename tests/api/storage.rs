//! The two backends have the same schema, and every migration really reverts.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use waras::db::{DatabaseTarget, migrate, revert_all};

use crate::common::{Backend, TestDatabase};

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

fn columns(db: &TestDatabase, backend: Backend) -> Vec<Column> {
    let mut cols: Vec<Column> = match backend {
        Backend::Postgres => {
            let mut conn = PgConnection::establish(&db.url).unwrap();
            diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                 (CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END)::int4 AS not_null \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND table_name NOT LIKE '\\_\\_diesel%'",
            )
            .load(&mut conn)
            .unwrap()
        }
        Backend::Sqlite => {
            let mut conn =
                SqliteConnection::establish(db.url.strip_prefix("sqlite://").unwrap()).unwrap();
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.\"notnull\" AS not_null \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\' \
                 AND m.name <> 'sqlite_sequence'",
            )
            .load(&mut conn)
            .unwrap()
        }
    };
    cols.sort();
    cols
}

fn target(db: &TestDatabase) -> DatabaseTarget {
    DatabaseTarget::parse(&db.url).unwrap()
}

#[test]
fn both_backends_have_the_same_schema() {
    let pg = TestDatabase::create(Backend::Postgres);
    let lite = TestDatabase::create(Backend::Sqlite);
    assert!(migrate(&target(&pg)).unwrap() > 0);
    assert!(migrate(&target(&lite)).unwrap() > 0);
    let (a, b) = (
        columns(&pg, Backend::Postgres),
        columns(&lite, Backend::Sqlite),
    );
    assert!(a.len() > 20, "{a:?}");
    assert_eq!(a, b);
}

#[test]
fn migrations_revert_cleanly_and_reapply() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let db = TestDatabase::create(backend);
        let applied = migrate(&target(&db)).unwrap();
        assert_eq!(
            migrate(&target(&db)).unwrap(),
            0,
            "second run applies nothing"
        );
        assert_eq!(revert_all(&target(&db)).unwrap(), applied);
        assert!(
            columns(&db, backend).is_empty(),
            "{backend:?} left tables behind"
        );
        assert_eq!(migrate(&target(&db)).unwrap(), applied);
    }
}
