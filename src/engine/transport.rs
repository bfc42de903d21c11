//! The engine's `Transport` over awc: one [`WsClientActor`] per connection, living on a dedicated
//! actix arbiter because awc futures are not `Send`; the engine talks to it by message passing.
//! The transport only moves bytes: framing and Noise are the engine's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix::io::{SinkWrite, WriteHandler};
use actix::prelude::*;
use anyhow::{Result, anyhow};
use awc::error::WsProtocolError;
use awc::ws::{CloseCode, CloseReason, Codec, Frame, Message as WsMessage};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::SplitSink;
use tokio::sync::oneshot;
use wacore::net::{DisconnectReason, Transport, TransportEvent, TransportFactory};

use crate::domain::proxy::ProxyUrl;

type WsSink = SplitSink<actix_codec::Framed<awc::BoxedSocket, Codec>, WsMessage>;

/// Longest a closing connection waits for its queued frames to be written.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Largest WebSocket frame accepted from the server (history sync chunks are large).
const MAX_FRAME: usize = 16 * 1024 * 1024;

pub struct WsClientActor {
    sink: SinkWrite<WsMessage, WsSink>,
    events: async_channel::Sender<TransportEvent>,
    ended: bool,
}

impl WsClientActor {
    fn end(&mut self, reason: DisconnectReason, ctx: &mut Context<Self>) {
        if !self.ended {
            self.ended = true;
            let _ = self.events.try_send(TransportEvent::Disconnected(reason));
        }
        ctx.stop();
    }
}

impl Actor for WsClientActor {
    type Context = Context<Self>;

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        if !self.ended {
            self.ended = true;
            let _ = self
                .events
                .try_send(TransportEvent::Disconnected(DisconnectReason::StreamEnded));
        }
    }
}

impl WriteHandler<WsProtocolError> for WsClientActor {}

impl StreamHandler<Result<Frame, WsProtocolError>> for WsClientActor {
    fn handle(&mut self, item: Result<Frame, WsProtocolError>, ctx: &mut Self::Context) {
        match item {
            Ok(Frame::Binary(data)) | Ok(Frame::Text(data)) => {
                if self
                    .events
                    .try_send(TransportEvent::DataReceived(data))
                    .is_err()
                {
                    self.end(DisconnectReason::Unknown, ctx);
                }
            }
            Ok(Frame::Ping(p)) => {
                let _ = self.sink.write(WsMessage::Pong(p));
            }
            Ok(Frame::Close(reason)) => {
                let reason = DisconnectReason::ServerClose {
                    code: reason.as_ref().map(|r| u16::from(r.code)),
                    reason: reason.and_then(|r| r.description).unwrap_or_default(),
                };
                self.end(reason, ctx);
            }
            Ok(_) => {}
            Err(e) => self.end(DisconnectReason::ReadError(e.to_string()), ctx),
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        self.end(DisconnectReason::StreamEnded, ctx);
    }
}

#[derive(Message)]
#[rtype(result = "Result<(), String>")]
struct Outgoing(Bytes);

impl Handler<Outgoing> for WsClientActor {
    type Result = Result<(), String>;

    fn handle(&mut self, msg: Outgoing, _ctx: &mut Self::Context) -> Self::Result {
        self.sink
            .write(WsMessage::Binary(msg.0))
            .map_err(|_| "websocket closed".to_string())
    }
}

#[derive(Message)]
#[rtype(result = "()")]
struct Close;

impl Handler<Close> for WsClientActor {
    type Result = ();

    /// Closes after what is queued: frames the engine handed over just before (the last sends
    /// of a session that stops) are written first. The actor ends once the sink has flushed
    /// and closed (`WriteHandler::finished`), or after a grace period.
    fn handle(&mut self, _: Close, ctx: &mut Self::Context) {
        let _ = self.sink.write(WsMessage::Close(Some(CloseReason {
            code: CloseCode::Normal,
            description: None,
        })));
        self.sink.close();
        if !self.ended {
            self.ended = true;
            let _ = self
                .events
                .try_send(TransportEvent::Disconnected(DisconnectReason::StreamEnded));
        }
        ctx.run_later(CLOSE_GRACE, |_, ctx| ctx.stop());
    }
}

/// Drops the connection now, with nothing flushed (the socket closes as the actor ends).
#[derive(Message)]
#[rtype(result = "()")]
struct Abort;

impl Handler<Abort> for WsClientActor {
    type Result = ();

    fn handle(&mut self, _: Abort, ctx: &mut Self::Context) {
        self.end(DisconnectReason::StreamEnded, ctx);
    }
}

/// Ends a session's WebSocket at once and refuses it any new one. For a session whose lease may
/// be gone: the engine's orderly shutdown flushes its state before it closes the connection,
/// which can take seconds while the database is unreachable, and another instance may connect
/// the account by then.
#[derive(Clone, Default)]
pub struct Cutoff(Arc<CutoffState>);

#[derive(Default)]
struct CutoffState {
    cut: AtomicBool,
    current: std::sync::Mutex<Option<Addr<WsClientActor>>>,
}

impl Cutoff {
    pub fn cut(&self) {
        self.0.cut.store(true, Ordering::SeqCst);
        if let Some(actor) = self.current().take() {
            actor.do_send(Abort);
        }
    }

