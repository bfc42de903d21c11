//! What the admin API makes a phone do, through the phone's own engine client so every IQ,
//! stanza and notification flows as it does for a real phone: rich sends, group changes,
//! joining and leaving, and profile updates.

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use serde::Serialize;
use wacore_binary::Jid;
use whatsapp_rust::Client;
use whatsapp_rust::features::{
    GroupDescription, GroupSubject, JoinGroupResult, PreviousDescription,
};

use super::outgoing::{self, Content, Context};
use super::phone::phone_client;
use crate::net::core::Core;

/// Runs `f` with the phone's client on the sandbox runtime.
async fn on_phone<T, F, Fut>(core: &Arc<Core>, phone: &str, f: F) -> Result<T>
where
    F: FnOnce(Arc<Client>) -> Fut,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let client = phone_client(core, phone)?;
    core.rt
        .spawn(f(client))
        .await
        .context("phone task failed")?
}

/// Sends `content` as the account; returns the message id.
pub(crate) async fn send(
    core: &Arc<Core>,
    phone: &str,
    to: Jid,
    content: Content,
    ctx: Context,
) -> Result<String> {
    let task_core = core.clone();
    let own = Jid::pn(phone);
    on_phone(core, phone, move |client| async move {
        outgoing::send(&task_core, &client, &own, to, content, ctx).await
    })
    .await
}

/// One participant's outcome of a membership change.
#[derive(Debug, Serialize)]
pub struct ParticipantOutcome {
    pub phone: String,
    pub ok: bool,
    /// The server's error code for this participant, if it refused.
    pub error: Option<String>,
}

pub(crate) async fn change_participants(
    core: &Arc<Core>,
    phone: &str,
    group: Jid,
    action: &str,
    members: Vec<String>,
) -> Result<Vec<ParticipantOutcome>> {
    let jids: Vec<Jid> = members.iter().map(|m| Jid::pn(m.as_str())).collect();
    let action = action.to_string();
    let answers = on_phone(core, phone, move |client| async move {
        let groups = client.groups();
        let r = match action.as_str() {
            "add" => groups.add_participants(group, &jids).await,
            "remove" => groups.remove_participants(group, &jids).await,
            "promote" => groups.promote_participants(group, &jids).await,
            _ => groups.demote_participants(group, &jids).await,
        };
        r.map_err(|e| anyhow!("{action} failed: {e}"))
    })
    .await?;
    Ok(answers
        .into_iter()
        .map(|a| ParticipantOutcome {
            phone: a.jid.user.to_string(),
            ok: a.is_ok(),
            error: a.error.clone(),
        })
        .collect())
}

/// Joins by invite code (or `https://chat.whatsapp.com/{code}`); returns the group JID.
pub(crate) async fn join(core: &Arc<Core>, phone: &str, code: String) -> Result<Jid> {
    let code = code
        .trim()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    on_phone(core, phone, move |client| async move {
        match client.groups().join_with_invite_code(&code).await {
            Ok(JoinGroupResult::Joined(jid)) => Ok(jid),
            Ok(other) => Err(anyhow!("join is pending: {other:?}")),
            Err(e) => Err(anyhow!("joining failed: {e}")),
        }
    })
    .await
}

pub(crate) async fn leave(core: &Arc<Core>, phone: &str, group: Jid) -> Result<()> {
    on_phone(core, phone, move |client| async move {
        client
            .groups()
            .leave(group)
            .await
            .map_err(|e| anyhow!("leaving failed: {e}"))
    })
    .await
}

/// Group info changes; `None` leaves a field as it is, an empty description removes it.
#[derive(Default)]
pub(crate) struct GroupChanges {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub announce: Option<bool>,
    pub locked: Option<bool>,
}

pub(crate) async fn update_group(
    core: &Arc<Core>,
    phone: &str,
    group: Jid,
    changes: GroupChanges,
) -> Result<()> {
    on_phone(core, phone, move |client| async move {
        let groups = client.groups();
        if let Some(subject) = changes.subject {
            let subject = GroupSubject::new(subject)?;
            groups
                .set_subject(group.clone(), subject)
                .await
                .map_err(|e| anyhow!("setting the subject failed: {e}"))?;
        }
        if let Some(description) = changes.description {
            let description = match description.is_empty() {
                true => None,
                false => Some(GroupDescription::new(description)?),
            };
            groups
                .set_description(group.clone(), description, PreviousDescription::Resolve)
                .await
                .map_err(|e| anyhow!("setting the description failed: {e}"))?;
        }
        if let Some(announce) = changes.announce {
            groups
                .set_announce(group.clone(), announce)
                .await
                .map_err(|e| anyhow!("setting announcement mode failed: {e}"))?;
        }
        if let Some(locked) = changes.locked {
            groups
                .set_locked(group.clone(), locked)
                .await
                .map_err(|e| anyhow!("locking failed: {e}"))?;
        }
        Ok(())
    })
    .await
}

/// Profile changes; `None` leaves a field as it is, an empty picture removes it.
#[derive(Default)]
pub(crate) struct ProfileChanges {
    pub name: Option<String>,
    pub about: Option<String>,
    pub picture: Option<Vec<u8>>,
}

pub(crate) async fn update_profile(
    core: &Arc<Core>,
    phone: &str,
    changes: ProfileChanges,
) -> Result<()> {
    if let Some(name) = changes.name.as_deref() {
        // The phone announces the name to the server; record it at once too, so the answer
        // reflects it whatever the engine's app-state follow-up does.
        crate::net::profile::push_name(&mut core.lock_net(), phone, name);
    }
    on_phone(core, phone, move |client| async move {
        let profile = client.profile();
        if let Some(name) = changes.name {
            profile
                .set_push_name(&name)
                .await
                .map_err(|e| anyhow!("setting the name failed: {e}"))?;
        }
        if let Some(about) = changes.about {
            profile
                .set_status_text(&about)
                .await
                .map_err(|e| anyhow!("setting the about text failed: {e}"))?;
        }
        if let Some(picture) = changes.picture {
            profile
                .set_profile_picture(picture)
                .await
                .map_err(|e| anyhow!("setting the picture failed: {e}"))?;
        }
        Ok(())
    })
    .await
}
