//! What the admin API shows of groups.

use serde::Serialize;

use super::core::Core;

/// A group as the account group list of the admin API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct GroupInfo {
    pub id: String,
    pub subject: String,
    pub creator: String,
    pub participants: Vec<String>,
}

/// A member as `GET /sandbox/groups/{id}` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct MemberView {
    pub phone: String,
    pub lid: String,
    pub admin: bool,
}

/// `GET /sandbox/groups/{id}`.
#[derive(Clone, Debug, Serialize)]
pub struct GroupView {
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    pub creator: String,
    pub participants: Vec<MemberView>,
    pub announce: bool,
    pub locked: bool,
    pub invite_code: Option<String>,
}

pub(crate) fn info(core: &Core, id: &str) -> Option<GroupInfo> {
    let net = core.read_net();
    let g = net.groups.get(id)?;
    Some(GroupInfo {
        id: format!("{}@g.us", g.id),
        subject: g.subject.clone(),
        creator: g.creator.clone(),
        participants: g.members.clone(),
    })
}

pub(crate) fn view(core: &Core, id: &str) -> Option<GroupView> {
    let net = core.read_net();
    let g = net.groups.get(id)?;
    let participants = g
        .members
        .iter()
        .map(|m| MemberView {
            phone: m.clone(),
            lid: net
                .accounts
                .get(m)
                .map(|a| a.lid.clone())
                .unwrap_or_default(),
            admin: g.is_admin(m),
        })
        .collect();
    Some(GroupView {
        id: format!("{}@g.us", g.id),
        subject: g.subject.clone(),
        description: g.description.clone(),
        creator: g.creator.clone(),
        participants,
        announce: g.announce,
        locked: g.locked,
        invite_code: g.invite_code.clone(),
    })
}

pub(crate) fn of_account(core: &Core, phone: &str) -> Vec<GroupInfo> {
    let ids: Vec<String> = core
        .read_net()
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m == phone))
        .map(|g| g.id.clone())
        .collect();
    ids.iter().filter_map(|id| info(core, id)).collect()
}
