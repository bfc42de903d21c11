//! One identity per person a session knows. WhatsApp addresses people by phone-number JID or by
//! LID; a contact row holds both as soon as either side of the mapping shows up (a received
//! message with its alternate address, a number check, a call, the engine learning a mapping),
//! with the names the person uses. A row that learns something new raises `contact.updated` in
//! the same transaction; a row that learns nothing costs one read.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::contacts;
use super::{DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = contacts)]
pub struct ContactRow {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub session_id: String,
    pub phone_jid: Option<String>,
    pub lid: Option<String>,
    /// The name the account saved for the person, where known.
    pub name: Option<String>,
    /// The name the person set for themselves.
    pub push_name: Option<String>,
    pub business: bool,
    #[serde(skip)]
    pub created_at: i64,
    #[serde(skip)]
    pub updated_at: i64,
}

/// What one sighting tells about a person (user JIDs, no device).
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub phone: Option<String>,
    pub lid: Option<String>,
    pub push_name: Option<String>,
    pub business: Option<bool>,
}

impl Seen {
    /// The sender of a received message, with the name it sent.
    pub fn sender_of(row: &super::messages::MessageRow, push_name: Option<String>) -> Self {
        Self {
            phone: row.sender_phone.clone(),
            lid: row.sender_lid.clone(),
            push_name,
            business: None,
        }
    }

    pub fn mapping(phone: Option<String>, lid: Option<String>) -> Self {
        Self {
            phone,
            lid,
            ..Self::default()
        }
    }
}

/// `base` with what `seen` (and a duplicate row `other`, merged into it) adds; `None` when
/// nothing changes.
pub fn merged(base: &ContactRow, other: Option<&ContactRow>, seen: &Seen) -> Option<ContactRow> {
    let mut next = base.clone();
    let fill = |mine: &mut Option<String>, theirs: Option<&String>| {
        if mine.is_none() {
            *mine = theirs.cloned();
        }
    };
    if let Some(o) = other {
        fill(&mut next.phone_jid, o.phone_jid.as_ref());
        fill(&mut next.lid, o.lid.as_ref());
        fill(&mut next.name, o.name.as_ref());
        fill(&mut next.push_name, o.push_name.as_ref());
        next.business |= o.business;
    }
    fill(&mut next.phone_jid, seen.phone.as_ref());
    fill(&mut next.lid, seen.lid.as_ref());
    if let Some(p) = seen.push_name.as_ref().filter(|p| !p.is_empty()) {
        next.push_name = Some(p.clone());
    }
    if let Some(b) = seen.business {
        next.business = b;
    }
    let same = next.phone_jid == base.phone_jid
        && next.lid == base.lid
        && next.name == base.name
        && next.push_name == base.push_name
        && next.business == base.business;
    (other.is_some() || !same).then_some(next)
}

/// Records a sighting of a person for session `$sid` on `$conn` (inside the caller's write
/// transaction). Evaluates to `DbResult<Option<EventRow>>`: the `contact.updated` event when the
/// contact is new or learned something.
macro_rules! learn_contact {
    ($conn:expr, $sid:expr, $seen:expr, $now:expr) => {{
        use $crate::db::contacts::{ContactRow, merged};
        use $crate::db::events::{EventLog, NewEvent};
        use $crate::db::schema::{contacts as c, sessions};
        let (sid, seen, now): (&str, &$crate::db::contacts::Seen, i64) = ($sid, $seen, $now);
        let mut found: Vec<ContactRow> = if seen.phone.is_none() && seen.lid.is_none() {
            Vec::new()
        } else {
            c::table
                .filter(c::session_id.eq(sid))
                .filter(c::phone_jid.eq(&seen.phone).or(c::lid.eq(&seen.lid)))
                .select(ContactRow::as_select())
                .load($conn)?
        };
        // Two rows (one by number, one by LID) are the same person: the one with the number stays.
        found.sort_by_key(|r| r.phone_jid.is_none());
        let mut rest = found.into_iter();
        let (base, other) = (rest.next(), rest.next());
        let next = match &base {
            None if seen.phone.is_none() && seen.lid.is_none() => None,
            None => Some(ContactRow {
                id: $crate::domain::ContactId::generate().into_string(),
                session_id: sid.to_string(),
                phone_jid: seen.phone.clone(),
                lid: seen.lid.clone(),
                name: None,
                push_name: seen.push_name.clone().filter(|p| !p.is_empty()),
                business: seen.business.unwrap_or(false),
                created_at: now,
                updated_at: now,
            }),
            Some(b) => merged(b, other.as_ref(), seen),
        };
        match next {
            None => Ok::<_, $crate::db::DbError>(None),
            Some(mut row) => {
                row.updated_at = now;
                if let Some(o) = &other {
                    diesel::delete(c::table.find(&o.id)).execute($conn)?;
                }
                diesel::insert_into(c::table)
                    .values((
                        c::id.eq(&row.id),
                        c::session_id.eq(&row.session_id),
                        c::phone_jid.eq(&row.phone_jid),
                        c::lid.eq(&row.lid),
                        c::name.eq(&row.name),
                        c::push_name.eq(&row.push_name),
                        c::business.eq(row.business),
                        c::created_at.eq(row.created_at),
                        c::updated_at.eq(row.updated_at),
                    ))
                    .on_conflict(c::id)
                    .do_update()
                    .set((
                        c::phone_jid.eq(&row.phone_jid),
                        c::lid.eq(&row.lid),
                        c::name.eq(&row.name),
                        c::push_name.eq(&row.push_name),
                        c::business.eq(row.business),
                        c::updated_at.eq(row.updated_at),
                    ))
                    .execute($conn)?;
                let tenant: String = sessions::table
                    .find(sid)
                    .select(sessions::tenant_id)
                    .first($conn)?;
                let mut data = serde_json::to_value(&row).unwrap_or_default();
                if let Some(map) = data.as_object_mut() {
                    map.insert("new".into(), serde_json::Value::Bool(base.is_none()));
                }
                $conn
                    .append_event(&NewEvent {
                        tenant_id: &tenant,
                        session_id: Some(sid),
                        event_type: $crate::domain::EventType::ContactUpdated,
                        data,
                        created_at: now,
                    })
                    .map(Some)
            }
        }
    }};
}

