//! Reply rules end to end against the sandbox: a keyword rule answers once (and never its own
//! answer), its cooldown holds, a template answer and a forward reach their chats, and two
//! sessions of this WARAS never answer each other.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::Backend;
use crate::on_both_backends;
use crate::receiver::Receiver;
use crate::scenario::Scenario;

const ME: &str = "4915100000081";
const ALICE: &str = "4915100000082";
const BOB: &str = "4915100000083";
const OTHER: &str = "4915100000084";

async fn rule(sc: &Scenario, body: Value) -> Value {
    sc.app
        .post("/api/v1/rules", &sc.key, body)
        .await
        .success(201)
}

/// What `phone` got from `from` (a phone number).
async fn got(sc: &Scenario, phone: &str, from: &str) -> Vec<Value> {
    sc.phone_list(phone, "messages")
        .await
        .into_iter()
        .filter(|m| m["from"].as_str().is_some_and(|f| f.starts_with(from)))
        .collect()
}

async fn a_keyword_rule_answers_once_and_not_its_own_answer(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let created = rule(
        &sc,
        json!({"name": "prices", "match": {"keyword": "price"},
            "action": {"reply": "Our price list, {{name}}: 10 EUR per price"}, "cooldown_secs": 3600}),
    )
    .await;
    assert_eq!(created["enabled"], json!(true));
    assert_eq!(created["position"], json!(0));
    sc.receive_text(ALICE, "hello there").await;
    let asked = sc.receive_text(ALICE, "What is the PRICE?").await;
    sc.inbox_has(ALICE, "Our price list, Alice: 10 EUR per price", 20)
        .await;
    let matched = sc
        .expect_event("rule.matched", |e| {
            e["data"]["message_id"] == asked["data"]["id"]
        })
        .await;
    assert_eq!(matched["data"]["rule_id"], created["id"]);
    // The answer contains the keyword: sent by the session itself, it is never matched.
    // Within the cooldown a second question gets no answer either.
    sc.receive_text(ALICE, "price again?").await;
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    let answers = got(&sc, ALICE, ME).await;
    assert_eq!(answers.len(), 1, "{answers:?}");
    let events = sc
        .app
        .get("/api/v1/events?types=rule.matched", &sc.key)
        .await
        .data();
    assert_eq!(events.len(), 1, "{events:?}");
    // Disabled, it stays silent after its cooldown too.
    let path = format!("/api/v1/rules/{}", created["id"].as_str().unwrap());
    let r = sc
        .app
        .patch(
            &path,
            &sc.key,
            json!({"enabled": false, "cooldown_secs": 0}),
        )
        .await;
    assert_eq!(r.success(200)["enabled"], json!(false));
    sc.receive_text(ALICE, "price?").await;
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(got(&sc, ALICE, ME).await.len(), 1);
}

