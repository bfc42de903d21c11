//! The server's side of the WhatsApp Noise wire: connection header, 3-byte frames, the XX / IK /
//! XXfallback handshakes as the engine's initiator speaks them, and AES-GCM transport frames.

use anyhow::{Context, Result, anyhow, bail};
use buffa::Message as _;
use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use wacore_binary::consts::{
    NOISE_PATTERN_IK, NOISE_PATTERN_XX, NOISE_PATTERN_XXFALLBACK, WA_CONN_HEADER,
};
use wacore_libsignal::protocol::KeyPair;
use wacore_noise::framing::{FrameDecoder, encode_frame};
use wacore_noise::{NoiseCipher, NoiseHandshake};
use waproto::whatsapp::{self as wa, HandshakeMessage};

use crate::certs::generate_key_pair;

/// Edge-routing pre-intro a client may put before the connection header (`ED\0\1` + 3-byte length).
const EDGE_ROUTING_MAGIC: &[u8] = b"ED\x00\x01";

/// Byte pipe of one client connection, independent of how the bytes travel (a WebSocket, or an
/// in-process channel for the simulated phones).
pub(crate) struct Wire {
    inbound: mpsc::Receiver<Bytes>,
    outbound: mpsc::Sender<Bytes>,
    decoder: FrameDecoder,
    /// Bytes received before the connection header was complete.
    preamble: Option<Vec<u8>>,
}

impl Wire {
    pub(crate) fn new(inbound: mpsc::Receiver<Bytes>, outbound: mpsc::Sender<Bytes>) -> Self {
        Self {
            inbound,
            outbound,
            decoder: FrameDecoder::new(),
            preamble: Some(Vec::new()),
        }
    }

    /// Next complete frame; `None` when the client went away.
    pub(crate) async fn next_frame(&mut self) -> Result<Option<BytesMut>> {
        loop {
            if self.preamble.is_none()
                && let Some(frame) = self.decoder.decode_frame()
            {
                return Ok(Some(frame));
            }
            let Some(chunk) = self.inbound.recv().await else {
                return Ok(None);
            };
            match self.preamble.take() {
                None => self.decoder.feed(&chunk),
                Some(mut pending) => {
                    pending.extend_from_slice(&chunk);
                    match strip_connection_header(&pending)? {
                        Some(rest) => self.decoder.feed(rest),
                        None => self.preamble = Some(pending),
                    }
                }
            }
        }
    }

    pub(crate) async fn send_frame(&self, payload: &[u8]) -> Result<()> {
        let framed = encode_frame(payload, None).context("framing outgoing payload")?;
        self.outbound
            .send(Bytes::from(framed))
            .await
            .map_err(|_| anyhow!("client connection closed"))
    }
}

/// Returns the bytes after the connection header once it is complete, `None` while incomplete.
fn strip_connection_header(data: &[u8]) -> Result<Option<&[u8]>> {
    let mut rest = data;
    if rest.len() >= 2 && rest.starts_with(b"ED") {
        if rest.len() < 7 {
            return Ok(None);
        }
        if !rest.starts_with(EDGE_ROUTING_MAGIC) {
            bail!("bad edge-routing pre-intro");
        }
        let len = (usize::from(rest[4]) << 16) | (usize::from(rest[5]) << 8) | usize::from(rest[6]);
        if rest.len() < 7 + len {
            return Ok(None);
        }
        rest = &rest[7 + len..];
    }
    if rest.len() < WA_CONN_HEADER.len() {
        return Ok(None);
    }
    if rest[..2] != WA_CONN_HEADER[..2] {
        bail!("connection does not start with the WA header");
    }
    Ok(Some(&rest[WA_CONN_HEADER.len()..]))
}

/// AES-256-GCM transport after the handshake; each direction counts its own nonces from 0.
pub(crate) struct NoiseTransport {
    read: NoiseCipher,
    write: NoiseCipher,
    read_counter: u32,
    write_counter: u32,
}

impl NoiseTransport {
    pub(crate) fn decrypt(&mut self, mut frame: BytesMut) -> Result<BytesMut> {
        self.read
            .decrypt_in_place_with_counter(self.read_counter, &mut frame)
            .map_err(|e| anyhow!("decrypting client frame: {e}"))?;
        self.read_counter = self.read_counter.wrapping_add(1);
        Ok(frame)
    }

    pub(crate) fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let out = self
            .write
            .encrypt_with_counter(self.write_counter, plaintext)
            .map_err(|e| anyhow!("encrypting server frame: {e}"))?;
        self.write_counter = self.write_counter.wrapping_add(1);
        Ok(out)
    }
}

/// What the handshake learned about the client.
pub(crate) struct Handshake {
    pub transport: NoiseTransport,
    pub client_static: [u8; 32],
    pub client_payload: wa::ClientPayload,
}

fn key32(bytes: &[u8], what: &str) -> Result<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| anyhow!("{what} is {} bytes, expected 32", bytes.len()))
}

fn transport_from(noise: NoiseHandshake) -> Result<NoiseTransport> {
    // The responder's split is (initiator→responder, responder→initiator) = (read, write).
    let (read, write) = noise.finish().map_err(|e| anyhow!("noise split: {e}"))?;
    Ok(NoiseTransport {
        read,
        write,
        read_counter: 0,
        write_counter: 0,
    })
}

