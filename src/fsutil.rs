//! File writes that never leave a half-written file under the final name, and where an output
//! path would land.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `parts` one after another to a temporary file beside `path`, syncs it, then renames
/// it into place. On error the temporary file is removed and `path` is untouched.
pub fn write_parts_atomic(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Said plainly here; tempfile's own error would name the temporary file instead.
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the folder {} does not exist", dir.display()),
        ));
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    for part in parts {
        // Through the plain file: tempfile's own writer appends the temporary name to errors.
        tmp.as_file_mut().write_all(part)?;
    }
    // tempfile creates 0600 files; results are meant to be shared like any other file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`write_parts_atomic`] for one buffer, with an error naming the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_parts_atomic(path, &[bytes]).with_context(|| format!("cannot write {}", path.display()))
}

/// Saves a config as `Config::save` does (pretty JSON), but atomically: a crash while saving
/// leaves no half-written config.json, which would make a run unreadable.
pub fn save_config<C: burn::config::Config>(config: &C, path: &Path) -> Result<()> {
    write_atomic(path, burn::config::config_to_json(config).as_bytes())
}

/// Where `path` is or would be once created: its longest existing prefix with links and `..`
/// resolved, then the rest. Two paths naming the same place resolve to the same value, so an
/// output can be checked against an input before anything is written.
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut prefix = absolute.as_path();
    loop {
        if let Ok(found) = prefix.canonicalize() {
            return rest.iter().rev().fold(found, |p, part| p.join(part));
        }
        match (prefix.parent(), prefix.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                prefix = parent;
            }
            _ => return absolute,
        }
    }
}