/// [`learn_contact!`] for the sender of a stored message `$row` (none for the account's own
/// messages) with the push name `$name` it came with.
macro_rules! learn_sender {
    ($conn:expr, $row:expr, $name:expr) => {{
        let row: &$crate::db::messages::MessageRow = $row;
        if row.from_me {
            Ok::<_, $crate::db::DbError>(None)
        } else {
            let seen = $crate::db::contacts::Seen::sender_of(row, $name);
            learn_contact!($conn, &row.session_id, &seen, row.created_at)
        }
    }};
}

pub(crate) use {learn_contact, learn_sender};

/// Records one sighting in its own transaction; the `contact.updated` event, if any.
pub fn learn(
    pool: &DbPool,
    session_id: &str,
    seen: &Seen,
    now: i64,
) -> DbResult<Option<super::events::EventRow>> {
    with_conn!(pool, |conn| {
        super::DbConn::write_txn(conn, |conn| learn_contact!(conn, session_id, seen, now))
    })
}

/// A page of the session's contacts, ordered by id, after the cursor `after`.
pub fn list(
    pool: &DbPool,
    session_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ContactRow>> {
    with_conn!(pool, |conn| {
        let mut q = contacts::table
            .filter(contacts::session_id.eq(session_id))
            .select(ContactRow::as_select())
            .order(contacts::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(contacts::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

/// The contact with this phone-number JID or LID.
pub fn find(pool: &DbPool, session_id: &str, jid: &str) -> DbResult<Option<ContactRow>> {
    with_conn!(pool, |conn| {
        Ok(contacts::table
            .filter(contacts::session_id.eq(session_id))
            .filter(contacts::phone_jid.eq(jid).or(contacts::lid.eq(jid)))
            .select(ContactRow::as_select())
            .first(conn)
            .optional()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(phone: Option<&str>, lid: Option<&str>) -> ContactRow {
        ContactRow {
            id: "ctc_1".into(),
            session_id: "ses_1".into(),
            phone_jid: phone.map(str::to_string),
            lid: lid.map(str::to_string),
            name: None,
            push_name: None,
            business: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_sighting_that_adds_nothing_changes_nothing() {
        let base = row(Some("1@s.whatsapp.net"), Some("9@lid"));
        let seen = Seen::mapping(Some("1@s.whatsapp.net".into()), None);
        assert!(merged(&base, None, &seen).is_none());
    }

    #[test]
    fn a_lid_and_a_push_name_are_learned() {
        let base = row(Some("1@s.whatsapp.net"), None);
        let seen = Seen {
            lid: Some("9@lid".into()),
            push_name: Some("Alice".into()),
            ..Seen::default()
        };
        let next = merged(&base, None, &seen).expect("changed");
        assert_eq!(next.lid.as_deref(), Some("9@lid"));
        assert_eq!(next.push_name.as_deref(), Some("Alice"));
    }

    #[test]
    fn a_duplicate_row_is_merged_into_the_numbered_one() {
        let base = row(Some("1@s.whatsapp.net"), None);
        let mut other = row(None, Some("9@lid"));
        other.push_name = Some("Bob".into());
        let next = merged(&base, Some(&other), &Seen::default()).expect("merged");
        assert_eq!(next.lid.as_deref(), Some("9@lid"));
        assert_eq!(next.push_name.as_deref(), Some("Bob"));
        assert_eq!(next.id, "ctc_1");
    }
}
