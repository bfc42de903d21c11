//! Engine plumbing for clients that talk to the sandbox: a runtime bound to a given tokio runtime,
//! an HTTP client for a network without HTTP, and a plain `ws://` WebSocket transport.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use wacore::net::{DisconnectReason, Transport, TransportEvent, TransportFactory};
use wacore::net::{HttpClient, HttpRequest, HttpResponse};
use wacore::runtime::{AbortHandle, Runtime};

/// Spawns engine tasks onto one specific tokio runtime, whichever thread asks.
#[derive(Clone)]
pub struct SandboxRuntime {
    handle: tokio::runtime::Handle,
}

impl SandboxRuntime {
    pub fn new(handle: tokio::runtime::Handle) -> Self {
        Self { handle }
    }
}

#[async_trait::async_trait]
impl Runtime for SandboxRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>) -> AbortHandle {
        let task = self.handle.spawn(future);
        AbortHandle::new(move || task.abort())
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn spawn_blocking(
        &self,
        f: Box<dyn FnOnce() + Send + 'static>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let task = self.handle.spawn_blocking(f);
        Box::pin(async move {
            let _ = task.await;
        })
    }

    fn yield_now(&self) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        // Yield anyway: the runtime may be shared with the sandbox's connections.
        Some(Box::pin(tokio::task::yield_now()))
    }
}

/// For clients that need no HTTP at all (the version is pinned): every request fails clearly
/// instead of reaching the internet.
pub struct NoHttpClient;

#[async_trait::async_trait]
impl HttpClient for NoHttpClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        Err(anyhow!(
            "no HTTP on the sandbox network (request to {})",
            request.url
        ))
    }
}

/// Plain `ws://` transport for engine clients connecting to a sandbox.
pub struct WsTransportFactory {
    url: String,
}

impl WsTransportFactory {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }
}

struct WsTransport {
    tx: std::sync::Mutex<Option<mpsc::UnboundedSender<Bytes>>>,
}

#[async_trait::async_trait]
impl Transport for WsTransport {
    async fn send(&self, data: Bytes) -> Result<()> {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone();
        tx.ok_or_else(|| anyhow!("transport disconnected"))?
            .send(data)
            .map_err(|_| anyhow!("websocket closed"))
    }

    async fn disconnect(&self) {
        self.tx.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

#[async_trait::async_trait]
impl TransportFactory for WsTransportFactory {
    async fn create_transport(
        &self,
    ) -> Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        let (ws, _) = tokio_tungstenite::connect_async(self.url.as_str())
            .await
            .map_err(|e| anyhow!("connecting to {}: {e}", self.url))?;
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
        let (ev_tx, ev_rx) = async_channel::unbounded();
        let _ = ev_tx.send(TransportEvent::Connected).await;
        tokio::spawn(async move {
            while let Some(data) = rx.recv().await {
                if sink.send(WsMessage::Binary(data)).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        tokio::spawn(async move {
            let reason = loop {
                match stream.next().await {
                    Some(Ok(WsMessage::Binary(data))) => {
                        if ev_tx
                            .send(TransportEvent::DataReceived(data))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        break DisconnectReason::ServerClose {
                            code: frame.as_ref().map(|f| u16::from(f.code)),
                            reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                        };
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break DisconnectReason::ReadError(e.to_string()),
                    None => break DisconnectReason::StreamEnded,
                }
            };
            let _ = ev_tx.send(TransportEvent::Disconnected(reason)).await;
        });
        Ok((
            Arc::new(WsTransport {
                tx: std::sync::Mutex::new(Some(tx)),
            }),
            ev_rx,
        ))
    }
}

/// HTTPS for engine clients on the sandbox network: trusts the sandbox media CA (and nothing else),
/// so uploads and downloads reach the sandbox's media host. Blocking I/O runs off the async threads.
#[derive(Clone)]
pub struct SandboxHttpClient {
    agent: ureq::Agent,
    /// `host:port` this client is limited to, when set.
    only: Option<String>,
}

impl SandboxHttpClient {
    /// `ca_pem`: `SandboxHandle::media_ca_pem()` (or `media_ca_pem` of `GET /sandbox/info`).
    pub fn new(ca_pem: &str) -> Result<Self> {
        let ca = native_tls::Certificate::from_pem(ca_pem.as_bytes())
            .map_err(|e| anyhow!("sandbox media CA: {e}"))?;
        let tls = native_tls::TlsConnector::builder()
            .add_root_certificate(ca)
            .disable_built_in_roots(true)
            .build()
            .map_err(|e| anyhow!("TLS connector: {e}"))?;
        let agent = ureq::AgentBuilder::new()
            .tls_connector(Arc::new(tls))
            .timeout(Duration::from_secs(60))
            .build();
        Ok(Self { agent, only: None })
    }

    /// Calls nothing but `host_port`: a simulated phone has no business with the hosts a
    /// forged message names, and a test counting calls to such a host must see none.
    pub fn only(mut self, host_port: &str) -> Self {
        self.only = Some(host_port.to_string());
        self
    }

    fn allowed(&self, raw: &str) -> bool {
        let Some(only) = &self.only else {
            return true;
        };
        url::Url::parse(raw).ok().is_some_and(|u| {
            u.host_str()
                .zip(u.port_or_known_default())
                .is_some_and(|(h, p)| format!("{h}:{p}") == *only)
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for SandboxHttpClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        if !self.allowed(&request.url) {
            return Err(anyhow!(
                "the sandbox phone only calls the sandbox media host"
            ));
        }
        let agent = self.agent.clone();
        tokio::task::spawn_blocking(move || {
            let mut req = agent.request(&request.method, &request.url);
            for (k, v) in &request.headers {
                req = req.set(k, v);
            }
            let result = match &request.body {
                Some(body) => req.send_bytes(body),
                None => req.call(),
            };
            let resp = match result {
                Ok(resp) => resp,
                // Non-2xx answers are responses too; the engine decides what they mean.
                Err(ureq::Error::Status(_, resp)) => resp,
                Err(e) => return Err(anyhow!("{} {}: {e}", request.method, request.url)),
            };
            let status_code = resp.status();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut resp.into_reader(), &mut body)
                .map_err(|e| anyhow!("reading the response of {}: {e}", request.url))?;
            Ok(HttpResponse { status_code, body })
        })
        .await
        .map_err(|e| anyhow!("HTTP task failed: {e}"))?
    }
}
