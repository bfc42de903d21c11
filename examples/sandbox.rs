//! Runs a sandbox on its own until Ctrl-C (what `waras sandbox` does once the CLI wires it):
//! `cargo run --features sandbox --example sandbox -- --listen 127.0.0.1:9090 --data-dir ./sandbox-data`
//! Prints one JSON line with the WebSocket URL, the admin URL and the root key.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use waras::sandbox::{self, SandboxConfig};

#[actix_web::main]
async fn main() -> Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut cfg = SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
        ..SandboxConfig::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                cfg.listen = args
                    .next()
                    .context("--listen needs an address")?
                    .parse()
                    .context("--listen")?
            }
            "--media-listen" => {
                cfg.media_listen = args
                    .next()
                    .context("--media-listen needs an address")?
                    .parse()
                    .context("--media-listen")?
            }
            "--data-dir" => {
                cfg.data_dir = Some(PathBuf::from(
                    args.next().context("--data-dir needs a path")?,
                ))
            }
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let handle = sandbox::start(cfg).await?;
    println!(
        "{}",
        serde_json::json!({
            "ws_url": handle.ws_url(),
            "admin_url": handle.admin_url(),
            "root_public_key": handle.root_public_key_base64(),
            "media_host": handle.media_host(),
        })
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    handle.stop().await;
    Ok(())
}
