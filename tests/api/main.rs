//! The REST API, end to end over HTTP, on SQLite and on PostgreSQL (each test on a fresh database).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

mod common;

mod crash;

mod audit;
#[cfg(feature = "sandbox")]
mod authorship;
mod bad_input;
#[cfg(feature = "sandbox")]
mod calls;
#[cfg(feature = "sandbox")]
mod campaigns;
#[cfg(feature = "sandbox")]
mod channels;
#[cfg(feature = "sandbox")]
mod chat_state;
mod cli;
#[cfg(feature = "sandbox")]
mod cluster;
mod conformance;
mod cut;
mod groups;
#[cfg(feature = "sandbox")]
mod history;
mod isolation;
mod keys;
mod lifecycle;
#[cfg(feature = "sandbox")]
mod live;
#[cfg(feature = "sandbox")]
mod live_hardening;
#[cfg(feature = "sandbox")]
mod mcp;
#[cfg(feature = "sandbox")]
mod messaging;
mod new_user;
#[cfg(feature = "sandbox")]
mod object_storage;
mod ops;
#[cfg(feature = "sandbox")]
mod ops_live;
mod outage;
#[cfg(feature = "sandbox")]
mod outage_live;
mod own_postgres;
#[cfg(feature = "sandbox")]
mod people;
#[cfg(feature = "sandbox")]
mod proxy;
mod rate_limits;
#[cfg(feature = "sandbox")]
mod received_media;
mod receiver;
mod retention;
mod revocation;
mod rotation;
#[cfg(feature = "sandbox")]
mod rules;
#[cfg(feature = "sandbox")]
mod sandboxed;
#[cfg(feature = "sandbox")]
mod scenario;
#[cfg(feature = "sandbox")]
mod scheduled;
mod scopes;
mod send_limits;
mod send_states;
mod sinks;
#[cfg(feature = "sandbox")]
mod status;
mod storage;
mod stream;
#[cfg(feature = "sandbox")]
mod templates;
#[cfg(feature = "sandbox")]
mod tenancy;
mod webhook_rules;
mod webhooks;
