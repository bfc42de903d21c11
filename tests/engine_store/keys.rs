//! Conformance scenarios for identities, Signal sessions, prekeys, signed prekeys and sender keys.

use super::*;

pub(crate) async fn identities_and_sessions(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    let (a, b) = (
        "5511000000001@s.whatsapp.net",
        "5511000000002:3@s.whatsapp.net",
    );
    rec!(t, s.load_identity(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.put_identity(a, [1; 32]));
    rec!(t, s.load_identity(a));
    rec!(t, s.put_identity(a, [2; 32]));
    rec!(t, s.load_identity(a));
    rec!(
        t,
        s.put_identities_batch(&[(arc(a), [3; 32]), (arc(b), [4; 32]), (arc(b), [5; 32])])
    );
    rec!(
        t,
        s.put_identities_batch(&[(arc(a), [3; 32]), (arc(b), [5; 32])])
    ); // a retry
    rec!(t, s.load_identity(a));
    rec!(t, s.load_identity(b));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.has_signal_state_for_user("551100000000"));
    rec!(t, s.delete_identity(a));
    rec!(t, s.load_identity(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));

    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.put_session(a, b"session-a-v1"));
    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(t, s.has_signal_state_for_user("551100000000")); // a prefix of the user is not the user
    let batch = [
        (arc(a), Bytes::from_static(b"session-a-v2")),
        (arc("77_7%@lid"), Bytes::from_static(b"odd")),
        (arc(a), Bytes::from_static(b"session-a-v3")),
    ];
    rec!(t, s.put_sessions_batch(&batch));
    rec!(t, s.put_sessions_batch(&batch));
    rec!(t, s.get_session(a));
    rec!(t, s.get_session("77_7%@lid"));
    rec!(t, s.has_signal_state_for_user("77_7%"));
    rec!(t, s.has_signal_state_for_user("77x7%"));
    rec!(t, s.delete_session(a));
    rec!(t, s.get_session(a));
    rec!(t, s.has_session(a));
    rec!(t, s.has_signal_state_for_user("5511000000001"));
    rec!(
        t,
        s.put_session("big@s.whatsapp.net", &vec![0xAB; 64 * 1024])
    );
    rec!(
        t,
        s.get_session("big@s.whatsapp.net")
            .then(|r| async { r.map(|b| b.map(|b| b.len())) })
    );
    t
}

/// `FutureExt::then` without pulling in a futures dependency for one call.
trait Then: std::future::Future + Sized {
    async fn then<F, Fut>(self, f: F) -> Fut::Output
    where
        F: FnOnce(Self::Output) -> Fut,
        Fut: std::future::Future,
    {
        f(self.await).await
    }
}
impl<T: std::future::Future> Then for T {}

pub(crate) async fn prekeys(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.load_prekey(1));
    // The first login writes ~812 prekeys in one batch.
    let keys: Vec<(u32, Bytes)> = (1..=812u32)
        .map(|i| (i, Bytes::from(format!("prekey-{i}"))))
        .collect();
    rec!(t, s.store_prekeys_batch(&keys, false));
    rec!(t, s.store_prekeys_batch(&keys, false)); // retried: idempotent
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.load_prekey(5));
    rec!(t, s.load_prekeys_batch(&[3, 9999, 1, 3, 812]));
    rec!(t, s.load_prekeys_batch(&[]));
    rec!(t, s.remove_prekey(812));
    rec!(t, s.load_prekey(812));
    rec!(t, s.get_max_prekey_id());
    // UPDATE only: the consumed prekey 812 must not come back.
    rec!(t, s.mark_prekeys_uploaded(&[812, 1, 2]));
    rec!(t, s.load_prekey(812));
    rec!(t, s.load_prekey(1));
    rec!(t, s.get_max_prekey_id());
    rec!(t, s.store_prekey(1, b"prekey-1-replaced", true));
    rec!(t, s.load_prekey(1));
    rec!(t, s.store_prekey(4_000_000_000, b"high id", false));
    rec!(t, s.get_max_prekey_id());
    rec!(
        t,
        s.load_prekeys_batch(&(1..=700u32).collect::<Vec<_>>())
            .then(|r| async { r.map(|v| v.len()) })
    );
    rec!(t, s.mark_prekeys_uploaded(&[]));
    t
}

pub(crate) async fn signed_prekeys_and_sender_keys(s: &dyn Backend) -> Transcript {
    let mut t = Vec::new();
    rec!(t, s.load_signed_prekey(1));
    rec!(t, s.load_all_signed_prekeys());
    rec!(t, s.store_signed_prekey(2, b"spk-2"));
    rec!(t, s.store_signed_prekey(1, b"spk-1"));
    rec!(t, s.store_signed_prekey(2, b"spk-2b"));
    rec!(t, s.load_signed_prekey(2));
    rec_sorted!(t, s.load_all_signed_prekeys());
    rec!(t, s.remove_signed_prekey(2));
    rec!(t, s.load_signed_prekey(2));
    rec_sorted!(t, s.load_all_signed_prekeys());

    let g = "120363000000000001@g.us::5511000000001:0@s.whatsapp.net";
    rec!(t, s.get_sender_key(g));
    rec!(t, s.put_sender_key(g, b"sk-1"));
    rec!(t, s.get_sender_key(g));
    let batch = [
        (arc(g), Bytes::from_static(b"sk-2")),
        (arc("other"), Bytes::from_static(b"sk-o")),
    ];
    rec!(t, s.put_sender_keys_batch(&batch));
    rec!(t, s.put_sender_keys_batch(&batch));
    rec!(t, s.get_sender_key(g));
    rec!(t, s.get_sender_key("other"));
    rec!(t, s.delete_sender_key(g));
    rec!(t, s.get_sender_key(g));
    rec!(t, s.get_sender_key("other"));
    t
}
