//! The engine store's conformance and sealing suite.
//!
//! Conformance: every scenario runs the same sequence of store calls against wacore's
//! `InMemoryBackend` (the reference), the PostgreSQL store and the SQLite store, records every
//! answer, and requires the three transcripts to be identical. Each run gets a fresh database.
//!
//! Sealing: raw columns never hold plaintext; tampered or moved ciphertexts do not open; a wrong
//! master key is caught by the canary; deleting a session deletes its keys and key material.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tempfile::TempDir;
use wacore::appstate::hash::HashState;
use wacore::appstate::processor::AppStateMutationMAC;
use wacore::store::InMemoryBackend;
use wacore::store::traits::*;
use waras::db::{DatabaseTarget, Db, DbPool, DbResult, migrate};
use waras::engine::store::schema as es;
use waras::engine::{DieselStore, check_master_key, rotate_data_key};

const MASTER: [u8; 32] = [0x11; 32];
const SESSION: &str = "sess-1";

// ---------------------------------------------------------------------------------------------
// Fresh databases
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Postgres,
    Sqlite,
}

fn pg_base() -> String {
    std::env::var("WARAS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A migrated database that lives for one test; PostgreSQL databases are dropped afterwards.
struct Fixture {
    db: Db,
    pg_name: Option<String>,
    _dir: TempDir,
}

impl Fixture {
    fn new(kind: Kind) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg_name) = match kind {
            Kind::Sqlite => (
                format!("sqlite://{}", dir.path().join("engine.db").display()),
                None,
            ),
            Kind::Postgres => {
                let name = format!("waras_test_{}", uuid::Uuid::now_v7().simple());
                let mut admin = PgConnection::establish(&format!("{}/postgres", pg_base()))
                    .expect("PostgreSQL must be running on 127.0.0.1:5432");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .unwrap();
                (format!("{}/{name}", pg_base()), Some(name))
            }
        };
        let target = DatabaseTarget::parse(&url).unwrap();
        migrate(&target).unwrap();
        let pool = DbPool::connect(&target, 4).unwrap();
        let fixture = Self {
            db: Db::new(pool),
            pg_name,
            _dir: dir,
        };
        fixture.add_session(SESSION);
        fixture
    }

    fn pool(&self) -> &DbPool {
        self.db.pool()
    }

    fn add_session(&self, id: &str) {
        let sql = format!(
            "INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'tenant', 0) ON CONFLICT DO NOTHING; \
             INSERT INTO sessions (id, tenant_id, name, desired_state, status, config, created_at, updated_at) \
             VALUES ('{id}', 't1', '{id}', 'stopped', 'stopped', '{{}}', 0, 0);"
        );
        let done: DbResult<()> =
            (|| waras::with_conn!(self.pool(), |conn| Ok(conn.batch_execute(&sql)?)))();
        done.unwrap();
    }

    fn delete_session(&self, id: &str) {
        let sql = format!("DELETE FROM sessions WHERE id = '{id}';");
        let done: DbResult<()> =
            (|| waras::with_conn!(self.pool(), |conn| Ok(conn.batch_execute(&sql)?)))();
        done.unwrap();
    }

    async fn store(&self, session_id: &str) -> DieselStore {
        DieselStore::open(self.db.clone(), session_id, &MASTER)
            .await
            .unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", pg_base()))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}

// ---------------------------------------------------------------------------------------------
// Conformance harness
// ---------------------------------------------------------------------------------------------

type Transcript = Vec<String>;

/// Records the answer of one store call, labelled with the call itself.
macro_rules! rec {
    ($t:ident, $call:expr) => {{
        let answer = $call.await.unwrap();
        $t.push(format!("{} => {:?}", stringify!($call), answer));
    }};
}

/// Records an answer whose order the trait leaves open, after sorting it.
macro_rules! rec_sorted {
    ($t:ident, $call:expr) => {{
        let mut answer = $call.await.unwrap();
        answer.sort();
        $t.push(format!("{} => {:?}", stringify!($call), answer));
    }};
}

// The scenarios and the sealing checks live in `tests/engine_store/`, by area (declared after
// the macros above, which they use).
#[path = "engine_store/app_state.rs"]
mod app_state;
#[path = "engine_store/contacts.rs"]
mod contacts;
#[path = "engine_store/keys.rs"]
mod keys;
#[path = "engine_store/messages.rs"]
mod messages;
#[path = "engine_store/sealing.rs"]
mod sealing;

use app_state::app_state;
use contacts::{base_keys_registry_and_groups, sender_key_devices_and_lid_mappings, tc_tokens};
use keys::{identities_and_sessions, prekeys, signed_prekeys_and_sender_keys};
use messages::{device, msg_secrets, sent_messages_and_pending_inbound};
use sealing::{
    canary_missing_but_keys_wrapped_detects_wrong_key, concurrent_writers, data_keys_rotate,
    deleting_a_session_deletes_its_keys, engine_persistence_manager_restarts,
    overlapping_batches_do_not_deadlock, raw_columns_never_hold_plaintext,
    tampered_or_moved_ciphertexts_do_not_open, wrong_master_key_is_detected,
};

fn assert_same(reference: &Transcript, other: &Transcript, who: &str) {
    for (i, (a, b)) in reference.iter().zip(other).enumerate() {
        assert_eq!(a, b, "{who} differs from InMemoryBackend at step {i}");
    }
    assert_eq!(reference.len(), other.len(), "{who} transcript length");
}

/// Runs one scenario on the reference and both databases and requires identical transcripts.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod conformance {
            $(
                #[actix_rt::test]
                async fn $name() {
                    let reference = super::$name(&wacore::store::InMemoryBackend::new()).await;
                    assert!(reference.len() > 3, "scenario records its answers");
                    for kind in [super::Kind::Sqlite, super::Kind::Postgres] {
                        let fixture = super::Fixture::new(kind);
                        let store = fixture.store(super::SESSION).await;
                        let got = super::$name(&store).await;
                        super::assert_same(&reference, &got, &format!("{kind:?}"));
                    }
                }
            )*
        }
    };
}

conformance!(
    identities_and_sessions,
    prekeys,
    signed_prekeys_and_sender_keys,
    app_state,
    sender_key_devices_and_lid_mappings,
    base_keys_registry_and_groups,
    tc_tokens,
    sent_messages_and_pending_inbound,
    msg_secrets,
    device,
);

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sealing_sqlite {
            $( #[actix_rt::test] async fn $name() { super::$name(super::Kind::Sqlite).await } )*
        }
        mod sealing_postgres {
            $( #[actix_rt::test] async fn $name() { super::$name(super::Kind::Postgres).await } )*
        }
    };
}

on_both!(
    raw_columns_never_hold_plaintext,
    tampered_or_moved_ciphertexts_do_not_open,
    wrong_master_key_is_detected,
    canary_missing_but_keys_wrapped_detects_wrong_key,
    deleting_a_session_deletes_its_keys,
    data_keys_rotate,
    concurrent_writers,
    engine_persistence_manager_restarts,
    overlapping_batches_do_not_deadlock,
);

/// Sanity: the reference really is the store the engine ships, not a stand-in.
#[test]
fn reference_is_wacore_in_memory_backend() {
    fn is_backend<T: Backend>() {}
    is_backend::<InMemoryBackend>();
    is_backend::<DieselStore>();
}
