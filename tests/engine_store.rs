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
    reason = "test and benchmark code: a panic is the failure report"
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

// ---------------------------------------------------------------------------------------------
// Scenarios: each is a sequence of calls on `&dyn Backend` and a transcript of the answers.
// ---------------------------------------------------------------------------------------------

fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}

async fn identities_and_sessions(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let (a, b) = (
        "5511000000001@s.whatsapp.net",
        "5511000000002:3@s.whatsapp.net",
    );
    rec!(t, s.load_identity(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.put_identity(a, [1; 32]));
    rec!(t, s.load_identity(a));
    rec!(t, s.put_identity(a, [2; 32]));
    rec!(t, s.load_identity(a));
    rec!(
        t,
        s.put_identities_batch(&[(arc(a), [3; 32]), (arc(b), [4; 32]), (arc(b), [5; 32])])
    );
    rec!(
        t,
        s.put_identities_batch(&[(arc(a), [3; 32]), (arc(b), [5; 32])])
    ); // a retry
    rec!(t, s.load_identity(a));
    rec!(t, s.load_identity(b));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.has_signal_state_for_user("551100000000"));
    rec!(t, s.delete_identity(a));
    rec!(t, s.load_identity(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));

    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.put_session(a, b"session-a-v1"));
    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.has_signal_state_for_user("551100000000")); // a prefix of the user is not the user
    let batch = [
        (arc(a), Bytes::from_static(b"session-a-v2")),
        (arc("77_7%@lid"), Bytes::from_static(b"odd")),
        (arc(a), Bytes::from_static(b"session-a-v3")),
    ];
    rec!(t, s.put_sessions_batch(&batch));
    rec!(t, s.put_sessions_batch(&batch));
    rec!(t, s.get_session(a));
    rec!(t, s.get_session("77_7%@lid"));
    rec!(t, s.has_signal_state_for_user("77_7%"));
    rec!(t, s.has_signal_state_for_user("77x7%"));
    rec!(t, s.delete_session(a));
    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(
        t,
        s.put_session("big@s.whatsapp.net", &vec![0xAB; 64 * 1024])
    );
    rec!(
        t,
        s.get_session("big@s.whatsapp.net")
            .then(|r| async { r.map(|b| b.map(|b| b.len())) })
    );
    t
}

/// `FutureExt::then` without pulling in a futures dependency for one call.
trait Then: std::future::Future + Sized {
    async fn then<F, Fut>(self, f: F) -> Fut::Output
    where
        F: FnOnce(Self::Output) -> Fut,
        Fut: std::future::Future,
    {
        f(self.await).await
    }
}
impl<T: std::future::Future> Then for T {}

async fn prekeys(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.load_prekey(1));
    // The first login writes ~812 prekeys in one batch.
    let keys: Vec<(u32, Bytes)> = (1..=812u32)
        .map(|i| (i, Bytes::from(format!("prekey-{i}"))))
        .collect();
    rec!(t, s.store_prekeys_batch(&keys, false));
    rec!(t, s.store_prekeys_batch(&keys, false)); // retried: idempotent
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.load_prekey(5));
    rec!(t, s.load_prekeys_batch(&[3, 9999, 1, 3, 812]));
    rec!(t, s.load_prekeys_batch(&[]));
    rec!(t, s.remove_prekey(812));
    rec!(t, s.load_prekey(812));
    rec!(t, s.get_max_prekey_id());
    // UPDATE only: the consumed prekey 812 must not come back.
    rec!(t, s.mark_prekeys_uploaded(&[812, 1, 2]));
    rec!(t, s.load_prekey(812));
    rec!(t, s.load_prekey(1));
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.store_prekey(1, b"prekey-1-replaced", true));
    rec!(t, s.load_prekey(1));
    rec!(t, s.store_prekey(4_000_000_000, b"high id", false));
    rec!(t, s.get_max_prekey_id());
    rec!(
        t,
        s.load_prekeys_batch(&(1..=700u32).collect::<Vec<_>>())
            .then(|r| async { r.map(|v| v.len()) })
    );
    rec!(t, s.mark_prekeys_uploaded(&[]));
    t
}

