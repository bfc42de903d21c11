//! Campaigns end to end against the sandbox: a paced campaign sends each recipient one
//! personalised message at its pace, pausing takes effect within a second, resuming goes on
//! where it stopped, numbers not on WhatsApp are skipped, a session leaving WORKING stops the
//! campaign, and bad campaigns are refused naming what is wrong.

use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{Value, json};

use crate::common::{Backend, wait_until};
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915100000071";

/// `n` recipients: phones 49152000001xx with a first name each.
fn people(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("49152000001{i:02}"), format!("Person{i}")))
        .collect()
}

async fn linked(backend: Backend, people: &[(String, String)]) -> Scenario {
    let others: Vec<(&str, &str)> = people
        .iter()
        .map(|(p, n)| (p.as_str(), n.as_str()))
        .collect();
    Scenario::linked(backend, ME, &others).await
}

fn recipients(people: &[(String, String)]) -> Value {
    people
        .iter()
        .map(|(p, n)| json!({"to": format!("+{p}"), "variables": {"first_name": n}}))
        .collect()
}

fn millis(v: &Value) -> i64 {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .timestamp_millis()
}

async fn create(sc: &Scenario, body: Value) -> Value {
    let r = sc.app.post("/api/v1/campaigns", &sc.key, body).await;
    r.success(201)
}

async fn campaign(sc: &Scenario, id: &Value) -> Value {
    let path = format!("/api/v1/campaigns/{}", id.as_str().unwrap());
    sc.app.get(&path, &sc.key).await.success(200)
}

/// Waits until the campaign is in `status`.
async fn wait_campaign(sc: &Scenario, id: &Value, status: &str, secs: u64) -> Value {
    wait_until(secs, &format!("the campaign to be {status}"), || async {
        let c = campaign(sc, id).await;
        if c["status"] == json!(status) {
            Ok(c)
        } else {
            Err(c)
        }
    })
    .await
}

/// The `message.sent` events of the campaign's messages, oldest first.
async fn sent_of(sc: &Scenario, id: &Value) -> Vec<Value> {
    let ids: Vec<Value> = all_recipients(sc, id)
        .await
        .into_iter()
        .filter_map(|r| r.get("message_id").cloned())
        .collect();
    let path = format!(
        "/api/v1/events?session_id={}&types=message.sent&limit=200",
        sc.sid
    );
    sc.app
        .get(&path, &sc.key)
        .await
        .data()
        .into_iter()
        .filter(|e| ids.contains(&e["data"]["id"]))
        .collect()
}

async fn all_recipients(sc: &Scenario, id: &Value) -> Vec<Value> {
    let path = format!(
        "/api/v1/campaigns/{}/recipients?limit=200",
        id.as_str().unwrap()
    );
    sc.app.get(&path, &sc.key).await.data()
}

/// What the sandbox phone `phone` got from the scenario's account.
async fn got_from_me(sc: &Scenario, phone: &str) -> Vec<Value> {
    sc.phone_list(phone, "messages")
        .await
        .into_iter()
        .filter(|m| m["from"].as_str().is_some_and(|f| f.starts_with(ME)))
        .collect()
}

async fn a_paced_campaign_sends_each_recipient_one_personalised_message(backend: Backend) {
    let people = people(50);
    let sc = linked(backend, &people).await;
    sc.app
        .post(
            "/api/v1/templates",
            &sc.key,
            json!({"name": "welcome", "type": "text", "text": "Hi {{first_name}}, welcome"}),
        )
        .await
        .success(201);
    let created = create(
        &sc,
        json!({"name": "spring", "session_ids": [sc.sid], "template": "welcome",
            "recipients": recipients(&people), "pacing": {"per_minute": 60}}),
    )
    .await;
    assert_eq!(created["status"], json!("running"), "{created}");
    assert_eq!(created["counts"]["total"], json!(50), "{created}");
    let done = wait_campaign(&sc, &created["id"], "completed", 120).await;
    assert_eq!(done["counts"]["failed"], json!(0), "{done}");
    assert_eq!(done["counts"]["queued"], json!(0), "{done}");
    let sent = sent_of(&sc, &created["id"]).await;
    assert_eq!(sent.len(), 50, "one message.sent per recipient");
    let times: Vec<i64> = sent.iter().map(|e| millis(&e["created_at"])).collect();
    let span = times.iter().max().unwrap() - times.iter().min().unwrap();
    eprintln!("50 recipients at 60 per minute: {span} ms from the first send to the last");
    assert!(span >= 49_000, "too fast: 50 sends in {span} ms");
    for (phone, name) in &people {
        let got = got_from_me(&sc, phone).await;
        assert_eq!(got.len(), 1, "{phone}: {got:?}");
        assert_eq!(got[0]["text"], json!(format!("Hi {name}, welcome")));
    }
    let events = sc
        .app
        .get(
            "/api/v1/events?types=campaign.started,campaign.completed",
            &sc.key,
        )
        .await
        .data();
    let kinds: Vec<&Value> = events.iter().map(|e| &e["type"]).collect();
    assert_eq!(
        kinds,
        vec![&json!("campaign.started"), &json!("campaign.completed")]
    );
}

