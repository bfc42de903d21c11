//! Outbound connections that go only where the SSRF guard looked. A check made by resolving the
//! host before the call is worthless if the HTTP client resolves it again: a DNS server that
//! answers a public address first and an internal one second (rebinding) steers the call inside.
//! Here the client's own connector resolves each host once, refuses the host when any address
//! it got is not public, and dials exactly those addresses.
//!
//! Hosts written as IP literals never reach a resolver: [`super::target::parse`] checks them.

use std::error::Error as StdError;
use std::net::SocketAddr;
use std::rc::Rc;

use actix_tls::connect::{ConnectorService, Resolve, Resolver};
use futures_util::future::LocalBoxFuture;

use super::target::{TargetError, is_public};

/// How a host name becomes addresses (the system resolver; a scripted one in tests).
pub type Lookup =
    Rc<dyn Fn(String, u16) -> LocalBoxFuture<'static, std::io::Result<Vec<SocketAddr>>>>;

struct GuardedResolver {
    lookup: Lookup,
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        Box::pin(async move {
            // Boxed as the error itself (not a box of a box) so that `refusal` can find it.
            let refused = |e: TargetError| -> Box<dyn StdError> { Box::new(e) };
            let unresolvable = || refused(TargetError::Unresolvable(host.to_string()));
            let addrs = (self.lookup)(host.to_string(), port)
                .await
                .map_err(|_| unresolvable())?;
            if addrs.is_empty() {
                return Err(unresolvable());
            }
            if !self.allow_private
                && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
            {
                return Err(refused(TargetError::Private(bad.ip())));
            }
            Ok(addrs)
        })
    }
}

fn system_lookup(
    host: String,
    port: u16,
) -> LocalBoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
    Box::pin(async move {
        Ok(tokio::net::lookup_host((host.as_str(), port))
            .await?
            .collect())
    })
}

/// An awc connector (plain TCP and TLS) whose every connection goes to guard-checked addresses.
pub fn connector(allow_private: bool) -> awc::Connector<ConnectorService> {
    connector_with(Rc::new(system_lookup), allow_private)
}

pub fn connector_with(lookup: Lookup, allow_private: bool) -> awc::Connector<ConnectorService> {
    let resolver = Resolver::custom(GuardedResolver {
        lookup,
        allow_private,
    });
    awc::Connector::new().connector(actix_tls::connect::Connector::new(resolver).service())
}

/// The guard's refusal behind a failed request, if that is why it failed.
pub fn refusal(e: &awc::error::SendRequestError) -> Option<&TargetError> {
    match e {
        awc::error::SendRequestError::Connect(awc::error::ConnectError::Resolver(inner)) => {
            inner.downcast_ref::<TargetError>()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A loopback listener counting the connections it accepts.
    fn counting_server() -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf);
                let _ = std::io::Write::write_all(
                    &mut stream,
                    b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecret",
                );
            }
        });
        (port, hits)
    }

    /// A DNS that answers `first` once, then `then` for ever, counting the questions.
    fn flapping(first: SocketAddr, then: SocketAddr) -> (Lookup, Rc<Cell<usize>>) {
        let asked = Rc::new(Cell::new(0));
        let count = asked.clone();
        let lookup: Lookup = Rc::new(move |_host, _port| {
            count.set(count.get() + 1);
            let answer = if count.get() == 1 { first } else { then };
            Box::pin(async move { Ok(vec![answer]) })
        });
        (lookup, asked)
    }

    fn client(lookup: Lookup) -> awc::Client {
        awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(3))
            .connector(connector_with(lookup, false).timeout(Duration::from_secs(2)))
            .finish()
    }

    #[actix_rt::test]
    async fn a_rebinding_host_is_dialed_at_the_checked_address_only() {
        let (port, hits) = counting_server();
        // A public address that does not answer on this port, then the internal server.
        let public: SocketAddr = format!("93.184.216.34:{port}").parse().unwrap();
        let inside: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let (lookup, asked) = flapping(public, inside);
        let client = client(lookup);
        let url = format!("http://rebind.example:{port}/");
        assert!(super::super::target::parse(&url, false).is_ok());
        let sent = client.get(&url).send().await;
        assert!(sent.is_err(), "the public address does not answer");
        assert_eq!(asked.get(), 1, "the host is resolved once per connection");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "the internal server was not reached"
        );
    }

    #[actix_rt::test]
    async fn a_host_resolving_to_an_internal_address_is_refused_before_connecting() {
        let (port, hits) = counting_server();
        let inside: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let (lookup, _) = flapping(inside, inside);
        let err = client(lookup)
            .get(format!("http://inside.example:{port}/"))
            .send()
            .await
            .expect_err("refused");
        assert_eq!(
            refusal(&err),
            Some(&TargetError::Private("127.0.0.1".parse().unwrap()))
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
        // The same server is reachable when private targets are allowed.
        let (lookup, _) = flapping(inside, inside);
        let open = awc::Client::builder()
            .connector(connector_with(lookup, true))
            .finish();
        let mut res = open
            .get(format!("http://inside.example:{port}/"))
            .send()
            .await
            .expect("allowed");
        assert_eq!(res.body().await.unwrap().as_ref(), b"secret");
        assert_eq!(hits.load(Ordering::SeqCst), 1);
    }
}
