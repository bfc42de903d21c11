//! Received media is fetched only from WhatsApp's media host, whatever the sender wrote in the
//! message: a contact who points `static_url` or `direct_path` at another host makes WARAS call
//! nothing, and learns nothing from the error. Downloads are capped by `media_max_bytes`, and
//! every file is served as an attachment that browsers do not sniff.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::{Backend, Reply};
use crate::messaging::files::jpeg;
use crate::scenario::Scenario;

const ALICE: &str = "4915100000031";
const ME: &str = "4915100000032";
const LIMIT: usize = 64 * 1024;

/// A loopback server standing for an internal service: counts the connections it accepts and
/// answers each with a secret.
fn internal_service() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            let Ok(mut stream) = stream else { continue };
            let _ = stream.read(&mut [0u8; 4096]);
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 200 OK\r\ncontent-length: 14\r\n\r\ninternal-token",
            );
        }
    });
    (port, hits)
}

/// GET the media of the session's received message `id`.
async fn download(sc: &Scenario, id: &Value) -> Reply {
    sc.get(&format!(
        "/messages/{}/media",
        id.as_str().expect("message id")
    ))
    .await
}

/// Alice sends `part` as `kind`; answers WARAS's id of the received message.
async fn received(sc: &Scenario, kind: &str, part: Value) -> Value {
    let e = sc.receive(ALICE, json!({"to": ME, kind: part})).await;
    e["data"]["id"].clone()
}

async fn sender_chosen_urls_are_never_called(backend: Backend) {
    let sc = Scenario::linked_with(backend, ME, &[(ALICE, "Alice")], |s| {
        s.media_max_bytes = LIMIT;
    })
    .await;
    let (port, hits) = internal_service();
    let photo = jpeg(20_000);
    let digest = Sha256::digest(&photo);
    let (hex_digest, b64_digest) = (hex::encode(digest), B64.encode(digest));

    // static_url and direct_path aimed at the internal service, over https and plain http.
    for forge in [
        json!({"static_url": format!("https://127.0.0.1:{port}/latest/meta-data")}),
        json!({"static_url": format!("http://127.0.0.1:{port}/latest/meta-data")}),
        json!({"static_url": format!("https://localhost:{port}/")}),
        json!({"direct_path": format!("@127.0.0.1:{port}/latest/meta-data")}),
        json!({"url": format!("https://127.0.0.1:{port}/u"),
               "direct_path": format!("@127.0.0.1:{port}/d")}),
    ] {
        let part = json!({"data": B64.encode(&photo), "mimetype": "image/jpeg", "forge": forge});
        let id = received(&sc, "image", part).await;
        let got = download(&sc, &id).await;
        assert_eq!(got.problem(502), "media_download_failed", "{}", got.text);
        let text = got.text.to_lowercase();
        for leak in [
            "127.0.0.1",
            "localhost",
            &port.to_string(),
            "://",
            "meta-data",
            "internal-token",
            &hex_digest,
            &b64_digest,
            "sha",
        ] {
            assert!(!text.contains(leak), "{leak:?} in {text} ({forge})");
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "WARAS called the sender's URL ({forge})"
        );
    }

    // An honest file still downloads, as an attachment browsers must not sniff; the name the
    // sender chose cannot leave the quoted string or name a directory.
    let pdf = b"%PDF-1.4\n%%EOF\n".repeat(100);
    let part = json!({"data": B64.encode(&pdf), "mimetype": "application/pdf",
                      "filename": "../../etc/\"quoted\"; x=y.pdf"});
    let id = received(&sc, "document", part).await;
    for round in ["downloaded", "from storage"] {
        let got = download(&sc, &id).await;
        assert_eq!(got.status, StatusCode::OK, "{round}");
        assert_eq!(got.bytes, pdf, "{round}");
        assert_eq!(got.header("x-content-type-options"), "nosniff", "{round}");
        assert_eq!(
            got.header("content-disposition"),
            "attachment; filename=\"_quoted__ x=y.pdf\"",
            "{round}"
        );
    }
    // A file without a name is an attachment too.
    let id = received(&sc, "image", json!({"data": B64.encode(&photo)})).await;
    let got = download(&sc, &id).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.header("content-disposition"), "attachment");
    assert_eq!(got.header("x-content-type-options"), "nosniff");

    // Larger than media_max_bytes: refused by its declared size, and by its real size when
    // the sender declares less.
    let big = jpeg(LIMIT + 10_000);
    for forge in [json!({}), json!({"file_length": 1000})] {
        let part = json!({"data": B64.encode(&big), "mimetype": "image/jpeg", "forge": forge});
        let id = received(&sc, "image", part).await;
        let got = download(&sc, &id).await;
        assert_eq!(got.problem(413), "media_too_large", "{}", got.text);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

// The guard is in the HTTP client, not in storage: one backend is enough.
mod sqlite {
    #[actix_rt::test]
    async fn sender_chosen_urls_are_never_called() {
        super::sender_chosen_urls_are_never_called(crate::common::Backend::Sqlite).await;
        crate::common::finish_passed_test();
    }
}