async fn send_server_hello(wire: &Wire, hello: wa::handshake_message::ServerHello) -> Result<()> {
    let msg = HandshakeMessage {
        server_hello: buffa::MessageField::some(hello),
        ..Default::default()
    };
    wire.send_frame(&msg.encode_to_vec()).await
}

/// Runs the responder side of the handshake the client starts.
pub(crate) async fn accept(
    wire: &mut Wire,
    server_static: &KeyPair,
    cert_chain: &[u8],
) -> Result<Handshake> {
    let frame = wire
        .next_frame()
        .await?
        .ok_or_else(|| anyhow!("client left before ClientHello"))?;
    let hello = HandshakeMessage::decode_from_slice(&frame)
        .context("decoding ClientHello")?
        .client_hello
        .into_option()
        .ok_or_else(|| anyhow!("first frame is not a ClientHello"))?;
    let client_eph = key32(
        hello.ephemeral.as_deref().unwrap_or_default(),
        "client ephemeral",
    )?;
    match (hello.r#static.as_deref(), hello.payload.as_deref()) {
        (Some(enc_static), Some(enc_payload)) => {
            match try_ik(
                server_static,
                cert_chain,
                &client_eph,
                enc_static,
                enc_payload,
            ) {
                Ok((noise, hello, client_static, payload)) => {
                    send_server_hello(wire, hello).await?;
                    let client_payload = wa::ClientPayload::decode_from_slice(&payload)
                        .context("decoding IK ClientPayload")?;
                    Ok(Handshake {
                        transport: transport_from(noise)?,
                        client_static,
                        client_payload,
                    })
                }
                // The client cached a server key this sandbox no longer has: make it fall back to XX.
                Err(_) => {
                    xx(
                        wire,
                        server_static,
                        cert_chain,
                        &client_eph,
                        NOISE_PATTERN_XXFALLBACK,
                    )
                    .await
                }
            }
        }
        _ => {
            xx(
                wire,
                server_static,
                cert_chain,
                &client_eph,
                NOISE_PATTERN_XX,
            )
            .await
        }
    }
}

type IkAccepted = (
    NoiseHandshake,
    wa::handshake_message::ServerHello,
    [u8; 32],
    Vec<u8>,
);

fn try_ik(
    server_static: &KeyPair,
    cert_chain: &[u8],
    client_eph: &[u8; 32],
    enc_static: &[u8],
    enc_payload: &[u8],
) -> Result<IkAccepted> {
    let server_priv = server_static.private_key.serialize();
    let mut noise = NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER)?;
    noise.authenticate(server_static.public_key.public_key_bytes());
    noise.authenticate(client_eph);
    noise.mix_shared_secret(server_priv, client_eph)?;
    let client_static = key32(&noise.decrypt(enc_static)?, "client static")?;
    noise.mix_shared_secret(server_priv, &client_static)?;
    let payload = noise.decrypt(enc_payload)?;
    let eph = generate_key_pair();
    noise.authenticate(eph.public_key.public_key_bytes());
    noise.mix_shared_secret(eph.private_key.serialize(), client_eph)?;
    noise.mix_shared_secret(eph.private_key.serialize(), &client_static)?;
    let enc_cert = noise.encrypt(cert_chain)?;
    let hello = wa::handshake_message::ServerHello {
        ephemeral: Some(eph.public_key.public_key_bytes().to_vec()),
        r#static: None,
        payload: Some(enc_cert),
        ..Default::default()
    };
    Ok((noise, hello, client_static, payload))
}

async fn xx(
    wire: &mut Wire,
    server_static: &KeyPair,
    cert_chain: &[u8],
    client_eph: &[u8; 32],
    pattern: &str,
) -> Result<Handshake> {
    let mut noise = NoiseHandshake::new(pattern, &WA_CONN_HEADER)?;
    noise.authenticate(client_eph);
    let eph = generate_key_pair();
    noise.authenticate(eph.public_key.public_key_bytes());
    noise.mix_shared_secret(eph.private_key.serialize(), client_eph)?;
    let enc_static = noise.encrypt(server_static.public_key.public_key_bytes())?;
    noise.mix_shared_secret(server_static.private_key.serialize(), client_eph)?;
    let enc_cert = noise.encrypt(cert_chain)?;
    send_server_hello(
        wire,
        wa::handshake_message::ServerHello {
            ephemeral: Some(eph.public_key.public_key_bytes().to_vec()),
            r#static: Some(enc_static),
            payload: Some(enc_cert),
            ..Default::default()
        },
    )
    .await?;

    let frame = wire
        .next_frame()
        .await?
        .ok_or_else(|| anyhow!("client left before ClientFinish"))?;
    let finish = HandshakeMessage::decode_from_slice(&frame)
        .context("decoding ClientFinish")?
        .client_finish
        .into_option()
        .ok_or_else(|| anyhow!("expected ClientFinish"))?;
    let client_static = key32(
        &noise.decrypt(finish.r#static.as_deref().unwrap_or_default())?,
        "client static",
    )?;
    noise.mix_shared_secret(eph.private_key.serialize(), &client_static)?;
    let payload = noise.decrypt(finish.payload.as_deref().unwrap_or_default())?;
    let client_payload =
        wa::ClientPayload::decode_from_slice(&payload).context("decoding ClientPayload")?;
    Ok(Handshake {
        transport: transport_from(noise)?,
        client_static,
        client_payload,
    })
}