async fn signed_prekeys_and_sender_keys(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.load_signed_prekey(1));
    rec!(t, s.load_all_signed_prekeys());
    rec!(t, s.store_signed_prekey(2, b"spk-2"));
    rec!(t, s.store_signed_prekey(1, b"spk-1"));
    rec!(t, s.store_signed_prekey(2, b"spk-2b"));
    rec!(t, s.load_signed_prekey(2));
    rec_sorted!(t, s.load_all_signed_prekeys());
    rec!(t, s.remove_signed_prekey(2));
    rec!(t, s.load_signed_prekey(2));
    rec_sorted!(t, s.load_all_signed_prekeys());

    let g = "120363000000000001@g.us::5511000000001:0@s.whatsapp.net";
    rec!(t, s.get_sender_key(g));
    rec!(t, s.put_sender_key(g, b"sk-1"));
    rec!(t, s.get_sender_key(g));
    let batch = [
        (arc(g), Bytes::from_static(b"sk-2")),
        (arc("other"), Bytes::from_static(b"sk-o")),
    ];
    rec!(t, s.put_sender_keys_batch(&batch));
    rec!(t, s.put_sender_keys_batch(&batch));
    rec!(t, s.get_sender_key(g));
    rec!(t, s.get_sender_key("other"));
    rec!(t, s.delete_sender_key(g));
    rec!(t, s.get_sender_key(g));
    rec!(t, s.get_sender_key("other"));
    t
}

fn sorted_state(h: HashState) -> String {
    let map: BTreeMap<String, Vec<u8>> = h.index_value_map.into_iter().collect();
    format!(
        "v{} hash={:?} map={map:?} fatal={}",
        h.version,
        &h.hash[..],
        h.mac_mismatch_fatal
    )
}

fn sync_key(tag: u8) -> AppStateSyncKey {
    AppStateSyncKey {
        key_data: vec![tag; 32],
        fingerprint: vec![tag, 1, 2],
        timestamp: 1_700_000_000 + i64::from(tag),
    }
}

fn mac(i: u8, v: u8) -> AppStateMutationMAC {
    AppStateMutationMAC {
        index_mac: vec![i; 32],
        value_mac: vec![v; 32],
    }
}

async fn app_state(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());
    rec!(t, s.set_sync_key(b"k1", sync_key(1)));
    rec!(t, s.set_sync_key(b"k2", sync_key(2)));
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());
    rec!(t, s.set_sync_key(b"k1", sync_key(3)));
    rec!(t, s.get_sync_key(b"k1"));
    rec!(t, s.get_latest_sync_key_id());

    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    let mut state = HashState {
        version: 7,
        ..HashState::default()
    };
    state.hash[0] = 9;
    state.hash[127] = 1;
    state.index_value_map.insert("idx-a".into(), vec![1, 2, 3]);
    state.index_value_map.insert("idx-b".into(), vec![4]);
    rec!(t, s.set_version("regular", state.clone()));
    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    state.version = 8;
    state.mac_mismatch_fatal = true;
    rec!(t, s.set_version("regular", state));
    t.push(sorted_state(s.get_version("regular").await.unwrap()));
    t.push(sorted_state(s.get_version("critical_block").await.unwrap()));

    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(
        t,
        s.put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20), mac(1, 11)])
    );
    rec!(
        t,
        s.put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20), mac(1, 11)])
    );
    rec!(t, s.put_mutation_macs("critical_block", 1, &[mac(1, 99)]));
    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(t, s.get_mutation_mac("critical_block", &[1; 32]));
    let batch: BTreeMap<_, _> = s
        .get_mutation_macs("regular", &[[1; 32], [2; 32], [3; 32]])
        .await
        .unwrap()
        .into_iter()
        .collect();
    t.push(format!("get_mutation_macs => {batch:?}"));
    rec!(
        t,
        s.delete_mutation_macs("regular", &[vec![1; 32], vec![7; 32]])
    );
    rec!(t, s.get_mutation_mac("regular", &[1; 32]));
    rec!(t, s.get_mutation_mac("regular", &[2; 32]));
    rec!(t, s.clear_mutation_macs("regular"));
    rec!(t, s.get_mutation_mac("regular", &[2; 32]));
    rec!(t, s.get_mutation_mac("critical_block", &[1; 32]));
    t
}

fn lid(l: &str, pn: &str, at: i64) -> LidPnMappingEntry {
    LidPnMappingEntry {
        lid: l.into(),
        phone_number: pn.into(),
        created_at: at,
        updated_at: at + 1,
        learning_source: "usync".into(),
    }
}

fn show_lids(mut v: Vec<LidPnMappingEntry>) -> String {
    v.sort_by(|a, b| a.lid.cmp(&b.lid));
    format!("{v:?}")
}

