//! A small JSON-over-HTTP client for WARAS's REST API and the sandbox's admin API (awc, on the
//! harness's own actix runtime).

use std::time::Duration;

use actix_web::http::Method;
use anyhow::{Result, anyhow};
use serde_json::Value;

#[derive(Clone)]
pub struct Http {
    client: awc::Client,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Http {
    pub fn new() -> Self {
        let connector = awc::Connector::new()
            .limit(512)
            .timeout(Duration::from_secs(10));
        Self {
            client: awc::Client::builder()
                .connector(connector)
                .timeout(Duration::from_secs(120))
                .finish(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        url: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply> {
        let mut req = self.client.request(method, url);
        if let Some(k) = key {
            req = req.insert_header(("X-Api-Key", k));
        }
        for (n, v) in headers {
            req = req.insert_header((*n, *v));
        }
        let res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b.to_string())
                    .await
            }
            None => req.send().await,
        };
        let mut res = res.map_err(|e| anyhow!("{url}: {e}"))?;
        let status = res.status().as_u16();
        let bytes = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| anyhow!("{url}: body: {e}"))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Reply { status, body })
    }

    pub async fn get(&self, url: &str, key: Option<&str>) -> Result<Reply> {
        self.call(Method::GET, url, key, &[], None).await
    }

    pub async fn post(&self, url: &str, key: Option<&str>, body: &Value) -> Result<Reply> {
        self.call(Method::POST, url, key, &[], Some(body)).await
    }

    /// POST that must answer 2xx; returns the body.
    pub async fn post_ok(&self, url: &str, key: Option<&str>, body: &Value) -> Result<Value> {
        let r = self.post(url, key, body).await?;
        if !r.ok() {
            return Err(anyhow!("POST {url}: {} {}", r.status, r.body));
        }
        Ok(r.body)
    }

    /// GET that must answer 2xx; returns the body.
    pub async fn get_ok(&self, url: &str, key: Option<&str>) -> Result<Value> {
        let r = self.get(url, key).await?;
        if !r.ok() {
            return Err(anyhow!("GET {url}: {} {}", r.status, r.body));
        }
        Ok(r.body)
    }
}

/// The p-th quantile (0..=1) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
