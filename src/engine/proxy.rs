//! Dialling through a session's proxy: a SOCKS5 handshake (the `tokio-socks` crate) or an HTTP
//! `CONNECT`, after which the TCP stream is a tunnel to the target and TLS and WebSocket run
//! over it as over a direct connection. [`connector`] makes an awc connector that dials every
//! connection this way, for the session's WhatsApp WebSocket and its media downloads and uploads.

use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection};
use awc::http::Uri;
use base64::Engine as _;
use futures_util::future::LocalBoxFuture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::domain::proxy::{ProxyKind, ProxyUrl};

/// How long the proxy may take to open a tunnel.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest `CONNECT` answer head read.
const MAX_CONNECT_HEAD: usize = 8192;

/// A TCP stream to `host:port` through `proxy`.
pub async fn tunnel(proxy: &ProxyUrl, host: &str, port: u16) -> io::Result<TcpStream> {
    let open = async {
        match proxy.kind {
            ProxyKind::Socks5 => socks5(proxy, host, port).await,
            ProxyKind::Http => http_connect(proxy, host, port).await,
        }
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, open)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the proxy did not answer in time"))?
}

async fn socks5(proxy: &ProxyUrl, host: &str, port: u16) -> io::Result<TcpStream> {
    let at = (proxy.host.as_str(), proxy.port);
    let target = (host, port);
    let stream = match (&proxy.username, &proxy.password) {
        (Some(user), pass) => {
            tokio_socks::tcp::Socks5Stream::connect_with_password(
                at,
                target,
                user,
                pass.as_deref().unwrap_or(""),
            )
            .await
        }
        (None, _) => tokio_socks::tcp::Socks5Stream::connect(at, target).await,
    };
    stream
        .map(tokio_socks::tcp::Socks5Stream::into_inner)
        .map_err(|e| io::Error::other(format!("SOCKS5 proxy: {e}")))
}

async fn http_connect(proxy: &ProxyUrl, host: &str, port: u16) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect((proxy.host.as_str(), proxy.port)).await?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(user) = &proxy.username {
        let pair = format!("{user}:{}", proxy.password.as_deref().unwrap_or(""));
        let token = base64::engine::general_purpose::STANDARD.encode(pair);
        head.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    // Read the answer's head byte by byte: whatever follows it belongs to the tunnel.
    let mut answer = Vec::with_capacity(256);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_CONNECT_HEAD {
            return Err(io::Error::other("HTTP proxy: answer head too long"));
        }
        let byte = stream.read_u8().await?;
        answer.push(byte);
    }
    let status_line = String::from_utf8_lossy(&answer);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        Some(200..=299) => Ok(stream),
        Some(code) => Err(io::Error::other(format!(
            "HTTP proxy refused the tunnel: {code}"
        ))),
        None => Err(io::Error::other("HTTP proxy: not an HTTP answer")),
    }
}

/// awc's TCP connector service, dialling through the proxy.
#[derive(Clone)]
pub struct ProxyConnector {
    proxy: Rc<ProxyUrl>,
}

impl Service<ConnectInfo<Uri>> for ProxyConnector {
    type Response = Connection<Uri, TcpStream>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&self, req: ConnectInfo<Uri>) -> Self::Future {
        let proxy = self.proxy.clone();
        Box::pin(async move {
            let (host, port) = (req.hostname().to_string(), req.port());
            let io = tunnel(&proxy, &host, port)
                .await
                .map_err(ConnectError::Io)?;
            Ok(Connection::new(req.request().clone(), io))
        })
    }
}

/// An awc connector whose every connection goes through `proxy`.
pub fn connector(proxy: &ProxyUrl) -> awc::Connector<ProxyConnector> {
    awc::Connector::new().connector(ProxyConnector {
        proxy: Rc::new(proxy.clone()),
    })
}