async fn sender_key_devices_and_lid_mappings(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let (g1, g2) = ("g1@g.us", "g2@g.us");
    rec!(t, s.get_sender_key_devices(g1));
    rec!(
        t,
        s.set_sender_key_status(
            g1,
            &[
                ("d1@s.whatsapp.net", true),
                ("d2@lid", false),
                ("d1@s.whatsapp.net", false)
            ]
        )
    );
    rec!(
        t,
        s.set_sender_key_status(g2, &[("d1@s.whatsapp.net", true), ("d3@lid", true)])
    );
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec!(t, s.set_sender_key_status(g1, &[("d2@lid", true)]));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec!(t, s.delete_sender_key_device_rows(&["d1@s.whatsapp.net"]));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g2));
    rec!(t, s.delete_sender_key_device_rows(&[]));
    rec!(t, s.clear_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g1));
    rec_sorted!(t, s.get_sender_key_devices(g2));
    rec!(t, s.clear_all_sender_key_devices());
    rec_sorted!(t, s.get_sender_key_devices(g2));

    rec!(t, s.get_lid_mapping("100"));
    rec!(t, s.get_pn_mapping("5511"));
    rec!(t, s.put_lid_mapping(&lid("100", "5511", 10)));
    rec!(t, s.get_lid_mapping("100"));
    rec!(t, s.get_pn_mapping("5511"));
    // The LID moves to another number: the old number no longer answers.
    rec!(t, s.put_lid_mapping(&lid("100", "5522", 20)));
    rec!(t, s.get_pn_mapping("5511"));
    rec!(t, s.get_pn_mapping("5522"));
    let batch = [
        lid("200", "5533", 30),
        lid("300", "5544", 40),
        lid("200", "5533", 31),
    ];
    rec!(t, s.put_lid_mappings(&batch));
    rec!(t, s.put_lid_mappings(&batch));
    rec!(t, s.get_lid_mapping("200"));
    rec!(t, s.get_pn_mapping("5544"));
    // A newer LID for the same number wins the reverse lookup.
    rec!(t, s.put_lid_mapping(&lid("400", "5544", 50)));
    rec!(t, s.get_pn_mapping("5544"));
    t.push(show_lids(s.get_all_lid_mappings().await.unwrap()));
    t
}

fn devices(user: &str, ids: &[u32], ts: i64) -> DeviceListRecord {
    DeviceListRecord {
        user: user.into(),
        devices: ids
            .iter()
            .map(|i| DeviceInfo::new(*i, Some(*i + 10)).with_hosting(*i == 99))
            .collect(),
        timestamp: ts,
        phash: Some(format!("2:{ts}")),
        raw_id: if ts > 1 { Some(ts as u32) } else { None },
    }
}

async fn base_keys_registry_and_groups(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let addr = "5511.0:1";
    rec!(t, s.has_same_base_key(addr, "m1", b"base"));
    rec!(t, s.save_base_key(addr, "m1", b"base"));
    rec!(t, s.has_same_base_key(addr, "m1", b"base"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));
    rec!(t, s.has_same_base_key(addr, "m2", b"base"));
    rec!(t, s.save_base_key(addr, "m1", b"other"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));
    rec!(t, s.delete_base_key(addr, "m1"));
    rec!(t, s.has_same_base_key(addr, "m1", b"other"));

    rec!(t, s.get_devices("5511"));
    rec!(t, s.update_device_list(devices("5511", &[0, 1], 1)));
    rec!(t, s.get_devices("5511"));
    rec!(t, s.update_device_list(devices("5511", &[0, 2, 99], 2)));
    rec!(t, s.get_devices("5511"));
    let batch = vec![
        devices("5522", &[0], 3),
        devices("5533", &[], 4),
        devices("5522", &[0, 5], 5),
    ];
    rec!(t, s.update_device_lists(batch.clone()));
    rec!(t, s.update_device_lists(batch));
    rec!(t, s.get_devices("5522"));
    rec!(t, s.get_devices("5533"));
    rec!(t, s.delete_devices("5511"));
    rec!(t, s.get_devices("5511"));

    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.put_group_metadata("g@g.us", b"blob-v1"));
    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.put_group_metadata("g@g.us", b"blob-v2"));
    rec!(t, s.get_group_metadata("g@g.us"));
    rec!(t, s.delete_group_metadata("g@g.us"));
    rec!(t, s.get_group_metadata("g@g.us"));
    t
}

fn tc(token: &[u8], ts: i64, sender: Option<i64>) -> TcTokenEntry {
    TcTokenEntry {
        token: token.to_vec(),
        token_timestamp: ts,
        sender_timestamp: sender,
    }
}

