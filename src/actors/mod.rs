//! The actor layer: one [`SupervisorActor`] per process owning one [`SessionActor`] per session.

mod delivery;
mod event_hub;
mod session;
mod supervisor;

pub use delivery::{DeliveryActor, DeliveryConfig, StopDeliveries};
pub use event_hub::{EventHub, EventSelector, Subscribe, SubscriberCount, Unsubscribe};
pub use session::{
    Drain, EngineEvent, Kill, Live, LiveClient, Logout, PairCode, SessionActor, SessionCommandError,
};
pub use supervisor::{
    ActorAddr, Boot, EnsureRunning, EnsureStopped, Nudge, RemoveSession, RestartSession,
    RunningSessions, Shutdown, SupervisorActor,
};
