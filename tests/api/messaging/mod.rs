//! Messaging breadth end to end, through the REST API only, against the in-process sandbox:
//! every media kind (inline, multipart, URL) and rich message kind out to a sandbox phone and in
//! from it, media downloads byte-identical, add-ons (reactions, votes, edits, revokes) tied to
//! the messages they point at, read receipts and typing, and bad media refused with a problem.

pub(crate) mod files;
mod group_chat;
mod media;
mod rich;

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use crate::common::Backend;
use crate::on_both_backends;
use crate::scenario::Scenario;

use group_chat::group_messages_both_ways;
use media::media_out;
use rich::rich_messages_both_ways;

const ALICE: &str = "4915100000021";
const ME: &str = "4915100000022";
const BOB: &str = "4915100000023";
const CAROL: &str = "4915100000024";

/// ME linked, Alice to talk to; private media URLs allowed and media capped at 256 KiB.
async fn linked(backend: Backend) -> Scenario {
    Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], |s| {
        s.webhook_allow_private = true;
        s.media_max_bytes = 256 * 1024;
    })
    .await
}

/// The media bytes a sandbox phone downloaded (its record's `media.data`).
fn phone_media(got: &Value) -> Vec<u8> {
    let data = got["media"]["data"].as_str().expect("downloaded media");
    B64.decode(data).expect("base64")
}

/// GET the media of the session's message `id`: status, content type and bytes.
async fn media_of(sc: &Scenario, id: &Value) -> (StatusCode, String, Vec<u8>) {
    let id = id.as_str().expect("message id");
    let r = sc.get(&format!("/messages/{id}/media")).await;
    (r.status, r.content_type, r.bytes)
}

on_both_backends!(media_out, rich_messages_both_ways, group_messages_both_ways);
