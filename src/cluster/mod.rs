//! The one door to sessions, and the cluster behind it. The API reaches a session only through
//! [`Sessions`]: lifecycle (start, stop, restart, logout, remove), the outbox nudge and every
//! live command. `Sessions` runs a command here when this process owns the session and
//! forwards it to the owner when another instance does (`forward`); with PostgreSQL the
//! instances share the sessions through leases (`membership`, `placement`) and wake each other
//! with LISTEN/NOTIFY (`wakeups`).

mod config;
mod error;
pub mod forward;
pub mod membership;
pub mod placement;
mod sessions;
pub mod wakeups;

pub use config::ClusterConfig;
pub use error::CommandError;
pub use membership::Membership;
pub use sessions::{Answer, Cluster, Order, Sessions};
