//! Every account's phone (device 0): an engine client running in-process and connected through
//! `server` like any companion, so it really encrypts, decrypts and links. What it receives is
//! recorded (`inbox`, `activity`); what the admin API asks it to do is in `actions` and
//! `outgoing`.

pub(crate) mod accounts;
pub(crate) mod actions;
pub(crate) mod activity;
pub(crate) mod history;
pub(crate) mod inbox;
pub(crate) mod outgoing;
pub(crate) mod phone;
