//! A client connection's life: the Noise handshake, the QR offer for a new device or the login of
//! a known one, then the read loop that hands each stanza to its handler.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use bytes::Bytes;
use tokio::sync::mpsc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::marshal::unmarshal_ref;
use wacore_binary::{Node, marshal, util::unpack};

use super::conn::{Conn, Peer};
use super::noise::{self, Wire};
use super::{calls, iq, pairing, relay};
use crate::net::core::Core;
use crate::net::network::{ConnCommand, ConnHandle, PendingPairing};
use crate::nodes::{self, attr};

/// Serves one client until it leaves or is closed; errors end only this connection.
pub(crate) async fn serve(
    core: Arc<Core>,
    inbound: mpsc::Receiver<Bytes>,
    outbound: mpsc::Sender<Bytes>,
) {
    if let Err(e) = run(core, inbound, outbound).await {
        log::debug!("sandbox connection ended: {e:#}");
    }
}

async fn run(
    core: Arc<Core>,
    inbound: mpsc::Receiver<Bytes>,
    outbound: mpsc::Sender<Bytes>,
) -> Result<()> {
    let mut wire = Wire::new(inbound, outbound);
    if let Some(delay) = core.faults.connect_delay() {
        tokio::time::sleep(delay).await;
    }
    let hs = noise::accept(&mut wire, &core.server_static, &core.cert_chain).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let known = {
        let mut net = core.lock_net();
        net.next_conn_id += 1;
        let handle = ConnHandle {
            id: net.next_conn_id,
            tx,
        };
        (net.device_by_noise(&hs.client_static), handle)
    };
    let (device, handle) = known;
    let peer = match device {
        Some((phone, device)) => Peer::Device { phone, device },
        None if hs.client_payload.device_pairing_data.is_set()
            || hs.client_payload.username.is_none() =>
        {
            Peer::Unpaired {
                noise_pub: hs.client_static,
            }
        }
        None => {
            // Credentials of a device the sandbox does not know (unlinked, or from another
            // sandbox): logged out, as WhatsApp answers a removed companion.
            let mut transport = hs.transport;
            let failure = NodeBuilder::new("failure").attr("reason", "401").build();
            let plain = marshal(&failure).map_err(|e| anyhow!("encoding node: {e}"))?;
            wire.send_frame(&transport.encrypt(&plain)?).await?;
            return Ok(());
        }
    };
    let mut conn = Conn {
        core: core.clone(),
        peer,
        handle,
        wire,
        transport: hs.transport,
    };
    let result = conn.run_session(&mut rx).await;
    conn.unregister();
    result
}

impl Conn {
    async fn run_session(&mut self, rx: &mut mpsc::UnboundedReceiver<ConnCommand>) -> Result<()> {
        match self.peer.clone() {
            Peer::Unpaired { noise_pub } => self.offer_pairing(noise_pub).await?,
            Peer::Device { phone, device } => {
                if !self.login(&phone, device).await? {
                    return Ok(());
                }
            }
        }
        loop {
            tokio::select! {
                frame = self.wire.next_frame() => {
                    let Some(frame) = frame? else { return Ok(()) };
                    let plain = self.transport.decrypt(frame)?;
                    let unpacked = unpack(&plain).map_err(|e| anyhow!("unpacking node: {e}"))?;
                    let node = unmarshal_ref(&unpacked).map_err(|e| anyhow!("decoding node: {e}"))?.to_owned();
                    if let Err(e) = self.handle_node(node).await {
                        // One bad stanza must not cost the client its connection; a dead
                        // connection shows up at the next read anyway.
                        log::warn!("sandbox: stanza from {:?} failed: {e:#}", self.peer);
                    }
                }
                cmd = rx.recv() => match cmd {
                    Some(ConnCommand::Send(node)) => self.send(&node).await?,
                    Some(ConnCommand::Close(node)) => {
                        if let Some(node) = node {
                            self.send(&node).await?;
                        }
                        return Ok(());
                    }
                    None => return Ok(()),
                },
            }
        }
    }

