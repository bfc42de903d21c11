//! The engine stores of all sessions: one [`DieselStore`] per session, and the wipe that deletes a
//! session's key material (logout, unlink) while its row stays.

use std::sync::Arc;

use diesel::prelude::*;
use wacore::store::traits::Backend;

use super::SessionStores;
use super::store::DieselStore;
use super::store::schema::*;
use crate::db::cluster::Fence;
use crate::db::{Db, DbConn};
use crate::with_conn;

pub struct DieselStores {
    db: Db,
    master_key: [u8; 32],
}

impl DieselStores {
    pub fn new(db: Db, master_key: [u8; 32]) -> Self {
        Self { db, master_key }
    }
}

macro_rules! delete_session_rows {
    ($conn:expr, $id:expr, [$($table:ident),* $(,)?]) => {{
        $( diesel::delete($table::table.filter($table::session_id.eq($id))).execute($conn)?; )*
    }};
}

#[async_trait::async_trait]
impl SessionStores for DieselStores {
    async fn open(
        &self,
        session_id: &str,
        fence: Option<Arc<Fence>>,
    ) -> anyhow::Result<Arc<dyn Backend>> {
        let store = DieselStore::open(self.db.clone(), session_id, &self.master_key).await?;
        Ok(Arc::new(store.fenced(fence)))
    }

    async fn wipe(&self, session_id: &str, fence: Option<Arc<Fence>>) -> anyhow::Result<()> {
        let id = session_id.to_string();
        self.db
            .run(move |pool| {
                with_conn!(pool, |conn| {
                    conn.write_txn(|conn| {
                        conn.check_fence(&id, fence.as_deref())?;
                        delete_session_rows!(
                            conn,
                            &id,
                            [
                                engine_device,
                                engine_identities,
                                engine_signal_sessions,
                                engine_prekeys,
                                engine_signed_prekeys,
                                engine_sender_keys,
                                engine_app_state_keys,
                                engine_app_state_versions,
                                engine_app_state_mutation_macs,
                                engine_sender_key_devices,
                                engine_lid_pn_mappings,
                                engine_base_keys,
                                engine_device_registry,
                                engine_group_metadata,
                                engine_tc_tokens,
                                engine_sent_messages,
                                engine_pending_inbound,
                                engine_msg_secrets,
                                // The data key goes too: nothing sealed under it can be opened again.
                                session_keys,
                            ]
                        );
                        Ok(())
                    })
                })
            })
            .await?;
        Ok(())
    }
}