async fn template_answers_forwards_and_stop_follow_the_rule_order(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice"), (BOB, "Bob")]).await;
    sc.app
        .post(
            "/api/v1/templates",
            &sc.key,
            json!({"name": "order", "type": "text", "text": "Order noted, {{name}} ({{team|sales}})"}),
        )
        .await
        .success(201);
    rule(
        &sc,
        json!({"name": "orders", "session_id": sc.sid, "position": 1,
            "match": {"regex": "^order \\d+$", "chat": "direct", "type": "text"},
            "action": {"template": "order", "forward_to": format!("+{BOB}")}, "stop": true}),
    )
    .await;
    // First in the order: a webhook told of every order (and nothing else).
    let receiver = Receiver::start().await;
    let hooked = rule(
        &sc,
        json!({"name": "tell", "position": 0, "match": {"keyword": "order"},
            "action": {"webhook_url": receiver.url()}}),
    )
    .await;
    assert!(
        hooked["webhook_secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("whsec_")),
        "{hooked}"
    );
    let hook_id = hooked["action"]["webhook_id"].clone();
    let hooks = sc.app.get("/api/v1/webhooks", &sc.key).await.data();
    let hook = hooks
        .iter()
        .find(|w| w["id"] == hook_id)
        .expect("the rule's webhook");
    assert_eq!(
        hook["events"],
        json!([format!("rule.matched:{}", hooked["id"].as_str().unwrap())])
    );
    // Later in the order: never reached for an order, because of `stop`.
    rule(
        &sc,
        json!({"name": "catch-all", "position": 2, "match": {"regex": "."},
            "action": {"reply": "We got your message"}}),
    )
    .await;
    sc.receive_text(ALICE, "order 42").await;
    sc.inbox_has(ALICE, "Order noted, Alice (sales)", 20).await;
    sc.inbox_has(BOB, &format!("Forwarded from +{ALICE}:\norder 42"), 20)
        .await;
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(got(&sc, ALICE, ME).await.len(), 1);
    // The webhook got the match of its rule, not that of the order rule.
    let calls = receiver.received(1, 20).await;
    actix_rt::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.captured().len(), 1, "{calls:?}");
    let body: Value = serde_json::from_str(&calls[0].body).unwrap();
    assert_eq!(body["type"], json!("rule.matched"), "{body}");
    assert_eq!(body["data"]["rule_id"], hooked["id"], "{body}");
    assert_eq!(body["data"]["text"], json!("order 42"), "{body}");
    // Deleting the rule deletes its webhook.
    let path = format!("/api/v1/rules/{}", hooked["id"].as_str().unwrap());
    assert_eq!(sc.app.delete(&path, &sc.key).await.status.as_u16(), 204);
    let hooks = sc.app.get("/api/v1/webhooks", &sc.key).await.data();
    assert!(hooks.iter().all(|w| w["id"] != hook_id), "{hooks:?}");
    // Anything else gets the catch-all.
    sc.receive_text(ALICE, "thanks").await;
    sc.inbox_has(ALICE, "We got your message", 20).await;
    // Bad rules are refused naming the field.
    for (body, field) in [
        (
            json!({"name": "x", "match": {"regex": "("}, "action": {"reply": "y"}}),
            "match.regex",
        ),
        (json!({"name": "x", "match": {}, "action": {}}), "action"),
        (
            json!({"name": "x", "match": {"type": "fax"}, "action": {"reply": "y"}}),
            "match.type",
        ),
        (
            json!({"name": "x", "match": {}, "action": {"forward_to": "nobody"}}),
            "action.forward_to",
        ),
        (
            json!({"name": "x", "match": {}, "action": {"reply": "y"}, "position": 1_000_001}),
            "position",
        ),
    ] {
        let r = sc.app.post("/api/v1/rules", &sc.key, body).await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
        assert!(
            r.body["detail"].as_str().unwrap().contains(field),
            "{}",
            r.text
        );
    }
    let r = sc
        .app
        .post(
            "/api/v1/rules",
            &sc.key,
            json!({"name": "x", "match": {}, "action": {"template": "nope"}}),
        )
        .await;
    assert_eq!(r.body["code"], json!("template_not_found"), "{}", r.text);
    // `match` and `action` are objects: serde alone would read them from arrays, by position.
    let kept = rule(
        &sc,
        json!({"name": "kept", "match": {"keyword": "zzz"}, "action": {"reply": "z"}}),
    )
    .await;
    let path = format!("/api/v1/rules/{}", kept["id"].as_str().unwrap());
    for body in [
        json!({"match": [null, null]}),
        json!({"action": ["z"]}),
        json!({"name": "x", "match": [null], "action": {"reply": "y"}}),
        json!({"position": 1_000_001}),
    ] {
        let r = if body.get("name").is_some() {
            sc.app.post("/api/v1/rules", &sc.key, body).await
        } else {
            sc.app.patch(&path, &sc.key, body).await
        };
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    }
    let unchanged = sc.app.get(&path, &sc.key).await;
    assert_eq!(
        unchanged.body["match"],
        json!({"keyword": "zzz"}),
        "{}",
        unchanged.text
    );
    assert_eq!(
        unchanged.body["action"],
        json!({"reply": "z"}),
        "{}",
        unchanged.text
    );
}

async fn two_sessions_of_this_waras_never_answer_each_other(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(OTHER, "Other")]).await;
    let other = sc.link_by_qr("other", OTHER).await;
    rule(
        &sc,
        json!({"name": "echo", "match": {"keyword": "ping"}, "action": {"reply": "ping"}}),
    )
    .await;
    // The other session (same tenant, same rules) pings the first: nobody answers a session of
    // this WARAS, so the ping-pong never starts.
    let path = format!("/api/v1/sessions/{other}/messages");
    let sent = sc
        .app
        .post(
            &path,
            &sc.key,
            json!({"to": format!("+{ME}"), "type": "text", "text": "ping"}),
        )
        .await
        .success(202);
    sc.expect_event("message.received", |e| e["data"]["wa_id"] == sent["wa_id"])
        .await;
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    assert!(got(&sc, OTHER, ME).await.is_empty());
    let events = sc
        .app
        .get("/api/v1/events?types=rule.matched", &sc.key)
        .await
        .data();
    assert!(events.is_empty(), "{events:?}");
}

on_both_backends!(
    a_keyword_rule_answers_once_and_not_its_own_answer,
    template_answers_forwards_and_stop_follow_the_rule_order,
    two_sessions_of_this_waras_never_answer_each_other,
);
