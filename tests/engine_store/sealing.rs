//! Sealing at rest: raw columns never hold plaintext; tampered or moved ciphertexts do not open; a
//! wrong master key is caught by the canary; deleting a session deletes its keys and key material;
//! concurrent and overlapping writers; the engine's persistence manager across restarts.

use super::*;

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

pub(crate) async fn raw_columns_never_hold_plaintext(kind: Kind) {
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
        session_of(&s, "a@s.whatsapp.net").await,
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

pub(crate) async fn tampered_or_moved_ciphertexts_do_not_open(kind: Kind) {
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
        session_of(&s1, "a@s.whatsapp.net").await,
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

pub(crate) async fn wrong_master_key_is_detected(kind: Kind) {
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
        session_of(&again, "a@s.whatsapp.net").await,
        Bytes::from_static(b"record")
    );
}

pub(crate) async fn canary_missing_but_keys_wrapped_detects_wrong_key(kind: Kind) {
    let f = Fixture::new(kind);
    f.store(SESSION).await; // wraps a data key, no canary yet
    assert!(
        check_master_key(f.pool(), &[0x33; 32]).is_err(),
        "{kind:?}: wrong key accepted"
    );
    check_master_key(f.pool(), &MASTER).unwrap();
}

pub(crate) async fn deleting_a_session_deletes_its_keys(kind: Kind) {
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
        session_of(&s2, "a@s.whatsapp.net").await,
        Bytes::from_static(b"kept")
    );
}

pub(crate) async fn data_keys_rotate(kind: Kind) {
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
        session_of(&reopened, "old@s.whatsapp.net").await,
        Bytes::from_static(b"old")
    );
    assert_eq!(
        session_of(&reopened, "new@s.whatsapp.net").await,
        Bytes::from_static(b"new")
    );
    // The key id byte is authenticated: relabelling a ciphertext does not open it.
    let mut relabelled = session_sealed(f.pool(), SESSION, "new@s.whatsapp.net");
    relabelled[0] = 1;
    set_session_sealed(f.pool(), SESSION, "new@s.whatsapp.net", &relabelled);
    assert!(reopened.get_session("new@s.whatsapp.net").await.is_err());
}

/// The Signal session record the store holds for `address`.
async fn session_of(s: &DieselStore, address: &str) -> Bytes {
    let got = s.get_session(address).await.expect("read the session");
    got.unwrap_or_else(|| panic!("no session for {address}"))
}

/// Concurrent batch writers and takers on one store: no errors, no double take.
pub(crate) async fn concurrent_writers(kind: Kind) {
    let f = Fixture::new(kind);
    let s = Arc::new(f.store(SESSION).await);
    // Each writer stores its own prekeys, then races the others to take one sent message.
    let writer = |w: u32, s: Arc<DieselStore>| async move {
        let keys: Vec<(u32, Bytes)> = (0..100)
            .map(|i| (w * 1000 + i, Bytes::from(vec![w as u8; 8])))
            .collect();
        s.store_prekeys_batch(&keys, false).await.unwrap();
        s.store_sent_message("c", "m", b"p").await.unwrap();
        s.take_sent_message("c", "m").await.unwrap().is_some() as u32
    };
    let tasks: Vec<_> = (0..4u32)
        .map(|w| actix_rt::spawn(writer(w, s.clone())))
        .collect();
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
pub(crate) async fn overlapping_batches_do_not_deadlock(kind: Kind) {
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
    let last = session_of(&s, "199@s.whatsapp.net").await;
    assert_eq!(last[1], 4, "{kind:?}: a last round won");
}

/// The engine's own persistence layer runs on the store: the device it creates on first start is
/// the device it loads on the next start, and its flushed changes survive a reopen.
pub(crate) async fn engine_persistence_manager_restarts(kind: Kind) {
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
