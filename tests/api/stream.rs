//! The WebSocket event stream: resume without gaps or duplicates, tickets, filters, slow consumers,
//! and event ids that increase in commit order under concurrent writers.

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::StatusCode;
use awc::ws::Frame;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use crate::common::{Backend, Socket, TestApp};
use crate::on_both_backends;

/// Next event envelope, skipping pings; `None` on close or after `secs` of silence.
async fn next_event(socket: &mut Socket, secs: u64) -> Option<Value> {
    loop {
        let frame = actix_rt::time::timeout(Duration::from_secs(secs), socket.next())
            .await
            .ok()??
            .ok()?;
        match frame {
            Frame::Text(bytes) => return Some(serde_json::from_slice(&bytes).unwrap()),
            Frame::Close(_) => return None,
            _ => {}
        }
    }
}

async fn read_n(socket: &mut Socket, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    while ids.len() < n {
        let e = next_event(socket, 10)
            .await
            .unwrap_or_else(|| panic!("stream ended after {ids:?}"));
        ids.push(e["id"].as_str().unwrap().parse().unwrap());
    }
    ids
}

async fn all_ids(app: &TestApp, key: &str) -> Vec<i64> {
    let ids = app.event_ids(key).await;
    ids.iter().map(|id| id.parse().unwrap()).collect()
}

async fn resume_has_no_gaps_and_no_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    for i in 0..5 {
        app.session(&key, &format!("a{i}"), true).await;
    }
    let first = all_ids(&app, &key).await;
    let mut socket = app
        .event_stream(&format!("?after={}", first[1]), Some(&key))
        .await
        .unwrap();
    // Writers run while the stream replays and goes live.
    let writer = {
        let (base, key) = (app.base.clone(), key.clone());
        actix_rt::spawn(async move {
            let client = awc::Client::default();
            for i in 0..10 {
                let r = client
                    .post(format!("{base}/api/v1/sessions"))
                    .insert_header(("X-Api-Key", key.as_str()))
                    .send_json(&json!({"name": format!("b{i}")}))
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        })
    };
    let got = read_n(&mut socket, 13).await;
    writer.await.unwrap();
    let all = all_ids(&app, &key).await;
    assert_eq!(
        got,
        all[2..].to_vec(),
        "replay then live, in order, nothing missing or repeated"
    );
    assert!(
        next_event(&mut socket, 1).await.is_none(),
        "no extra events"
    );
    socket.send(awc::ws::Message::Close(None)).await.unwrap();

    // Disconnected while events happen; resuming from the last id seen picks up exactly those.
    let last = *got.last().unwrap();
    for i in 0..3 {
        app.session(&key, &format!("c{i}"), true).await;
    }
    let mut socket = app
        .event_stream(&format!("?after={last}"), Some(&key))
        .await
        .unwrap();
    let resumed = read_n(&mut socket, 3).await;
    let all = all_ids(&app, &key).await;
    assert_eq!(resumed, all[all.len() - 3..].to_vec());
    app.session(&key, "live", true).await;
    let live = read_n(&mut socket, 1).await;
    assert_eq!(live[0], *all_ids(&app, &key).await.last().unwrap());
}

