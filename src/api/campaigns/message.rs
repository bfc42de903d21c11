//! A campaign's message: from `message` (a send body without `to`) or from a template, checked
//! like a send; a media campaign's file is fetched or decoded and stored once.

use actix_web::http::StatusCode;

use super::CreateCampaign;
use crate::api::error::{ApiError, ApiResult};
use crate::api::messages::SendMessage;
use crate::api::messages::request::MediaInput;
use crate::api::messages::send::stored_media;
use crate::api::state::AppState;
use crate::api::templates;
use crate::auth::TenantKey;
use crate::db::media::MediaRow;
use crate::db::sessions::SessionRow;
use crate::domain::{Content, MessageKind, Template};
use crate::media::MediaKind;

/// What every recipient gets: the message's type and content, and the text to personalise.
pub(super) struct Message {
    pub kind: MessageKind,
    pub content: Content,
    pub template_id: Option<String>,
    pub source: Option<Template>,
    pub source_text: Option<String>,
    /// A media message's file, still to fetch or decode.
    pub media: Option<(MediaKind, MediaInput)>,
}

/// The campaign's message from `message` or `template`, checked like a send.
pub(super) async fn message_of(
    state: &AppState,
    key: &TenantKey,
    body: &CreateCampaign,
) -> ApiResult<Message> {
    let tenant = key.tenant_id.as_str();
    match (&body.message, &body.template) {
        (None, None) => Err(ApiError::invalid("message: required (or template)")),
        (None, Some(named)) => from_template(state, tenant, named, None).await,
        (Some(message), None) => from_message(message),
        // A media template's caption, with the file from `message`.
        (Some(message), Some(named)) => {
            let media = from_message(message)?;
            if media.media.is_none() || media.content.caption.is_some() {
                return Err(ApiError::invalid(
                    "message, template: give one; with a media template, `message` brings only the file",
                ));
            }
            from_template(state, tenant, named, Some(media)).await
        }
    }
}

/// A template of the tenant, personalised per recipient: a text, or the caption of the media
/// `file` brings.
async fn from_template(
    state: &AppState,
    tenant: &str,
    named: &str,
    file: Option<Message>,
) -> ApiResult<Message> {
    let row = templates::find(state, tenant, named).await?;
    let text = row.text.clone().or(row.caption.clone()).unwrap_or_default();
    let source = Template::parse(&text)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "template_invalid", e))?;
    let base = match (row.text.is_some(), file) {
        (true, None) => Message {
            kind: MessageKind::Text,
            content: Content::default(),
            template_id: None,
            source: None,
            source_text: None,
            media: None,
        },
        (false, Some(file)) if file.kind.as_str() == row.msg_type => file,
        (true, Some(_)) => {
            return Err(ApiError::invalid(format!(
                "message, template: `{}` is a text template: give one of them",
                row.name
            )));
        }
        (false, Some(file)) => {
            return Err(ApiError::invalid(format!(
                "message.type: the template `{}` is the caption of {} messages, not {}",
                row.name,
                row.msg_type,
                file.kind.as_str()
            )));
        }
        (false, None) => {
            return Err(ApiError::invalid(format!(
                "message: the template `{}` is the caption of {} messages: `message` brings the file \
                 (e.g. {{\"type\":\"{}\",\"{}\":{{\"url\":…}}}})",
                row.name, row.msg_type, row.msg_type, row.msg_type
            )));
        }
    };
    Ok(Message {
        template_id: Some(row.id),
        source: Some(source),
        source_text: Some(text),
        ..base
    })
}

/// A send body without `to`, checked like a send; a text with `{{variables}}` is personalised
/// like a template.
fn from_message(message: &serde_json::Value) -> ApiResult<Message> {
    let mut value = message.clone();
    let Some(fields) = value.as_object_mut() else {
        return Err(ApiError::invalid("message: a send body without `to`"));
    };
    if fields.contains_key("to") || fields.contains_key("send_at") {
        return Err(ApiError::invalid(
            "message: without `to` and `send_at` (the recipients and the pacing say them)",
        ));
    }
    fields.insert("to".into(), serde_json::Value::from("+10000000000"));
    let send: SendMessage =
        serde_json::from_value(value).map_err(|e| ApiError::invalid(format!("message: {e}")))?;
    if send.template.is_some() || send.variables.is_some() {
        return Err(ApiError::invalid(
            "message.template: name the template in the campaign's `template`",
        ));
    }
    if send.reply_to.is_some() || send.mentions.is_some() {
        return Err(ApiError::invalid(
            "message: reply_to and mentions belong to one chat, not to a campaign",
        ));
    }
    let draft = send.check().map_err(|e| e.prefixed("message."))?;
    if matches!(
        draft.kind,
        MessageKind::Reaction | MessageKind::Edit | MessageKind::Revoke | MessageKind::Poll
    ) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaign_type_unsupported",
            format!(
                "message.type: a {} belongs to one chat; campaigns send text, media, location \
                 or contact messages",
                draft.kind.as_str()
            ),
        ));
    }
    // A text or caption with {{variables}} is personalised like a template.
    let text = draft.content.text.clone().or(draft.content.caption.clone());
    let source = text
        .as_deref()
        .and_then(|t| Template::parse(t).ok())
        .filter(|t| !t.variables().is_empty());
    Ok(Message {
        kind: draft.kind,
        source_text: source.as_ref().and(text),
        content: draft.content,
        template_id: None,
        source,
        media: draft.media,
    })
}

/// A media campaign's file, fetched or decoded and checked once (kept with the first session);
/// the message describes it.
pub(super) async fn campaign_file(
    state: &AppState,
    session: &SessionRow,
    message: &mut Message,
) -> ApiResult<Option<MediaRow>> {
    let Some((kind, input)) = message.media.take() else {
        return Ok(None);
    };
    let (info, row) = stored_media(state, session, None, kind, input, None)
        .await
        .map_err(|e| e.prefixed("message."))?;
    message.content.media = Some(info);
    Ok(Some(row))
}
