//! A sent message's status moves forward only, whatever order the send and its receipts are
//! recorded in, and each move is told once; an accepted message is counted once in all and once
//! by its type.

use serde_json::json;
use waras::db::messages::{self, MessageRow};
use waras::db::sessions::{self, SessionRow};
use waras::db::{DbPool, now_ms, outbox, tenancy};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

/// A queued text built as the service builds its own (`outbox::queued_text`), under the id `id`
/// and the WhatsApp id `WA{id}`.
fn queued(session: &SessionRow, id: &str, now: i64) -> MessageRow {
    let to = "15550001@s.whatsapp.net".to_string();
    let body = json!({"text": id}).to_string();
    let mut m = outbox::queued_text(session, to, body, format!("WA{id}"), now);
    m.id = id.into();
    m
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
    let session = sessions::get(&pool, &tenant, &sid)
        .unwrap()
        .expect("the session");
    let now = now_ms();
    for id in ["a", "b", "c", "d"] {
        outbox::enqueue(&pool, &queued(&session, id, now), None, Default::default()).unwrap();
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
