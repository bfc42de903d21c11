//! `waras rotate-master-key`: moves everything the master key seals to a new key (see
//! [`crate::engine::rekey`]) and, when the key lives in `<data_dir>/master.key`, replaces that file.
//!
//! Crash safety with a key file: the new key is first written beside it (`master.key.new`), then
//! the database is re-sealed in one transaction, then the new file is renamed over the old one.
//! A crash before the commit leaves the old key valid (the stale `.new` file is removed at the
//! next start); a crash after it is finished at the next start, which finds that the old file no
//! longer opens the canary but the new one does.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::config::{Secrets, Settings, parse_master_key};
use crate::db::{self, Db, DbPool, InstanceLease};
use crate::engine::KEY_LEN;
use crate::engine::rekey::{opens_canary, rotate_master_key};

/// The environment variable that may carry the new key (instead of `--new-key-file`).
pub const NEW_KEY_ENV: &str = "WARAS_NEW_MASTER_KEY";

/// Runs the command. `new_key_file` is `--new-key-file`; otherwise the key comes from
/// [`NEW_KEY_ENV`].
pub fn run(settings: &Settings, new_key_file: Option<&Path>) -> anyhow::Result<()> {
    let new_key = new_key(new_key_file)?;
    let target = settings.database()?;
    db::migrate(&target)?;
    let pool = DbPool::connect(&target, 2)?;
    let _lease = InstanceLease::try_acquire(&target)?.context(
        "a waras process is serving this database; stop it before rotating the master key",
    )?;
    let key_file = generated_key_file(settings);
    let secrets = match &key_file {
        Some(file) => finish_interrupted_blocking(&pool, file, Secrets::resolve(settings)?)?,
        None => Secrets::resolve(settings)?,
    };
    let staged = key_file.as_deref().map(staged_path);
    if let Some(staged) = &staged {
        write_private(staged, &hex::encode(new_key))?;
    }
    let rekeyed = match rotate_master_key(&pool, &secrets.master_key, &new_key) {
        Ok(r) => r,
        Err(e) => {
            if let Some(staged) = &staged {
                let _ = std::fs::remove_file(staged);
            }
            return Err(e);
        }
    };
    println!(
        "re-sealed {} data key(s), {} webhook secret(s), {} session proxy URL(s) and {} event sink(s) under the new master key",
        rekeyed.data_keys, rekeyed.webhook_secrets, rekeyed.session_proxies, rekeyed.event_sinks
    );
    match (&key_file, &staged) {
        (Some(file), Some(staged)) => {
            replace(staged, file)?;
            println!("{} now holds the new key", file.display());
        }
        _ => eprintln!(
            "The old master key no longer opens this database: set master_key \
             (WARAS_MASTER_KEY) to the new key before starting waras."
        ),
    }
    Ok(())
}

fn new_key(file: Option<&Path>) -> anyhow::Result<[u8; KEY_LEN]> {
    let from_env = std::env::var(NEW_KEY_ENV).ok().filter(|v| !v.is_empty());
    let hex_key = match (file, from_env) {
        (Some(_), Some(_)) => {
            anyhow::bail!("give the new key either with --new-key-file or with {NEW_KEY_ENV}")
        }
        (Some(path), None) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        (None, Some(value)) => value,
        (None, None) => {
            anyhow::bail!("the new key is missing: pass --new-key-file PATH or set {NEW_KEY_ENV}")
        }
    };
    parse_master_key(&hex_key).context("the new key must be 64 hex characters (32 bytes)")
}

/// `<data_dir>/master.key` when the master key is not configured (the service generated it).
pub fn generated_key_file(settings: &Settings) -> Option<PathBuf> {
    settings
        .master_key
        .expose_secret()
        .is_empty()
        .then(|| settings.data_dir.join("master.key"))
}

fn staged_path(key_file: &Path) -> PathBuf {
    key_file.with_extension("key.new")
}

/// At start, settles a rotation a crash interrupted (see the module comment); returns the keys
/// to run with.
pub async fn finish_interrupted(
    settings: &Settings,
    db: &Db,
    secrets: Secrets,
) -> anyhow::Result<Secrets> {
    let Some(file) = generated_key_file(settings) else {
        return Ok(secrets);
    };
    if !staged_path(&file).exists() {
        return Ok(secrets);
    }
    db.run(move |pool| Ok(finish_interrupted_blocking(pool, &file, secrets)))
        .await
        .context("cannot check an interrupted master key rotation")?
}

fn finish_interrupted_blocking(
    pool: &DbPool,
    file: &Path,
    mut secrets: Secrets,
) -> anyhow::Result<Secrets> {
    let staged = staged_path(file);
    let Ok(text) = std::fs::read_to_string(&staged) else {
        return Ok(secrets);
    };
    if opens_canary(pool, &secrets.master_key)? {
        log::warn!(
            "removing {}: its rotation never committed",
            staged.display()
        );
        std::fs::remove_file(&staged)
            .with_context(|| format!("cannot remove {}", staged.display()))?;
        return Ok(secrets);
    }
    let new_key = parse_master_key(&text)?;
    if opens_canary(pool, &new_key)? {
        log::warn!(
            "finishing an interrupted master key rotation: {} replaces {}",
            staged.display(),
            file.display()
        );
        replace(&staged, file)?;
        secrets.master_key = new_key;
    }
    Ok(secrets)
}

/// Writes a new 0600 file (replacing a stale one) and flushes it to disk.
fn write_private(path: &Path, value: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(format!("{value}\n").as_bytes())?;
    f.sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))
}

/// Renames `from` over `to` and flushes the directory entry.
fn replace(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}
