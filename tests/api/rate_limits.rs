//! Rate limits per key and per tenant: within the burst every call passes with its budget in
//! `RateLimit-*` headers; past it, 429 `rate_limited` with `Retry-After`, and the budget comes
//! back with time. Two keys of one tenant share the tenant's budget; the admin key is not
//! limited. On PostgreSQL the budget lives in the database, shared by every instance.

use std::time::Duration;

use crate::common::{ADMIN_KEY, Backend, TestApp};
use crate::on_both_backends;

async fn calls_past_the_burst_wait_and_the_budget_comes_back(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limit_per_key = 2;
        s.rate_limit_per_tenant = 1;
        s.rate_limit_burst = 3;
    })
    .await;
    let (tenant, key) = app.tenant("busy").await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = app.get("/api/v1/sessions", &key).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.header("ratelimit-limit"), "3");
        remaining.push(r.header("ratelimit-remaining").to_string());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = app.get("/api/v1/sessions", &key).await;
    assert_eq!(refused.problem(429), "rate_limited");
    let wait: u64 = refused
        .header("retry-after")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=2).contains(&wait), "{wait}");

    // The tenant's budget (1/s, burst 3) is shared by its keys: a second key of the same tenant
    // finds it spent.
    let second = app
        .post(
            &format!("/api/v1/tenants/{tenant}/keys"),
            ADMIN_KEY,
            serde_json::json!({"name": "second", "scopes": ["read"]}),
        )
        .await
        .success(201)["key"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.get("/api/v1/sessions", &second).await;
    assert_eq!(other.problem(429), "rate_limited");
    // The admin is not limited.
    for _ in 0..10 {
        assert_eq!(
            app.get("/api/v1/tenants", ADMIN_KEY).await.status.as_u16(),
            200
        );
    }

    actix_rt::time::sleep(Duration::from_millis(1100)).await;
    let back = app.get("/api/v1/sessions", &key).await;
    assert_eq!(back.status.as_u16(), 200, "{}", back.text);
}

on_both_backends!(calls_past_the_burst_wait_and_the_budget_comes_back);

/// Two instances on one PostgreSQL database hold one budget: calls of the same key spread over
/// both are refused once the burst is spent, and each instance tells the same remaining count.
#[actix_rt::test]
async fn two_instances_on_postgres_share_one_budget() {
    let limits = |s: &mut waras::config::Settings| {
        s.rate_limit_per_key = 1;
        s.rate_limit_per_tenant = 0;
        s.rate_limit_burst = 4;
    };
    let first = TestApp::spawn_with(Backend::Postgres, limits).await;
    let second_db = crate::common::TestDatabase {
        url: first.db.url.clone(),
        dir: tempfile::tempdir().expect("tempdir"),
    };
    let second = TestApp::spawn_configured(second_db, limits).await;
    let (_, key) = first.tenant("shared").await;
    let mut seen = Vec::new();
    for (i, app) in [&first, &second, &first, &second].into_iter().enumerate() {
        let r = app.get("/api/v1/sessions", &key).await;
        assert_eq!(r.status.as_u16(), 200, "call {i}: {}", r.text);
        seen.push(r.header("ratelimit-remaining").to_string());
    }
    assert_eq!(
        seen,
        ["3", "2", "1", "0"],
        "one budget across both instances"
    );
    for app in [&first, &second] {
        let refused = app.get("/api/v1/sessions", &key).await;
        assert_eq!(refused.problem(429), "rate_limited", "{}", refused.text);
    }
    crate::common::finish_passed_test();
}
