//! An account's profile in the network: push name, about text and picture (published on the
//! media host), and the notifications contacts get when it changes. The `status` and
//! `w:profile:picture` IQs that change it from a companion are in `server/profiles.rs`.

use base64::Engine as _;
use serde::Serialize;
use wacore_binary::Node;
use wacore_binary::builder::NodeBuilder;

use super::core::Core;
use super::network::{Network, Picture};
use crate::nodes::new_id;

/// An account's profile as the admin API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileView {
    pub phone: String,
    pub lid: String,
    pub name: String,
    pub about: String,
    pub business: bool,
    /// Base64 of the picture, or `null`.
    pub picture: Option<String>,
}

pub(crate) fn view(core: &Core, phone: &str) -> Option<ProfileView> {
    let net = core.read_net();
    let acc = net.accounts.get(phone)?;
    let profile = net.profiles.get(phone).cloned().unwrap_or_default();
    Some(ProfileView {
        phone: acc.phone.clone(),
        lid: acc.lid.clone(),
        name: acc.name.clone(),
        about: profile.about,
        business: profile.business,
        picture: profile
            .picture
            .map(|p| base64::engine::general_purpose::STANDARD.encode(p.bytes)),
    })
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A notification about `phone` for every other account's online devices and the account's
/// own other devices (presence-like: not queued for offline devices).
pub(crate) fn tell_contacts(net: &Network, phone: &str, node: &Node) {
    for acc in net.accounts.values() {
        for d in acc.devices.values().filter(|d| d.linked) {
            if acc.phone == phone && d.id == 0 {
                continue;
            }
            net.deliver_live(&acc.phone, d.id, node.clone());
        }
    }
}

/// `<presence name="…">`: a device of the account renamed it (its push name).
pub(crate) fn push_name(net: &mut Network, phone: &str, name: &str) {
    let name = name.trim();
    if name.is_empty() {
        return;
    }
    if let Some(acc) = net.accounts.get_mut(phone) {
        acc.name = name.to_string();
    }
}

/// Stores (or with `None` removes) the account's picture, publishes it on the media host and
/// tells contacts. Returns the new picture id.
pub(crate) fn set_picture(core: &Core, phone: &str, bytes: Option<Vec<u8>>) -> Option<u64> {
    let mut net = core.lock_net();
    let previous_id = net
        .profiles
        .get(phone)
        .and_then(|p| p.picture.as_ref())
        .map(|p| p.id);
    let profile = net.profiles.entry(phone.to_string()).or_default();
    if let Some(old) = profile.picture.take() {
        core.media.remove(&old.direct_path);
    }
    let id = match bytes.filter(|b| !b.is_empty()) {
        Some(bytes) => {
            // Picture ids grow, like the server's, so a new picture never reuses an old id.
            let id = (now() as u64).max(previous_id.map_or(0, |p| p + 1));
            let direct_path = format!("/v/t61.24694-24/sandbox-pp-{phone}-{id}.jpg");
            core.media.put(&direct_path, bytes.clone());
            profile.picture = Some(Picture {
                id,
                bytes,
                direct_path,
            });
            Some(id)
        }
        None => None,
    };
    if let Some(acc) = net.accounts.get(phone) {
        let jid = acc.pn_jid();
        let change = match id {
            Some(id) => NodeBuilder::new("set")
                .attr("jid", jid.clone())
                .attr("id", id.to_string())
                .attr("author", jid.clone())
                .build(),
            None => NodeBuilder::new("delete").attr("jid", jid.clone()).build(),
        };
        let note = NodeBuilder::new("notification")
            .attr("type", "picture")
            .attr("from", jid)
            .attr("id", new_id())
            .attr("t", now().to_string())
            .children([change])
            .build();
        tell_contacts(&net, phone, &note);
    }
    id
}