async fn tc_tokens(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.put_tc_token("a@lid", &tc(b"tok-a", 100, None)));
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.touch_tc_token_sender_timestamp("a@lid", 150));
    rec!(t, s.touch_tc_token_sender_timestamp("a@lid", 120)); // never moves back
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.store_received_tc_token("a@lid", b"stale", 90)); // older: ignored
    rec!(t, s.get_tc_token("a@lid"));
    rec!(t, s.store_received_tc_token("a@lid", b"fresh", 100)); // as new: wins, keeps sender
    rec!(t, s.get_tc_token("a@lid"));
    // Touch on an absent contact inserts a byte-less placeholder...
    rec!(t, s.touch_tc_token_sender_timestamp("b@lid", 200));
    rec!(t, s.get_tc_token("b@lid"));
    // ...which the first real token replaces even when older.
    rec!(t, s.store_received_tc_token("b@lid", b"tok-b", 50));
    rec!(t, s.get_tc_token("b@lid"));
    rec!(t, s.store_received_tc_token("c@lid", b"tok-c", 10));
    rec!(t, s.get_tc_token("c@lid"));
    rec!(t, s.put_tc_token("d@lid", &tc(b"", 5, Some(5))));
    rec!(t, s.put_tc_token("e@lid", &tc(b"tok-e", 5, Some(500))));
    rec_sorted!(t, s.get_all_tc_token_jids());
    // Live token (a: 100, b: 50 < 60 but sender 200 live), dead c, dead placeholder d, e kept by sender.
    rec!(t, s.delete_expired_tc_tokens(60, 180));
    rec_sorted!(t, s.get_all_tc_token_jids());
    rec!(t, s.delete_expired_tc_tokens(1000, 1000));
    rec_sorted!(t, s.get_all_tc_token_jids());
    rec!(t, s.put_tc_token("f@lid", &tc(b"tok-f", 1, None)));
    rec!(t, s.delete_tc_token("f@lid"));
    rec!(t, s.get_tc_token("f@lid"));
    t
}

async fn sent_messages_and_pending_inbound(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let now = chrono::Utc::now().timestamp();
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1"));
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m1", b"payload-1")
    );
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m1", b"payload-1b")
    );
    rec!(
        t,
        s.store_sent_message("c@s.whatsapp.net", "m2", b"payload-2")
    );
    rec!(t, s.store_sent_message("g@g.us", "m1", b"payload-g"));
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1"));
    rec!(t, s.take_sent_message("c@s.whatsapp.net", "m1")); // taken once only
    rec!(t, s.delete_expired_sent_messages(now - 3600));
    rec!(t, s.delete_expired_sent_messages(now + 3600));
    rec!(t, s.take_sent_message("g@g.us", "m1"));

    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.store_pending_inbound("c", "s", "i1", b"msg-1"));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "other", "i1"));
    let rows = [
        PendingInboundRow {
            chat: "c",
            sender: "s",
            id: "i1",
            message: b"msg-1b",
        },
        PendingInboundRow {
            chat: "c",
            sender: "s",
            id: "i2",
            message: b"msg-2",
        },
        PendingInboundRow {
            chat: "c",
            sender: "s2",
            id: "i1",
            message: b"msg-3",
        },
    ];
    rec!(t, s.store_pending_inbound_batch(&rows));
    rec!(t, s.store_pending_inbound_batch(&rows));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    rec!(t, s.delete_pending_inbound("c", "s", "i1"));
    rec!(t, s.get_pending_inbound("c", "s", "i1"));
    rec!(
        t,
        s.delete_pending_inbound_batch(&[
            PendingInboundKey {
                chat: "c",
                sender: "s",
                id: "i2"
            },
            PendingInboundKey {
                chat: "c",
                sender: "nobody",
                id: "i9"
            },
        ])
    );
    rec!(t, s.get_pending_inbound("c", "s", "i2"));
    rec!(t, s.delete_expired_pending_inbound(now - 3600));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    rec!(t, s.delete_expired_pending_inbound(now + 3600));
    rec!(t, s.get_pending_inbound("c", "s2", "i1"));
    t
}

fn secret(chat: &str, msg: &str, byte: u8, expires_at: i64, message_ts: i64) -> MsgSecretEntry {
    MsgSecretEntry {
        chat: arc(chat),
        sender: arc("me@s.whatsapp.net"),
        msg_id: arc(msg),
        secret: [byte; 32],
        expires_at,
        message_ts,
    }
}

