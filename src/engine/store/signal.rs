//! Signal protocol state: the `SignalStore` trait. Identities, sessions and sender keys live here;
//! one-time and signed prekeys in [`super::prekeys`]. Every record is sealed; addresses and ids
//! stay in clear because lookups need them.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use diesel::prelude::*;
use diesel::upsert::excluded;
use wacore::store::error::{Result, StoreError};
use wacore::store::traits::SignalStore;

use super::schema::{
    engine_identities as ident, engine_sender_keys as sk, engine_signal_sessions as sess,
};
use super::{CHUNK, DieselStore, last_wins};
use crate::db::DbConn;
use crate::with_conn;

const IDENT: &str = "engine_identities";
const SESS: &str = "engine_signal_sessions";
const SK: &str = "engine_sender_keys";

/// `(address, sealed)` rows ready for an upsert into one of the address-keyed tables.
type AddressRows = Vec<(String, Vec<u8>)>;

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

impl DieselStore {
    fn seal_addressed<'a, I>(&self, table: &'static str, items: I) -> Result<AddressRows>
    where
        I: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let rows = items
            .into_iter()
            .map(|(address, record)| {
                Ok((
                    address.to_string(),
                    self.seal_value(table, &[address.as_bytes()], record)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(last_wins(rows, |r| r.0.clone()))
    }

    async fn upsert_identities(&self, rows: AddressRows) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(a, s)| {
                            (
                                ident::session_id.eq(sid),
                                ident::address.eq(a),
                                ident::sealed.eq(s),
                            )
                        })
                        .collect();
                    diesel::insert_into(ident::table)
                        .values(values)
                        .on_conflict((ident::session_id, ident::address))
                        .do_update()
                        .set(ident::sealed.eq(excluded(ident::sealed)))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn upsert_sessions(&self, rows: AddressRows) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(a, s)| {
                            (
                                sess::session_id.eq(sid),
                                sess::address.eq(a),
                                sess::sealed.eq(s),
                            )
                        })
                        .collect();
                    diesel::insert_into(sess::table)
                        .values(values)
                        .on_conflict((sess::session_id, sess::address))
                        .do_update()
                        .set(sess::sealed.eq(excluded(sess::sealed)))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }

    async fn upsert_sender_keys(&self, rows: AddressRows) -> Result<()> {
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| conn.write_txn(|conn| {
                for chunk in rows.chunks(CHUNK) {
                    let values: Vec<_> = chunk
                        .iter()
                        .map(|(a, s)| (sk::session_id.eq(sid), sk::address.eq(a), sk::sealed.eq(s)))
                        .collect();
                    diesel::insert_into(sk::table)
                        .values(values)
                        .on_conflict((sk::session_id, sk::address))
                        .do_update()
                        .set(sk::sealed.eq(excluded(sk::sealed)))
                        .execute(conn)?;
                }
                Ok(())
            }))
        })
        .await
    }
}

#[async_trait]
impl SignalStore for DieselStore {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        let rows = self.seal_addressed(IDENT, [(address, &key[..])])?;
        self.upsert_identities(rows).await
    }

    async fn put_identities_batch(&self, identities: &[(Arc<str>, [u8; 32])]) -> Result<()> {
        let rows = self.seal_addressed(IDENT, identities.iter().map(|(a, k)| (&**a, &k[..])))?;
        self.upsert_identities(rows).await
    }

    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        let a = address.to_string();
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(ident::table
                    .find((sid, &a))
                    .select(ident::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let key = self.open_value(IDENT, &[address.as_bytes()], &sealed)?;
        let key: [u8; 32] = key[..]
            .try_into()
            .map_err(|_| StoreError::Validation(format!("identity key has {} bytes", key.len())))?;
        Ok(Some(key))
    }

    async fn delete_identity(&self, address: &str) -> Result<()> {
        let a = address.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(ident::table.find((sid, &a))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        let a = address.to_string();
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(sess::table
                    .find((sid, &a))
                    .select(sess::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|s| {
                Ok(Bytes::copy_from_slice(&self.open_value(
                    SESS,
                    &[address.as_bytes()],
                    &s,
                )?))
            })
            .transpose()
    }

    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        let rows = self.seal_addressed(SESS, [(address, session)])?;
        self.upsert_sessions(rows).await
    }

    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        let rows = self.seal_addressed(SESS, sessions.iter().map(|(a, s)| (&**a, &s[..])))?;
        self.upsert_sessions(rows).await
    }

    async fn delete_session(&self, address: &str) -> Result<()> {
        let a = address.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(sess::table.find((sid, &a))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn has_session(&self, address: &str) -> Result<bool> {
        let a = address.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| Ok(diesel::select(diesel::dsl::exists(
                sess::table.find((sid, &a))
            ))
            .get_result(conn)?))
        })
        .await
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
        let rows = self.seal_addressed(SK, [(address, record)])?;
        self.upsert_sender_keys(rows).await
    }

    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        let rows = self.seal_addressed(SK, sender_keys.iter().map(|(a, r)| (&**a, &r[..])))?;
        self.upsert_sender_keys(rows).await
    }

    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        let a = address.to_string();
        let sealed: Option<Vec<u8>> = self
            .run(move |pool, sid| {
                with_conn!(pool, |conn| Ok(sk::table
                    .find((sid, &a))
                    .select(sk::sealed)
                    .first(conn)
                    .optional()?))
            })
            .await?;
        sealed
            .map(|s| Ok(self.open_value(SK, &[address.as_bytes()], &s)?.to_vec()))
            .transpose()
    }

    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        let a = address.to_string();
        self.run(move |pool, sid| {
            with_conn!(pool, |conn| {
                diesel::delete(sk::table.find((sid, &a))).execute(conn)?;
                Ok(())
            })
        })
        .await
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