async fn pausing_takes_effect_within_a_second_and_resuming_goes_on(backend: Backend) {
    let people = people(8);
    let sc = linked(backend, &people).await;
    let created = create(
        &sc,
        json!({"name": "paced", "session_ids": [sc.sid],
            "message": {"type": "text", "text": "Hello {{first_name}}"},
            "recipients": recipients(&people), "pacing": {"per_minute": 30, "typing": true}}),
    )
    .await;
    let id = created["id"].clone();
    // The first message shows "typing…" before it.
    sc.phone_seen(&people[0].0, "chatstates", "typing", |_| true, 20)
        .await;
    wait_until(30, "two campaign sends", || async {
        let n = sent_of(&sc, &id).await.len();
        if n >= 2 { Ok(()) } else { Err(n) }
    })
    .await;
    let pause = format!("/api/v1/campaigns/{}/pause", id.as_str().unwrap());
    let paused = sc.app.post(&pause, &sc.key, json!({})).await.success(200);
    let paused_at = chrono::Utc::now().timestamp_millis();
    assert_eq!(paused["status"], json!("paused"));
    let r = sc.app.post(&pause, &sc.key, json!({})).await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.text);
    assert_eq!(r.body["code"], json!("campaign_not_running"));
    actix_rt::time::sleep(Duration::from_secs(5)).await;
    let sent = sent_of(&sc, &id).await;
    let latest = sent.iter().map(|e| millis(&e["created_at"])).max().unwrap();
    assert!(
        latest <= paused_at + 1_000,
        "a send {} ms after the pause",
        latest - paused_at
    );
    let before = sent.len();
    assert!(before < people.len(), "all sent before the pause");
    let resume = format!("/api/v1/campaigns/{}/resume", id.as_str().unwrap());
    let started = Instant::now();
    sc.app.post(&resume, &sc.key, json!({})).await.success(200);
    let done = wait_campaign(&sc, &id, "completed", 60).await;
    eprintln!(
        "paused after {before} sends; resumed and completed in {:?}",
        started.elapsed()
    );
    assert_eq!(sent_of(&sc, &id).await.len(), people.len(), "{done}");
    for (phone, name) in &people {
        let got = got_from_me(&sc, phone).await;
        assert_eq!(got.len(), 1, "{phone}: {got:?}");
        assert_eq!(got[0]["text"], json!(format!("Hello {name}")));
    }
    let rows = all_recipients(&sc, &id).await;
    assert!(
        rows.iter()
            .all(|r| ["sent", "delivered", "read"].contains(&r["status"].as_str().unwrap())),
        "{rows:?}"
    );
}

