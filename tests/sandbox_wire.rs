//! The sandbox's wire from a bare client's point of view, without the engine's client logic: the
//! connection header, 3-byte frames, Noise XX against the sandbox's certificate chain, encrypted
//! binary nodes, and the first stanza an unlinked device gets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test and benchmark code: a panic is the failure report, and a scenario reads top to bottom"
)]

use buffa::Message as _;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::consts::WA_CONN_HEADER;
use wacore_binary::marshal::unmarshal_ref;
use wacore_binary::{Node, marshal, util::unpack};
use wacore_libsignal::protocol::KeyPair;
use wacore_noise::framing::{FrameDecoder, encode_frame};
use wacore_noise::{
    IkHandshakeState, IkServerHelloOutcome, NoiseCipher, XxFallbackHandshakeState, XxHandshakeState,
};
use waproto::whatsapp as wa;
use waras::sandbox::{self, SandboxConfig};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct RawClient {
    ws: Ws,
    decoder: FrameDecoder,
    write: NoiseCipher,
    read: NoiseCipher,
    write_counter: u32,
    read_counter: u32,
}

async fn next_frame(ws: &mut Ws, decoder: &mut FrameDecoder) -> Vec<u8> {
    loop {
        if let Some(frame) = decoder.decode_frame() {
            return frame.to_vec();
        }
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("server answered in time")
            .expect("connection open")
            .expect("websocket message");
        if let WsMessage::Binary(data) = msg {
            decoder.feed(&data);
        }
    }
}

/// Sends one frame: the client hello carries the connection header, later frames do not.
async fn send_frame(ws: &mut Ws, payload: &[u8], hello: bool) {
    let header = hello.then_some(&WA_CONN_HEADER[..]);
    let frame = encode_frame(payload, header).expect("frame");
    ws.send(WsMessage::Binary(frame.into()))
        .await
        .expect("send frame");
}

/// How the client opens the Noise session.
enum Pattern {
    Xx,
    /// IK with the server static key the client believes in.
    Ik([u8; 32]),
}

impl RawClient {
    async fn connect(url: &str) -> RawClient {
        Self::connect_with(url, Pattern::Xx).await.0
    }

    /// Returns the client and the server static key it ended up with (from the XX cert chain,
    /// or the one it assumed for an accepted IK). The bool says whether IK fell back to XX.
    async fn connect_with(url: &str, pattern: Pattern) -> (RawClient, Option<[u8; 32]>, bool) {
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        let static_kp = KeyPair::generate(&mut rand010::rng());
        // An empty payload (no username): a device that wants to be linked.
        let payload = wa::ClientPayload::default().encode_to_vec();
        let mut decoder = FrameDecoder::new();
        let (write, read, server_key, fell_back) = match pattern {
            Pattern::Xx => {
                let mut hs = XxHandshakeState::new(static_kp, payload, &WA_CONN_HEADER)
                    .expect("handshake state");
                send_frame(&mut ws, &hs.build_client_hello().expect("hello"), true).await;
                let server_hello = next_frame(&mut ws, &mut decoder).await;
                let finish = hs
                    .read_server_hello_and_build_client_finish(&server_hello)
                    .expect("server hello verifies");
                send_frame(&mut ws, &finish, false).await;
                let outcome = hs.finish().expect("handshake complete");
                let key = outcome.server_cert_chain.leaf_key;
                (outcome.write_cipher, outcome.read_cipher, Some(key), false)
            }
            Pattern::Ik(server_key) => {
                let mut hs = IkHandshakeState::new(static_kp, server_key, payload, &WA_CONN_HEADER)
                    .expect("IK state");
                send_frame(&mut ws, &hs.build_client_hello().expect("hello"), true).await;
                let server_hello = next_frame(&mut ws, &mut decoder).await;
                match hs.read_server_hello(&server_hello).expect("server hello") {
                    IkServerHelloOutcome::Continue(outcome) => (
                        outcome.write_cipher,
                        outcome.read_cipher,
                        Some(server_key),
                        false,
                    ),
                    IkServerHelloOutcome::Fallback(inputs) => {
                        let mut fb =
                            XxFallbackHandshakeState::from_ik_failure(*inputs, &WA_CONN_HEADER)
                                .expect("fallback");
                        let finish = fb.build_client_finish().expect("fallback finish");
                        send_frame(&mut ws, &finish, false).await;
                        let outcome = fb.finish().expect("fallback complete");
                        let key = outcome.server_cert_chain.leaf_key;
                        (outcome.write_cipher, outcome.read_cipher, Some(key), true)
                    }
                }
            }
        };
        (
            RawClient {
                ws,
                decoder,
                write,
                read,
                write_counter: 0,
                read_counter: 0,
            },
            server_key,
            fell_back,
        )
    }

