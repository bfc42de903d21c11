//! The WhatsApp Web server side of the sandbox: one task per client connection (`stream`) with
//! the Noise handshake, QR and pairing-code linking, login, the IQs clients send, and the relay
//! of messages, receipts, presence and chat states between devices.

pub(crate) mod blocklist;
pub(crate) mod calls;
pub(crate) mod channels;
pub(crate) mod conn;
pub(crate) mod groups;
pub(crate) mod iq;
pub(crate) mod linkcode;
pub(crate) mod noise;
pub(crate) mod pairing;
pub(crate) mod prekeys;
pub(crate) mod profiles;
pub(crate) mod relay;
pub(crate) mod stream;
pub(crate) mod syncd;
pub(crate) mod usync;
pub(crate) mod ws;