    fn is_cut(&self) -> bool {
        self.0.cut.load(Ordering::SeqCst)
    }

    /// Remembers the open connection; a connection that opened as the cut came is dropped.
    fn opened(&self, actor: &Addr<WsClientActor>) {
        *self.current() = Some(actor.clone());
        if self.is_cut() {
            self.cut();
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<Addr<WsClientActor>>> {
        self.0.current.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct WsTransport {
    actor: Addr<WsClientActor>,
}

#[async_trait::async_trait]
impl Transport for WsTransport {
    async fn send(&self, data: Bytes) -> Result<()> {
        self.actor
            .send(Outgoing(data))
            .await
            .map_err(|_| anyhow!("websocket closed"))?
            .map_err(|e| anyhow!(e))
    }

    async fn disconnect(&self) {
        let _ = self.actor.send(Close).await;
    }
}

thread_local! {
    /// One client per network arbiter thread, shared by every session's connection. Building an
    /// awc client builds an OpenSSL connector, which parses the system's whole CA bundle (twice:
    /// once more for the HTTP/1.1 ALPN): a profile of linking showed a third of WARAS's CPU there.
    /// No connection limit: each WebSocket holds its slot for as long as it is open.
    static WS_CLIENT: awc::Client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .max_http_version(awc::http::Version::HTTP_11)
        .finish();
}

/// The outcome of one attempt to open the WebSocket, told to whoever runs the session: the engine
/// raises no event when it cannot connect, so without this a session that never reaches WhatsApp
/// would sit in STARTING without a word.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ConnectAttempt {
    pub opened: bool,
}

/// Opens WebSocket connections to the WhatsApp endpoint on the network arbiter.
#[derive(Clone)]
pub struct WsTransportFactory {
    url: Arc<str>,
    /// The session's proxy: its connections go through it, each with a client of its own.
    proxy: Option<Arc<ProxyUrl>>,
    arbiter: ArbiterHandle,
    report: Option<Recipient<ConnectAttempt>>,
    cutoff: Cutoff,
}

impl WsTransportFactory {
    pub fn new(url: &str, arbiter: ArbiterHandle) -> Self {
        Self {
            url: url.into(),
            proxy: None,
            arbiter,
            report: None,
            cutoff: Cutoff::default(),
        }
    }

    /// Connections made by this factory end at once when `cutoff` is cut.
    pub fn with_cutoff(mut self, cutoff: Cutoff) -> Self {
        self.cutoff = cutoff;
        self
    }

    /// Dials every connection through `proxy` (none: directly).
    pub fn with_proxy(mut self, proxy: Option<ProxyUrl>) -> Self {
        self.proxy = proxy.map(Arc::new);
        self
    }

    /// Tells `to` the outcome of every connection attempt.
    pub fn reporting_to(mut self, to: Recipient<ConnectAttempt>) -> Self {
        self.report = Some(to);
        self
    }

    fn report(&self, opened: bool) {
        if let Some(to) = &self.report {
            to.do_send(ConnectAttempt { opened });
        }
    }
}

#[async_trait::async_trait]
impl TransportFactory for WsTransportFactory {
    async fn create_transport(
        &self,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        if self.cutoff.is_cut() {
            return Err(anyhow!("this session's connection was cut off"));
        }
        let (events, rx) = async_channel::bounded(1024);
        let (done, opened) = oneshot::channel();
        let (url, proxy) = (self.url.clone(), self.proxy.clone());
        // awc futures are not Send: start them from a closure on the arbiter's own thread.
        let spawned = self.arbiter.spawn_fn(move || {
            actix_web::rt::spawn(async move {
                let client = match proxy {
                    None => WS_CLIENT.with(|c| c.clone()),
                    Some(p) => awc::Client::builder()
                        .connector(super::proxy::connector(&p).limit(0))
                        .max_http_version(awc::http::Version::HTTP_11)
                        .finish(),
                };
                let connecting = client
                    .ws(url.as_ref())
                    .origin("https://web.whatsapp.com")
                    .max_frame_size(MAX_FRAME)
                    .connect()
                    .await;
                let result = match connecting {
                    Ok((_, framed)) => {
                        let (sink, stream) = framed.split();
                        let ev = events.clone();
                        let actor = WsClientActor::create(move |ctx| {
                            ctx.add_stream(stream);
                            WsClientActor {
                                sink: SinkWrite::new(sink, ctx),
                                events: ev,
                                ended: false,
                            }
                        });
                        let _ = events.try_send(TransportEvent::Connected);
                        Ok(actor)
                    }
                    Err(e) => Err(format!("cannot connect to {url}: {e}")),
                };
                let _ = done.send(result);
            });
        });
        if !spawned {
            log::error!("the network arbiter has stopped");
            return Err(anyhow!("the network arbiter has stopped"));
        }
        let actor = opened
            .await
            .map_err(|_| {
                log::warn!("connection attempt to {} abandoned", self.url);
                anyhow!("connection attempt abandoned")
            })
            .and_then(|r| {
                r.map_err(|e| {
                    log::warn!("{e}");
                    anyhow!(e)
                })
            });
        self.report(actor.is_ok());
        let actor = actor?;
        self.cutoff.opened(&actor);
        Ok((Arc::new(WsTransport { actor }), rx))
    }
}
