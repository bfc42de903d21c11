//! Who may change a stored message. WhatsApp message ids are random, so an edit or revoke names
//! its target by id alone; anyone can put any id in one. Only the author may edit or revoke a
//! message, in the chat it was sent in; in a group an admin may also revoke anyone's.

use super::messages::MessageRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Edit,
    Revoke,
}

/// Whether `change` (a received edit or revoke) may apply to `target`. `by_admin`: its sender is
/// an admin of the group it was sent in (checked only for revokes of someone else's message).
pub fn may_change(target: &MessageRow, change: &MessageRow, kind: Change, by_admin: bool) -> bool {
    let group = is_group(&target.chat_jid) || is_group(&change.chat_jid);
    // In a direct chat with someone the chat is that person, compared (by phone or LID) below.
    let same_chat = !(group || target.from_me) || target.chat_jid == change.chat_jid;
    let by_author = if target.from_me {
        change.from_me
    } else {
        !change.from_me && same_person(target, change)
    };
    same_chat && (by_author || (group && kind == Change::Revoke && by_admin))
}

/// Whether a stored chat JID names a group.
pub fn is_group(jid: &str) -> bool {
    jid.ends_with("@g.us")
}

/// Whether two rows were sent by the same account, known by phone number or LID.
fn same_person(a: &MessageRow, b: &MessageRow) -> bool {
    let ids = |r: &MessageRow| {
        [
            Some(r.sender_jid.clone()),
            r.sender_lid.clone(),
            r.sender_phone.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
    };
    let theirs = ids(b);
    ids(a).iter().any(|x| theirs.contains(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(chat: &str, sender: &str, lid: Option<&str>, from_me: bool) -> MessageRow {
        MessageRow {
            id: "m".into(),
            session_id: "s".into(),
            tenant_id: "t".into(),
            from_me,
            chat_jid: chat.into(),
            sender_jid: sender.into(),
            sender_lid: lid.map(str::to_string),
            sender_phone: Some(sender.into()),
            wa_id: "W".into(),
            msg_type: "text".into(),
            body: "{}".into(),
            status: "received".into(),
            error: None,
            attempts: 0,
            reply_to: None,
            idempotency_key: None,
            request_hash: None,
            wa_timestamp: None,
            created_at: 0,
            updated_at: 0,
            engine_ref: None,
            send_at: None,
            late: false,
            campaign_id: None,
        }
    }

    const ALICE: &str = "491@s.whatsapp.net";
    const BOB: &str = "492@s.whatsapp.net";
    const GROUP: &str = "120363@g.us";

    #[test]
    fn only_the_author_edits_or_revokes_in_a_direct_chat() {
        let original = row(ALICE, ALICE, Some("11@lid"), false);
        for kind in [Change::Edit, Change::Revoke] {
            assert!(may_change(
                &original,
                &row(ALICE, ALICE, None, false),
                kind,
                false
            ));
            // The same person addressed by LID.
            let mut by_lid = row("11@lid", "11@lid", None, false);
            by_lid.sender_phone = None;
            assert!(may_change(&original, &by_lid, kind, false));
            assert!(!may_change(
                &original,
                &row(BOB, BOB, None, false),
                kind,
                true
            ));
            // Our own account cannot rewrite what Alice wrote, nor Alice what we wrote.
            assert!(!may_change(
                &original,
                &row(ALICE, "me", None, true),
                kind,
                false
            ));
            let ours = row(ALICE, "me", None, true);
            assert!(!may_change(
                &ours,
                &row(ALICE, ALICE, None, false),
                kind,
                false
            ));
        }
    }

    #[test]
    fn groups_need_the_same_chat_and_admins_may_only_revoke() {
        let original = row(GROUP, ALICE, None, false);
        assert!(may_change(
            &original,
            &row(GROUP, ALICE, None, false),
            Change::Edit,
            false
        ));
        // Alice cannot reach her group message from a direct chat or another group.
        assert!(!may_change(
            &original,
            &row(ALICE, ALICE, None, false),
            Change::Edit,
            false
        ));
        assert!(!may_change(
            &original,
            &row("999@g.us", ALICE, None, false),
            Change::Revoke,
            true
        ));
        let by_bob = row(GROUP, BOB, None, false);
        assert!(!may_change(&original, &by_bob, Change::Revoke, false));
        assert!(may_change(&original, &by_bob, Change::Revoke, true));
        assert!(!may_change(&original, &by_bob, Change::Edit, true));
    }
}
