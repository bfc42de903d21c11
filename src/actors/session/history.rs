//! History from the phone: how the engine starts (`Launch`: the sealed proxy URL, and whether to
//! take history at all), and each history sync chunk stored as messages with a
//! `history.progress` event (`config.history_sync`: none, recent or full).

use actix::prelude::*;
use wacore::types::events::LazyHistorySync;

use super::SessionActor;
use crate::db::history::{self, Chunk};
use crate::db::{now_ms, sessions};
use crate::domain::{HistorySync, SessionOptions};
use crate::engine::history::{Owner, read};

/// What the engine is started with, from the session's row.
#[derive(Debug, Clone, Default)]
pub(super) struct Launch {
    pub proxy_sealed: Option<String>,
    /// `history_sync: none`: the engine acknowledges history without downloading it.
    pub skip_history: bool,
}

impl Launch {
    pub fn of(row: &sessions::SessionRow) -> Self {
        Self {
            proxy_sealed: row.proxy_sealed.clone(),
            skip_history: SessionOptions::of_stored(&row.config).history_sync == HistorySync::None,
        }
    }
}

fn sync_type(code: i32) -> &'static str {
    match code {
        0 => "initial_bootstrap",
        1 => "initial_status",
        2 => "full",
        3 => "recent",
        4 => "push_name",
        5 => "non_blocking_data",
        6 => "on_demand",
        _ => "other",
    }
}

/// Stores one history chunk (read again from the session's config, which may have changed).
pub(super) fn store(act: &SessionActor, sync: &LazyHistorySync, ctx: &mut Context<SessionActor>) {
    let (db, sid, tenant) = (
        act.db.clone(),
        act.id.as_str().to_string(),
        act.tenant_id.clone(),
    );
    let sync = sync.clone();
    let work = async move {
        let session = match db.run(move |pool| sessions::find(pool, &sid)).await {
            Ok(Some(s)) => s,
            _ => return,
        };
        let options = SessionOptions::of_stored(&session.config);
        if options.history_sync == HistorySync::None {
            return;
        }
        let stored = db
            .run_patiently(move |pool| {
                let now = now_ms();
                let Some(parsed) = sync.get() else {
                    log::warn!(
                        "session {}: a history sync chunk does not decode",
                        session.id
                    );
                    return Ok(None);
                };
                let owner = Owner {
                    session_id: &session.id,
                    tenant_id: &tenant,
                    me: session.me_phone_jid.as_deref(),
                };
                let found = read(parsed, &owner, options.history_since(now), now);
                let chunk = Chunk {
                    sync_type: sync_type(sync.sync_type()).to_string(),
                    chunk_order: sync.chunk_order(),
                    progress: sync.progress(),
                    conversations: found.conversations,
                };
                history::store(pool, &session.id, &found.rows, &found.seen, &chunk, now).map(Some)
            })
            .await;
        match stored {
            Ok(Some(_)) => db.events_appended(),
            Ok(None) => {}
            Err(e) => log::warn!("cannot store history: {e}"),
        }
    };
    ctx.spawn(work.into_actor(act));
}
