//! The simulated network's state: accounts with their devices and keys, groups, profiles, live
//! connection handles and pairings in progress, behind one lock in [`core::Core`], and its
//! persistence. Nothing here speaks to a client: that is `server`.

pub(crate) mod blocking;
pub(crate) mod calls;
pub(crate) mod channels;
pub(crate) mod core;
pub(crate) mod group;
pub(crate) mod group_views;
pub(crate) mod inbox;
pub(crate) mod network;
pub(crate) mod persist;
pub(crate) mod profile;
pub(crate) mod records;
pub(crate) mod snapshot;
pub(crate) mod syncd;
