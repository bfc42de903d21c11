//! Calls against the sandbox: a sandbox account rings the session's account, the session sees
//! `call.offer`, declines it through the API or by itself (`auto_reject_calls`, with an answer to
//! the caller), and sees `call.ended` when the caller gives up or the phone answers.

use serde_json::{Value, json};

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::{Scenario, WAIT_SECS};

const ME: &str = "4915100000091";
const ALICE: &str = "4915100000092";

/// `from` rings `to`; the sandbox's call record.
async fn ring(sc: &Scenario, from: &str, to: &str) -> Value {
    let path = format!("/sandbox/accounts/{from}/calls");
    let (s, call) = sc
        .sandbox_call("POST", &path, Some(json!({"to": to})))
        .await;
    assert_eq!(s.as_u16(), 201, "{call}");
    assert_eq!(call["status"], json!("ringing"));
    call
}

/// Waits until the sandbox's record of call `id` (as `phone` sees it) has `status`.
async fn sandbox_call(sc: &Scenario, phone: &str, id: &Value, status: &str) -> Value {
    let what = format!("call {id} {status}");
    let pred = |c: &Value| c["id"] == *id && c["status"] == json!(status);
    sc.phone_seen(phone, "calls", &what, pred, WAIT_SECS).await
}

async fn offered(sc: &Scenario, call: &Value) -> Value {
    sc.expect_event("call.offer", |e| e["data"]["call_id"] == call["id"])
        .await
}

async fn ended(sc: &Scenario, call: &Value) -> Value {
    sc.expect_event("call.ended", |e| e["data"]["call_id"] == call["id"])
        .await
}

async fn a_ringing_call_is_declined_through_the_api(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let call = ring(&sc, ALICE, ME).await;
    let offer = offered(&sc, &call).await;
    let alice = format!("{ALICE}@s.whatsapp.net");
    assert_eq!(offer["data"]["from_phone"], json!(alice), "{offer}");
    assert_eq!(offer["data"]["from_lid"], json!(sc.lid(ALICE)), "{offer}");
    assert_eq!(offer["data"]["video"], json!(false));
    let listed = sc.get("/calls").await.data();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], json!("ringing"));
    assert_eq!(listed[0]["from"], json!(alice));
    // The caller became a contact with both addresses.
    let contact = sc.get(&format!("/contacts/+{ALICE}")).await.success(200);
    assert_eq!(contact["lid"], json!(sc.lid(ALICE)), "{contact}");

    let id = call["id"].as_str().unwrap();
    let rejected = sc
        .post(&format!("/calls/{id}/reject"), json!({}))
        .await
        .success(200);
    assert_eq!(rejected["status"], json!("rejected"), "{rejected}");
    assert!(rejected["ended_at"].is_string());
    let e = ended(&sc, &call).await;
    assert_eq!(e["data"]["status"], json!("rejected"), "{e}");
    // The rejection reached WhatsApp: the sandbox saw a device of the account decline it.
    let seen = sandbox_call(&sc, ALICE, &call["id"], "rejected").await;
    let by = seen["rejected_by"].as_str().unwrap();
    assert!(
        by.starts_with(ME) && !by.ends_with(":0"),
        "a linked device: {by}"
    );

    let again = sc.post(&format!("/calls/{id}/reject"), json!({})).await;
    assert_eq!(again.problem(409), "call_not_ringing");
    let unknown = sc.post("/calls/NO-SUCH-CALL/reject", json!({})).await;
    assert_eq!(unknown.problem(404), "not_found");
}

async fn a_call_ends_when_the_caller_gives_up_or_the_phone_answers(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let call = ring(&sc, ALICE, ME).await;
    offered(&sc, &call).await;
    let path = format!(
        "/sandbox/accounts/{ALICE}/calls/{}/end",
        call["id"].as_str().unwrap()
    );
    let (s, b) = sc.sandbox_call("POST", &path, None).await;
    assert!(s.is_success(), "{b}");
    let e = ended(&sc, &call).await;
    assert_eq!(e["data"]["status"], json!("missed"), "{e}");

    let video = {
        let path = format!("/sandbox/accounts/{ALICE}/calls");
        let body = json!({"to": ME, "video": true});
        sc.sandbox_call("POST", &path, Some(body)).await.1
    };
    let offer = offered(&sc, &video).await;
    assert_eq!(offer["data"]["video"], json!(true), "{offer}");
    let path = format!(
        "/sandbox/accounts/{ME}/calls/{}/accept",
        video["id"].as_str().unwrap()
    );
    let (s, b) = sc.sandbox_call("POST", &path, None).await;
    assert!(s.is_success(), "{b}");
    let e = ended(&sc, &video).await;
    assert_eq!(e["data"]["status"], json!("accepted_elsewhere"), "{e}");
    let listed = sc.get("/calls").await.data();
    let statuses: Vec<&Value> = listed.iter().map(|c| &c["status"]).collect();
    assert_eq!(
        statuses,
        [&json!("accepted_elsewhere"), &json!("missed")],
        "newest first"
    );
}

async fn a_session_declines_calls_by_itself_and_answers_the_caller(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let bad = sc
        .patch("", json!({"config": {"auto_reject_calls": "yes"}}))
        .await;
    assert_eq!(bad.problem(400), "invalid_request");
    assert!(
        bad.text.contains("config.auto_reject_calls"),
        "{}",
        bad.text
    );
    let config = json!({"auto_reject_calls": true, "auto_reject_message": "Busy, please text"});
    let s = sc.patch("", json!({"config": config})).await.success(200);
    assert_eq!(s["config"]["auto_reject_calls"], json!(true));

    let call = ring(&sc, ALICE, ME).await;
    let e = ended(&sc, &call).await;
    assert_eq!(e["data"]["status"], json!("rejected"), "{e}");
    sandbox_call(&sc, ALICE, &call["id"], "rejected").await;
    sc.inbox_has(ALICE, "Busy, please text", 20).await;
}

on_both_backends!(
    a_ringing_call_is_declined_through_the_api,
    a_call_ends_when_the_caller_gives_up_or_the_phone_answers,
    a_session_declines_calls_by_itself_and_answers_the_caller,
);
