//! The media host: clients upload encrypted media to `https://{host}/mms/{type}/{token}` and
//! download it from `https://{host}{direct_path}`. The scheme is hard-coded in clients, so it
//! serves TLS with a certificate from the sandbox's own CA (persisted in the data dir), which
//! sandbox-aware clients trust (`SandboxHandle::media_ca_pem`, `GET /sandbox/info`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslMethod};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

/// Largest media object accepted (WhatsApp's own limit for documents is 2 GB; a sandbox needs less).
const MAX_MEDIA_BYTES: usize = 64 * 1024 * 1024;
/// The upload token `media_conn` hands out; uploads without it are refused like expired auth.
pub(crate) const AUTH_TOKEN: &str = "sandbox-media-auth";
const CA_KEY_FILE: &str = "sandbox-media-ca.key.pem";
const CA_CERT_FILE: &str = "sandbox-media-ca.cert.pem";

/// The CA that signs the media host's certificate.
pub(crate) struct MediaCa {
    key: PKey<Private>,
    cert: X509,
}

impl MediaCa {
    pub fn cert_pem(&self) -> Result<String> {
        Ok(String::from_utf8(
            self.cert.to_pem().context("encoding the media CA")?,
        )?)
    }
}

fn new_key() -> Result<PKey<Private>> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    Ok(PKey::from_ec_key(EcKey::generate(&group)?)?)
}

fn serial() -> Result<openssl::asn1::Asn1Integer> {
    let mut bn = BigNum::new()?;
    bn.rand(127, MsbOption::MAYBE_ZERO, false)?;
    Ok(bn.to_asn1_integer()?)
}

fn name(cn: &str) -> Result<openssl::x509::X509Name> {
    let mut b = X509NameBuilder::new()?;
    b.append_entry_by_text("CN", cn)?;
    Ok(b.build())
}

/// Loads the CA from the data dir, or makes one (and stores it there).
pub(crate) fn load_or_create_ca(dir: Option<&Path>) -> Result<MediaCa> {
    if let Some(dir) = dir {
        let (key_path, cert_path) = (dir.join(CA_KEY_FILE), dir.join(CA_CERT_FILE));
        if key_path.exists() && cert_path.exists() {
            let key =
                PKey::private_key_from_pem(&std::fs::read(&key_path)?).context("media CA key")?;
            let cert = X509::from_pem(&std::fs::read(&cert_path)?).context("media CA cert")?;
            return Ok(MediaCa { key, cert });
        }
    }
    let key = new_key()?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let ca_serial = serial()?;
    b.set_serial_number(&ca_serial)?;
    let subject = name("WARAS sandbox media CA")?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(&subject)?;
    b.set_pubkey(&key)?;
    let ca_not_before = Asn1Time::days_from_now(0)?;
    b.set_not_before(&ca_not_before)?;
    let ca_not_after = Asn1Time::days_from_now(3650)?;
    b.set_not_after(&ca_not_after)?;
    b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()?,
    )?;
    b.sign(&key, MessageDigest::sha256())?;
    let ca = MediaCa {
        key,
        cert: b.build(),
    };
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
        let key_path = dir.join(CA_KEY_FILE);
        std::fs::write(&key_path, ca.key.private_key_to_pem_pkcs8()?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::write(dir.join(CA_CERT_FILE), ca.cert.to_pem()?)?;
    }
    Ok(ca)
}

/// A TLS acceptor for loopback (`127.0.0.1`, `localhost`) with a fresh leaf signed by the CA.
pub(crate) fn tls_acceptor(ca: &MediaCa) -> Result<SslAcceptorBuilder> {
    let key = new_key()?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let leaf_serial = serial()?;
    b.set_serial_number(&leaf_serial)?;
    let leaf_name = name("localhost")?;
    b.set_subject_name(&leaf_name)?;
    b.set_issuer_name(ca.cert.subject_name())?;
    b.set_pubkey(&key)?;
    let leaf_not_before = Asn1Time::days_from_now(0)?;
    b.set_not_before(&leaf_not_before)?;
    let leaf_not_after = Asn1Time::days_from_now(825)?;
    b.set_not_after(&leaf_not_after)?;
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .ip("127.0.0.1")
        .ip("::1")
        .build(&b.x509v3_context(Some(&ca.cert), None))?;
    b.append_extension(san)?;
    b.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
    b.sign(&ca.key, MessageDigest::sha256())?;
    let leaf = b.build();
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    acceptor.set_private_key(&key)?;
    acceptor.set_certificate(&leaf)?;
    acceptor.add_extra_chain_cert(ca.cert.clone())?;
    Ok(acceptor)
}

/// Uploaded objects, by direct path; and direct paths by upload token (the file hash).
#[derive(Default)]
pub(crate) struct MediaStore {
    objects: Mutex<HashMap<String, Bytes>>,
    by_token: Mutex<HashMap<String, String>>,
}

impl MediaStore {
    /// Publishes an object (a profile picture, say) under `direct_path`.
    pub fn put(&self, direct_path: &str, bytes: Vec<u8>) {
        lock(&self.objects).insert(direct_path.to_string(), Bytes::from(bytes));
    }

    pub fn remove(&self, direct_path: &str) {
        lock(&self.objects).remove(direct_path);
    }

    pub fn get(&self, direct_path: &str) -> Option<Bytes> {
        lock(&self.objects).get(direct_path).cloned()
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    resume: Option<String>,
    auth: Option<String>,
}

pub(crate) struct MediaState {
    pub store: Arc<MediaStore>,
    /// `127.0.0.1:port` as clients address it.
    pub host: String,
}

async fn upload(
    state: web::Data<MediaState>,
    path: web::Path<(String, String)>,
    query: web::Query<UploadQuery>,
    body: web::Bytes,
) -> HttpResponse {
    let (kind, token) = path.into_inner();
    if query.auth.as_deref().is_none_or(str::is_empty) {
        return HttpResponse::Unauthorized().finish();
    }
    let known = lock(&state.store.by_token).get(&token).cloned();
    let url = |direct_path: &str| format!("https://{}{direct_path}", state.host);
    if query.resume.is_some() {
        // "Do you already have this file?" — only if it was uploaded completely before.
        return match known {
            Some(dp) => HttpResponse::Ok()
                .json(json!({ "resume": "complete", "url": url(&dp), "direct_path": dp })),
            None => HttpResponse::NotFound().finish(),
        };
    }
    if body.is_empty() || URL_SAFE_NO_PAD.decode(&token).is_err() {
        return HttpResponse::BadRequest().finish();
    }
    let direct_path = known.unwrap_or_else(|| {
        let n: u64 = rand::thread_rng().r#gen();
        format!("/v/t62.sandbox-{kind}/{n:016x}.enc")
    });
    lock(&state.store.objects).insert(direct_path.clone(), body);
    lock(&state.store.by_token).insert(token, direct_path.clone());
    HttpResponse::Ok().json(json!({ "url": url(&direct_path), "direct_path": direct_path }))
}

async fn download(state: web::Data<MediaState>, req: HttpRequest) -> HttpResponse {
    match lock(&state.store.objects).get(req.path()) {
        Some(bytes) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(bytes.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_MEDIA_BYTES))
        .route("/mms/{kind}/{token}", web::post().to(upload))
        .route("/v/{tail:.*}", web::get().to(download));
}
