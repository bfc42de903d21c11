//! The body of a new campaign: JSON, or `multipart/form-data` whose `recipients` part is a CSV
//! file (a `to` column, every other column a template variable) and whose other parts are the
//! JSON fields (objects and arrays written as JSON). Recipients are checked one by one, each
//! error naming its row.

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::messages::body::{
    TEXT_PART_LIMIT, declared_length, read_all, read_part, too_large,
};
use crate::db::campaigns::NewRecipient;
use crate::domain::campaign::Pacing;
use crate::engine::jid::chat_of;

pub const MAX_RECIPIENTS: usize = 100_000;
pub const MAX_SESSIONS: usize = 50;
/// A campaign body may be this large (100,000 recipients with a few variables each).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
const MAX_VARIABLES: usize = 50;
const MAX_VALUE_CHARS: usize = 1024;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The sessions that send, each at the pace of `pacing` (1 to 50).
    #[schema(min_items = 1, max_items = 50)]
    pub session_ids: Vec<String>,
    /// The message: a send body without `to` (`text`, `location` or `contact`); a text may use
    /// `{{variables}}` of the recipients. Give this or `template`.
    #[schema(value_type = Option<Object>)]
    pub message: Option<serde_json::Value>,
    /// A text template of the tenant (id or name), filled per recipient.
    pub template: Option<String>,
    /// 1 to 100,000 recipients; a number given twice gets one message. With
    /// `multipart/form-data`, a CSV file part instead.
    #[schema(max_items = 100000)]
    pub recipients: Option<Vec<RecipientInput>>,
    pub pacing: Pacing,
    /// Look each number up first and skip those not on WhatsApp.
    pub skip_unregistered: Option<bool>,
    /// Start at once (default), or stay a `draft` until `resume`.
    pub start: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientInput {
    /// A phone number in international form, or a JID.
    pub to: String,
    /// The recipient's values for the template's variables.
    pub variables: Option<BTreeMap<String, String>>,
}

/// Reads a campaign from JSON or from a form with a CSV file.
pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<CreateCampaign, ApiError> {
    let multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large(MAX_BODY_BYTES));
    }
    if multipart {
        return read_form(req, payload).await;
    }
    let body = read_all(payload, declared, MAX_BODY_BYTES).await?;
    web::block(move || serde_json::from_slice(&body))
        .await
        .map_err(|_| ApiError::internal("the body parser stopped"))?
        .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")))
}

async fn read_form(req: &HttpRequest, payload: web::Payload) -> Result<CreateCampaign, ApiError> {
    let over = Rc::new(std::cell::Cell::new(false));
    let flag = over.clone();
    let mut seen = 0usize;
    let counted = payload.map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > MAX_BODY_BYTES {
            flag.set(true);
            return Err(PayloadError::Overflow);
        }
        Ok(chunk)
    });
    let mut form = Multipart::new(req.headers(), counted);
    let mut fields = serde_json::Map::new();
    let mut csv = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| match over.get() {
            true => too_large(MAX_BODY_BYTES),
            false => ApiError::invalid(format!("invalid multipart body: {e}")),
        })?;
        let name = field.name().unwrap_or_default().to_string();
        let limit = match name.as_str() {
            "recipients" => MAX_BODY_BYTES,
            _ => TEXT_PART_LIMIT,
        };
        let bytes = read_part(&mut field, limit, &over, MAX_BODY_BYTES, &name).await?;
        if name == "recipients" {
            csv = Some(bytes);
            continue;
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| ApiError::invalid(format!("{name}: must be UTF-8 text")))?;
        let value = match name.as_str() {
            "name" | "template" => serde_json::Value::String(text),
            "session_ids" if !text.trim_start().starts_with('[') => serde_json::Value::from(
                text.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>(),
            ),
            _ => serde_json::from_str(&text)
                .map_err(|e| ApiError::invalid(format!("{name}: not JSON: {e}")))?,
        };
        fields.insert(name, value);
    }
    let mut campaign: CreateCampaign = serde_json::from_value(serde_json::Value::Object(fields))
        .map_err(|e| ApiError::invalid(format!("invalid form: {e}")))?;
    let Some(csv) = csv else {
        return Err(ApiError::invalid(
            "recipients: a multipart campaign needs a CSV file part named recipients",
        ));
    };
    if campaign.recipients.is_some() {
        return Err(ApiError::invalid("recipients: give them once"));
    }
    campaign.recipients = Some(
        web::block(move || from_csv(&csv))
            .await
            .map_err(|_| ApiError::internal("the CSV parser stopped"))??,
    );
    Ok(campaign)
}