async fn tickets_filters_and_auth(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_t, key) = app.tenant("acme").await;
    let (_t2, other) = app.tenant("other").await;
    let a = app.session_id(&key, "a", false).await;
    let b = app.session_id(&key, "b", false).await;
    app.session(&other, "foreign", true).await;

    assert_eq!(app.stream_refused("", None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.stream_refused("?key=x", Some(&key)).await,
        StatusCode::BAD_REQUEST
    );
    let t = app.post("/api/v1/events/ws-ticket", &key, json!({})).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    let ticket = t.body["ticket"].as_str().unwrap().to_string();
    let mut socket = app
        .event_stream(
            &format!("?ticket={ticket}&session_id={b}&types=session.status"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        app.stream_refused(&format!("?ticket={ticket}"), None).await,
        StatusCode::UNAUTHORIZED,
        "single use"
    );

    app.post(&format!("/api/v1/sessions/{a}/start"), &key, json!({}))
        .await;
    app.post(&format!("/api/v1/sessions/{b}/start"), &key, json!({}))
        .await;
    let e = next_event(&mut socket, 10).await.unwrap();
    assert_eq!(e["session_id"], json!(b));
    assert_eq!(e["type"], json!("session.status"));
    assert!(
        next_event(&mut socket, 1).await.is_none(),
        "only session b, only this tenant"
    );

    // A session-scoped key is confined to its session.
    let scoped = app
        .new_key(
            &key,
            json!({"name": "s", "scopes": ["read"], "session_id": a}),
        )
        .await;
    assert_eq!(
        app.stream_refused(&format!("?session_id={b}"), Some(&scoped))
            .await,
        StatusCode::FORBIDDEN
    );
    let mut socket = app.event_stream("?after=0", Some(&scoped)).await.unwrap();
    let e = next_event(&mut socket, 10).await.unwrap();
    assert_eq!(e["session_id"], json!(a));
}

async fn slow_consumer_is_cut_off(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.ws_send_timeout_secs = 1;
        s.ws_queue_capacity = 16;
    })
    .await;
    let (tenant, key) = app.tenant("acme").await;
    // ~40 MB of events, more than the socket buffers hold.
    let pad = "x".repeat(10_000);
    app.running()
        .db
        .run(move |pool| {
            waras::with_conn!(pool, |conn| {
                use waras::db::DbConn;
                use waras::db::events::{EventLog, NewEvent};
                conn.write_txn(|conn| {
                    for _ in 0..4000 {
                        conn.append_event(&NewEvent {
                            tenant_id: &tenant,
                            session_id: None,
                            event_type: waras::domain::EventType::GroupUpdated,
                            data: json!({ "pad": pad }),
                            created_at: waras::db::now_ms(),
                        })?;
                    }
                    Ok(())
                })
            })
        })
        .await
        .unwrap();
    let mut socket = app.event_stream("?after=0", Some(&key)).await.unwrap();
    actix_rt::time::sleep(Duration::from_secs(4)).await;
    let mut texts = 0;
    let reason = loop {
        match actix_rt::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Frame::Text(_)))) => texts += 1,
            Ok(Some(Ok(Frame::Close(reason)))) => break reason,
            Ok(Some(Ok(_))) => {}
            other => panic!("expected a close frame after {texts} events, got {other:?}"),
        }
    };
    let reason = reason.expect("close carries a reason");
    assert_eq!(u16::from(reason.code), 1008);
    assert!(
        reason
            .description
            .unwrap_or_default()
            .contains("slow consumer")
    );
    assert!(texts < 4000, "cut off before the end ({texts})");
    let health = app
        .raw(actix_web::http::Method::GET, "/readyz", None, None)
        .await;
    assert_eq!(health.status, StatusCode::OK);
}

/// Concurrent transactions that hold their event open for a while: a reader paging with `after=`
/// must still see every event (ids become visible in increasing order).
async fn event_ids_follow_commit_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let (db, tenant) = (app.running().db.clone(), tenant.clone());
            actix_rt::spawn(async move {
                for i in 0..15 {
                    let tenant = tenant.clone();
                    db.run(move |pool| {
                        waras::with_conn!(pool, |conn| {
                            use waras::db::DbConn;
                            use waras::db::events::{EventLog, NewEvent};
                            conn.write_txn(|conn| {
                                conn.append_event(&NewEvent {
                                    tenant_id: &tenant,
                                    session_id: None,
                                    event_type: waras::domain::EventType::GroupUpdated,
                                    data: json!({ "writer": w, "i": i }),
                                    created_at: waras::db::now_ms(),
                                })?;
                                std::thread::sleep(Duration::from_millis((w * 7 + i * 3) % 20));
                                Ok(())
                            })
                        })
                    })
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut after = 0i64;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < 90 {
        assert!(
            std::time::Instant::now() < deadline,
            "reader saw only {} of 90",
            seen.len()
        );
        let r = app
            .get(&format!("/api/v1/events?after={after}&limit=200"), &key)
            .await;
        for e in r.body["data"].as_array().unwrap() {
            let id: i64 = e["id"].as_str().unwrap().parse().unwrap();
            assert!(id > after);
            after = id;
            seen.insert(id);
        }
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(
        seen.len(),
        90,
        "a reader paging with after= saw every event"
    );
}

on_both_backends!(
    resume_has_no_gaps_and_no_duplicates,
    tickets_filters_and_auth,
    slow_consumer_is_cut_off,
    event_ids_follow_commit_order,
);
