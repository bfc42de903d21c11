//! Against the in-process sandbox: a WARAS session and three sandbox accounts; every group,
//! contact and profile operation checked against what the sandbox itself holds.

use actix_web::http::{Method, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::common::{Backend, eventually};
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915200000001";
const ALICE: &str = "4915200000002";
const BOB: &str = "4915200000003";
const CAROL: &str = "4915200000004";
const NOBODY: &str = "4915299999999";

/// The sandbox with ME, ALICE, BOB and CAROL, and a session linked to ME.
async fn world(backend: Backend) -> Scenario {
    let others = [(ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")];
    Scenario::linked(backend, ME, &others).await
}

fn jid(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

/// The group as the sandbox holds it.
async fn truth(sc: &Scenario, id: &str) -> Value {
    let (s, b) = sc
        .sandbox_call("GET", &format!("/sandbox/groups/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "sandbox group {id}: {b}");
    b
}

/// A sandbox account's call on the sandbox admin API: status and answer.
async fn as_phone(
    sc: &Scenario,
    phone: &str,
    method: &str,
    rest: &str,
    body: Value,
) -> (StatusCode, Value) {
    let path = format!("/sandbox/accounts/{phone}{rest}");
    sc.sandbox_call(method, &path, Some(body)).await
}

/// A participants change through WARAS; its answer.
async fn change(sc: &Scenario, id: &str, action: &str, who: &[&str]) -> Value {
    let body = json!({"action": action, "participants": who});
    let r = sc.post(&format!("/groups/{id}/participants"), body).await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text);
    r.body
}

/// The participant with this phone, from a WARAS group answer.
fn member<'a>(group: &'a Value, phone: &str) -> Option<&'a Value> {
    let phone = json!(format!("+{phone}"));
    group["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phone"] == phone)
}

/// Phones of a sandbox group's participants, sorted.
fn truth_phones(truth: &Value) -> Vec<String> {
    let all = truth["participants"].as_array().unwrap().iter();
    let mut v: Vec<String> = all
        .map(|p| {
            p["phone"]
                .as_str()
                .unwrap()
                .trim_start_matches('+')
                .to_string()
        })
        .collect();
    v.sort();
    v
}

fn truth_admin(truth: &Value, phone: &str) -> bool {
    let all = truth["participants"].as_array().unwrap();
    let found = all
        .iter()
        .find(|p| p["phone"].as_str().unwrap().trim_start_matches('+') == phone);
    found.is_some_and(|p| p["admin"] == json!(true))
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// The ids of the session's groups.
async fn group_ids(sc: &Scenario) -> Vec<Value> {
    let list = sc.get("/groups").await.success(200);
    assert_eq!(list["next_cursor"], json!(null));
    let all = list["data"].as_array().unwrap().iter();
    all.map(|g| g["id"].clone()).collect()
}

async fn groups_full_lifecycle(backend: Backend) {
    let sc = world(backend).await;

    // Create with two sandbox accounts, one as a phone number and one as a JID.
    let team = json!({"subject": "Team", "participants": [format!("+{ALICE}"), jid(BOB)]});
    let created = sc.post("/groups", team).await.success(201);
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.ends_with("@g.us"), "{id}");
    assert_eq!(created["subject"], json!("Team"));
    let me = member(&created, ME).expect("the creator is a participant");
    assert_eq!(me["super_admin"], json!(true));
    assert_eq!(me["admin"], json!(true));
    let alice = member(&created, ALICE).expect("alice");
    assert_eq!(alice["admin"], json!(false));
    assert_eq!(alice["lid"], json!(sc.lid(ALICE)));
    assert!(member(&created, BOB).is_some());
    let held = truth(&sc, &id).await;
    assert_eq!(held["subject"], json!("Team"));
    assert_eq!(truth_phones(&held), sorted(&[ME, ALICE, BOB]));

    // Listed, and readable by its id with or without `@g.us`.
    assert!(group_ids(&sc).await.contains(&json!(id)));
    let short = id.trim_end_matches("@g.us");
    let info = sc.get(&format!("/groups/{short}")).await.success(200);
    assert_eq!(info["id"], json!(id));
    assert_eq!(info["owner"], json!(jid(ME)));
    assert!(info["created_at"].is_string(), "{info}");
    assert_eq!(info["announce"], json!(false));
    assert_eq!(info["locked"], json!(false));
    assert_eq!(info["participants"].as_array().unwrap().len(), 3);
    let group = format!("/groups/{id}");

    // Add the third account.
    let added = change(&sc, &id, "add", &[&format!("+{CAROL}")]).await;
    assert_eq!(added["data"][0]["status"], json!("ok"), "{added}");
    let everyone = sorted(&[ME, ALICE, BOB, CAROL]);
    assert_eq!(truth_phones(&truth(&sc, &id).await), everyone);
    let info = sc.get(&group).await;
    assert!(member(&info.body, CAROL).is_some(), "{}", info.text);

    // Promote and demote.
    for (action, admin) in [("promote", true), ("demote", false)] {
        let changed = change(&sc, &id, action, &[&jid(ALICE)]).await;
        assert_eq!(changed["data"][0]["status"], json!("ok"), "{changed}");
        assert_eq!(
            truth_admin(&truth(&sc, &id).await, ALICE),
            admin,
            "{action}"
        );
        let info = sc.get(&group).await.body;
        let alice = member(&info, ALICE).unwrap();
        assert_eq!(alice["admin"], json!(admin), "{action}");
        assert_eq!(alice["super_admin"], json!(false), "{action}");
    }

    // Remove; removing someone who is not in the group is a per-participant error.
    let removed = change(&sc, &id, "remove", &[&format!("+{BOB}")]).await;
    assert_eq!(removed["data"][0]["status"], json!("ok"), "{removed}");
    let rest = sorted(&[ME, ALICE, CAROL]);
    assert_eq!(truth_phones(&truth(&sc, &id).await), rest);
    let again = change(&sc, &id, "remove", &[&format!("+{BOB}")]).await;
    assert_ne!(again["data"][0]["status"], json!("ok"), "{again}");

    // Subject, description and settings.
    let settings =
        json!({"subject": "Team 2", "description": "What we do", "announce": true, "locked": true});
    let r = sc.patch(&group, settings.clone()).await.success(200);
    let held = truth(&sc, &id).await;
    for (field, want) in settings.as_object().unwrap() {
        assert_eq!(r[field], *want, "WARAS's {field}: {r}");
        assert_eq!(held[field], *want, "the sandbox's {field}: {held}");
    }
    let r = sc
        .patch(&group, json!({"description": "Changed", "announce": false}))
        .await;
    let r = r.success(200);
    assert_eq!(r["description"], json!("Changed"));
    assert_eq!(r["announce"], json!(false));
    assert_eq!(r["locked"], json!(true));
    assert_eq!(truth(&sc, &id).await["description"], json!("Changed"));

    // Invite link: read, revoke, and a sandbox account joins with the new one.
    let invite = sc.get(&format!("{group}/invite")).await.success(200);
    let code = invite["code"].as_str().unwrap().to_string();
    assert!(!code.is_empty());
    assert_eq!(
        invite["url"],
        json!(format!("https://chat.whatsapp.com/{code}"))
    );
    assert_eq!(truth(&sc, &id).await["invite_code"], json!(code));
    let revoked = sc
        .post(&format!("{group}/invite/revoke"), json!({}))
        .await
        .success(200);
    let fresh = revoked["code"].as_str().unwrap().to_string();
    assert_ne!(fresh, code);
    assert_eq!(truth(&sc, &id).await["invite_code"], json!(fresh));
    let (s, b) = as_phone(&sc, BOB, "POST", "/groups/join", json!({"code": code})).await;
    assert!(
        s.is_client_error(),
        "the revoked code no longer works: {s} {b}"
    );
    let (s, b) = as_phone(&sc, BOB, "POST", "/groups/join", json!({"code": fresh})).await;
    assert!(s.is_success(), "join: {b}");
    eventually(10, "bob back in the group", || async {
        member(&sc.get(&group).await.body, BOB).map(|_| ())
    })
    .await;

    // The session joins another group by link.
    let alices = json!({"subject": "Alice's", "participants": [CAROL]});
    let (s, other) = as_phone(&sc, ALICE, "POST", "/groups", alices).await;
    assert!(s.is_success(), "{other}");
    let other_id = other["id"].as_str().unwrap().to_string();
    let other_code = truth(&sc, &other_id).await["invite_code"].clone();
    let other_code = other_code.as_str().expect("a new group has an invite code");
    let link = json!({"url": format!("https://chat.whatsapp.com/{other_code}")});
    let joined = sc.post("/groups/join", link).await.success(200);
    assert_eq!(joined["id"], json!(other_id));
    assert_eq!(joined["status"], json!("joined"));
    assert!(truth_phones(&truth(&sc, &other_id).await).contains(&ME.to_string()));

    // Leave: gone from the list and from the group.
    sc.post(&format!("{group}/leave"), json!({}))
        .await
        .success(200);
    assert!(!truth_phones(&truth(&sc, &id).await).contains(&ME.to_string()));
    let ids = group_ids(&sc).await;
    assert!(!ids.contains(&json!(id)), "{ids:?}");
    assert!(ids.contains(&json!(other_id)), "{ids:?}");
    let r = sc.get(&group).await;
    assert!(r.status.is_client_error(), "{}", r.text);

    // A group that does not exist.
    assert_eq!(
        sc.get("/groups/120363999999999999").await.problem(404),
        "not_found"
    );
    let r = sc
        .post("/groups/join", json!({"code": "NoSuchInviteCode0001"}))
        .await;
    assert!(r.status.is_client_error(), "{}", r.text);
}

async fn groups_contacts_and_profiles(backend: Backend) {
    let sc = world(backend).await;

    // Who is on WhatsApp: one call, answers in request order.
    let asked = json!({"phones": [format!("+{ALICE}"), format!("+{NOBODY}"), format!("+{ALICE}")]});
    let r = sc.post("/contacts/check", asked).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let data = r.data();
    assert_eq!(data.len(), 3, "{}", r.text);
    assert_eq!(data[0]["phone"], json!(format!("+{ALICE}")));
    assert_eq!(data[0]["on_whatsapp"], json!(true));
    assert_eq!(data[0]["jid"], json!(jid(ALICE)));
    assert_eq!(data[0]["lid"], json!(sc.lid(ALICE)));
    assert_eq!(data[1]["phone"], json!(format!("+{NOBODY}")));
    assert_eq!(data[1]["on_whatsapp"], json!(false));
    assert_eq!(data[1]["jid"], json!(null));
    assert_eq!(data[2], data[0]);

    // Another account's picture and about text, as its phone set them.
    let picture = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8];
    let profile = json!({"about": "Hello from Alice", "picture": B64.encode(picture)});
    let (s, b) = as_phone(&sc, ALICE, "PUT", "/profile", profile).await;
    assert!(s.is_success(), "{b}");
    let about = sc
        .get(&format!("/contacts/+{ALICE}/about"))
        .await
        .success(200);
    assert_eq!(about["about"], json!("Hello from Alice"));
    let pic = sc
        .get(&format!("/contacts/{}/picture", jid(ALICE)))
        .await
        .success(200);
    assert!(pic["url"].as_str().is_some_and(|u| !u.is_empty()), "{pic}");
    assert!(pic["id"].as_str().is_some_and(|i| !i.is_empty()), "{pic}");
    let none = sc.get(&format!("/contacts/+{BOB}/picture")).await;
    assert_eq!(none.problem(404), "not_found");

    // The own profile: name and about set through WARAS are what the network shows.
    let mine = json!({"name": "Waras Bot", "about": "Automated"});
    let r = sc.patch("/profile", mine).await.success(200);
    assert_eq!(r["name"], json!("Waras Bot"));
    assert_eq!(r["about"], json!("Automated"));
    assert_eq!(r["jid"], json!(jid(ME)));
    assert_eq!(r["lid"], json!(sc.lid(ME)));
    let my_profile = format!("/sandbox/accounts/{ME}/profile");
    eventually(10, "the network shows the new profile", || async {
        let (_, p) = sc.sandbox_call("GET", &my_profile, None).await;
        (p["name"] == json!("Waras Bot") && p["about"] == json!("Automated")).then_some(())
    })
    .await;
    let session = sc.get("").await;
    assert_eq!(
        session.body["me"]["push_name"],
        json!("Waras Bot"),
        "{}",
        session.text
    );
    let about = sc.get(&format!("/contacts/+{ME}/about")).await;
    assert_eq!(about.body["about"], json!("Automated"), "{}", about.text);

    // The own picture: set, seen by the network and in the profile, then removed.
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    let picture = sc.path("/profile/picture");
    let put = sc
        .app
        .send_bytes(Method::PUT, &picture, &sc.key, "image/jpeg", jpeg.clone());
    put.await.success(200);
    let (_, p) = sc.sandbox_call("GET", &my_profile, None).await;
    assert_eq!(p["picture"], json!(B64.encode(&jpeg)));
    let profile = sc.get("/profile").await.success(200);
    assert!(profile["picture_url"].is_string(), "{profile}");
    assert_eq!(profile["name"], json!("Waras Bot"));
    sc.delete("/profile/picture").await.success(204);
    let (_, p) = sc.sandbox_call("GET", &my_profile, None).await;
    assert_eq!(p["picture"], json!(null), "{p}");
    assert_eq!(sc.get("/profile").await.body["picture_url"], json!(null));
}

on_both_backends!(groups_full_lifecycle, groups_contacts_and_profiles);
