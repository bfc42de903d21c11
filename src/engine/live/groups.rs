//! Group commands: list, create, read, change, participants, invite links, join, leave; and the
//! checks of what users type for them (subjects, descriptions, group ids, invite codes).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use whatsapp_rust::client::Client;
use whatsapp_rust::features::{
    GroupCreateOptions, GroupDescription, GroupMetadata, GroupParticipant, GroupParticipantOptions,
    GroupSubject, JoinGroupResult, PreviousDescription,
};
use whatsapp_rust::wacore_binary::Jid;

use super::{Refusal, jid, jids};
use crate::engine::jid::{jid_text, phone_of};
use crate::time::rfc3339;

pub const MAX_SUBJECT_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2048;
const INVITE_PREFIX: &str = "https://chat.whatsapp.com/";

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Participant {
    /// The JID WhatsApp lists the participant under (phone number or LID).
    pub jid: String,
    /// `+` and the phone number, where known.
    pub phone: Option<String>,
    /// The participant's LID JID, where known.
    pub lid: Option<String>,
    pub admin: bool,
    pub super_admin: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// `<id>@g.us`; works as `to` when sending.
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    /// The creator's JID (phone number where known).
    pub owner: Option<String>,
    pub created_at: Option<String>,
    /// Only admins may send.
    pub announce: bool,
    /// Only admins may change the group's info.
    pub locked: bool,
    pub participants: Vec<Participant>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ParticipantResult {
    pub jid: String,
    /// `ok`, or WhatsApp's error code for this participant (e.g. `403`, `404`, `409`).
    pub status: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Joined {
    pub id: String,
    /// `joined`, or `pending_approval` when an admin must approve.
    pub status: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
}

fn participant(p: &GroupParticipant) -> Participant {
    let phone = phone_of(&p.jid).or_else(|| p.phone_number.as_ref().and_then(phone_of));
    let lid = if p.jid.is_lid() {
        Some(jid_text(&p.jid))
    } else {
        p.lid.as_ref().map(jid_text)
    };
    Participant {
        jid: jid_text(&p.jid),
        phone,
        lid,
        admin: p.is_admin(),
        super_admin: p.is_super_admin(),
    }
}

impl From<GroupMetadata> for Group {
    fn from(m: GroupMetadata) -> Self {
        let owner = m.creator_pn.as_ref().or(m.creator.as_ref()).map(jid_text);
        Self {
            id: m.id.to_string(),
            subject: m.subject.clone(),
            description: m.description.clone().filter(|d| !d.is_empty()),
            owner,
            created_at: m.creation_time.map(|s| rfc3339(s as i64 * 1000)),
            announce: m.is_announcement,
            locked: m.is_locked,
            participants: m.participants.iter().map(participant).collect(),
        }
    }
}

/// `120363…@g.us` or just `120363…` (older groups: `<creator>-<time>`), as a group JID.
pub fn group_jid(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let user = match raw.split_once('@') {
        Some((user, "g.us")) => user,
        Some(_) => return Err(format!("`{raw}` is not a group JID (…@g.us)")),
        None => raw,
    };
    let valid = (1..=64).contains(&user.len())
        && user.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && user.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && user.bytes().last().is_some_and(|b| b.is_ascii_digit());
    if !valid {
        return Err(format!("`{raw}` is not a group id"));
    }
    Ok(Jid::group(user).to_string())
}

/// A group subject: trimmed, 1–100 characters.
pub fn check_subject(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_SUBJECT_CHARS {
        return Err(format!("1 to {MAX_SUBJECT_CHARS} characters"));
    }
    GroupSubject::new(trimmed).map_err(|e| e.to_string())?;
    Ok(trimmed.to_string())
}

/// A group description (up to 2048 characters); blank means "remove it" (an empty string).
pub fn check_description(raw: &str) -> Result<String, String> {
    if raw.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!("at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    GroupDescription::new(raw).map_err(|e| e.to_string())?;
    Ok(raw.to_string())
}

/// The code of an invite link or a bare code.
pub fn invite_code(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let code = raw
        .strip_prefix(INVITE_PREFIX)
        .or_else(|| raw.strip_prefix("http://chat.whatsapp.com/"))
        .map(|rest| rest.strip_prefix("invite/").unwrap_or(rest))
        .unwrap_or(raw)
        .trim_end_matches('/');
    let valid = (1..=128).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "`{raw}` is not an invite code or https://chat.whatsapp.com/<code> link"
        ));
    }
    Ok(code.to_string())
}

