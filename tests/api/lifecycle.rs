use actix_web::http::{Method, StatusCode};
use serde_json::{Value, json};
use waras::actors::{Kill, RunningSessions};

use crate::common::{ADMIN_KEY, Backend, Reply, TestApp, eventually};
use crate::on_both_backends;

async fn status_of(app: &TestApp, key: &str, sid: &str) -> String {
    let s = app.get(&format!("/api/v1/sessions/{sid}"), key).await.body;
    s["status"].as_str().unwrap_or_default().to_string()
}

/// POSTs a lifecycle command (`stop`, `start`, `restart`) to the session; the reply.
async fn command(app: &TestApp, key: &str, sid: &str, what: &str) -> Reply {
    let path = format!("/api/v1/sessions/{sid}/{what}");
    app.post(&path, key, json!({})).await
}

async fn start_stop_restart_follow_desired_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let s = app.session(&key, "main", true).await;
    let sid = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["status"], json!("STARTING"));
    assert_eq!(s["desired_state"], json!("running"));
    assert_eq!(s["me"], json!(null));
    assert_eq!(app.running_sessions().await, 1);

    let stopped = command(&app, &key, &sid, "stop").await.success(200);
    assert_eq!(stopped["status"], json!("STOPPED"));
    assert_eq!(stopped["desired_state"], json!("stopped"));
    assert_eq!(app.running_sessions().await, 0);

    let started = command(&app, &key, &sid, "start").await;
    assert_eq!(started.body["status"], json!("STARTING"));
    let restarted = command(&app, &key, &sid, "restart").await.success(200);
    assert_eq!(restarted["status"], json!("STARTING"));

    // Every transition is in the event log, in order.
    let path = format!("/api/v1/events?session_id={sid}&types=session.status");
    let events = app.get(&path, &key).await.data();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let seen: Vec<(String, String)> = (events.iter())
        .map(|e| (text(&e["data"]["previous"]), text(&e["data"]["status"])))
        .collect();
    let expect = [
        ("STOPPED", "STARTING"),
        ("STARTING", "STOPPED"),
        ("STOPPED", "STARTING"),
        ("STARTING", "STOPPED"),
        ("STOPPED", "STARTING"),
    ];
    let expect: Vec<(String, String)> = (expect.iter())
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(seen, expect);
    let ids: Vec<i64> = (events.iter())
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // PATCH renames and keeps config as an object.
    let renamed = json!({"name": "renamed", "config": {"a": 1}});
    let patched = app
        .patch(&format!("/api/v1/sessions/{sid}"), &key, renamed)
        .await;
    assert_eq!(patched.body["name"], json!("renamed"));
    assert_eq!(patched.body["config"], json!({"a": 1}));
}

async fn restart_restores_desired_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let run = app.session_id(&key, "run", true).await;
    let idle = app.session_id(&key, "idle", false).await;
    let halted = app.session_id(&key, "halted", true).await;
    command(&app, &key, &halted, "stop").await;

    let app = app.restart().await;
    assert_eq!(app.running_sessions().await, 1);
    assert!(app.actor_of(&run).await.is_some());
    assert_eq!(status_of(&app, &key, &run).await, "STARTING");
    assert_eq!(status_of(&app, &key, &idle).await, "STOPPED");
    assert_eq!(status_of(&app, &key, &halted).await, "STOPPED");
    let sessions = app.get("/api/v1/sessions", &key).await.data();
    let desired: Vec<(&str, &str)> = (sessions.iter())
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["desired_state"].as_str().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("run", "running"),
        ("idle", "stopped"),
        ("halted", "stopped"),
    ];
    assert_eq!(desired, expected);
}

async fn failed_actor_is_restarted_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let a = app.session_id(&key, "a", true).await;
    let b = app.session_id(&key, "b", true).await;
    let a_before = app.actor_of(&a).await.expect("a runs");
    let b_before = app.actor_of(&b).await.expect("b runs");

    a_before.do_send(Kill);
    let a_after = eventually(10, "a restarted", || async {
        app.actor_of(&a).await.filter(|addr| *addr != a_before)
    })
    .await;
    assert!(a_after.connected());
    let b_after = app.actor_of(&b).await.expect("b still runs");
    assert!(b_after == b_before, "b's actor must not be disturbed");
    let metrics = app.raw(Method::GET, "/metrics", None, None).await.text;
    let restarts = metrics.contains("waras_session_restarts_total 1");
    assert!(restarts, "{metrics}");

    // A killed actor whose session was stopped meanwhile is not brought back.
    app.actor_of(&a).await.expect("a runs again").do_send(Kill);
    command(&app, &key, &a, "stop").await;
    actix_rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert!(app.actor_of(&a).await.is_none());
}

