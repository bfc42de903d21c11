//! A capturing webhook receiver: a real HTTP server on loopback that records every request and
//! answers as the test tells it to (success, an error status, Retry-After, slowness, or not at all).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Debug, Clone)]
pub struct Captured {
    pub webhook_id: String,
    pub timestamp: String,
    pub signature: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: std::time::Instant,
}

impl Captured {
    /// A request header's value (names in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(k, _)| k == name);
        found.map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub enum Answer {
    Ok,
    Status(u16),
    RetryAfter(u16, u64),
    /// Fail the first `n` attempts of each webhook-id with 500, then succeed.
    FailFirst(usize),
}

#[derive(Clone)]
struct Shared {
    captured: Arc<Mutex<Vec<Captured>>>,
    answer: Arc<Mutex<Answer>>,
    delay: Arc<Mutex<Duration>>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    shared: Shared,
    handle: Option<ServerHandle>,
}

async fn capture(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let delay = *shared.delay.lock().unwrap();
    if !delay.is_zero() {
        actix_rt::time::sleep(delay).await;
    }
    let item = Captured {
        webhook_id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).to_string(),
        at: std::time::Instant::now(),
    };
    let answer = shared.answer.lock().unwrap().clone();
    let mut captured = shared.captured.lock().unwrap();
    let seen_before = captured
        .iter()
        .filter(|c| c.webhook_id == item.webhook_id)
        .count();
    captured.push(item);
    match answer {
        Answer::Ok => HttpResponse::NoContent().finish(),
        Answer::Status(s) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).unwrap()).finish()
        }
        Answer::RetryAfter(s, secs) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).unwrap())
                .insert_header(("Retry-After", secs.to_string()))
                .finish()
        }
        Answer::FailFirst(n) if seen_before < n => HttpResponse::InternalServerError().finish(),
        Answer::FailFirst(_) => HttpResponse::Ok().finish(),
    }
}

impl Receiver {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap()).await
    }

    async fn start_on(addr: SocketAddr) -> Self {
        let shared = Shared {
            captured: Arc::default(),
            answer: Arc::new(Mutex::new(Answer::Ok)),
            delay: Arc::new(Mutex::new(Duration::ZERO)),
        };
        let mut r = Self {
            addr,
            shared,
            handle: None,
        };
        r.listen(addr);
        r
    }

    fn listen(&mut self, addr: SocketAddr) {
        let data = web::Data::new(self.shared.clone());
        let listener = std::net::TcpListener::bind(addr).expect("receiver binds");
        self.addr = listener.local_addr().expect("bound address");
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(capture))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("receiver listens")
        .run();
        self.handle = Some(server.handle());
        actix_rt::spawn(server);
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn answer(&self, a: Answer) {
        *self.shared.answer.lock().unwrap() = a;
    }

    pub fn delay(&self, d: Duration) {
        *self.shared.delay.lock().unwrap() = d;
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.shared.captured.lock().unwrap().clone()
    }

    /// A webhook body that sends these event types here.
    pub fn subscribe(&self, events: &[&str]) -> serde_json::Value {
        serde_json::json!({"url": self.url(), "events": events})
    }

    /// Waits (up to `secs`) until at least `n` requests came in; all of them.
    pub async fn received(&self, n: usize, secs: u64) -> Vec<Captured> {
        self.received_matching(n, secs, |_| true).await
    }

    /// Waits (up to `secs`) until at least `n` requests that `pick` accepts came in; those.
    pub async fn received_matching(
        &self,
        n: usize,
        secs: u64,
        pick: impl Fn(&Captured) -> bool,
    ) -> Vec<Captured> {
        let what = format!("{n} webhook deliveries");
        crate::common::wait_until(secs, &what, || async {
            let got: Vec<Captured> = self.captured().into_iter().filter(|c| pick(c)).collect();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(format!("{} of them", got.len()))
            }
        })
        .await
    }

    /// Stops listening: connections are refused until [`Receiver::up`].
    pub async fn down(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop(false).await;
        }
    }

    pub fn up(&mut self) {
        let addr = self.addr;
        self.listen(addr);
    }
}
