//! Who may read WARAS's files. The SQLite database holds every session's (sealed) key material
//! and every message, and the data directory the generated admin and master keys: they are
//! created readable by the service's user only. Directories that already exist are the
//! operator's; WARAS does not change them but warns when others can enter them.

use std::path::Path;

use anyhow::Context;

/// The file names SQLite keeps beside a WAL-mode database.
const SQLITE_COMPANIONS: [&str; 2] = ["-wal", "-shm"];

/// Creates `dir` (and missing parents) with mode 0700 when it does not exist; warns when an
/// existing one is open to the group or to others.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    create_private_dir(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// Prepares a SQLite database path: its directory private, the database file created 0600
/// before SQLite opens it (SQLite gives its `-wal` and `-shm` files the database file's mode),
/// and a database or companion left readable by others by an earlier version narrowed to 0600.
pub fn prepare_sqlite(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    create_private_file(path).with_context(|| format!("cannot create {}", path.display()))?;
    for suffix in SQLITE_COMPANIONS {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        narrow_file(Path::new(&name))?;
    }
    narrow_file(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn narrow_file(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // absent: SQLite creates it with the database file's mode
    };
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
        log::warn!("{} was readable by others; it is now 0600", path.display());
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow_file(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn warn_if_open(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            log::warn!(
                "{} has mode {mode:o}: other users may list it; `chmod 700` it unless that is intended",
                dir.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open(_dir: &Path) {}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_directories_and_database_files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/data");
        let db = dir.join("waras.db");
        prepare_sqlite(&db).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn existing_open_files_are_narrowed_and_directories_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = tmp.path().join("waras.db");
        let wal = tmp.path().join("waras.db-wal");
        for f in [&db, &wal] {
            std::fs::write(f, b"").unwrap();
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        prepare_sqlite(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
        assert_eq!(
            mode(tmp.path()),
            0o755,
            "the operator's directory is not changed"
        );
    }
}