async fn deleting_removes_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "doomed", true).await;
    let scoped = json!({"name": "s", "scopes": ["read"], "session_id": sid});
    let scoped = app.key(&key, scoped).await;
    let scoped_key = scoped.body["key"].as_str().unwrap().to_string();
    let keep = app.session_id(&key, "kept", true).await;

    assert_eq!(
        app.delete(&format!("/api/v1/sessions/{sid}"), &key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    app.get(&format!("/api/v1/sessions/{sid}"), &key)
        .await
        .problem(404);
    app.get("/api/v1/sessions", &scoped_key).await.problem(401);
    let events = app
        .get(&format!("/api/v1/events?session_id={sid}"), &key)
        .await;
    assert_eq!(events.body["data"], json!([]));
    assert!(app.actor_of(&sid).await.is_none());
    assert_eq!(status_of(&app, &key, &keep).await, "STARTING");

    // Deleting the tenant stops its sessions and removes all its rows.
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{tenant}"), ADMIN_KEY)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.running_sessions().await, 0);
    app.get("/api/v1/sessions", &key).await.problem(401);
    app.get(&format!("/api/v1/tenants/{tenant}"), ADMIN_KEY)
        .await
        .problem(404);
    let t = tenant.clone();
    let left = app
        .running()
        .db
        .run(move |pool| {
            Ok((
                waras::db::sessions::ids_of_tenant(pool, &t)?.len(),
                waras::db::keys::list(pool, &t, None, 100)?.len(),
                waras::db::events::list(pool, &t, &Default::default(), 100)?.len(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(left, (0, 0, 0));
}

async fn lists_page_with_cursors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    for i in 0..5 {
        app.session(&key, &format!("s{i}"), false).await;
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/sessions?limit=2&cursor={c}"),
            None => "/api/v1/sessions?limit=2".to_string(),
        };
        let page = app.get(&path, &key).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let data = page.body["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        names.extend(data.iter().map(|s| s["name"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(names, vec!["s0", "s1", "s2", "s3", "s4"]);
}

/// A second process on the same SQLite file is refused with a clear message; on PostgreSQL it
/// joins the cluster, and the session runs on exactly one of the two.
async fn second_instance_joins_or_is_refused(backend: Backend) {
    let first = TestApp::spawn(backend).await;
    let (_t, key) = first.tenant("acme").await;
    app_session_running(&first, &key).await;
    let second_settings = crate::common::settings_for(&first.db);
    let second = waras::app::Application::build(second_settings).await;
    let second = match backend {
        Backend::Sqlite => {
            let err = second.err().expect("a second SQLite instance is refused");
            assert!(
                format!("{err:#}").contains("SQLite runs one instance"),
                "{err:#}"
            );
            return;
        }
        Backend::Postgres => second.expect("a second PostgreSQL instance joins").spawn(),
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let a = first.running_sessions().await;
        let b = second.supervisor.send(RunningSessions).await.unwrap();
        // Never on both at once; once settled, on exactly one.
        assert!(a + b <= 1, "the session runs on both instances");
        if a + b == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "the session runs nowhere"
        );
        actix_rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let cluster = first.get("/api/v1/cluster", crate::common::ADMIN_KEY).await;
    let ids: Vec<&str> = cluster.body["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .filter(|i| i["status"] == "active")
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert!(
        ids.contains(&second.instance_id().unwrap()),
        "{}",
        cluster.text
    );
    assert!(
        ids.contains(&first.running().instance_id().unwrap()),
        "{}",
        cluster.text
    );
    second.shutdown().await;
}

async fn app_session_running(app: &TestApp, key: &str) {
    app.session(key, "main", true).await;
    assert_eq!(app.running_sessions().await, 1);
}

on_both_backends!(
    start_stop_restart_follow_desired_state,
    restart_restores_desired_state,
    failed_actor_is_restarted_alone,
    deleting_removes_everything,
    lists_page_with_cursors,
    second_instance_joins_or_is_refused,
    wrong_master_key_is_a_startup_error,
);

/// Key material at rest is sealed under the master key: starting with another key is a clear
/// error, not unreadable sessions later.
async fn wrong_master_key_is_a_startup_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.into_db().await;
    let mut settings = crate::common::settings_for(&db);
    settings.master_key = "99".repeat(32).into();
    let err = match waras::app::Application::build(settings).await {
        Ok(_) => panic!("a wrong master key must not start"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("master_key"), "{err}");
    assert!(!err.contains("unavailable"), "{err}");
    // The right key still works.
    let again = TestApp::spawn_on(db).await;
    assert_eq!(
        again.raw(Method::GET, "/readyz", None, None).await.status,
        StatusCode::OK
    );
}