async fn unregistered_numbers_are_skipped_and_a_stopped_session_stops_the_campaign(
    backend: Backend,
) {
    let people = people(2);
    let sc = linked(backend, &people).await;
    // A CSV upload: two on WhatsApp, one not.
    let csv = format!(
        "to,first_name\n+{},A\n+{},B\n+4915299999999,Nobody\n",
        people[0].0, people[1].0
    );
    let fields = [
        ("name", "csv".to_string()),
        ("session_ids", sc.sid.clone()),
        (
            "message",
            r#"{"type":"text","text":"Hey {{first_name}}"}"#.to_string(),
        ),
        ("pacing", r#"{"per_minute":120}"#.to_string()),
        ("skip_unregistered", "true".to_string()),
    ];
    let boundary = "waras-campaign-boundary";
    let mut body = String::new();
    for (k, v) in &fields {
        body +=
            &format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n");
    }
    body += &format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"recipients\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let r = sc
        .app
        .send_bytes(
            actix_web::http::Method::POST,
            "/api/v1/campaigns",
            &sc.key,
            &format!("multipart/form-data; boundary={boundary}"),
            body.into_bytes(),
        )
        .await;
    let created = r.success(201);
    assert_eq!(created["counts"]["total"], json!(3), "{created}");
    let done = wait_campaign(&sc, &created["id"], "completed", 60).await;
    assert_eq!(done["counts"]["skipped"], json!(1), "{done}");
    let rows = all_recipients(&sc, &created["id"]).await;
    let skipped: Vec<&Value> = rows
        .iter()
        .filter(|r| r["status"] == json!("skipped"))
        .collect();
    assert_eq!(skipped.len(), 1, "{rows:?}");
    assert_eq!(skipped[0]["to"], json!("4915299999999@s.whatsapp.net"));
    assert_eq!(
        got_from_me(&sc, &people[1].0).await[0]["text"],
        json!("Hey B")
    );

    // A slow campaign, then its session stops: the campaign stops and says why.
    let slow = create(
        &sc,
        json!({"name": "slow", "session_ids": [sc.sid], "message": {"type": "text", "text": "slow"},
            "recipients": recipients(&people), "pacing": {"per_minute": 1}}),
    )
    .await;
    sc.post("/stop", json!({})).await.success(200);
    let stopped = wait_campaign(&sc, &slow["id"], "stopped", 20).await;
    let reason = stopped["stopped_reason"].as_str().unwrap();
    assert!(reason.contains("STOPPED"), "{stopped}");
    let event = sc
        .app
        .get("/api/v1/events?types=campaign.stopped", &sc.key)
        .await
        .data();
    assert_eq!(event.len(), 1, "{event:?}");
    assert_eq!(event[0]["data"]["stopped_reason"], json!(reason));
    // Cancelled, the recipient not yet sent to is `cancelled`.
    let cancel = format!("/api/v1/campaigns/{}/cancel", slow["id"].as_str().unwrap());
    let cancelled = sc.app.post(&cancel, &sc.key, json!({})).await.success(200);
    assert_eq!(cancelled["status"], json!("cancelled"));
    assert!(
        cancelled["counts"]["cancelled"].as_i64().unwrap() >= 1,
        "{cancelled}"
    );
    let r = sc.app.post(&cancel, &sc.key, json!({})).await;
    assert_eq!(r.body["code"], json!("campaign_finished"), "{}", r.text);
}

async fn bad_campaigns_are_refused_naming_what_is_wrong(backend: Backend) {
    let people = people(2);
    let sc = linked(backend, &people).await;
    sc.app
        .post(
            "/api/v1/templates",
            &sc.key,
            json!({"name": "t", "type": "text", "text": "Hi {{first_name}}"}),
        )
        .await
        .success(201);
    let base = json!({"name": "x", "session_ids": [sc.sid], "template": "t",
        "recipients": recipients(&people), "pacing": {"per_minute": 10}});
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    let cases = [
        (
            with("pacing", json!({"per_minute": 0})),
            400,
            "pacing.per_minute",
        ),
        (
            with(
                "pacing",
                json!({"per_minute": 5, "quiet_hours": {"from": "22:00", "to": "08:00", "tz": "Nowhere/City"}}),
            ),
            400,
            "pacing.quiet_hours.tz",
        ),
        (
            with(
                "recipients",
                json!([{"to": "+4915200000100", "variables": {"first_name": "A"}}, {"to": "+4915200000101"}]),
            ),
            422,
            "recipients[1]",
        ),
        (
            with("recipients", json!([{"to": "not a number"}])),
            400,
            "recipients[0].to",
        ),
        (with("recipients", json!([])), 400, "recipients"),
        (with("template", json!("missing")), 422, "template"),
        (with("session_ids", json!([])), 400, "session_ids"),
        (
            with(
                "message",
                json!({"type": "image", "image": {"url": "http://x/y.png"}}),
            ),
            400,
            "message, template",
        ),
    ];
    for (body, status, names) in cases {
        let r = sc
            .app
            .post("/api/v1/campaigns", &sc.key, body.clone())
            .await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        assert!(
            r.body["detail"].as_str().unwrap().contains(names),
            "{names}: {}",
            r.text
        );
    }
    let mut reaction = base.clone();
    reaction.as_object_mut().unwrap().remove("template");
    reaction["message"] =
        json!({"type": "reaction", "reaction": {"message_id": "msg_0", "emoji": "👍"}});
    let r = sc.app.post("/api/v1/campaigns", &sc.key, reaction).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    assert_eq!(r.body["code"], json!("campaign_type_unsupported"));
    // A draft waits for `resume`, and nothing was stored by the refusals.
    let draft = create(&sc, with("start", json!(false))).await;
    assert_eq!(draft["status"], json!("draft"));
    let list = sc.app.get("/api/v1/campaigns", &sc.key).await.data();
    assert_eq!(list.len(), 1, "{list:?}");
    actix_rt::time::sleep(Duration::from_secs(2)).await;
    assert!(got_from_me(&sc, &people[0].0).await.is_empty());
}

async fn the_daily_cap_quiet_hours_and_a_run_of_failures_hold_a_campaign_back(backend: Backend) {
    let people = people(4);
    let sc = linked(backend, &people).await;
    let text = json!({"type": "text", "text": "capped"});
    let capped = create(
        &sc,
        json!({"name": "capped", "session_ids": [sc.sid], "message": text,
            "recipients": recipients(&people), "pacing": {"per_minute": 600, "daily_cap": 2}}),
    )
    .await;
    // Quiet hours around now (UTC): nothing goes out.
    let now = chrono::Utc::now();
    let hhmm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
    let quiet = create(
        &sc,
        json!({"name": "quiet", "session_ids": [sc.sid], "message": text,
            "recipients": recipients(&people[..1]),
            "pacing": {"per_minute": 600, "quiet_hours": {
                "from": hhmm(now - chrono::Duration::hours(1)),
                "to": hhmm(now + chrono::Duration::hours(1)), "tz": "UTC"}}}),
    )
    .await;
    wait_until(20, "two capped sends", || async {
        let n = sent_of(&sc, &capped["id"]).await.len();
        if n >= 2 { Ok(()) } else { Err(n) }
    })
    .await;
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    let c = campaign(&sc, &capped["id"]).await;
    assert_eq!(c["status"], json!("running"), "{c}");
    assert_eq!(
        c["counts"]["queued"],
        json!(2),
        "the cap holds the rest back: {c}"
    );
    assert_eq!(sent_of(&sc, &capped["id"]).await.len(), 2);
    let q = campaign(&sc, &quiet["id"]).await;
    assert_eq!(q["counts"]["queued"], json!(1), "sent in quiet hours: {q}");

    // Groups that do not exist: every send fails, and after five in a row the campaign stops.
    let groups: Vec<Value> = (0..8)
        .map(|i| json!({"to": format!("12036300000000{i:04}@g.us")}))
        .collect();
    let failing = create(
        &sc,
        json!({"name": "failing", "session_ids": [sc.sid], "message": text,
            "recipients": groups, "pacing": {"per_minute": 60}}),
    )
    .await;
    let stopped = wait_campaign(&sc, &failing["id"], "stopped", 60).await;
    let reason = stopped["stopped_reason"].as_str().unwrap();
    assert!(reason.contains("the last 5 sends failed"), "{stopped}");
    assert!(
        stopped["counts"]["failed"].as_i64().unwrap() >= 5,
        "{stopped}"
    );
    assert!(
        stopped["counts"]["queued"].as_i64().unwrap() >= 1,
        "{stopped}"
    );
}

async fn a_media_campaign_stores_its_file_once_and_captions_each_recipient(backend: Backend) {
    use base64::Engine as _;
    let people = people(2);
    let sc = linked(backend, &people).await;
    sc.app
        .post(
            "/api/v1/templates",
            &sc.key,
            json!({"name": "promo", "type": "image", "caption": "For you, {{first_name}}"}),
        )
        .await
        .success(201);
    let png = crate::messaging::files::png(4000);
    let data = base64::engine::general_purpose::STANDARD.encode(&png);
    let created = create(
        &sc,
        json!({"name": "pictures", "session_ids": [sc.sid], "template": "promo",
            "message": {"type": "image", "image": {"data": data}},
            "recipients": recipients(&people), "pacing": {"per_minute": 120}}),
    )
    .await;
    assert_eq!(created["type"], json!("image"), "{created}");
    let done = wait_campaign(&sc, &created["id"], "completed", 60).await;
    assert_eq!(done["counts"]["failed"], json!(0), "{done}");
    for (phone, name) in &people {
        let got = got_from_me(&sc, phone).await;
        assert_eq!(got.len(), 1, "{phone}: {got:?}");
        assert_eq!(got[0]["type"], json!("image"), "{got:?}");
        assert_eq!(got[0]["text"], json!(format!("For you, {name}")), "{got:?}");
    }
    // Each message's file is the campaign's one file.
    let rows = all_recipients(&sc, &created["id"]).await;
    for r in &rows {
        let path = format!("/messages/{}/media", r["message_id"].as_str().unwrap());
        let file = sc.get(&path).await;
        assert_eq!(file.status.as_u16(), 200, "{}", file.text);
    }
    // A caption template without the file is refused, naming what to give.
    let r = sc
        .app
        .post(
            "/api/v1/campaigns",
            &sc.key,
            json!({"name": "x", "session_ids": [sc.sid], "template": "promo",
                "recipients": recipients(&people), "pacing": {"per_minute": 1}}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert!(r.text.contains("brings the"), "{}", r.text);
}

async fn a_rate_limit_from_whatsapp_stops_a_campaign_at_once(backend: Backend) {
    let people = people(3);
    let sc = linked(backend, &people).await;
    let fault = json!({"kind": "rate_limit", "phone": ME, "seconds": 120});
    let (status, body) = sc
        .sandbox_call("POST", "/sandbox/faults", Some(fault))
        .await;
    assert!(status.is_success(), "{body}");
    let limited = create(
        &sc,
        json!({"name": "limited", "session_ids": [sc.sid], "message": {"type": "text", "text": "hi"},
            "recipients": recipients(&people), "pacing": {"per_minute": 30}}),
    )
    .await;
    let stopped = wait_campaign(&sc, &limited["id"], "stopped", 60).await;
    let reason = stopped["stopped_reason"].as_str().unwrap();
    assert!(reason.starts_with("rate_limited"), "{stopped}");
    assert!(
        stopped["counts"]["failed"].as_i64().unwrap() >= 1,
        "{stopped}"
    );
    assert!(
        stopped["counts"]["queued"].as_i64().unwrap() >= 1,
        "stopped before the end: {stopped}"
    );
}

/// The tenant's `messages_per_day` quota holds back what WARAS sends on its own: a campaign
/// waits with its remaining recipients, and a reply rule does not answer.
async fn the_tenants_daily_quota_holds_campaigns_and_rules_back(backend: Backend) {
    let people = people(4);
    let others: Vec<(&str, &str)> = people
        .iter()
        .map(|(p, n)| (p.as_str(), n.as_str()))
        .collect();
    let sc = Scenario::linked_with(backend, ME, &others, |s| s.quota_messages_per_day = 3).await;
    let rule = json!({"name": "greet", "match": {"keyword": "hi"}, "action": {"reply": "auto"}});
    sc.app
        .post("/api/v1/rules", &sc.key, rule)
        .await
        .success(201);
    let text = json!({"type": "text", "text": "within the quota"});
    let c = create(
        &sc,
        json!({"name": "quota", "session_ids": [sc.sid], "message": text,
            "recipients": recipients(&people[..3]), "pacing": {"per_minute": 600}}),
    )
    .await;
    wait_until(20, "three sends", || async {
        let n = sent_of(&sc, &c["id"]).await.len();
        if n >= 3 { Ok(()) } else { Err(n) }
    })
    .await;
    let over = sc
        .app
        .post(
            &sc.path("/messages"),
            &sc.key,
            json!({"to": format!("+{}", people[3].0), "type": "text", "text": "one more"}),
        )
        .await;
    assert_eq!(over.problem(429), "quota_exceeded", "{}", over.text);

    // The rule matches, but its answer would go past the quota.
    let hi = sc.receive_text(&people[3].0, "hi").await;
    assert_eq!(hi["data"]["text"], json!("hi"));
    let more = create(
        &sc,
        json!({"name": "later", "session_ids": [sc.sid], "message": text,
            "recipients": recipients(&people[3..]), "pacing": {"per_minute": 600}}),
    )
    .await;
    actix_rt::time::sleep(Duration::from_secs(3)).await;
    assert!(
        got_from_me(&sc, &people[3].0).await.is_empty(),
        "nothing past the quota"
    );
    let held = campaign(&sc, &more["id"]).await;
    assert_eq!(held["status"], json!("running"), "{held}");
    assert_eq!(
        held["counts"]["queued"],
        json!(1),
        "waits for the next day: {held}"
    );
}

on_both_backends!(
    the_tenants_daily_quota_holds_campaigns_and_rules_back,
    a_media_campaign_stores_its_file_once_and_captions_each_recipient,
    a_rate_limit_from_whatsapp_stops_a_campaign_at_once,
    the_daily_cap_quiet_hours_and_a_run_of_failures_hold_a_campaign_back,
    a_paced_campaign_sends_each_recipient_one_personalised_message,
    pausing_takes_effect_within_a_second_and_resuming_goes_on,
    unregistered_numbers_are_skipped_and_a_stopped_session_stops_the_campaign,
    bad_campaigns_are_refused_naming_what_is_wrong,
);
