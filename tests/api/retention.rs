//! Retention and files (issue 13, point 8): the purge job deletes what is older than configured,
//! in batches, and keeps what the service still needs; database and data directory are private.

use std::time::Duration;

use serde_json::json;
use waras::db::events::{self, NewEvent};
use waras::db::media::MediaRow;
use waras::db::messages::{self, MessageRow};
use waras::db::outbox;
use waras::db::retention::BATCH;
use waras::db::{DbPool, now_ms};
use waras::domain::EventType;

use crate::common::{Backend, TestApp, eventually};
use crate::on_both_backends;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn message(tenant: &str, sid: &str, id: &str, status: &str, created_at: i64) -> MessageRow {
    MessageRow {
        id: id.into(),
        session_id: sid.into(),
        tenant_id: tenant.into(),
        from_me: status != messages::RECEIVED,
        chat_jid: "15550001@s.whatsapp.net".into(),
        sender_jid: "15550002@s.whatsapp.net".into(),
        sender_lid: None,
        sender_phone: None,
        wa_id: format!("WA{id}"),
        msg_type: "document".into(),
        body: json!({"text": id}).to_string(),
        status: status.into(),
        error: None,
        attempts: 0,
        reply_to: None,
        idempotency_key: None,
        request_hash: None,
        wa_timestamp: None,
        created_at,
        updated_at: created_at,
        engine_ref: None,
        send_at: None,
        late: false,
        campaign_id: None,
    }
}

fn file(m: &MessageRow, id: &str, created_at: i64) -> MediaRow {
    MediaRow {
        id: id.into(),
        session_id: m.session_id.clone(),
        tenant_id: m.tenant_id.clone(),
        message_id: Some(m.id.clone()),
        mimetype: "application/pdf".into(),
        filename: None,
        size: 3,
        sha256: "00".repeat(32),
        data: b"pdf".to_vec(),
        created_at,
        object_key: None,
    }
}

/// Event types that stand for an expired event, one a webhook still awaits, and a recent one.
const OLD: EventType = EventType::GroupUpdated;
const AWAITED: EventType = EventType::ContactAbout;
const RECENT: EventType = EventType::ContactPicture;

fn event(pool: &DbPool, tenant: &str, sid: &str, kind: EventType, at: i64) -> i64 {
    events::append(
        pool,
        &NewEvent {
            tenant_id: tenant,
            session_id: Some(sid),
            event_type: kind,
            data: json!({}),
            created_at: at,
        },
    )
    .unwrap()
    .id
}

fn event_ids(pool: &DbPool, kind: EventType) -> Vec<i64> {
    events::tail(pool, 0, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == kind)
        .map(|e| e.id)
        .collect()
}

fn media_ids(pool: &DbPool, sid: &str, ids: &[&str]) -> Vec<String> {
    ids.iter()
        .filter(|m| {
            waras::db::media::of_message(pool, sid, m)
                .unwrap()
                .is_some()
        })
        .map(|m| m.to_string())
        .collect()
}