async fn msg_secrets(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let me = "me@s.whatsapp.net";
    rec!(t, s.get_msg_secret("c", me, "m1"));
    rec!(t, s.put_msg_secret("c", me, "m1", &[1; 32]));
    rec!(t, s.get_msg_secret("c", me, "m1"));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m1"));
    // Merges: "never" (0) beats any deadline; later deadline and later parent time win.
    rec!(t, s.put_msg_secrets(vec![secret("c", "m1", 2, 500, 40)]));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m1"));
    rec!(
        t,
        s.put_msg_secrets(vec![
            secret("c", "m2", 3, 100, 10),
            secret("c", "m2", 4, 300, 0),
            secret("c", "m3", 5, 50, 7)
        ])
    );
    rec!(t, s.put_msg_secrets(vec![secret("c", "m2", 4, 200, 5)]));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m2"));
    rec!(t, s.get_msg_secret_with_ts("c", me, "m3"));
    rec!(t, s.put_msg_secrets(Vec::new()));
    rec!(t, s.delete_expired_msg_secrets(49));
    rec!(t, s.delete_expired_msg_secrets(50)); // m3's deadline is inclusive
    rec!(t, s.get_msg_secret("c", me, "m3"));
    rec!(t, s.delete_expired_msg_secrets(300));
    rec!(t, s.get_msg_secret("c", me, "m2"));
    rec!(t, s.get_msg_secret("c", me, "m1")); // never expires
    let many: Vec<_> = (0..1200)
        .map(|i| secret("h", &format!("h{i}"), (i % 250) as u8, 0, i))
        .collect();
    rec!(t, s.put_msg_secrets(many));
    rec!(t, s.get_msg_secret_with_ts("h", me, "h1199"));
    t
}

async fn device(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.exists());
    t.push(format!(
        "load before create is_none: {}",
        s.load().await.unwrap().is_none()
    ));
    rec!(t, s.create());
    rec!(t, s.exists());
    t.push(format!(
        "load after create is_some: {}",
        s.load().await.unwrap().is_some()
    ));
    let mut device = wacore::store::Device::new();
    device.push_name = "WARAS test".into();
    device.pn = Some("5511000000001:7@s.whatsapp.net".parse().unwrap());
    device.lid = Some("100000012345678:7@lid".parse().unwrap());
    device.next_pre_key_id = 813;
    device.login_counter = 3;
    device.edge_routing_info = Some(vec![1, 2, 3]);
    rec!(t, s.save(&device));
    let loaded = s.load().await.unwrap().unwrap();
    t.push(
        serde_json::to_string(&loaded)
            .unwrap()
            .replace(&serde_json::to_string(&device).unwrap(), "<saved device>"),
    );
    t.push(format!(
        "device props preserved: {}",
        loaded.device_props == device.device_props
    ));
    device.push_name = "renamed".into();
    rec!(t, s.save(&device));
    t.push(format!(
        "push name after save: {}",
        s.load().await.unwrap().unwrap().push_name
    ));
    t
}

// ---------------------------------------------------------------------------------------------
// Sealing at rest
// ---------------------------------------------------------------------------------------------

