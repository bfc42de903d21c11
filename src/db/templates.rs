//! A tenant's message templates (see `domain::template`), by id or by name.

use diesel::prelude::*;

use super::schema::templates;
use super::{DbPool, DbResult};
use crate::with_conn;

#[derive(Debug, Clone, Queryable)]
pub struct TemplateRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    /// The message type a send from the template has (`text` or a media type).
    pub msg_type: String,
    /// A text template's text.
    pub text: Option<String>,
    /// A media template's caption.
    pub caption: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert(pool: &DbPool, row: &TemplateRow) -> DbResult<()> {
    with_conn!(pool, |conn| {
        diesel::insert_into(templates::table)
            .values((
                templates::id.eq(&row.id),
                templates::tenant_id.eq(&row.tenant_id),
                templates::name.eq(&row.name),
                templates::msg_type.eq(&row.msg_type),
                templates::text.eq(&row.text),
                templates::caption.eq(&row.caption),
                templates::created_at.eq(row.created_at),
                templates::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Writes the changeable fields of `row` (name, text, caption) back.
pub fn update(pool: &DbPool, row: &TemplateRow) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let target = templates::table
            .filter(templates::tenant_id.eq(&row.tenant_id))
            .filter(templates::id.eq(&row.id));
        Ok(diesel::update(target)
            .set((
                templates::name.eq(&row.name),
                templates::text.eq(&row.text),
                templates::caption.eq(&row.caption),
                templates::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?
            > 0)
    })
}

pub fn list(
    pool: &DbPool,
    tenant_id: &str,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<TemplateRow>> {
    with_conn!(pool, |conn| {
        let mut q = templates::table
            .filter(templates::tenant_id.eq(tenant_id.to_string()))
            .order(templates::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            q = q.filter(templates::id.gt(after.to_string()));
        }
        Ok(q.load(conn)?)
    })
}

pub fn get(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<Option<TemplateRow>> {
    with_conn!(pool, |conn| Ok(templates::table
        .filter(templates::tenant_id.eq(tenant_id))
        .filter(templates::id.eq(id))
        .first(conn)
        .optional()?))
}

pub fn by_name(pool: &DbPool, tenant_id: &str, name: &str) -> DbResult<Option<TemplateRow>> {
    with_conn!(pool, |conn| Ok(templates::table
        .filter(templates::tenant_id.eq(tenant_id))
        .filter(templates::name.eq(name))
        .first(conn)
        .optional()?))
}

pub fn delete(pool: &DbPool, tenant_id: &str, id: &str) -> DbResult<bool> {
    with_conn!(pool, |conn| {
        let target = templates::table
            .filter(templates::tenant_id.eq(tenant_id))
            .filter(templates::id.eq(id));
        Ok(diesel::delete(target).execute(conn)? > 0)
    })
}
