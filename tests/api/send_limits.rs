//! A message send has its own body limit (a base64 file of `media_max_bytes` plus 64 KiB), held
//! before the body is read: a body announced larger is refused at once, and a multipart body is
//! bounded as a whole, not only part by part.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use actix_web::http::StatusCode;
use bytes::Bytes;
use serde_json::Value;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

const MEDIA_MAX: usize = 3 * 1024;
/// 4 × ⌈3072 / 3⌉ + 65536.
const SEND_LIMIT: usize = 4 * 1024 + 65_536;

async fn app_with_session(backend: Backend) -> (TestApp, String, String) {
    let app = TestApp::spawn_with(backend, |s| s.media_max_bytes = MEDIA_MAX).await;
    let (_, key) = app.tenant("acme").await;
    let sid = app.session_id(&key, "main", false).await;
    (app, key, sid)
}

/// Announces a body one byte over the limit and sends only its first byte: the answer must
/// come without the rest.
fn announced_too_large(base: &str, key: &str, sid: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = format!(
        "POST /api/v1/sessions/{sid}/messages HTTP/1.1\r\nHost: {addr}\r\nX-Api-Key: {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{",
        SEND_LIMIT + 1
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                    break;
                }
            }
            Err(e) => panic!(
                "no answer while the announced body was not sent ({e}); got {:?}",
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

async fn a_body_announced_over_the_send_limit_is_refused_unread(backend: Backend) {
    let (app, key, sid) = app_with_session(backend).await;
    let (base, k, s) = (app.base.clone(), key.clone(), sid.clone());
    let answer = actix_web::rt::task::spawn_blocking(move || announced_too_large(&base, &k, &s))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains(&SEND_LIMIT.to_string()), "{answer}");
}

async fn a_multipart_send_is_bounded_as_a_whole(backend: Backend) {
    let (app, key, sid) = app_with_session(backend).await;
    // Text parts each well under their own bound, together over the send limit; streamed
    // without a Content-Length so that only the running count can stop it.
    let boundary = "waras-limit-boundary";
    let mut parts: Vec<Result<Bytes, std::io::Error>> = Vec::new();
    for _ in 0..3 {
        let text = "x".repeat(40 * 1024);
        parts.push(Ok(Bytes::from(format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n{text}\r\n"
        ))));
    }
    parts.push(Ok(Bytes::from(format!("--{boundary}--\r\n"))));
    let mut res = app
        .client
        .post(format!("{}/api/v1/sessions/{sid}/messages", app.base))
        .insert_header(("X-Api-Key", key.as_str()))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .send_stream(futures_util::stream::iter(parts))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large", "{body}");
}

on_both_backends!(
    a_body_announced_over_the_send_limit_is_refused_unread,
    a_multipart_send_is_bounded_as_a_whole,
);