/// An invite link as its code and its canonical URL.
pub fn invite_parts(link: &str) -> (String, String) {
    let code = link
        .strip_prefix(INVITE_PREFIX)
        .unwrap_or(link)
        .trim_end_matches('/')
        .to_string();
    (code.clone(), format!("{INVITE_PREFIX}{code}"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListGroups;

impl ListGroups {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Vec<Group>, Refusal> {
        let groups = c.groups().get_participating().await?;
        let mut data: Vec<Group> = groups.into_values().map(Group::from).collect();
        data.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(data)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateGroup {
    pub subject: String,
    pub participants: Vec<String>,
}

impl CreateGroup {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Group, Refusal> {
        let members = jids(&self.participants)?;
        let options = GroupCreateOptions::new(self.subject).with_participants(
            members
                .into_iter()
                .map(GroupParticipantOptions::new)
                .collect(),
        );
        Ok(Group::from(
            c.groups().create_group(options).await?.metadata,
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetGroup {
    pub group: String,
}

impl GetGroup {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Group, Refusal> {
        let group = jid(&self.group)?;
        Ok(Group::from(c.groups().get_metadata(&group).await?))
    }
}

/// Changes what is given, in this order, then answers the group as it is now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateGroup {
    pub group: String,
    pub subject: Option<String>,
    /// An empty string removes the description.
    pub description: Option<String>,
    pub announce: Option<bool>,
    pub locked: Option<bool>,
}

impl UpdateGroup {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Group, Refusal> {
        let group = jid(&self.group)?;
        let groups = c.groups();
        if let Some(s) = self.subject {
            let subject = GroupSubject::new(&s).map_err(|e| Refusal::invalid(e.to_string()))?;
            groups.set_subject(group.clone(), subject).await?;
        }
        if let Some(d) = self.description {
            let description = if d.is_empty() {
                None
            } else {
                Some(GroupDescription::new(&d).map_err(|e| Refusal::invalid(e.to_string()))?)
            };
            groups
                .set_description(group.clone(), description, PreviousDescription::Resolve)
                .await?;
        }
        if let Some(announce) = self.announce {
            groups.set_announce(group.clone(), announce).await?;
        }
        if let Some(locked) = self.locked {
            groups.set_locked(group.clone(), locked).await?;
        }
        Ok(Group::from(groups.get_metadata(&group).await?))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeParticipants {
    pub group: String,
    pub action: ParticipantAction,
    pub participants: Vec<String>,
}

impl ChangeParticipants {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Vec<ParticipantResult>, Refusal> {
        let group = jid(&self.group)?;
        let members = jids(&self.participants)?;
        let groups = c.groups();
        let answers = match self.action {
            ParticipantAction::Add => groups.add_participants(group, &members).await,
            ParticipantAction::Remove => groups.remove_participants(group, &members).await,
            ParticipantAction::Promote => groups.promote_participants(group, &members).await,
            ParticipantAction::Demote => groups.demote_participants(group, &members).await,
        }?;
        Ok(answers
            .iter()
            .map(|a| ParticipantResult {
                jid: jid_text(&a.jid),
                status: a.error.clone().unwrap_or_else(|| "ok".into()),
            })
            .collect())
    }
}

/// The group's invite link; `reset` revokes the old one first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteLink {
    pub group: String,
    pub reset: bool,
}

impl InviteLink {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<String, Refusal> {
        let group = jid(&self.group)?;
        Ok(c.groups().get_invite_link(group, self.reset).await?)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinGroup {
    pub code: String,
}

impl JoinGroup {
    pub(super) const WHAT: &'static str = "invite";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<Joined, Refusal> {
        let (id, status) = match c.groups().join_with_invite_code(&self.code).await? {
            JoinGroupResult::Joined(jid) => (jid, "joined"),
            JoinGroupResult::PendingApproval(jid) => (jid, "pending_approval"),
        };
        Ok(Joined {
            id: id.to_string(),
            status: status.into(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaveGroup {
    pub group: String,
}

impl LeaveGroup {
    pub(super) const WHAT: &'static str = "group";

    pub(super) async fn run(self, c: &Arc<Client>) -> Result<(), Refusal> {
        let group = jid(&self.group)?;
        Ok(c.groups().leave(group).await?)
    }
}
