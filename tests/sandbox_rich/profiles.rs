//! Profiles: set on one account (by its companion or its phone) and read from another, carried by
//! messages, and kept with the group settings across a sandbox restart.

use serde_json::{Value, json};
use wacore_binary::Jid;

use super::{b64, payload, unb64};
use crate::sandbox_support::{persistent, start, start_with, wait_until};

#[actix_web::test]
async fn profiles_are_set_on_one_account_and_read_from_another() {
    let (sandbox, admin) = start().await;
    let carl = admin.create_account("15550004001", "Carl").await;
    admin.create_account("15550004002", "Dina").await;
    let mut a = admin.link(&sandbox, "15550004001").await;
    let client = a.bot.client();

    // The companion sets its account's picture, about and name; the admin API shows them.
    let picture = payload(42, 12_345);
    let profile = client.profile();
    profile
        .set_profile_picture(picture.clone())
        .await
        .expect("set picture");
    profile
        .set_status_text("Busy building")
        .await
        .expect("about");
    profile.set_push_name("Carl C.").await.expect("name");
    let profile = wait_until("Carl's new name", || async {
        let p = admin.get("/accounts/15550004001/profile").await;
        if p["name"] == "Carl C." {
            Ok(p)
        } else {
            Err(p)
        }
    })
    .await;
    assert_eq!(profile["phone"], "15550004001");
    assert_eq!(profile["lid"], carl["lid"]);
    assert_eq!(profile["about"], "Busy building");
    assert_eq!(
        unb64(profile["picture"].as_str().expect("picture")),
        picture
    );

    // Dina's phone sets her profile; Carl's companion reads it with engine calls.
    let dina_picture = payload(43, 4_321);
    let hers = json!({ "name": "Dina D.", "about": "On holiday", "picture": b64(&dina_picture) });
    let body = admin.put_ok("/accounts/15550004002/profile", hers).await;
    assert_eq!(body["name"], "Dina D.");
    assert_eq!(body["about"], "On holiday");
    let dina = Jid::pn("15550004002");
    let contacts = client.contacts();
    let info = contacts
        .get_user_info(std::slice::from_ref(&dina))
        .await
        .expect("user info");
    let dina_info = info.get(&dina).expect("Dina's info");
    assert_eq!(dina_info.status.as_deref(), Some("On holiday"));
    assert!(dina_info.picture_id.is_some(), "{dina_info:?}");
    let pic = contacts
        .get_profile_picture(&dina, false)
        .await
        .expect("picture query");
    let pic = pic.expect("Dina has a picture");
    assert_eq!(Some(pic.id.clone()), dina_info.picture_id);
    let path = pic.direct_path.clone().expect("direct path");
    assert_eq!(sandbox.media_object(&path), Some(dina_picture.clone()));
    assert!(pic.url.starts_with("https://"), "{}", pic.url);

    // The new name travels with Dina's messages.
    let hello = json!({ "to": "15550004001", "text": "new name, who dis" });
    let id = admin.send_as("15550004002", hello).await;
    let got = a.message(&id).await;
    assert_eq!(got.info.source.sender.user, "15550004002");
    assert_eq!(got.info.push_name, "Dina D.");

    // Removing the picture.
    let body = admin
        .put_ok("/accounts/15550004002/profile", json!({ "picture": "" }))
        .await;
    assert_eq!(body["picture"], Value::Null);
    let none = contacts.get_profile_picture(&dina, true).await;
    assert!(matches!(none, Ok(None)), "{none:?}");

    // Who is on WhatsApp: a sandbox account (with its LID) and a number that is not.
    let asked = [dina.clone(), Jid::pn("19990004999")];
    let found = contacts
        .is_on_whatsapp(&asked)
        .await
        .expect("is_on_whatsapp");
    let d = found
        .iter()
        .find(|r| r.jid.user == "15550004002")
        .expect("Dina");
    assert!(d.is_registered);
    assert!(d.lid.is_some(), "{d:?}");
    let stranger_unknown = found
        .iter()
        .all(|r| r.jid.user != "19990004999" || !r.is_registered);
    assert!(stranger_unknown, "{found:?}");
    let (status, _) = admin
        .put("/accounts/15550004002/profile", json!({ "picture": "!!" }))
        .await;
    assert_eq!(status, 400);
    sandbox.stop().await;
}

#[actix_web::test]
async fn profiles_and_group_settings_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = persistent(&dir);
    let (sandbox, admin) = start_with(config.clone()).await;
    admin.create_account("15550006001", "Kim").await;
    admin.create_account("15550006002", "Lou").await;
    let picture = payload(5, 2_000);
    let mine = json!({ "about": "Persistent", "picture": b64(&picture) });
    admin.put_ok("/accounts/15550006001/profile", mine).await;
    let kept = json!({ "subject": "Kept", "participants": ["15550006002"] });
    let group = admin
        .post_ok("/accounts/15550006001/groups", kept, 201)
        .await;
    let gid = group["id"].as_str().expect("group id").to_string();
    let settings = json!({ "description": "Still here", "announce": true });
    let body = admin
        .put_ok(&format!("/accounts/15550006001/groups/{gid}"), settings)
        .await;
    assert_eq!(body["announce"], true);
    let code = body["invite_code"]
        .as_str()
        .expect("invite code")
        .to_string();
    sandbox.stop().await;

    let (sandbox, admin) = start_with(config).await;
    let profile = admin.get("/accounts/15550006001/profile").await;
    assert_eq!(profile["about"], "Persistent");
    assert_eq!(
        unb64(profile["picture"].as_str().expect("picture")),
        picture
    );
    let view = admin.get(&format!("/groups/{gid}")).await;
    assert_eq!(view["description"], "Still here");
    assert_eq!(view["announce"], true);
    assert_eq!(view["invite_code"], code.as_str());
    sandbox.stop().await;
}
