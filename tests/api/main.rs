//! The REST API, end to end over HTTP, on SQLite and on PostgreSQL (each test on a fresh database).

mod common;

mod crash;

mod bad_input;
mod cli;
mod groups;
mod isolation;
mod keys;
mod lifecycle;
#[cfg(feature = "sandbox")]
mod live;
#[cfg(feature = "sandbox")]
mod messaging;
mod ops;
#[cfg(feature = "sandbox")]
mod received_media;
mod receiver;
#[cfg(feature = "sandbox")]
mod sandboxed;
mod send_limits;
mod storage;
mod stream;
mod webhooks;
