//! Media bytes in an S3-compatible bucket (`media_store = "s3"`). rusty-s3 signs each request as
//! a presigned URL (it does no I/O); awc sends it. Every call runs on an actix thread, which keeps
//! its own client (and its pooled connections).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use bytes::Bytes;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use secrecy::{ExposeSecret, SecretString};

/// Where the bucket is and how to sign for it (from the `s3_*` settings).
#[derive(Debug, Clone)]
pub struct BucketConfig {
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub path_style: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object storage did not answer: {0}")]
    Unreachable(String),
    #[error("object storage answered {status} to {op} {key}")]
    Refused {
        op: &'static str,
        key: String,
        status: u16,
    },
    #[error("object {0} is not in the bucket")]
    Missing(String),
}

/// How long a signed request stays valid (it is sent at once).
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// How long one request (a whole object) may take.
const TIMEOUT: Duration = Duration::from_secs(120);
/// The largest object read back: far above any file WARAS accepts or downloads.
const MAX_OBJECT: usize = 1 << 32;

thread_local! {
    static CLIENT: awc::Client = awc::Client::builder()
        .timeout(TIMEOUT)
        .disable_redirects()
        .finish();
}

fn client() -> awc::Client {
    CLIENT.with(Clone::clone)
}

#[derive(Debug)]
pub struct ObjectStore {
    bucket: Bucket,
    credentials: Option<Credentials>,
}

impl ObjectStore {
    pub fn new(config: &BucketConfig) -> anyhow::Result<Self> {
        let style = match config.path_style {
            true => UrlStyle::Path,
            false => UrlStyle::VirtualHost,
        };
        let bucket = Bucket::new(
            config.endpoint.clone(),
            style,
            config.bucket.clone(),
            config.region.clone(),
        )
        .map_err(|e| anyhow::anyhow!("s3_endpoint or s3_bucket is not usable: {e}"))?;
        // Without a key id the requests go unsigned (a public or local test bucket).
        let credentials = (!config.access_key_id.is_empty()).then(|| {
            Credentials::new(
                config.access_key_id.clone(),
                config.secret_access_key.expose_secret().to_string(),
            )
        });
        Ok(Self {
            bucket,
            credentials,
        })
    }

    pub fn bucket_name(&self) -> &str {
        self.bucket.name()
    }

    /// The key of a media file's object.
    pub fn key_for(tenant_id: &str, session_id: &str, media_id: &str) -> String {
        format!("media/{tenant_id}/{session_id}/{media_id}")
    }

    /// Writes an object; `Ok` once the service has it.
    pub async fn put(&self, key: &str, mimetype: &str, data: Bytes) -> Result<(), ObjectError> {
        let url = self
            .bucket
            .put_object(self.credentials.as_ref(), key)
            .sign(SIGNED_FOR);
        let res = client()
            .put(url.as_str())
            .insert_header((CONTENT_TYPE, mimetype))
            .send_body(data)
            .await
            .map_err(|e| ObjectError::Unreachable(e.to_string()))?;
        expect_success("PUT", key, res.status())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, ObjectError> {
        let url = self
            .bucket
            .get_object(self.credentials.as_ref(), key)
            .sign(SIGNED_FOR);
        let mut res = client()
            .get(url.as_str())
            .send()
            .await
            .map_err(|e| ObjectError::Unreachable(e.to_string()))?;
        if res.status() == StatusCode::NOT_FOUND {
            return Err(ObjectError::Missing(key.to_string()));
        }
        expect_success("GET", key, res.status())?;
        res.body()
            .limit(MAX_OBJECT)
            .await
            .map_err(|e| ObjectError::Unreachable(e.to_string()))
    }

    /// Deletes an object; one already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        let url = self
            .bucket
            .delete_object(self.credentials.as_ref(), key)
            .sign(SIGNED_FOR);
        let res = client()
            .delete(url.as_str())
            .send()
            .await
            .map_err(|e| ObjectError::Unreachable(e.to_string()))?;
        match res.status() {
            StatusCode::NOT_FOUND => Ok(()),
            status => expect_success("DELETE", key, status),
        }
    }

    /// Whether the bucket exists and these credentials reach it.
    pub async fn check(&self) -> Result<(), ObjectError> {
        let url = self
            .bucket
            .head_bucket(self.credentials.as_ref())
            .sign(SIGNED_FOR);
        let res = client()
            .head(url.as_str())
            .send()
            .await
            .map_err(|e| ObjectError::Unreachable(e.to_string()))?;
        expect_success("HEAD", "(the bucket)", res.status())
    }
}

fn expect_success(op: &'static str, key: &str, status: StatusCode) -> Result<(), ObjectError> {
    match status.is_success() {
        true => Ok(()),
        false => Err(ObjectError::Refused {
            op,
            key: key.to_string(),
            status: status.as_u16(),
        }),
    }
}
