//! Taking many leases at once (an instance's startup round): each session gets its own answer,
//! only free leases are taken, and never from a live owner.

use waras::db::DbPool;
use waras::db::cluster::{self, Acquired};

use crate::common::{Backend, TestApp};

/// What each asked session got: its id and the epoch taken, `None` when it was not free.
fn epochs(taken: Vec<Acquired>) -> Vec<(String, Option<i64>)> {
    taken
        .into_iter()
        .map(|a| (a.session_id, a.epoch.expect("the lease statement ran")))
        .collect()
}

#[actix_rt::test]
async fn a_batch_takes_only_the_free_leases_and_answers_each_session() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, key) = app.tenant("leases").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.session_id(&key, &format!("s{i}"), false).await);
    }
    let pool: DbPool = app.running().db.pool().clone();
    for (me, ttl) in [("a", 60_000), ("b", 60_000), ("gone", -1)] {
        cluster::register(&pool, me, "http://127.0.0.1:1", 100, ttl).unwrap();
    }
    for sid in &ids[..2] {
        assert_eq!(cluster::acquire(&pool, sid, "a").unwrap(), Some(1));
    }

    // b asks for all five and one that does not exist: it gets the three free ones, in order.
    let mut asked = ids.clone();
    asked.push("no-such-session".into());
    let got = epochs(cluster::acquire_each(&pool, &asked, "b"));
    let expected: Vec<(String, Option<i64>)> = asked
        .iter()
        .enumerate()
        .map(|(i, sid)| (sid.clone(), (2..5).contains(&i).then_some(1)))
        .collect();
    assert_eq!(got, expected);

    // An instance whose own row ran out takes nothing, free or not.
    let gone = epochs(cluster::acquire_each(&pool, &ids, "gone"));
    assert!(gone.iter().all(|(_, e)| e.is_none()), "{gone:?}");

    // Once a stops, b takes a's two with the next epoch; its own stay as they are.
    cluster::set_status(&pool, "a", "stopped").unwrap();
    let again = epochs(cluster::acquire_each(&pool, &ids, "b"));
    let expected: Vec<(String, Option<i64>)> = ids
        .iter()
        .enumerate()
        .map(|(i, sid)| (sid.clone(), (i < 2).then_some(2)))
        .collect();
    assert_eq!(again, expected);
    let owners = cluster::owners(&pool, &ids).unwrap();
    assert_eq!(owners.len(), 5, "{owners:?}");
    assert!(owners.iter().all(|(_, o)| o == "b"), "{owners:?}");
}
