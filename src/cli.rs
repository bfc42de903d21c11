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
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Tenant bootstrap.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
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
    env_logger::Builder::from_env(
        env_logger::Env::new().filter_or("WARAS_LOG", "info,actix_server=warn"),
    )
    .init();
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
        Command::Serve => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await
        }),
        Command::Migrate => {
            let target = settings.database()?;
            let applied = db::migrate(&target)?;
            println!(
                "{applied} migration(s) applied to the {} database",
                target.backend_name()
            );
            Ok(())
        }
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
