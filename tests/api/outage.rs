//! A database outage while WARAS runs: PostgreSQL stopped, or reachable but silent (a black
//! hole). Readiness and API calls answer 503 quickly instead of hanging, and everything works
//! again once the database is back, without restarting WARAS.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use futures_util::future::join_all;

use crate::common::{ADMIN_KEY, TestApp, eventually, finish_passed_test};
use crate::own_postgres::{OwnPostgres, Relay};

struct Timed {
    status: StatusCode,
    content_type: String,
    retry_after: Option<String>,
    code: String,
    took: Duration,
}

async fn timed_get(app: &TestApp, path: &str, key: Option<&str>) -> Timed {
    let started = Instant::now();
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(key) = key {
        req = req.insert_header(("X-Api-Key", key));
    }
    let mut res = req.send().await.expect("request sent");
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Timed {
        status: res.status(),
        content_type: header("content-type").unwrap_or_default(),
        retry_after: header("retry-after"),
        code: body["code"].as_str().unwrap_or_default().to_string(),
        took: started.elapsed(),
    }
}

/// Asserts a quick `database_unavailable` 503 problem with Retry-After.
fn assert_quick_503(r: &Timed, within: Duration, what: &str) {
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert_eq!(r.content_type, "application/problem+json", "{what}");
    assert_eq!(r.code, "database_unavailable", "{what}");
    assert!(r.retry_after.is_some(), "{what}: no Retry-After");
    assert!(r.took < within, "{what} took {:?}", r.took);
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// `n` concurrent API calls, all quick 503s; the slowest one's time.
async fn concurrent_503s(app: &TestApp, key: &str, n: usize, what: &str) -> Duration {
    let calls = (0..n).map(|_| timed_get(app, "/api/v1/sessions", Some(key)));
    let replies = join_all(calls).await;
    for (i, r) in replies.iter().enumerate() {
        assert_quick_503(r, Duration::from_secs(2), &format!("{what}: call {i}"));
    }
    replies.iter().map(|r| r.took).max().unwrap_or_default()
}

/// `/readyz` within 1 s and concurrent API calls within 2 s, all 503; once the outage is known,
/// more calls add no threads (nothing waits on the database).
async fn check_outage_answers(app: &TestApp, key: &str, what: &str) {
    // Asked together, right as the outage starts, before WARAS can know of it.
    let (ready, first) = tokio::join!(
        timed_get(app, "/readyz", None),
        concurrent_503s(app, key, 20, what)
    );
    assert_quick_503(&ready, Duration::from_secs(1), &format!("{what}: /readyz"));
    let before = threads();
    let later = concurrent_503s(app, key, 200, what).await;
    let added = threads().saturating_sub(before);
    assert!(added <= 2, "{what}: 200 calls added {added} threads");
    eprintln!(
        "{what}: /readyz {:?}, slowest of 20 first calls {first:?}, of 200 later ones {later:?}",
        ready.took
    );
    // Still quick once the outage is known, and for the admin's own calls too.
    let ready = timed_get(app, "/readyz", None).await;
    assert_quick_503(
        &ready,
        Duration::from_secs(1),
        &format!("{what}: /readyz again"),
    );
    let admin = timed_get(app, "/api/v1/tenants", Some(ADMIN_KEY)).await;
    assert_quick_503(
        &admin,
        Duration::from_secs(2),
        &format!("{what}: admin call"),
    );
}

async fn check_recovered(app: &TestApp, key: &str, what: &str) {
    eventually(15, &format!("/readyz after {what}"), || async {
        (timed_get(app, "/readyz", None).await.status == StatusCode::OK).then_some(())
    })
    .await;
    let r = timed_get(app, "/api/v1/sessions", Some(key)).await;
    assert_eq!(r.status, StatusCode::OK, "API after {what}");
}

#[actix_rt::test]
async fn stopped_or_silent_postgres_gets_quick_503s_and_recovers() {
    let Some(mut pg) = OwnPostgres::start() else {
        return;
    };
    let relay = Relay::start(pg.port).await;
    let app = TestApp::spawn_on(pg.database_via(relay.port)).await;
    let (_, key) = app.tenant("acme").await;
    app.session(&key, "s1", false).await;
    check_recovered(&app, &key, "start").await;

    pg.down();
    check_outage_answers(&app, &key, "PostgreSQL stopped").await;
    pg.up();
    check_recovered(&app, &key, "a restart of PostgreSQL").await;
    // The restart dropped the instance lock with its connection: WARAS takes it back.
    eventually(10, "the instance lock taken again", || async {
        pg.instance_lock_held().then_some(())
    })
    .await;

    relay.blackhole(true);
    check_outage_answers(&app, &key, "PostgreSQL silent").await;
    relay.blackhole(false);
    check_recovered(&app, &key, "the network came back").await;
    let r = timed_get(&app, "/api/v1/sessions", Some(&key)).await;
    assert!(r.took < Duration::from_secs(2), "{:?}", r.took);

    pg.down();
    finish_passed_test();
}

/// Pooled PostgreSQL connections carry the statement time limit (`db_statement_timeout_secs`).
#[actix_rt::test]
async fn pooled_postgres_statements_are_time_limited() {
    use diesel::RunQueryDsl;
    use waras::db::{DatabaseTarget, DbPool};

    let db = crate::common::TestDatabase::create(crate::common::Backend::Postgres);
    let target = DatabaseTarget::parse(&db.url).expect("url");
    let pool = DbPool::connect_with(&target, 2, Duration::from_millis(300)).expect("pool");
    let DbPool::Postgres(pool) = pool else {
        panic!("not a PostgreSQL pool")
    };
    let mut conn = pool.get().expect("connection");
    let started = Instant::now();
    let slow = diesel::sql_query("SELECT pg_sleep(5)").execute(&mut conn);
    let err = slow.expect_err("a 5 s statement outlives a 300 ms limit");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    finish_passed_test();
}