    async fn send(&mut self, node: &Node) {
        let plain = marshal(node).expect("marshal");
        let cipher = self
            .write
            .encrypt_with_counter(self.write_counter, &plain)
            .expect("encrypt");
        self.write_counter += 1;
        send_frame(&mut self.ws, &cipher, false).await;
    }

    async fn recv(&mut self) -> Node {
        let mut frame = next_frame(&mut self.ws, &mut self.decoder).await;
        self.read
            .decrypt_in_place_with_counter(self.read_counter, &mut frame)
            .expect("decrypt");
        self.read_counter += 1;
        let plain = unpack(&frame).expect("unpack");
        unmarshal_ref(&plain).expect("node").to_owned()
    }
}

#[actix_web::test]
async fn an_unlinked_device_gets_pairing_refs_and_survives_early_presence() {
    let sandbox = sandbox::start(SandboxConfig::default())
        .await
        .expect("start sandbox");
    let mut client = RawClient::connect(sandbox.ws_url()).await;

    let pair = client.recv().await;
    assert_eq!(pair.tag, "iq");
    let refs = pair
        .get_optional_child("pair-device")
        .map(|p| p.get_children_by_tag("ref").count());
    assert_eq!(refs, Some(6), "{pair:?}");

    // Some clients announce presence before they are linked; the connection must stay up.
    client
        .send(
            &NodeBuilder::new("presence")
                .attr("type", "available")
                .build(),
        )
        .await;
    client
        .send(
            &NodeBuilder::new("iq")
                .attr("id", "ping-1")
                .attr("type", "get")
                .attr("xmlns", "w:p")
                .build(),
        )
        .await;
    let pong = client.recv().await;
    let attr = |name: &str| pong.attrs.get(name).map(|v| v.as_str().into_owned());
    assert_eq!(attr("id").as_deref(), Some("ping-1"));
    assert_eq!(attr("type").as_deref(), Some("result"));
    sandbox.stop().await;
}

#[actix_web::test]
async fn noise_ik_is_accepted_and_a_stale_server_key_falls_back_to_xx() {
    let sandbox = sandbox::start(SandboxConfig::default())
        .await
        .expect("start sandbox");
    let (mut first, server_key, _) = RawClient::connect_with(sandbox.ws_url(), Pattern::Xx).await;
    first.recv().await;
    let server_key = server_key.expect("server static from the certificate chain");

    // A client that cached the right server key gets a one-round-trip IK handshake.
    let (mut ik, _, fell_back) =
        RawClient::connect_with(sandbox.ws_url(), Pattern::Ik(server_key)).await;
    assert!(!fell_back, "IK with the right key must not fall back");
    assert_eq!(ik.recv().await.tag, "iq");

    // One with a stale key is steered into XXfallback and still gets in.
    let stale = [7u8; 32];
    let (mut fb, learned, fell_back) =
        RawClient::connect_with(sandbox.ws_url(), Pattern::Ik(stale)).await;
    assert!(fell_back, "a stale server key must fall back to XX");
    assert_eq!(learned, Some(server_key));
    assert_eq!(fb.recv().await.tag, "iq");
    sandbox.stop().await;
}
