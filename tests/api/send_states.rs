//! A sent message's status moves forward only, whatever order the send and its receipts are
//! recorded in, and each move is told once; an accepted message is counted once in all and once
//! by its type.

use serde_json::json;
use waras::db::messages::{self, MessageRow};
use waras::db::{DbPool, now_ms, outbox, tenancy};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

fn queued(tenant: &str, sid: &str, id: &str, now: i64) -> MessageRow {
    MessageRow {
        id: id.into(),
        session_id: sid.into(),
        tenant_id: tenant.into(),
        from_me: true,
        chat_jid: "15550001@s.whatsapp.net".into(),
        sender_jid: "15550002@s.whatsapp.net".into(),
        sender_lid: None,
        sender_phone: None,
        wa_id: format!("WA{id}"),
        msg_type: "text".into(),
        body: json!({"text": id}).to_string(),
        status: messages::QUEUED.into(),
        error: None,
        attempts: 0,
        reply_to: None,
        idempotency_key: None,
        request_hash: None,
        wa_timestamp: Some(now),
        created_at: now,
        updated_at: now,
        engine_ref: None,
        send_at: None,
        late: false,
        campaign_id: None,
    }
}

fn status(pool: &DbPool, sid: &str, id: &str) -> String {
    messages::get(pool, sid, id)
        .unwrap()
        .expect("stored")
        .status
}

fn receipt(pool: &DbPool, sid: &str, wa_ids: &[&str], to: &str) -> Vec<serde_json::Value> {
    let ids: Vec<String> = wa_ids.iter().map(|s| s.to_string()).collect();
    messages::apply_receipt(pool, sid, &ids, to, now_ms())
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect()
}

async fn statuses_move_forward_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (tenant, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "s", false).await;
    let pool = app.running().db.pool().clone();
    let now = now_ms();
    for id in ["a", "b", "c", "d"] {
        outbox::enqueue(
            &pool,
            &queued(&tenant, &sid, id, now),
            None,
            Default::default(),
        )
        .unwrap();
    }

    // The usual order: sent, then delivered, then read; a late "delivered" changes nothing.
    let sent = messages::mark_sent(&pool, "a", now_ms())
        .unwrap()
        .expect("a message.sent");
    let data: serde_json::Value = serde_json::from_str(&sent.data).unwrap();
    assert_eq!(
        (data["id"].as_str(), data["status"].as_str()),
        (Some("a"), Some("sent"))
    );
    assert_eq!(data["text"], "a", "the content is in the event: {data}");
    assert_eq!(status(&pool, &sid, "a"), messages::SENT);
    assert_eq!(receipt(&pool, &sid, &["WAa"], messages::DELIVERED).len(), 1);
    assert_eq!(status(&pool, &sid, "a"), messages::DELIVERED);
    let read = receipt(&pool, &sid, &["WAa"], messages::READ);
    assert_eq!(read.len(), 1);
    assert_eq!(read[0]["status"], "read");
    assert!(receipt(&pool, &sid, &["WAa"], messages::DELIVERED).is_empty());
    assert_eq!(status(&pool, &sid, "a"), messages::READ);

    // The receipt came before the send was recorded: the status stays ahead, and the send is
    // still told once.
    assert_eq!(receipt(&pool, &sid, &["WAb"], messages::DELIVERED).len(), 1);
    let sent = messages::mark_sent(&pool, "b", now_ms())
        .unwrap()
        .expect("b message.sent");
    assert!(sent.data.contains("\"status\":\"sent\""), "{}", sent.data);
    assert_eq!(status(&pool, &sid, "b"), messages::DELIVERED);

    // A receipt naming several messages moves each of them.
    assert_eq!(
        receipt(&pool, &sid, &["WAc", "WAd"], messages::READ).len(),
        2
    );
    assert_eq!(status(&pool, &sid, "c"), messages::READ);
    assert_eq!(status(&pool, &sid, "d"), messages::READ);

    // A message no longer queued nor ahead of its send (cancelled, failed) is not sent.
    assert!(
        messages::mark_sent(&pool, "missing", now_ms())
            .unwrap()
            .is_none()
    );

    // Four accepted texts: four in all, four by type, nothing else.
    let day = tenancy::day_of(now);
    let usage = tenancy::usage(&pool, &tenant, &day, &day).unwrap();
    let amount = |metric: &str| {
        usage
            .iter()
            .find(|(_, m, _)| m == metric)
            .map(|(_, _, n)| *n)
    };
    assert_eq!(amount("messages_out"), Some(4), "{usage:?}");
    assert_eq!(amount("messages_out:text"), Some(4), "{usage:?}");
}

on_both_backends!(statuses_move_forward_once);
