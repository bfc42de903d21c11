//! Signal protocol state: the `SignalStore` trait. Identities, sessions and sender keys live here;
//! one-time and signed prekeys in [`super::prekeys`]. Every record is sealed; addresses and ids
//! stay in clear because lookups need them.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use diesel::prelude::*;
use wacore::store::error::{Result, StoreError};
use wacore::store::traits::SignalStore;

use super::DieselStore;
use super::schema::{engine_identities as ident, engine_signal_sessions as sess};
use super::sealed::{Identities, SenderKeys, SignalSessions};
use crate::with_conn;

/// Whether `address` (`user@server` or `user:device@server`) belongs to `user`.
fn address_of_user(address: &str, user: &str) -> bool {
    address
        .strip_prefix(user)
        .is_some_and(|rest| rest.starts_with('@') || rest.starts_with(':'))
}

/// A LIKE pattern matching addresses that start with `user`, with LIKE's wildcards escaped.
fn user_prefix_pattern(user: &str) -> String {
    let mut p = String::with_capacity(user.len() + 1);
    for c in user.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[async_trait]
impl SignalStore for DieselStore {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        self.keyed_put::<Identities, _>([(address, &key[..])]).await
    }

    async fn put_identities_batch(&self, identities: &[(Arc<str>, [u8; 32])]) -> Result<()> {
        let items = identities.iter().map(|(a, k)| (&**a, &k[..]));
        self.keyed_put::<Identities, _>(items).await
    }

    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        let Some(key) = self.keyed_get::<Identities>(address).await? else {
            return Ok(None);
        };
        let key: [u8; 32] = key[..]
            .try_into()
            .map_err(|_| StoreError::Validation(format!("identity key has {} bytes", key.len())))?;
        Ok(Some(key))
    }

    async fn delete_identity(&self, address: &str) -> Result<()> {
        self.keyed_delete::<Identities>(address).await
    }

    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        let record = self.keyed_get::<SignalSessions>(address).await?;
        Ok(record.map(|r| Bytes::copy_from_slice(&r)))
    }

    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        self.keyed_put::<SignalSessions, _>([(address, session)])
            .await
    }

    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        let items = sessions.iter().map(|(a, s)| (&**a, &s[..]));
        self.keyed_put::<SignalSessions, _>(items).await
    }

    async fn delete_session(&self, address: &str) -> Result<()> {
        self.keyed_delete::<SignalSessions>(address).await
    }

    async fn has_session(&self, address: &str) -> Result<bool> {
        self.keyed_exists::<SignalSessions>(address).await
    }

    async fn has_signal_state_for_user(&self, user: &str) -> Result<bool> {
        // LIKE narrows the scan with the index; the exact rule is applied in Rust because
        // SQLite's LIKE ignores ASCII case.
        let (pattern, u) = (user_prefix_pattern(user), user.to_string());
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                let sessions: Vec<String> = sess::table
                    .filter(sess::session_id.eq(sid))
                    .filter(sess::address.like(&pattern).escape('\\'))
                    .select(sess::address)
                    .load(conn)?;
                if sessions.iter().any(|a| address_of_user(a, &u)) {
                    return Ok(true);
                }
                let identities: Vec<String> = ident::table
                    .filter(ident::session_id.eq(sid))
                    .filter(ident::address.like(&pattern).escape('\\'))
                    .select(ident::address)
                    .load(conn)?;
                Ok(identities.iter().any(|a| address_of_user(a, &u)))
            })
        })
        .await
    }

    async fn store_prekey(&self, id: u32, record: &[u8], uploaded: bool) -> Result<()> {
        self.upsert_prekeys(&[(id, Bytes::copy_from_slice(record))], uploaded)
            .await
    }

    async fn store_prekeys_batch(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        self.upsert_prekeys(keys, uploaded).await
    }

    async fn load_prekey(&self, id: u32) -> Result<Option<Bytes>> {
        Ok(self
            .load_prekeys_batch(&[id])
            .await?
            .pop()
            .map(|(_, record)| record))
    }

    async fn load_prekeys_batch(&self, ids: &[u32]) -> Result<Vec<(u32, Bytes)>> {
        self.prekeys_load(ids).await
    }

    async fn mark_prekeys_uploaded(&self, ids: &[u32]) -> Result<()> {
        self.prekeys_mark_uploaded(ids).await
    }

    async fn remove_prekey(&self, id: u32) -> Result<()> {
        self.prekey_remove(id).await
    }

    async fn get_max_prekey_id(&self) -> Result<u32> {
        self.prekey_max_id().await
    }

    async fn store_signed_prekey(&self, id: u32, record: &[u8]) -> Result<()> {
        self.signed_store(id, record).await
    }

    async fn load_signed_prekey(&self, id: u32) -> Result<Option<Vec<u8>>> {
        self.signed_load(id).await
    }

    async fn load_all_signed_prekeys(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        self.signed_load_all().await
    }

    async fn remove_signed_prekey(&self, id: u32) -> Result<()> {
        self.signed_remove(id).await
    }

    async fn put_sender_key(&self, address: &str, record: &[u8]) -> Result<()> {
        self.keyed_put::<SenderKeys, _>([(address, record)]).await
    }

    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        let items = sender_keys.iter().map(|(a, r)| (&**a, &r[..]));
        self.keyed_put::<SenderKeys, _>(items).await
    }

    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        let record = self.keyed_get::<SenderKeys>(address).await?;
        Ok(record.map(|r| r.to_vec()))
    }

    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        self.keyed_delete::<SenderKeys>(address).await
    }
}

#[cfg(test)]
mod tests {
    use super::{address_of_user, user_prefix_pattern};

    #[test]
    fn user_match_is_exact_on_the_user_part() {
        assert!(address_of_user("123@s.whatsapp.net", "123"));
        assert!(address_of_user("123:4@lid", "123"));
        assert!(!address_of_user("1234@s.whatsapp.net", "123"));
        assert_eq!(user_prefix_pattern("a_b%"), "a\\_b\\%%");
    }
}
