//! A group's whole life between an engine companion and the phones' admin API: membership,
//! admins, subject and description, announcement and locked modes, invite links, join and leave.

use std::time::Duration;

use serde_json::json;
use wacore::stanza::groups::GroupNotificationAction as Action;
use wacore_binary::Jid;

use crate::sandbox_support::{Admin, Companion, linked, truncate};

const GIA: &str = "15550003001";
const HAL: &str = "15550003002";
const IVY: &str = "15550003003";
const JO: &str = "15550003004";

/// Whether a group notification adds (or removes) `phone`.
fn names(participants: &[wacore::stanza::groups::GroupParticipantInfo], phone: &str) -> bool {
    participants.iter().any(|p| p.jid.user == phone)
}

#[actix_web::test]
async fn the_group_lifecycle_flows_through_engine_and_admin_api() {
    let accounts = [(GIA, "Gia"), (HAL, "Hal"), (IVY, "Ivy"), (JO, "Jo")];
    let (sandbox, admin, mut a) = linked(&accounts).await;
    let gid = a.create_group("Lifecycle", &[HAL]).await;
    let path = format!("/groups/{}", gid.user);
    let view = admin.get(&path).await;
    assert_eq!(view["id"], gid.to_string());
    assert_eq!(view["subject"], "Lifecycle");
    assert_eq!(view["creator"], GIA);
    assert_eq!(view["participants"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        admin.get(&format!("/groups/{gid}")).await["id"],
        gid.to_string()
    );

    membership_by_the_phone(&admin, &mut a, &gid, &path).await;
    subject_and_modes(&admin, &mut a, &gid, &path).await;
    invites_join_and_leave(&admin, &mut a, &gid, &path).await;

    // A non-member may not act on the group.
    admin
        .post_ok(
            &format!("/accounts/{IVY}/groups/{gid}/leave"),
            json!({}),
            403,
        )
        .await;
    sandbox.stop().await;
}

/// Membership changes by Gia's phone through the admin API reach Gia's companion as events.
async fn membership_by_the_phone(admin: &Admin, a: &mut Companion, gid: &Jid, path: &str) {
    let add = json!({ "action": "add", "participants": [IVY] });
    let body = admin
        .post_ok(
            &format!("/accounts/{GIA}/groups/{gid}/participants"),
            add,
            200,
        )
        .await;
    assert_eq!(body["participants"][0]["ok"], true, "{body}");
    let added = a
        .group_update("the add", |action| match action {
            Action::Add { participants, .. } => Some(
                participants
                    .iter()
                    .map(|p| p.jid.user.to_string())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .await;
    assert_eq!(added, vec![IVY.to_string()]);
    for (action, check) in [("promote", true), ("demote", false)] {
        let change = json!({ "action": action, "participants": [HAL] });
        let members = format!("/accounts/{GIA}/groups/{}/participants", gid.user);
        admin.post_ok(&members, change, 200).await;
        let seen = a
            .group_update(action, |got| match (got, action) {
                (Action::Promote { participants }, "promote")
                | (Action::Demote { participants }, "demote") => Some(participants.len()),
                _ => None,
            })
            .await;
        assert_eq!(seen, 1);
        let view = admin.get(path).await;
        let hal = view["participants"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["phone"] == HAL));
        assert_eq!(hal.expect("Hal")["admin"], check, "{view}");
    }
}

/// Subject and description by the phone, settings by the companion; a non-admin is held back.
async fn subject_and_modes(admin: &Admin, a: &mut Companion, gid: &Jid, path: &str) {
    let client = a.bot.client();
    let renamed = json!({ "subject": "Renamed", "description": "All about it" });
    let body = admin
        .put_ok(&format!("/accounts/{GIA}/groups/{gid}"), renamed)
        .await;
    assert_eq!(body["subject"], "Renamed");
    assert_eq!(body["description"], "All about it");
    a.group_update("the subject", |action| match action {
        Action::Subject { subject, .. } if subject == "Renamed" => Some(()),
        _ => None,
    })
    .await;
    a.group_update("the description", |action| match action {
        Action::Description { description, .. } => {
            (description.as_deref() == Some("All about it")).then_some(())
        }
        _ => None,
    })
    .await;
    let metadata = client.groups().get_metadata(gid).await.expect("metadata");
    assert_eq!(metadata.subject, "Renamed");
    assert_eq!(metadata.description.as_deref(), Some("All about it"));
    set_modes(&client, gid, true, admin, path).await;
    a.group_update("announcement mode", |action| {
        matches!(action, Action::Announce).then_some(())
    })
    .await;

    // Hal is no admin: he cannot change a locked group or speak in an announcement group.
    let (status, body) = admin
        .put(
            &format!("/accounts/{HAL}/groups/{gid}"),
            json!({ "subject": "Hijacked" }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let remove = json!({ "action": "remove", "participants": [IVY] });
    admin
        .post_ok(
            &format!("/accounts/{HAL}/groups/{gid}/participants"),
            remove,
            403,
        )
        .await;
    let to_group = |text: &str| json!({ "to": gid.to_string(), "text": text });
    let muted = admin.send_as(HAL, to_group("muted?")).await;
    let spoken = admin.send_as(GIA, to_group("admins speak")).await;
    admin.inbox_entry(HAL, &spoken).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inbox = admin.get(&format!("/accounts/{IVY}/messages")).await;
    let went_out = inbox
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["id"] == muted.as_str()));
    assert!(
        !went_out,
        "a non-admin's message went out in announcement mode: {}",
        truncate(&inbox)
    );
    set_modes(&client, gid, false, admin, path).await;
}

/// The companion turns announcement mode and locking on or off; the sandbox shows both.
async fn set_modes(client: &whatsapp_rust::Client, gid: &Jid, on: bool, admin: &Admin, path: &str) {
    client
        .groups()
        .set_announce(gid.clone(), on)
        .await
        .expect("announce");
    client
        .groups()
        .set_locked(gid.clone(), on)
        .await
        .expect("lock");
    let view = admin.get(path).await;
    assert_eq!(view["announce"], on);
    assert_eq!(view["locked"], on);
}

/// Invite links: get, revoke, join by code, leave, and a removal by the admin.
async fn invites_join_and_leave(admin: &Admin, a: &mut Companion, gid: &Jid, path: &str) {
    let client = a.bot.client();
    let link = client
        .groups()
        .get_invite_link(gid.clone(), false)
        .await
        .expect("invite");
    let code = link.rsplit('/').next().expect("code").to_string();
    assert_eq!(admin.get(path).await["invite_code"], code.as_str());
    let revoked = client
        .groups()
        .get_invite_link(gid.clone(), true)
        .await
        .expect("revoke");
    assert_ne!(revoked, link);
    let code = revoked.rsplit('/').next().expect("code").to_string();
    let join = format!("/accounts/{JO}/groups/join");
    let (status, _) = admin.post(&join, json!({ "code": link })).await;
    assert_eq!(status, 404, "the old code is dead");
    let body = admin.post_ok(&join, json!({ "code": code }), 200).await;
    let joined = body["participants"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["phone"] == JO));
    assert!(joined, "{body}");
    a.group_update("the join", |action| match action {
        Action::Add { participants, .. } if names(participants, JO) => Some(()),
        _ => None,
    })
    .await;
    admin
        .post_ok(
            &format!("/accounts/{IVY}/groups/{gid}/leave"),
            json!({}),
            200,
        )
        .await;
    a.group_update("the leave", |action| match action {
        Action::Remove { participants, .. } if names(participants, IVY) => Some(()),
        _ => None,
    })
    .await;
    let remove = json!({ "action": "remove", "participants": [JO] });
    admin
        .post_ok(
            &format!("/accounts/{GIA}/groups/{gid}/participants"),
            remove,
            200,
        )
        .await;
    let view = admin.get(path).await;
    let members: Vec<&str> = (view["participants"]
        .as_array()
        .expect("participants")
        .iter())
    .filter_map(|p| p["phone"].as_str())
    .collect();
    assert_eq!(members, vec![GIA, HAL], "{view}");
    let participating = client
        .groups()
        .get_participating()
        .await
        .expect("participating");
    let mine = participating.get(gid).expect("the group is listed");
    assert_eq!(mine.participants.len(), 2);
    assert_eq!(mine.subject, "Renamed");
}
