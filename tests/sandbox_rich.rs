//! Rich traffic through the sandbox with real engine clients on both sides: every media kind
//! (encrypted on the media host, byte-identical after download), typed messages (location,
//! contact, reaction, poll and vote, edit, revoke, reply, mention), receipts, chat states and
//! presence, the group lifecycle, and profiles.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

mod sandbox_support;

// The crate root's modules live in `tests/sandbox_rich/`, by feature.
#[path = "sandbox_rich/engine_media.rs"]
mod engine_media;
#[path = "sandbox_rich/group_lifecycle.rs"]
mod group_lifecycle;
#[path = "sandbox_rich/media.rs"]
mod media;
#[path = "sandbox_rich/phone_kinds.rs"]
mod phone_kinds;
#[path = "sandbox_rich/profiles.rs"]
mod profiles;
#[path = "sandbox_rich/typed.rs"]
mod typed;

use base64::Engine as _;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

/// Distinct bytes per kind, big enough to span several AES blocks and sidecar chunks.
fn payload(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32 * 31 + seed as u32) as u8)
        .collect()
}
