//! Files to send: bytes that sniff as a given type, a loopback server to fetch one from, and a
//! multipart upload.

use std::net::TcpListener;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;

use crate::common::Reply;
use crate::scenario::Scenario;

/// Bytes that sniff as `magic`'s type, padded with a varied tail so a truncated or re-encoded
/// copy cannot pass as the same file.
fn file(magic: &[u8], len: usize) -> Vec<u8> {
    let mut out = magic.to_vec();
    let mut x: u32 = 0x9e37_79b9;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push((x & 0xff) as u8);
    }
    out
}

pub fn png(len: usize) -> Vec<u8> {
    file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", len)
}
pub fn jpeg(len: usize) -> Vec<u8> {
    file(b"\xff\xd8\xff\xe0\0\x10JFIF\0", len)
}
pub fn mp4(len: usize) -> Vec<u8> {
    file(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", len)
}
pub fn ogg(len: usize) -> Vec<u8> {
    file(b"OggS\0\x02\0\0\0\0\0\0\0\0", len)
}
pub fn webp(len: usize) -> Vec<u8> {
    let mut f = file(b"RIFF\0\0\0\0WEBPVP8 ", len);
    let size = (len as u32 - 8).to_le_bytes();
    f[4..8].copy_from_slice(&size);
    f
}
pub fn pdf(len: usize) -> Vec<u8> {
    file(b"%PDF-1.4\n", len)
}

/// A loopback HTTP server with one file at `/voice.ogg`; its base URL.
pub fn serve_file(bytes: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let bytes = bytes.clone();
        App::new().route(
            "/voice.ogg",
            web::get().to(move || {
                let bytes = bytes.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/octet-stream")
                        .body(bytes)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_rt::spawn(server);
    format!("http://{addr}")
}

/// Sends a message as a multipart upload: the form `fields` and the file; status and answer.
pub async fn multipart_send(
    sc: &Scenario,
    fields: &[(&str, &str)],
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "waras-test-boundary-7d1";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let url = format!("{}{}", sc.app.base, sc.path("/messages"));
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let res = (sc.app.client.post(url))
        .insert_header(("X-Api-Key", sc.key.as_str()))
        .insert_header(("Content-Type", content_type))
        .send_body(body)
        .await;
    let reply = Reply::read(res.expect("upload sent")).await;
    (reply.status, reply.body)
}
