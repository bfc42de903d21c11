//! The actor layer: one [`SupervisorActor`] per process owning one [`SessionActor`] per session.

mod delivery;
mod event_hub;
mod orphans;
mod overdue;
mod retention;
mod session;
mod supervisor;

pub use delivery::{DeliveryActor, DeliveryConfig, StopDeliveries};
pub use event_hub::{EventHub, EventSelector, Subscribe, SubscriberCount, Unsubscribe};
pub use orphans::OrphanSweep;
pub use overdue::OverdueSends;
pub use retention::RetentionJob;
pub use session::{
    Drain, Kill, Live, LiveClient, Logout, PairCode, SessionActor, SessionCommandError,
};
#[cfg(feature = "sandbox")]
pub use session::{HaltEngine, Panic, PanicWhenStopped};
pub use supervisor::{
    ActorAddr, Boot, EnsureRunning, EnsureStopped, HandOver, Nudge, Owned, RemoveSession,
    RestartSession, RunningSessions, Shutdown, SupervisorActor,
};
