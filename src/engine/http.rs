//! The engine's `HttpClient` over awc (media, version checks), run on the network arbiter because
//! awc futures are not `Send`.

use std::sync::Arc;
use std::time::Duration;

use actix::ArbiterHandle;
use anyhow::{Result, anyhow};
use tokio::sync::oneshot;
use wacore::net::{HttpClient, HttpRequest, HttpResponse};

const TIMEOUT: Duration = Duration::from_secs(60);
const MAX_BODY: usize = 128 * 1024 * 1024;

pub struct AwcHttpClient {
    arbiter: ArbiterHandle,
    /// A CA to trust besides the system's (the sandbox's media host; `None` in real use).
    extra_ca: Option<Arc<str>>,
}

impl AwcHttpClient {
    pub fn new(arbiter: ArbiterHandle, extra_ca: Option<Arc<str>>) -> Self {
        Self { arbiter, extra_ca }
    }
}

fn client(extra_ca: Option<&str>) -> Result<awc::Client> {
    let Some(pem) = extra_ca else {
        return Ok(CLIENT.with(|c| c.clone()));
    };
    // The extra CA is the same for the whole process: build its client once per thread too.
    if let Some(c) = CA_CLIENT.with(|c| c.get().cloned()) {
        return Ok(c);
    }
    let mut tls = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
    tls.cert_store_mut()
        .add_cert(openssl::x509::X509::from_pem(pem.as_bytes())?)?;
    let built = awc::Client::builder()
        .timeout(TIMEOUT)
        .connector(awc::Connector::new().openssl(tls.build()))
        .finish();
    CA_CLIENT.with(|c| {
        let _ = c.set(built.clone());
    });
    Ok(built)
}

#[async_trait::async_trait]
impl HttpClient for AwcHttpClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse> {
        let (done, answer) = oneshot::channel();
        // awc futures are not Send: start them from a closure on the arbiter's own thread.
        let extra_ca = self.extra_ca.clone();
        let spawned = self.arbiter.spawn_fn(move || {
            actix_web::rt::spawn(async move {
                let _ = done.send(run(request, extra_ca.as_deref()).await);
            });
        });
        if !spawned {
            return Err(anyhow!("the network arbiter has stopped"));
        }
        answer
            .await
            .map_err(|_| anyhow!("HTTP request abandoned"))?
    }
}

thread_local! {
    /// One client per network arbiter thread for every session: building one parses the system's
    /// CA bundle (see the WebSocket client in `transport.rs`).
    static CLIENT: awc::Client = awc::Client::builder().timeout(TIMEOUT).finish();
    /// The same, trusting the extra CA (sandbox builds).
    static CA_CLIENT: std::cell::OnceCell<awc::Client> = const { std::cell::OnceCell::new() };
}

async fn run(request: HttpRequest, extra_ca: Option<&str>) -> Result<HttpResponse> {
    let client = client(extra_ca)?;
    let method = awc::http::Method::from_bytes(request.method.as_bytes())
        .map_err(|e| anyhow!("bad method: {e}"))?;
    let mut req = client.request(method, request.url.as_str());
    for (name, value) in &request.headers {
        req = req.insert_header((name.as_str(), value.as_str()));
    }
    let sent = match request.body {
        Some(body) => req.send_body(body).await,
        None => req.send().await,
    };
    let mut res = sent.map_err(|e| anyhow!("HTTP request to {} failed: {e}", request.url))?;
    let body = res
        .body()
        .limit(MAX_BODY)
        .await
        .map_err(|e| anyhow!("reading the response failed: {e}"))?;
    Ok(HttpResponse {
        status_code: res.status().as_u16(),
        body: body.to_vec(),
    })
}
