//! Webhook rules that are independent of storage and transport: Standard Webhooks signatures,
//! the retry schedule, and which targets may be called.

pub mod schedule;
pub mod signature;
pub mod target;
