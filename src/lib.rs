//! WARAS: many WhatsApp sessions behind one multi-tenant REST API.

#[cfg(feature = "sandbox")]
pub mod sandbox;
