//! Adapters that let the `whatsapp-rust` protocol engine run inside WARAS (see ENGINE.md).
//! So far: the engine's persistent store ([`store::DieselStore`]) and the sealing of its key
//! material at rest ([`sealing`]).

pub mod sealing;
pub mod store;

pub use sealing::{Sealer, check_master_key, rotate_data_key};
pub use store::DieselStore;
