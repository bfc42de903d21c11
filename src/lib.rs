//! WARAS: a self-hosted, multi-tenant WhatsApp Remote Automation Service.
//!
//! Layers, each calling only downward: [`api`] (actix-web) → [`actors`] (supervisor and sessions)
//! → [`db`] (diesel over PostgreSQL or SQLite). [`domain`] holds the parsed input types.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "unit tests: a panic is the failure report"
    )
)]

pub mod actors;
pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod engine;
pub mod loopback;
pub mod media;
pub mod metrics;
pub mod rotate;
pub mod sinks;
#[cfg(feature = "sandbox")]
pub use waras_sandbox as sandbox;
pub mod time;
pub mod webhooks;

/// Whether the WhatsApp certificate chain is verified; only a `sandbox` build turns it off.
pub const CERT_VERIFICATION: &str = if cfg!(feature = "sandbox") {
    "off"
} else {
    "on"
};

/// `waras --version`: the version and the certificate-verification mode of this build.
pub const VERSION_LINE: &str = if cfg!(feature = "sandbox") {
    concat!(
        env!("CARGO_PKG_VERSION"),
        " (sandbox build: cert_verification off)"
    )
} else {
    concat!(env!("CARGO_PKG_VERSION"), " (cert_verification on)")
};
