//! `/ws/chat`: the WebSocket endpoint clients dial. The actix side only moves bytes; the protocol
//! runs on the sandbox's own runtime (`conn::serve`), which the actix worker never blocks on.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::AggregatedMessage;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::stream;
use crate::net::core::Core;

/// Noise frames are at most 16 MiB (3-byte length).
const MAX_WS_MESSAGE: usize = 16 * 1024 * 1024 + 16;

pub(crate) async fn chat(
    req: HttpRequest,
    body: web::Payload,
    core: web::Data<Arc<Core>>,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, stream) = actix_ws::handle(&req, body)?;
    let mut stream = stream
        .max_frame_size(MAX_WS_MESSAGE)
        .aggregate_continuations()
        .max_continuation_size(MAX_WS_MESSAGE);
    let (in_tx, in_rx) = mpsc::channel::<Bytes>(64);
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(64);
    let core = core.get_ref().clone();
    core.rt.spawn(stream::serve(core.clone(), in_rx, out_tx));

    actix_web::rt::spawn(async move {
        loop {
            tokio::select! {
                msg = stream.recv() => match msg {
                    Some(Ok(AggregatedMessage::Binary(data))) => {
                        if in_tx.send(data).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Ping(p))) => {
                        if session.pong(&p).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(AggregatedMessage::Text(_) | AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => break,
                },
                out = out_rx.recv() => match out {
                    Some(data) => {
                        if session.binary(data).await.is_err() {
                            break;
                        }
                    }
                    // The sandbox ended the connection (stream error, unlink, fault).
                    None => break,
                },
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}