const SECRET: &[u8] = b"PLAINTEXT-KEY-MATERIAL-0123456789";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every sealed column of every engine table, raw.
fn all_sealed_values(pool: &DbPool) -> Vec<Vec<u8>> {
    let loaded: DbResult<Vec<Vec<u8>>> = (|| {
        waras::with_conn!(pool, |conn| {
            let mut all: Vec<Vec<u8>> = Vec::new();
            all.extend(
                es::engine_device::table
                    .select(es::engine_device::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_identities::table
                    .select(es::engine_identities::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_signal_sessions::table
                    .select(es::engine_signal_sessions::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_prekeys::table
                    .select(es::engine_prekeys::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_signed_prekeys::table
                    .select(es::engine_signed_prekeys::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_sender_keys::table
                    .select(es::engine_sender_keys::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_app_state_keys::table
                    .select(es::engine_app_state_keys::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_app_state_versions::table
                    .select(es::engine_app_state_versions::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_app_state_mutation_macs::table
                    .select(es::engine_app_state_mutation_macs::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_base_keys::table
                    .select(es::engine_base_keys::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_group_metadata::table
                    .select(es::engine_group_metadata::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_tc_tokens::table
                    .select(es::engine_tc_tokens::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_sent_messages::table
                    .select(es::engine_sent_messages::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_pending_inbound::table
                    .select(es::engine_pending_inbound::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::engine_msg_secrets::table
                    .select(es::engine_msg_secrets::sealed)
                    .load::<Vec<u8>>(conn)?,
            );
            all.extend(
                es::session_keys::table
                    .select(es::session_keys::wrapped)
                    .load::<Vec<u8>>(conn)?,
            );
            Ok(all)
        })
    })();
    loaded.unwrap()
}

/// Writes `SECRET` through every secret-bearing method.
async fn write_secrets(s: &DieselStore) {
    let secret32: [u8; 32] = SECRET[..32].try_into().unwrap();
    s.put_identity("a@s.whatsapp.net", secret32).await.unwrap();
    s.put_session("a@s.whatsapp.net", SECRET).await.unwrap();
    s.store_prekey(1, SECRET, false).await.unwrap();
    s.store_signed_prekey(1, SECRET).await.unwrap();
    s.put_sender_key("g::a", SECRET).await.unwrap();
    s.set_sync_key(
        b"k",
        AppStateSyncKey {
            key_data: SECRET.to_vec(),
            fingerprint: vec![],
            timestamp: 0,
        },
    )
    .await
    .unwrap();
    let mut state = HashState::default();
    state.index_value_map.insert("i".into(), SECRET.to_vec());
    s.set_version("regular", state).await.unwrap();
    s.put_mutation_macs(
        "regular",
        1,
        &[AppStateMutationMAC {
            index_mac: vec![1],
            value_mac: SECRET.to_vec(),
        }],
    )
    .await
    .unwrap();
    s.save_base_key("a", "m", SECRET).await.unwrap();
    s.put_group_metadata("g@g.us", SECRET).await.unwrap();
    s.store_received_tc_token("a@lid", SECRET, 1).await.unwrap();
    s.store_sent_message("a@s.whatsapp.net", "m", SECRET)
        .await
        .unwrap();
    s.store_pending_inbound("c", "s", "i", SECRET)
        .await
        .unwrap();
    s.put_msg_secret("c", "s", "m", &secret32).await.unwrap();
    let mut device = wacore::store::Device::new();
    device.push_name = String::from_utf8(SECRET.to_vec()).unwrap();
    device.adv_secret_key = secret32;
    s.save(&device).await.unwrap();
}

/// Overwrites the sealed session record of `address` in `session`.
fn set_session_sealed(pool: &DbPool, session: &str, address: &str, sealed: &[u8]) {
    use es::engine_signal_sessions as t;
    let done: DbResult<usize> = (|| {
        waras::with_conn!(pool, |conn| Ok(diesel::update(
            t::table.find((session, address))
        )
        .set(t::sealed.eq(sealed))
        .execute(conn)?))
    })();
    assert_eq!(done.unwrap(), 1);
}

fn session_sealed(pool: &DbPool, session: &str, address: &str) -> Vec<u8> {
    use es::engine_signal_sessions as t;
    let got: DbResult<Vec<u8>> = (|| {
        waras::with_conn!(pool, |conn| Ok(t::table
            .find((session, address))
            .select(t::sealed)
            .first(conn)?))
    })();
    got.unwrap()
}

fn count_rows(pool: &DbPool, session: &str) -> (i64, i64, i64) {
    let got: DbResult<(i64, i64, i64)> = (|| {
        waras::with_conn!(pool, |conn| {
            let keys = es::session_keys::table
                .filter(es::session_keys::session_id.eq(session))
                .count()
                .get_result(conn)?;
            let sessions = es::engine_signal_sessions::table
                .filter(es::engine_signal_sessions::session_id.eq(session))
                .count()
                .get_result(conn)?;
            let device = es::engine_device::table
                .filter(es::engine_device::session_id.eq(session))
                .count()
                .get_result(conn)?;
            Ok((keys, sessions, device))
        })
    })();
    got.unwrap()
}

async fn raw_columns_never_hold_plaintext(kind: Kind) {
    let f = Fixture::new(kind);
    let s = f.store(SESSION).await;
    write_secrets(&s).await;
    let values = all_sealed_values(f.pool());
    assert!(
        values.len() >= 16,
        "{kind:?}: every table got a row ({})",
        values.len()
    );
    for v in &values {
        assert!(
            !contains(v, SECRET),
            "{kind:?}: plaintext found in a sealed column"
        );
        assert!(
            !contains(v, &SECRET[..16]),
            "{kind:?}: plaintext prefix found in a sealed column"
        );
    }
    // And everything reads back.
    assert_eq!(
        s.get_session("a@s.whatsapp.net").await.unwrap().unwrap(),
        Bytes::from_static(SECRET)
    );
    assert_eq!(
        s.load().await.unwrap().unwrap().push_name.as_bytes(),
        SECRET
    );
    assert_eq!(
        s.get_tc_token("a@lid").await.unwrap().unwrap().token,
        SECRET
    );
}

async fn tampered_or_moved_ciphertexts_do_not_open(kind: Kind) {
    let f = Fixture::new(kind);
    f.add_session("sess-2");
    let s1 = f.store(SESSION).await;
    let s2 = f.store("sess-2").await;
    s1.put_session("a@s.whatsapp.net", b"record-a")
        .await
        .unwrap();
    s1.put_session("b@s.whatsapp.net", b"record-b")
        .await
        .unwrap();
    s2.put_session("a@s.whatsapp.net", b"record-2a")
        .await
        .unwrap();
    let sealed_a = session_sealed(f.pool(), SESSION, "a@s.whatsapp.net");

    // One flipped bit anywhere in the ciphertext or tag.
    let mut tampered = sealed_a.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    set_session_sealed(f.pool(), SESSION, "a@s.whatsapp.net", &tampered);
    assert!(
        s1.get_session("a@s.whatsapp.net").await.is_err(),
        "{kind:?}: tampered tag opened"
    );
    let mut tampered = sealed_a.clone();
    tampered[20] ^= 0x80;
    set_session_sealed(f.pool(), SESSION, "a@s.whatsapp.net", &tampered);
    assert!(
        s1.get_session("a@s.whatsapp.net").await.is_err(),
        "{kind:?}: tampered body opened"
    );
    set_session_sealed(f.pool(), SESSION, "a@s.whatsapp.net", &sealed_a);
    assert_eq!(
        s1.get_session("a@s.whatsapp.net").await.unwrap().unwrap(),
        Bytes::from_static(b"record-a")
    );

    // Moved to another row of the same session, and to the same row of another session.
    set_session_sealed(f.pool(), SESSION, "b@s.whatsapp.net", &sealed_a);
    assert!(
        s1.get_session("b@s.whatsapp.net").await.is_err(),
        "{kind:?}: moved row opened"
    );
    set_session_sealed(f.pool(), "sess-2", "a@s.whatsapp.net", &sealed_a);
    assert!(
        s2.get_session("a@s.whatsapp.net").await.is_err(),
        "{kind:?}: cross-session row opened"
    );
    // Truncated and empty values are errors, not panics.
    set_session_sealed(f.pool(), SESSION, "b@s.whatsapp.net", &sealed_a[..10]);
    assert!(s1.get_session("b@s.whatsapp.net").await.is_err());
    set_session_sealed(f.pool(), SESSION, "b@s.whatsapp.net", &[]);
    assert!(s1.get_session("b@s.whatsapp.net").await.is_err());
}

async fn wrong_master_key_is_detected(kind: Kind) {
    let f = Fixture::new(kind);
    check_master_key(f.pool(), &MASTER).unwrap(); // first start writes the canary
    check_master_key(f.pool(), &MASTER).unwrap(); // later starts open it
    let s = f.store(SESSION).await;
    s.put_session("a@s.whatsapp.net", b"record").await.unwrap();
    let wrong = [0x22; 32];
    let err = check_master_key(f.pool(), &wrong).unwrap_err().to_string();
    assert!(err.contains("master_key"), "{kind:?}: unclear error: {err}");
    let err = DieselStore::open(f.db.clone(), SESSION, &wrong)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("master key"), "{kind:?}: unclear error: {err}");
    // The right key still works after the failed attempts.
    let again = f.store(SESSION).await;
    assert_eq!(
        again
            .get_session("a@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap(),
        Bytes::from_static(b"record")
    );
}

async fn canary_missing_but_keys_wrapped_detects_wrong_key(kind: Kind) {
    let f = Fixture::new(kind);
    f.store(SESSION).await; // wraps a data key, no canary yet
    assert!(
        check_master_key(f.pool(), &[0x33; 32]).is_err(),
        "{kind:?}: wrong key accepted"
    );
    check_master_key(f.pool(), &MASTER).unwrap();
}

async fn deleting_a_session_deletes_its_keys(kind: Kind) {
    let f = Fixture::new(kind);
    f.add_session("sess-2");
    let s1 = f.store(SESSION).await;
    let s2 = f.store("sess-2").await;
    write_secrets(&s1).await;
    s2.put_session("a@s.whatsapp.net", b"kept").await.unwrap();
    assert_eq!(count_rows(f.pool(), SESSION), (1, 1, 1));
    f.delete_session(SESSION);
    assert_eq!(
        count_rows(f.pool(), SESSION),
        (0, 0, 0),
        "{kind:?}: key material outlived its session"
    );
    let left = all_sealed_values(f.pool());
    assert_eq!(
        left.len(),
        2,
        "{kind:?}: only sess-2's data key and session remain"
    );
    assert_eq!(
        s2.get_session("a@s.whatsapp.net").await.unwrap().unwrap(),
        Bytes::from_static(b"kept")
    );
}

async fn data_keys_rotate(kind: Kind) {
    let f = Fixture::new(kind);
    let s = f.store(SESSION).await;
    s.put_session("old@s.whatsapp.net", b"old").await.unwrap();
    assert_eq!(
        session_sealed(f.pool(), SESSION, "old@s.whatsapp.net")[0],
        1
    );
    let pool = f.pool().clone();
    let sealer =
        f.db.run(move |_| Ok(rotate_data_key(&pool, SESSION, &MASTER)))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(sealer.current_key_id(), 2);
    let s = DieselStore::with_sealer(f.db.clone(), sealer);
    s.put_session("new@s.whatsapp.net", b"new").await.unwrap();
    assert_eq!(
        session_sealed(f.pool(), SESSION, "new@s.whatsapp.net")[0],
        2
    );
    // A reopened store reads both generations and seals with the newest.
    let reopened = f.store(SESSION).await;
    assert_eq!(
        reopened
            .get_session("old@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap(),
        Bytes::from_static(b"old")
    );
    assert_eq!(
        reopened
            .get_session("new@s.whatsapp.net")
            .await
            .unwrap()
            .unwrap(),
        Bytes::from_static(b"new")
    );
    // The key id byte is authenticated: relabelling a ciphertext does not open it.
    let mut relabelled = session_sealed(f.pool(), SESSION, "new@s.whatsapp.net");
    relabelled[0] = 1;
    set_session_sealed(f.pool(), SESSION, "new@s.whatsapp.net", &relabelled);
    assert!(reopened.get_session("new@s.whatsapp.net").await.is_err());
}

/// Concurrent batch writers and takers on one store: no errors, no double take.
async fn concurrent_writers(kind: Kind) {
    let f = Fixture::new(kind);
    let s = Arc::new(f.store(SESSION).await);
    let mut tasks = Vec::new();
    for w in 0..4u32 {
        let s = s.clone();
        tasks.push(actix_rt::spawn(async move {
            let keys: Vec<(u32, Bytes)> = (0..100)
                .map(|i| (w * 1000 + i, Bytes::from(vec![w as u8; 8])))
                .collect();
            s.store_prekeys_batch(&keys, false).await.unwrap();
            s.store_sent_message("c", "m", b"p").await.unwrap();
            s.take_sent_message("c", "m").await.unwrap().is_some() as u32
        }));
    }
    let mut taken = 0;
    for t in tasks {
        taken += t.await.unwrap();
    }
    assert!(taken >= 1, "{kind:?}: some take succeeded");
    assert_eq!(s.take_sent_message("c", "m").await.unwrap(), None);
    assert_eq!(s.get_max_prekey_id().await.unwrap(), 3099);
}

/// Overlapping batches written concurrently in opposite orders: rows are locked in key order, so
/// PostgreSQL never has to abort one of them as a deadlock victim.
async fn overlapping_batches_do_not_deadlock(kind: Kind) {
    let f = Fixture::new(kind);
    let s = Arc::new(f.store(SESSION).await);
    let mut tasks = Vec::new();
    for w in 0..4u8 {
        let s = s.clone();
        tasks.push(actix_rt::spawn(async move {
            for round in 0..5u8 {
                let mut batch: Vec<(Arc<str>, Bytes)> = (0..200)
                    .map(|i| {
                        (
                            arc(&format!("{i}@s.whatsapp.net")),
                            Bytes::from(vec![w, round]),
                        )
                    })
                    .collect();
                if w % 2 == 1 {
                    batch.reverse();
                }
                s.put_sessions_batch(&batch).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let last = s.get_session("199@s.whatsapp.net").await.unwrap().unwrap();
    assert_eq!(last[1], 4, "{kind:?}: a last round won");
}

/// The engine's own persistence layer runs on the store: the device it creates on first start is
/// the device it loads on the next start, and its flushed changes survive a reopen.
async fn engine_persistence_manager_restarts(kind: Kind) {
    use whatsapp_rust::store::persistence_manager::PersistenceManager;
    let f = Fixture::new(kind);
    let first = PersistenceManager::new(Arc::new(f.store(SESSION).await))
        .await
        .unwrap();
    let created = serde_json::to_string(&first.get_device_snapshot().core).unwrap();
    first
        .modify_device(|d| d.push_name = "after flush".into())
        .await;
    first.flush().await.unwrap();
    drop(first);

    let second = PersistenceManager::new(Arc::new(f.store(SESSION).await))
        .await
        .unwrap();
    let device = second.get_device_snapshot();
    assert_eq!(device.push_name, "after flush", "{kind:?}");
    let mut reloaded = device.core.clone();
    reloaded.push_name = String::new();
    assert_eq!(
        serde_json::to_string(&reloaded).unwrap(),
        created,
        "{kind:?}: same keys after restart"
    );
}

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
