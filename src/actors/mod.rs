//! The actor layer: one [`SupervisorActor`] per process owning one [`SessionActor`] per session.

mod delivery;
mod event_hub;
mod session;
mod supervisor;

pub use delivery::{DeliveryActor, DeliveryConfig, StopDeliveries};
pub use event_hub::{EventHub, EventSelector, Subscribe, SubscriberCount, Unsubscribe};
pub use session::{Kill, SessionActor};
pub use supervisor::{
    ActorAddr, Boot, EnsureRunning, EnsureStopped, RemoveSession, RestartSession, RunningSessions,
    Shutdown, SupervisorActor,
};
