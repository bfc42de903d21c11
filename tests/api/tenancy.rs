//! Running WARAS for customers: quotas (the admin's per tenant, else the configured default)
//! refuse with 429 `quota_exceeded` naming the quota and store nothing; usage per day from the
//! roll-ups, as JSON and CSV; suspension turns the tenant's keys away with 403
//! `tenant_suspended` and stops its sessions, and resuming starts them again.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::common::{ADMIN_KEY, Backend, TestApp, eventually};
use crate::on_both_backends;
use crate::receiver::Receiver;
use crate::scenario::Scenario;

const ME: &str = "4915100000150";
const TO: &str = "+4915100000151";
const ALICE: &str = "4915100000152";

fn quota_of(reply: &crate::common::Reply) -> Value {
    reply.body["quota"].clone()
}

async fn quotas_refuse_what_is_over_and_usage_counts_what_was_done(backend: Backend) {
    let sc = Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], |s| {
        s.webhook_allow_private = true;
        s.quota_sessions = 5;
    })
    .await;
    let (app, key) = (&sc.app, sc.key.clone());
    let tenant = app.get("/api/v1/tenant", &key).await.success(200)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, other) = app.tenant("other").await;

    // The default applies until the admin sets the tenant's own.
    let own = app.get("/api/v1/tenant", &other).await.success(200);
    assert_eq!(own["quotas"], json!({"sessions": 5}), "{own}");
    assert_eq!(own["suspended"], json!(false));
    let quotas = json!({"sessions": 1, "messages_per_day": 2, "media_bytes": 10, "webhooks": 1});
    let set = app
        .patch(
            &format!("/api/v1/tenants/{tenant}"),
            ADMIN_KEY,
            json!({"quotas": quotas}),
        )
        .await
        .success(200);
    assert_eq!(set["quotas"], quotas, "{set}");
    let refused = app
        .patch(
            &format!("/api/v1/tenants/{tenant}"),
            &key,
            json!({"quotas": {}}),
        )
        .await;
    assert_eq!(refused.problem(403), "forbidden");

    let over = app
        .post(
            "/api/v1/sessions",
            &key,
            json!({"name": "second", "start": false}),
        )
        .await;
    assert_eq!(over.problem(429), "quota_exceeded");
    assert_eq!(quota_of(&over), json!("sessions"));
    assert_eq!(app.get("/api/v1/sessions", &key).await.data().len(), 1);

    let path = sc.path("/messages");
    for text in ["one", "two"] {
        app.post(&path, &key, json!({"to": TO, "type": "text", "text": text}))
            .await
            .success(202);
    }
    let over = app
        .post(
            &path,
            &key,
            json!({"to": TO, "type": "text", "text": "three"}),
        )
        .await;
    assert_eq!(over.problem(429), "quota_exceeded");
    assert_eq!(quota_of(&over), json!("messages_per_day"));
    assert_eq!(app.get(&path, &key).await.data().len(), 2, "nothing stored");

    // Room for more messages, not for 23 bytes of media.
    app.patch(
        &format!("/api/v1/tenants/{tenant}"),
        ADMIN_KEY,
        json!({"quotas": {"sessions": 1, "media_bytes": 10, "webhooks": 1}}),
    )
    .await
    .success(200);
    let doc = base64::engine::general_purpose::STANDARD.encode(b"twenty-three bytes long");
    let over = app
        .post(
            &path,
            &key,
            json!({"to": TO, "type": "document",
                   "document": {"data": doc, "mimetype": "text/plain", "filename": "a.txt"}}),
        )
        .await;
    assert_eq!(quota_of(&over), json!("media_bytes"), "{}", over.text);
    assert_eq!(over.problem(429), "quota_exceeded");

    let receiver = Receiver::start().await;
    let hook = receiver.subscribe(&["message.received"]);
    app.post("/api/v1/webhooks", &key, hook.clone())
        .await
        .success(201);
    let over = app.post("/api/v1/webhooks", &key, hook).await;
    assert_eq!(quota_of(&over), json!("webhooks"));

    // A message from Alice: counted in, and its webhook delivery counted.
    sc.receive_text(ALICE, "hello").await;
    receiver.received(1, 20).await;
    let counted = eventually(
        10,
        "the message in and its delivery in the usage",
        || async {
            let day = app.get("/api/v1/usage", &key).await.data();
            let d = day.first().cloned()?;
            (d["messages_in"] == json!(1) && d["webhook_deliveries"] == json!(1)).then_some(d)
        },
    )
    .await;
    assert_eq!(
        counted["messages_in_by_type"],
        json!({"text": 1}),
        "{counted}"
    );

    // The tenant and the admin see the same standing; usage per day has the two sends.
    let mine = app.get("/api/v1/tenant", &key).await.success(200);
    let admins = app
        .get(&format!("/api/v1/tenants/{tenant}"), ADMIN_KEY)
        .await
        .success(200);
    assert_eq!(mine, admins);
    assert_eq!(
        mine["usage"],
        json!({"sessions": 1, "messages_today": 2, "media_bytes": 0, "webhooks": 1}),
        "{mine}"
    );
    let usage = app.get("/api/v1/usage", &key).await.data();
    assert_eq!(usage.len(), 1, "{usage:?}");
    assert_eq!(usage[0]["messages_out"], json!(2));
    assert_eq!(usage[0]["messages_out_by_type"], json!({"text": 2}));
    let theirs = app.get("/api/v1/usage", &other).await.data();
    assert!(theirs.is_empty(), "{theirs:?}");
    let as_admin = app
        .get(&format!("/api/v1/usage?tenant_id={tenant}"), ADMIN_KEY)
        .await
        .data();
    assert_eq!(as_admin[0]["messages_out_by_type"], json!({"text": 2}));
    assert_eq!(
        app.get("/api/v1/usage", ADMIN_KEY).await.problem(400),
        "invalid_request"
    );
    let bad = app.get("/api/v1/usage?from=yesterday", &key).await;
    assert_eq!(bad.problem(400), "invalid_request");
    let csv = app
        .client
        .get(format!("{}/api/v1/usage", app.base))
        .insert_header(("Authorization", format!("Bearer {key}")))
        .insert_header(("Accept", "text/csv"))
        .send()
        .await
        .expect("csv")
        .body()
        .await
        .expect("csv body");
    let csv = String::from_utf8_lossy(&csv).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "day,messages_in,messages_out,media_bytes,session_hours,webhook_deliveries"
    );
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!((cells[1], cells[2], cells[5]), ("1", "2", "1"), "{csv}");
    // The linked session's time WORKING counts (seconds, shown as hours).
    assert!(cells[4].parse::<f64>().is_ok(), "{csv}");

    // A received file past the media quota is served, but not kept.
    let pdf = b"%PDF-1.4 a file received past the media quota %%EOF".to_vec();
    let part = json!({"data": base64::engine::general_purpose::STANDARD.encode(&pdf),
                      "mimetype": "application/pdf", "filename": "r.pdf"});
    let e = sc.receive(ALICE, json!({"to": ME, "document": part})).await;
    let media = format!("/messages/{}/media", e["data"]["id"].as_str().unwrap());
    for _ in 0..2 {
        let got = sc.get(&media).await;
        assert_eq!(
            (got.status.as_u16(), &got.bytes),
            (200, &pdf),
            "{}",
            got.text
        );
    }
    let after = app.get("/api/v1/tenant", &key).await.success(200);
    assert_eq!(after["usage"]["media_bytes"], json!(0), "{after}");
}

