//! Chat changes as the engine reads them from app state (archive, pin, mute, read state, delete,
//! clear), made on another device of the account or by this session: stored, with a
//! `chat.updated` event when they change anything.

use actix::prelude::*;
use wacore::types::events::Event;

use super::SessionActor;
use crate::db::chat_states::{self, ChatChange};
use crate::db::now_ms;
use crate::engine::jid::user_jid;

/// The chat and its change, for the engine events that are chat changes.
fn change_of(event: &Event) -> Option<(String, ChatChange)> {
    Some(match event {
        Event::ArchiveUpdate(u) => (
            user_jid(&u.jid),
            ChatChange::Archived(u.action.archived.unwrap_or(false)),
        ),
        Event::PinUpdate(u) => (
            user_jid(&u.jid),
            ChatChange::Pinned(u.action.pinned.unwrap_or(false)),
        ),
        Event::MuteUpdate(u) => {
            let until = u.action.mute_end_timestamp.filter(|t| *t != 0);
            let muted = u.action.muted.unwrap_or(false);
            (
                user_jid(&u.jid),
                ChatChange::Muted(muted.then(|| until.unwrap_or(-1))),
            )
        }
        Event::MarkChatAsReadUpdate(u) => (
            user_jid(&u.jid),
            ChatChange::MarkedUnread(!u.action.read.unwrap_or(true)),
        ),
        Event::DeleteChatUpdate(u) => (user_jid(&u.jid), ChatChange::Emptied { deleted: true }),
        Event::ClearChatUpdate(u) => (user_jid(&u.jid), ChatChange::Emptied { deleted: false }),
        _ => return None,
    })
}

pub(super) fn is_chat_change(event: &Event) -> bool {
    change_of(event).is_some()
}

pub(super) fn on_event(act: &SessionActor, event: &Event, ctx: &mut Context<SessionActor>) {
    let Some((chat, change)) = change_of(event) else {
        return;
    };
    let (db, sid) = (act.db.clone(), act.id.as_str().to_string());
    let work = async move {
        let stored = db
            .run_patiently(move |pool| {
                chat_states::apply(pool, &sid, std::slice::from_ref(&chat), change, now_ms())
            })
            .await;
        match stored {
            Ok((_, Some(_))) => db.events_appended(),
            Ok(_) => {}
            Err(e) => log::warn!("cannot store a chat change: {e}"),
        }
    };
    ctx.spawn(work.into_actor(act));
}
