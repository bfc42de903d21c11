//! Reply rules of a tenant or of one session, tried in `position` order on every received
//! message ([`fire!`], inside the transaction that stores the message: a message is answered
//! once, and an answer is as durable as the message). Answers are ordinary sends in the outbox.
//!
//! The loop guard: a message from a session of this WARAS is never answered, and a chat gets at
//! most [`GUARD_ANSWERS`] automatic answers per [`GUARD_WINDOW_MS`] (another automaton elsewhere).

use diesel::prelude::*;

use super::schema::rules;
use super::{DbPool, DbResult};
use crate::with_conn;

/// At most this many automatic answers per chat and session…
pub const GUARD_ANSWERS: i32 = 5;
/// …in this time.
pub const GUARD_WINDOW_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rules)]
pub struct RuleRow {
    pub id: String,
    pub tenant_id: String,
    /// `None`: every session of the tenant.
    pub session_id: Option<String>,
    pub name: String,
    pub position: i32,
    /// `RuleMatch` JSON.
    pub match_spec: String,
    /// `RuleAction` JSON (`forward_to` already a JID).
    pub action: String,
    pub cooldown_secs: i32,
    /// No further rules after this one matched.
    pub stop: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(pool: &DbPool, row: &RuleRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(rules::table)
            .values((
                rules::id.eq(&row.id),
                rules::tenant_id.eq(&row.tenant_id),
                rules::session_id.eq(&row.session_id),
                rules::name.eq(&row.name),
                rules::position.eq(row.position),
                rules::match_spec.eq(&row.match_spec),
                rules::action.eq(&row.action),
                rules::cooldown_secs.eq(row.cooldown_secs),
                rules::stop.eq(row.stop),
                rules::enabled.eq(row.enabled),
                rules::created_at.eq(row.created_at),
                rules::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Writes the changeable fields of `row` back.
pub fn update(pool: &DbPool, row: &RuleRow) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let target = rules::table
            .filter(rules::tenant_id.eq(&row.tenant_id))
            .filter(rules::id.eq(&row.id));
        Ok(diesel::update(target)
            .set((
                rules::session_id.eq(&row.session_id),
                rules::name.eq(&row.name),
                rules::position.eq(row.position),
                rules::match_spec.eq(&row.match_spec),
                rules::action.eq(&row.action),
                rules::cooldown_secs.eq(row.cooldown_secs),
                rules::stop.eq(row.stop),
                rules::enabled.eq(row.enabled),
                rules::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?
            > 0)
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<RuleRow>> {
    with_conn!(pool, |conn| Ok(rules::table
        .filter(rules::tenant_id.eq(tenant_id))
        .filter(rules::id.eq(id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?))
}

/// A tenant's rules by id (the list is paged by id; `position` orders them when they run).
pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<RuleRow>> {
    with_conn!(pool, |conn| {
        let mut q = rules::table
            .filter(rules::tenant_id.eq(tenant_id.to_string()))
            .order(rules::id.asc())
            .limit(limit)
            .select(RuleRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(rules::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

/// The position after the tenant's last rule.
pub fn next_position(pool: &DbPool, tenant_id: &str) -> DbResult<i32> {
    with_conn!(pool, |conn| {
        let max: Option<i32> = rules::table
            .filter(rules::tenant_id.eq(tenant_id))
            .select(diesel::dsl::max(rules::position))
            .first(conn)?;
        Ok(max.map_or(0, |m| m.saturating_add(1)))
    })
}

pub fn delete(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let target = rules::table
            .filter(rules::tenant_id.eq(tenant_id))
            .filter(rules::id.eq(id));
        Ok(diesel::delete(target).execute(conn)? > 0)
    })
}

/// What the rules did for one received message.
#[derive(Debug, Default)]
pub struct Fired {
    /// Answers and forwards put into the outbox.
    pub sends: usize,
}

/// The text of an answer: `source` with the sender's `name` and `phone` (and the rule's
/// variables) filled in; `None` when the source names a variable that has no value.
pub fn answer_text(
    source: &str,
    variables: Option<&std::collections::BTreeMap<String, String>>,
    name: Option<&str>,
    phone: Option<&str>,
) -> Option<String> {
    let mut values = variables.cloned().unwrap_or_default();
    values
        .entry("name".into())
        .or_insert_with(|| name.unwrap_or("").to_string());
    values
        .entry("phone".into())
        .or_insert_with(|| phone.map(|p| format!("+{p}")).unwrap_or_default());
    let template = crate::domain::Template::parse(source).ok()?;
    template.render(&values).ok()
}

/// Applies the rules of the message's session to `$row` (a stored `MessageRow` just received,
/// with its `Content` `$content` and the sender's push name `$name`): answers and forwards go
/// into the outbox, each match raises `rule.matched`. Evaluates to `Fired`.
macro_rules! fire {
    ($conn:expr, $row:expr, $content:expr, $name:expr, $new_wa_id:expr, $quotas:expr) => {{
        use $crate::db::rules::{GUARD_ANSWERS, GUARD_WINDOW_MS, RuleRow, answer_text};
        use $crate::db::schema::{rule_firings as firings, rules, sessions, templates};
        use $crate::domain::rule::{Incoming, RuleAction, RuleMatch};
        let (row, content): (&MessageRow, &Content) = ($row, $content);
        let now = row.created_at;
        let mut fired = $crate::db::rules::Fired::default();
        let list: Vec<RuleRow> = rules::table
            .filter(rules::tenant_id.eq(&row.tenant_id))
            .filter(rules::enabled.eq(true))
            .filter(rules::session_id.is_null().or(rules::session_id.eq(&row.session_id)))
            .order((rules::position.asc(), rules::id.asc()))
            .select(RuleRow::as_select())
            .load($conn)?;
        // A session of this WARAS is never answered: two of them would answer each other.
        let from_waras = !list.is_empty() && {
            let peers: i64 = sessions::table
                .filter(
                    sessions::me_phone_jid
                        .eq(row.sender_phone.clone().unwrap_or_else(|| row.sender_jid.clone()))
                        .or(sessions::me_lid.eq(row.sender_lid.clone().unwrap_or_default())),
                )
                .count()
                .get_result($conn)?;
            peers > 0
        };
        let guard_scope = format!("guard:{}", row.session_id);
        let guard: Option<(i64, i32)> = firings::table
            .find((&guard_scope, &row.chat_jid))
            .select((firings::window_start, firings::window_count))
            .first($conn)
            .optional()?;
        let mut guard = match guard {
            Some((start, count)) if start > now - GUARD_WINDOW_MS => (start, count),
            _ => (now, 0),
        };
        let text = content.text.as_deref().or(content.caption.as_deref());
        let phone = row
            .sender_phone
            .as_deref()
            .map(|j| j.split('@').next().unwrap_or(""));
        let incoming = Incoming {
            text,
            kind: &row.msg_type,
            group: row.chat_jid.ends_with("@g.us"),
            sender_phone: phone,
            now_ms: now,
        };
        for rule in list.iter().filter(|_| !from_waras && !row.from_me) {
            let Ok(spec) = serde_json::from_str::<RuleMatch>(&rule.match_spec) else {
                continue;
            };
            let Ok(action) = serde_json::from_str::<RuleAction>(&rule.action) else {
                continue;
            };
            if !spec.compile().is_ok_and(|m| m.matches(&incoming)) {
                continue;
            }
            let last: Option<i64> = firings::table
                .find((&rule.id, &row.chat_jid))
                .select(firings::fired_at)
                .first($conn)
                .optional()?;
            if last.is_some_and(|at| at > now - i64::from(rule.cooldown_secs) * 1000) {
                continue;
            }
            let mut sends: Vec<(String, String)> = Vec::new();
            let answer = match (&action.reply, &action.template) {
                (Some(reply), _) => answer_text(reply, None, $name, phone),
                (None, Some(named)) => {
                    let source: Option<(Option<String>, Option<String>)> = templates::table
                        .filter(templates::tenant_id.eq(&row.tenant_id))
                        .filter(templates::id.eq(named).or(templates::name.eq(named)))
                        .select((templates::text, templates::caption))
                        .first($conn)
                        .optional()?;
                    source
                        .and_then(|(t, c)| t.or(c))
                        .and_then(|s| answer_text(&s, action.variables.as_ref(), $name, phone))
                }
                (None, None) => None,
            };
            if let Some(answer) = answer {
                sends.push((row.chat_jid.clone(), answer));
            }
            if let (Some(to), Some(text)) = (&action.forward_to, text) {
                let from = phone.map(|p| format!("+{p}")).unwrap_or_else(|| row.sender_jid.clone());
                sends.push((to.clone(), format!("Forwarded from {from}:\n{text}")));
            }
            if !sends.is_empty() && guard.1 >= GUARD_ANSWERS {
                log::info!(
                    "session {}: rule {} not answering {}: {} automatic answers in 10 minutes",
                    row.session_id, rule.id, row.chat_jid, GUARD_ANSWERS
                );
                break;
            }
            for (i, (to, said)) in sends.iter().enumerate() {
                if !$crate::db::tenancy::may_send_today!($conn, &row.tenant_id, now, $quotas)? {
                    log::info!(
                        "session {}: rule {} not answering: the tenant's messages_per_day quota is used up",
                        row.session_id, rule.id
                    );
                    break;
                }
                let mut body = Content::text(said.clone());
                if i == 0 && action.forward_to.as_deref() != Some(to.as_str()) {
                    body.quoted = Some($crate::domain::MessageRef {
                        id: Some(row.id.clone()),
                        wa_id: row.wa_id.clone(),
                        chat: row.chat_jid.clone(),
                        from_me: false,
                        sender: Some(row.sender_jid.clone()),
                        text: text.map(str::to_string),
                    });
                }
                let session: $crate::db::sessions::SessionRow =
                    sessions::table.find(&row.session_id).first($conn)?;
                let wa_id = $new_wa_id(session.me_phone_jid.as_deref(), now);
                let answer = $crate::db::outbox::queued_text(&session, to.clone(), body.to_json(), wa_id, now);
                insert_message!($conn, answer)?;
                $crate::db::tenancy::meter_out!($conn, &answer)?;
                fired.sends += 1;
            }
            if !sends.is_empty() {
                guard.1 += 1;
            }
            for (scope, start, count) in [
                (rule.id.clone(), now, 0),
                (guard_scope.clone(), guard.0, guard.1),
            ] {
                diesel::insert_into(firings::table)
                    .values((
                        firings::scope.eq(&scope),
                        firings::chat_jid.eq(&row.chat_jid),
                        firings::fired_at.eq(now),
                        firings::window_start.eq(start),
                        firings::window_count.eq(count),
                    ))
                    .on_conflict((firings::scope, firings::chat_jid))
                    .do_update()
                    .set((
                        firings::fired_at.eq(now),
                        firings::window_start.eq(start),
                        firings::window_count.eq(count),
                    ))
                    .execute($conn)?;
            }
            status_event(
                $conn,
                row,
                EventType::RuleMatched,
                serde_json::json!({
                    "rule_id": rule.id, "rule_name": rule.name, "message_id": row.id,
                    "chat": row.chat_jid, "from": row.sender_jid, "text": text,
                    "answers": sends.len(), "webhook_url": action.webhook_url,
                }),
                now,
            )?;
            if rule.stop {
                break;
            }
        }
        fired
    }};
}
pub(super) use fire;
