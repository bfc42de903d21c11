//! One client connection as the handlers see it: who is on the other end, and how to answer it.
//! The connection's life (handshake, login, the read loop) is in `stream.rs`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wacore_binary::{Node, marshal};

use super::noise::{NoiseTransport, Wire};
use crate::net::core::Core;
use crate::net::network::{ConnCommand, ConnHandle};

/// Who is on the other end once the handshake is done.
#[derive(Clone, Debug)]
pub(crate) enum Peer {
    /// A device waiting to be linked by a phone.
    Unpaired { noise_pub: [u8; 32] },
    /// A device of an account.
    Device { phone: String, device: u16 },
}

pub(crate) struct Conn {
    pub core: Arc<Core>,
    pub peer: Peer,
    pub handle: ConnHandle,
    pub(super) wire: Wire,
    pub(super) transport: NoiseTransport,
}

impl Conn {
    pub(crate) async fn send(&mut self, node: &Node) -> Result<()> {
        let plain = marshal(node).map_err(|e| anyhow!("encoding node: {e}"))?;
        let cipher = self.transport.encrypt(&plain)?;
        self.wire.send_frame(&cipher).await
    }

    /// Queues a command to this connection itself, for replies that must wait (the 515 restart).
    pub(crate) fn later(&self, delay: Duration, cmd: ConnCommand) {
        let tx = self.handle.tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(cmd);
        });
    }

    pub(super) fn unregister(&self) {
        let mut net = self.core.lock_net();
        net.pending_pairings
            .retain(|_, p| p.conn.id != self.handle.id);
        net.code_requests.retain(|_, r| r.conn.id != self.handle.id);
        net.code_flows.retain(|_, f| f.conn.id != self.handle.id);
        if let Peer::Device { phone, device } = &self.peer {
            let key = (phone.clone(), *device);
            if net.conns.get(&key).is_some_and(|c| c.id == self.handle.id) {
                net.conns.remove(&key);
                net.requeue_unacked(&key);
            }
        }
    }

    /// The account and device of a logged-in connection.
    pub(crate) fn device(&self) -> Result<(String, u16)> {
        match &self.peer {
            Peer::Device { phone, device } => Ok((phone.clone(), *device)),
            Peer::Unpaired { .. } => {
                Err(anyhow!("stanza needs a logged-in device")).context("unpaired connection")
            }
        }
    }
}