/// Recipients from CSV: a header row with a `to` (or `phone`) column; the other columns are
/// variables (an empty cell gives none, so a template default applies).
pub fn from_csv(data: &[u8]) -> Result<Vec<RecipientInput>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid(format!("recipients: {e}")))?
        .clone();
    let to = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("to") || h.eq_ignore_ascii_case("phone"))
        .ok_or_else(|| ApiError::invalid("recipients: the CSV needs a `to` column"))?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record =
            record.map_err(|e| ApiError::invalid(format!("recipients: row {}: {e}", i + 2)))?;
        if out.len() >= MAX_RECIPIENTS {
            return Err(ApiError::invalid(format!(
                "recipients: at most {MAX_RECIPIENTS}"
            )));
        }
        let variables: BTreeMap<String, String> = headers
            .iter()
            .zip(record.iter())
            .enumerate()
            .filter(|(n, (_, v))| *n != to && !v.is_empty())
            .map(|(_, (h, v))| (h.to_string(), v.to_string()))
            .collect();
        out.push(RecipientInput {
            to: record.get(to).unwrap_or_default().to_string(),
            variables: (!variables.is_empty()).then_some(variables),
        });
    }
    Ok(out)
}

/// The recipients checked (a JID each, bounded variables), without repeats, each with the text
/// `render` makes for it (a 422 naming the recipient when that fails).
pub fn checked_recipients(
    list: Vec<RecipientInput>,
    render: impl Fn(&BTreeMap<String, String>) -> Result<(), ApiError>,
) -> Result<Vec<NewRecipient>, ApiError> {
    if list.is_empty() || list.len() > MAX_RECIPIENTS {
        return Err(ApiError::invalid(format!(
            "recipients: 1 to {MAX_RECIPIENTS}"
        )));
    }
    let mut seen = HashSet::with_capacity(list.len());
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.into_iter().enumerate() {
        let chat_jid =
            chat_of(&r.to).map_err(|e| ApiError::invalid(format!("recipients[{i}].to: {e}")))?;
        let variables = r.variables.unwrap_or_default();
        if variables.len() > MAX_VARIABLES {
            return Err(ApiError::invalid(format!(
                "recipients[{i}].variables: at most {MAX_VARIABLES}"
            )));
        }
        if let Some((name, _)) = variables
            .iter()
            .find(|(_, v)| v.chars().count() > MAX_VALUE_CHARS)
        {
            return Err(ApiError::invalid(format!(
                "recipients[{i}].variables.{name}: at most {MAX_VALUE_CHARS} characters"
            )));
        }
        render(&variables).map_err(|e| e.prefixed(&format!("recipients[{i}]: ")))?;
        if !seen.insert(chat_jid.clone()) {
            continue;
        }
        out.push(NewRecipient {
            chat_jid,
            variables: (!variables.is_empty())
                .then(|| serde_json::to_string(&variables).unwrap_or_default()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_recipients_with_their_variables() {
        let csv = b"to,first_name,city\n+4915100000001,Ana,Berlin\n+4915100000002,,Paris\n";
        let list = from_csv(csv).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].to, "+4915100000001");
        let v = list[0].variables.as_ref().unwrap();
        assert_eq!(v.get("first_name").map(String::as_str), Some("Ana"));
        assert_eq!(v.get("city").map(String::as_str), Some("Berlin"));
        let v = list[1].variables.as_ref().unwrap();
        assert!(!v.contains_key("first_name"));
    }

    #[test]
    fn a_csv_without_a_to_column_or_with_a_short_row_is_refused() {
        assert!(from_csv(b"number,name\n1,a\n").is_err());
        assert!(from_csv(b"to,name\n+4915100000001\n").is_err());
    }
}
