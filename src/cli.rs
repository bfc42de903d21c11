//! The `waras` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::auth::GeneratedKey;
use crate::config::Settings;
use crate::db::{self, DbPool, keys::KeyRow, now_ms, tenants};
use crate::domain::{KeyId, Name, Scopes, TenantId};

#[derive(Parser)]
#[command(name = "waras", version = crate::VERSION_LINE, about = "WhatsApp Remote Automation Service")]
struct Cli {
    /// Directory of `*.toml` configuration files, read in name order over the embedded defaults.
    #[arg(long, global = true, default_value = "config")]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Also run an in-process sandbox (a WhatsApp network on loopback) and connect the sessions
        /// to it; its admin API is served under /sandbox. Needs a build with `--features sandbox`.
        #[arg(long)]
        sandbox: bool,
    },
    /// Run the sandbox alone: a WhatsApp network simulator on loopback (WebSocket /ws/chat and the
    /// admin API under /sandbox). Needs a build with `--features sandbox`.
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: std::net::SocketAddr,
        /// Keeps keys, accounts and linked devices across restarts.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Re-seal every data key and secret under a new master key (the service must be stopped).
    /// The new key (64 hex characters) comes from WARAS_NEW_MASTER_KEY or --new-key-file.
    RotateMasterKey {
        #[arg(long)]
        new_key_file: Option<PathBuf>,
    },
    /// Stored media files.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// Tenant bootstrap.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Move the bytes of stored media files into the bucket the s3_* settings name (or, with
    /// `--to database`, back into the database). Safe beside a running service; run it again to
    /// carry on after a failure.
    Migrate {
        #[arg(long, value_enum, default_value = "s3")]
        to: MediaTarget,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MediaTarget {
    S3,
    Database,
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant and print its first key (shown once) with all scopes.
    Create {
        #[arg(long)]
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The engine's media download warnings print the full URL, whose query holds WhatsApp's media
    // auth token: kept out of the default log.
    env_logger::Builder::from_env(env_logger::Env::new().filter_or(
        "WARAS_LOG",
        "info,actix_server=warn,whatsapp_rust::download=error",
    ))
    .init();
    crate::db::sql_profile::install_from_env();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.config_dir)?;
    match cli.command {
        Command::Serve { sandbox: false } => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await
        }),
        Command::Serve { sandbox: true } => serve_with_sandbox(settings),
        Command::Sandbox { listen, data_dir } => run_sandbox(listen, data_dir),
        Command::Migrate => {
            let target = settings.database()?;
            let applied = db::migrate(&target)?;
            println!(
                "{applied} migration(s) applied to the {} database",
                target.backend_name()
            );
            Ok(())
        }
        Command::RotateMasterKey { new_key_file } => {
            crate::rotate::run(&settings, new_key_file.as_deref())
        }
        Command::Media {
            command: MediaCommand::Migrate { to },
        } => migrate_media(&settings, to),
        Command::Tenant {
            command: TenantCommand::Create { name },
        } => {
            let name = Name::parse("name", &name)?;
            let target = settings.database()?;
            db::migrate(&target)?;
            let pool = DbPool::connect(&target, 2)?;
            let now = now_ms();
            let tenant = tenants::TenantRow {
                id: TenantId::generate().into_string(),
                name: name.into_string(),
                created_at: now,
            };
            let generated = GeneratedKey::new();
            let key = KeyRow {
                id: KeyId::generate().into_string(),
                tenant_id: tenant.id.clone(),
                name: "bootstrap".to_string(),
                prefix: generated.prefix.clone(),
                secret_hash: generated.hash.clone(),
                scopes: Scopes::all().to_db(),
                session_id: None,
                expires_at: None,
                last_used_at: None,
                revoked_at: None,
                created_at: now,
            };
            tenants::create_with_key(&pool, &tenant, &key).context("cannot create the tenant")?;
            println!("tenant_id={}", tenant.id);
            println!("key={}", generated.secret);
            eprintln!("The key is shown only now; store it safely.");
            Ok(())
        }
    }
}

/// `waras media migrate`: moves the files and says how many, and where.
fn migrate_media(settings: &Settings, to: MediaTarget) -> anyhow::Result<()> {
    use crate::db::media_move::{Destination, move_all};
    use crate::db::objects::ObjectStore;
    let target = settings.database()?;
    db::migrate(&target)?;
    let bucket = settings.bucket()?;
    actix_web::rt::System::new().block_on(async move {
        let objects = ObjectStore::new(&bucket)?;
        objects
            .check()
            .await
            .with_context(|| format!("bucket {} is not usable", bucket.bucket))?;
        let db = db::Db::new(DbPool::connect(&target, 2)?).with_objects(objects);
        let (to, place) = match to {
            MediaTarget::S3 => (
                Destination::Bucket,
                format!("into bucket {}", bucket.bucket),
            ),
            MediaTarget::Database => (Destination::Database, "into the database".to_string()),
        };
        let moved = move_all(&db, to)
            .await
            .context("media migration stopped (run it again to carry on)")?;
        println!(
            "moved {} file(s), {} bytes, {place}",
            moved.files, moved.bytes
        );
        Ok(())
    })
}

#[cfg(feature = "sandbox")]
fn serve_with_sandbox(mut settings: Settings) -> anyhow::Result<()> {
    use crate::sandbox::{self, SandboxConfig};
    actix_web::rt::System::new().block_on(async move {
        let handle = sandbox::start(SandboxConfig {
            listen: "127.0.0.1:0".parse()?,
            data_dir: Some(settings.data_dir.join("sandbox")),
            ..SandboxConfig::default()
        })
        .await?;
        settings.wa_url = handle.ws_url().to_string();
        if settings.wa_version.trim().is_empty() {
            settings.wa_version = "2.3000.1".into();
        }
        let admin = handle.clone();
        let extra: crate::app::ExtraRoutes = std::sync::Arc::new(move |cfg| {
            cfg.service(sandbox::admin_scope(&admin));
        });
        let app = Application::build_with_routes(settings, Some(extra)).await?;
        log::warn!(
            "SANDBOX MODE: sessions connect to the in-process sandbox at {} (certificate verification off); \
             act as other people through http://{}/sandbox/",
            handle.ws_url(),
            app.addr()
        );
        let result = app.run_until_stopped().await;
        handle.stop().await;
        result
    })
}

#[cfg(not(feature = "sandbox"))]
fn serve_with_sandbox(_settings: Settings) -> anyhow::Result<()> {
    anyhow::bail!("this build has no sandbox; build with `cargo build --features sandbox`")
}

#[cfg(feature = "sandbox")]
fn run_sandbox(listen: std::net::SocketAddr, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    use crate::sandbox::{self, SandboxConfig};
    actix_web::rt::System::new().block_on(async move {
        let handle = sandbox::start(SandboxConfig {
            listen,
            data_dir,
            ..SandboxConfig::default()
        })
        .await?;
        println!(
            "{}",
            serde_json::json!({
                "ws_url": handle.ws_url(),
                "admin_url": handle.admin_url(),
                "root_public_key": handle.root_public_key_base64(),
            })
        );
        log::info!("sandbox listening on {}; Ctrl-C stops it", handle.addr());
        tokio::signal::ctrl_c().await?;
        handle.stop().await;
        Ok(())
    })
}

#[cfg(not(feature = "sandbox"))]
fn run_sandbox(_listen: std::net::SocketAddr, _data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("this build has no sandbox; build with `cargo build --features sandbox`")
}