async fn a_suspended_tenant_is_turned_away_and_resumed_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("late payer").await;
    let running = app.session_id(&key, "running", true).await;
    let stopped = app.session_id(&key, "stopped", false).await;
    eventually(10, "the session's actor", || async {
        app.actor_of(&running).await.map(|_| ())
    })
    .await;

    let standing = app
        .post(
            &format!("/api/v1/tenants/{tenant}/suspend"),
            ADMIN_KEY,
            json!({}),
        )
        .await
        .success(200);
    assert_eq!(standing["suspended"], json!(true), "{standing}");
    assert!(standing["suspended_at"].is_string());
    let refused = app.get("/api/v1/sessions", &key).await;
    assert_eq!(refused.problem(403), "tenant_suspended");
    eventually(10, "the session stopped", || async {
        app.actor_of(&running).await.is_none().then_some(())
    })
    .await;
    // Nothing is deleted: the admin still sees the tenant with its two sessions.
    let seen = app
        .get(&format!("/api/v1/tenants/{tenant}"), ADMIN_KEY)
        .await
        .success(200);
    assert_eq!(seen["usage"]["sessions"], json!(2), "{seen}");

    let standing = app
        .post(
            &format!("/api/v1/tenants/{tenant}/resume"),
            ADMIN_KEY,
            json!({}),
        )
        .await
        .success(200);
    assert_eq!(standing["suspended"], json!(false));
    let get = |sid: String| {
        let (app, key) = (&app, key.clone());
        async move {
            app.get(&format!("/api/v1/sessions/{sid}"), &key)
                .await
                .success(200)
        }
    };
    assert_eq!(
        get(running.clone()).await["desired_state"],
        json!("running")
    );
    assert_eq!(
        get(stopped.clone()).await["desired_state"],
        json!("stopped")
    );
    eventually(10, "the session running again", || async {
        app.actor_of(&running).await.map(|_| ())
    })
    .await;
    let missing = app
        .post(
            "/api/v1/tenants/tnt_00000000000000000000000000000000/suspend",
            ADMIN_KEY,
            json!({}),
        )
        .await;
    assert_eq!(missing.problem(404), "not_found");
    let by_tenant = app
        .post(
            &format!("/api/v1/tenants/{tenant}/suspend"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(by_tenant.problem(403), "forbidden");
}

on_both_backends!(
    quotas_refuse_what_is_over_and_usage_counts_what_was_done,
    a_suspended_tenant_is_turned_away_and_resumed_whole,
);
