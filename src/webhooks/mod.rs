//! Webhook rules that are independent of storage and transport: Standard Webhooks signatures,
//! the retry schedule, which targets may be called, and what an endpoint keeps sealed.

pub mod schedule;
pub mod sealed;
pub mod signature;
pub mod target;
