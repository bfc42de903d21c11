//! WhatsApp Web protocol alignment: the `ProtocolStore` trait. Per-device sender-key status and
//! base keys live here; LID mappings ([`super::lid_mappings`]), the device registry and group
//! metadata ([`super::registry`]), trusted-contact tokens ([`super::tc_tokens`]) and the sent /
//! pending-inbound message buffers ([`super::messages`]) are implemented beside it.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::Result;
use wacore::store::traits::{
    DeviceListRecord, LidPnMappingEntry, PendingInboundKey, PendingInboundRow, ProtocolStore,
    TcTokenEntry,
};

use super::schema::{engine_base_keys as bk, engine_sender_key_devices as skd};
use super::{CHUNK, DieselStore, last_wins};
use crate::db::DbConn;
use crate::with_conn;

const BASE_KEYS: &str = "engine_base_keys";

#[async_trait]
impl ProtocolStore for DieselStore {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        let g = group_jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| Ok(skd::table
                .filter(skd::session_id.eq(sid))
                .filter(skd::group_jid.eq(&g))
                .order(skd::device_jid.asc())
                .select((skd::device_jid, skd::has_key))
                .load(conn)?))
        })
        .await
    }

    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        let g = group_jid.to_string();
        let rows = last_wins(
            entries.iter().map(|(d, k)| (d.to_string(), *k)).collect(),
            |r: &(String, bool)| r.0.clone(),
        );
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(d, k)| {
                            (
                                skd::session_id.eq(sid),
                                skd::group_jid.eq(&g),
                                skd::device_jid.eq(d),
                                skd::has_key.eq(*k),
                            )
                        })
                        .collect();
                    diesel::insert_into(skd::table)
                        .values(values)
                        .on_conflict((skd::session_id, skd::group_jid, skd::device_jid))
                        .do_update()
                        .set(skd::has_key.eq(excluded(skd::has_key)))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        let g = group_jid.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(
                    skd::table
                        .filter(skd::session_id.eq(sid))
                        .filter(skd::group_jid.eq(&g)),
                )
                .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        let devices: Vec<String> = device_jids.iter().map(|d| d.to_string()).collect();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in devices.chunks(CHUNK) {
                    diesel::delete(
                        skd::table
                            .filter(skd::session_id.eq(sid))
                            .filter(skd::device_jid.eq_any(chunk)),
                    )
                    .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(skd::table.filter(skd::session_id.eq(sid))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.lid_get(lid).await
    }

    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        self.pn_get(phone).await
    }

    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        self.upsert_lid_mappings(vec![entry.clone()]).await
    }

    async fn put_lid_mappings(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        self.upsert_lid_mappings(entries.to_vec()).await
    }

    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.lid_all().await
    }

    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        let sealed = self.seal_value(
            BASE_KEYS,
            &[address.as_bytes(), message_id.as_bytes()],
            base_key,
        )?;
        let (a, m) = (address.to_string(), message_id.to_string());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::insert_into(bk::table)
                    .values((
                        bk::session_id.eq(sid),
                        bk::address.eq(&a),
                        bk::message_id.eq(&m),
                        bk::sealed.eq(&sealed),
                    ))
                    .on_conflict((bk::session_id, bk::address, bk::message_id))
                    .do_update()
                    .set(bk::sealed.eq(excluded(bk::sealed)))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn has_same_base_key(
        &self,
        address: &str,
        message_id: &str,
        current_base_key: &[u8],
    ) -> Result<bool> {
        let (a, m) = (address.to_string(), message_id.to_string());
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(bk::table
                    .find((sid, &a, &m))
                    .select(bk::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        let Some(sealed) = sealed else {
            return Ok(false);
        };
        let stored = self.open_value(
            BASE_KEYS,
            &[address.as_bytes(), message_id.as_bytes()],
            &sealed,
        )?;
        Ok(stored.as_slice() == current_base_key)
    }

    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        let (a, m) = (address.to_string(), message_id.to_string());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(bk::table.find((sid, &a, &m))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.upsert_device_lists(vec![record]).await
    }

    async fn update_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        self.upsert_device_lists(records).await
    }

    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        self.registry_get(user).await
    }

    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.registry_delete(user).await
    }

    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        self.group_get(group_jid).await
    }

    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.group_put(group_jid, blob).await
    }

    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.group_delete(group_jid).await
    }

    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.tc_get(jid).await
    }

    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.tc_put(jid, entry).await
    }

    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.tc_delete(jid).await
    }

    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        self.tc_all_jids().await
    }

    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        self.tc_delete_expired(token_cutoff, sender_cutoff).await
    }

    async fn touch_tc_token_sender_timestamp(
        &self,
        jid: &str,
        sender_timestamp: i64,
    ) -> Result<()> {
        self.tc_touch_sender(jid, sender_timestamp).await
    }

    async fn store_received_tc_token(
        &self,
        jid: &str,
        token: &[u8],
        token_timestamp: i64,
    ) -> Result<()> {
        self.tc_store_received(jid, token, token_timestamp).await
    }

    async fn store_sent_message(
        &self,
        chat_jid: &str,
        message_id: &str,
        payload: &[u8],
    ) -> Result<()> {
        self.sent_store(chat_jid, message_id, payload).await
    }

    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        self.sent_take(chat_jid, message_id).await
    }

    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.sent_delete_expired(cutoff_timestamp).await
    }

    async fn store_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
        message: &[u8],
    ) -> Result<()> {
        self.pending_store(&[PendingInboundRow {
            chat,
            sender,
            id,
            message,
        }])
        .await
    }

    async fn get_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.pending_get(chat, sender, id).await
    }

    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.pending_delete(&[PendingInboundKey { chat, sender, id }])
            .await
    }

    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.pending_delete_expired(cutoff_timestamp).await
    }

    async fn store_pending_inbound_batch(&self, rows: &[PendingInboundRow<'_>]) -> Result<()> {
        self.pending_store(rows).await
    }

    async fn delete_pending_inbound_batch(&self, keys: &[PendingInboundKey<'_>]) -> Result<()> {
        self.pending_delete(keys).await
    }
}