async fn purge_keeps_what_is_still_needed(backend: Backend) {
    // A webhook whose endpoint is down: its delivery of an old event stays pending for an hour.
    let app = TestApp::spawn_with(backend, |s| s.webhook_retry_schedule_secs = vec![3600]).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "s", false).await;
    let down = json!({"url": "http://127.0.0.1:9/hook", "events": ["contact.about"]});
    app.webhook(&key, down).await;

    let pool = app.running().db.pool().clone();
    let (now, old) = (now_ms(), now_ms() - 3 * DAY_MS);
    // More expired events than one batch holds: the job must go on until they are all gone.
    for _ in 0..(BATCH + 20) {
        event(&pool, &tenant, &sid, OLD, old);
    }
    let awaited = event(&pool, &tenant, &sid, AWAITED, old);
    let recent = event(&pool, &tenant, &sid, RECENT, now);

    let rows = [
        ("old-sent", messages::SENT, old, old),
        ("old-queued", messages::QUEUED, old, old),
        ("new-received", messages::RECEIVED, now, now),
        ("new-with-old-file", messages::RECEIVED, now, old),
    ];
    for (id, status, at, file_at) in rows {
        let m = message(&tenant, &sid, id, status, at);
        let f = file(&m, &format!("med_{id}"), file_at);
        assert!(matches!(
            outbox::enqueue(&pool, &m, Some(&f), Default::default()).unwrap(),
            outbox::Enqueued::New(_)
        ));
    }

    // The purge runs shortly after a start with retention configured.
    let db = app.into_db().await;
    let app = TestApp::spawn_configured(db, |s| {
        s.webhook_retry_schedule_secs = vec![3600];
        s.event_retention_days = 1;
        s.message_retention_days = 1;
        s.media_retention_days = 1;
    })
    .await;
    let pool = app.running().db.pool().clone();
    eventually(30, "expired events purged", || {
        let pool = pool.clone();
        async move { event_ids(&pool, OLD).is_empty().then_some(()) }
    })
    .await;
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        event_ids(&pool, AWAITED),
        vec![awaited],
        "a webhook still needs it"
    );
    assert_eq!(event_ids(&pool, RECENT), vec![recent]);

    let kept: Vec<String> = [
        "old-sent",
        "old-queued",
        "new-received",
        "new-with-old-file",
    ]
    .iter()
    .filter(|id| messages::get(&pool, &sid, id).unwrap().is_some())
    .map(|id| id.to_string())
    .collect();
    assert_eq!(kept, ["old-queued", "new-received", "new-with-old-file"]);
    assert_eq!(
        media_ids(
            &pool,
            &sid,
            &["old-queued", "new-received", "new-with-old-file"]
        ),
        ["old-queued", "new-received"],
        "a queued send keeps its file; an expired file goes, its message stays"
    );
}

/// Retention 0 (the default) keeps everything.
async fn zero_retention_keeps_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "s", false).await;
    let pool = app.running().db.pool().clone();
    let ancient = now_ms() - 3650 * DAY_MS;
    event(&pool, &tenant, &sid, OLD, ancient);
    let m = message(&tenant, &sid, "ancient", messages::SENT, ancient);
    outbox::enqueue(
        &pool,
        &m,
        Some(&file(&m, "med_ancient", ancient)),
        Default::default(),
    )
    .unwrap();
    let policy = waras::config::Settings::defaults().unwrap().retention();
    let purged = waras::db::retention::purge_batch(&pool, &policy, now_ms()).unwrap();
    assert_eq!(purged, Default::default());
    assert_eq!(event_ids(&pool, OLD).len(), 1);
    assert!(messages::get(&pool, &sid, "ancient").unwrap().is_some());
    assert_eq!(media_ids(&pool, &sid, &["ancient"]), ["ancient"]);
}

on_both_backends!(
    purge_keeps_what_is_still_needed,
    zero_retention_keeps_everything
);

/// A fresh data directory and its SQLite files are readable by the service's user only.
#[cfg(unix)]
#[actix_rt::test]
async fn data_dir_and_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let db = crate::common::TestDatabase::create(Backend::Sqlite);
    let data = db.dir.path().join("fresh/data");
    let dir = data.clone();
    let app = TestApp::spawn_configured(db, move |s| {
        s.data_dir = dir;
        s.database_url = String::new().into();
        s.master_key = String::new().into();
    })
    .await;
    // A write, so the WAL and its index exist.
    app.tenant("acme").await;
    let mode = |name: &str| {
        let meta = std::fs::metadata(data.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        meta.permissions().mode() & 0o777
    };
    assert_eq!(mode(""), 0o700, "data dir");
    for name in ["waras.db", "waras.db-wal", "waras.db-shm", "master.key"] {
        assert_eq!(mode(name), 0o600, "{name}");
    }
    crate::common::finish_passed_test();
}