    async fn offer_pairing(&mut self, noise_pub: [u8; 32]) -> Result<()> {
        let refs: Vec<String> = (0..self.core.pairing_refs)
            .map(|_| pairing::new_ref())
            .collect();
        {
            let mut net = self.core.lock_net();
            for r in &refs {
                net.pending_pairings.insert(
                    r.clone(),
                    PendingPairing {
                        conn: self.handle.clone(),
                        noise_pub,
                    },
                );
            }
        }
        let node = NodeBuilder::new("iq")
            .attr("from", nodes::SERVER)
            .attr("type", "set")
            .attr("id", nodes::new_id())
            .attr("xmlns", "md")
            .children([NodeBuilder::new("pair-device")
                .children(
                    refs.iter()
                        .map(|r| NodeBuilder::new("ref").bytes(r.as_bytes().to_vec()).build()),
                )
                .build()])
            .build();
        self.send(&node).await
    }

    /// Answers a known device's login; false when it was refused and the connection must end.
    async fn login(&mut self, phone: &str, device: u16) -> Result<bool> {
        if let Some(delay) = self.core.faults.login_delay(phone) {
            tokio::time::sleep(delay).await;
        }
        let (linked, lid) = {
            let net = self.core.read_net();
            let acc = net
                .accounts
                .get(phone)
                .ok_or_else(|| anyhow!("account {phone} vanished"))?;
            let linked = acc.devices.get(&device).is_some_and(|d| d.linked);
            (linked, acc.lid_jid().with_device(device))
        };
        if !linked || self.core.faults.refuses(phone) {
            // 503 (refuse fault) makes clients retry later; 401 tells them they were logged out.
            let reason = if linked { "503" } else { "401" };
            self.send(&NodeBuilder::new("failure").attr("reason", reason).build())
                .await?;
            return Ok(false);
        }
        let replaced = {
            let mut net = self.core.lock_net();
            net.conns
                .insert((phone.to_string(), device), self.handle.clone())
        };
        if let Some(old) = replaced {
            // A device has one live connection; the older one learns it was replaced.
            let conflict = NodeBuilder::new("stream:error")
                .children([NodeBuilder::new("conflict")
                    .attr("type", "replaced")
                    .build()])
                .build();
            let _ = old.tx.send(ConnCommand::Close(Some(conflict)));
        }
        let success = NodeBuilder::new("success")
            .attr("t", chrono::Utc::now().timestamp().to_string())
            .attr("props", "1")
            .attr("creation", "1700000000")
            .attr("location", "sandbox")
            .attr("lid", lid)
            .build();
        self.send(&success).await?;
        Ok(true)
    }

    async fn handle_node(&mut self, node: Node) -> Result<()> {
        if matches!(self.peer, Peer::Unpaired { .. }) && node.tag != "iq" {
            // A device being linked may already announce presence and the like; it has no
            // account yet to speak for, so that is dropped rather than treated as an error.
            return Ok(());
        }
        match node.tag.as_ref() {
            "iq" => iq::handle(self, node).await,
            "message" => relay::message(self, &node).await,
            "receipt" if node.get_optional_child("offer").is_some() => {
                calls::offer_receipt(self, &node).await
            }
            "receipt" => relay::receipt(self, &node).await,
            "call" => calls::from_device(self, &node).await,
            "presence" => relay::presence(self, &node).await,
            "chatstate" => relay::chatstate(self, &node).await,
            "ack" => {
                if let (Ok(key), Some(id)) = (self.device(), attr(&node, "id")) {
                    self.core.lock_net().acknowledged(&key, &[id]);
                }
                Ok(())
            }
            // `ib` (unified session, …) and anything else needs no answer from the sandbox.
            _ => Ok(()),
        }
    }
}
