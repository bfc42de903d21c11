//! `?limit=&cursor=` paging and the `{"data": [...], "next_cursor"}` envelope.

use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult};
use crate::db::{Db, DbPool, DbResult};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> ApiResult<i64> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {MAX_LIMIT}"
            )));
        }
        Ok(limit)
    }

    /// The cursor, checked with the parser of the listed id kind.
    pub fn cursor(&self, valid: impl Fn(&str) -> bool) -> ApiResult<Option<String>> {
        match &self.cursor {
            None => Ok(None),
            Some(c) if valid(c) => Ok(Some(c.clone())),
            Some(_) => Err(ApiError::invalid(
                "cursor: not a cursor returned by this list",
            )),
        }
    }
}

/// Splits a result fetched with `limit + 1` rows into one page and the cursor of the next.
pub fn split_page<R>(
    mut rows: Vec<R>,
    limit: i64,
    cursor_of: impl Fn(&R) -> String,
) -> (Vec<R>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    (rows, next)
}

/// One page of a list: the cursor is checked with `valid`, `fetch` reads up to the given number
/// of rows after it (one more than the page, to know whether another follows), and the page is
/// cut with the next cursor taken from its last row by `cursor_of`. Every list handler pages
/// through here.
pub async fn fetch_page<R, F>(
    db: &Db,
    q: &PageQuery,
    valid: impl Fn(&str) -> bool,
    cursor_of: impl Fn(&R) -> String,
    fetch: F,
) -> ApiResult<(Vec<R>, Option<String>)>
where
    R: Send + 'static,
    F: FnOnce(&DbPool, Option<&str>, i64) -> DbResult<Vec<R>> + Send + 'static,
{
    let limit = q.limit()?;
    let after = q.cursor(valid)?;
    let rows = db
        .run(move |pool| fetch(pool, after.as_deref(), limit + 1))
        .await?;
    Ok(split_page(rows, limit, cursor_of))
}

/// Defines a concrete list envelope type for the OpenAPI document.
macro_rules! list_type {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use list_type;
