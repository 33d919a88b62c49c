//! Where the on-disk caches live (a classifier's readings of reference images, InfoGAN's
//! neighbour tables) and how they are kept from growing without bound. Each entry is named by
//! a hash of everything it depends on, so an entry is never stale, only unused.

use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};

/// Set to a folder to keep the caches there, or to `off` to compute everything every time.
pub const CACHE_ENV: &str = "GAN_STUDIO_CACHE";

/// The folder for one kind of entry: `$GAN_STUDIO_CACHE/KIND`, else the per-user cache folder
/// (`~/.cache/gan-studio/KIND` on Linux); None when turned off.
pub fn folder(kind: &str) -> Option<PathBuf> {
    match std::env::var_os(CACHE_ENV) {
        Some(v) if v == "off" => None,
        Some(v) if !v.is_empty() => Some(PathBuf::from(v).join(kind)),
        _ => dirs::cache_dir().map(|d| d.join("gan-studio").join(kind)),
    }
}

/// Feeds `values` to `hash` as their little-endian bytes, in blocks: one `update` per value
/// cost more than the hashing itself (47M values for MNIST's training images).
pub fn hash_floats(hash: &mut Sha256, values: &[f32]) {
    let mut block = Vec::with_capacity(4 << 14);
    for values in values.chunks(1 << 14) {
        block.clear();
        block.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        hash.update(&block);
    }
}

/// An entry's name: `hash`'s digest in hex.
pub fn name(hash: Sha256) -> String {
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The entry `name` of `folder` as `decode` reads it; where there is none (or `decode` refuses
/// it), `compute()`'s value, written there by `encode` for next time and the folder pruned to
/// its `keep` newest entries. Failing to write only costs the next run the same time: a
/// warning naming `what` was not cached.
pub fn cached<T>(
    folder: &Path,
    name: &str,
    keep: usize,
    what: &str,
    decode: impl FnOnce(&[u8]) -> Option<T>,
    compute: impl FnOnce() -> Result<T>,
    encode: impl FnOnce(&T) -> Vec<u8>,
) -> Result<T> {
    let path = folder.join(format!("{name}.bin"));
    if let Some(value) = std::fs::read(&path).ok().and_then(|bytes| decode(&bytes)) {
        return Ok(value);
    }
    let value = compute()?;
    let written = std::fs::create_dir_all(folder)
        .map_err(anyhow::Error::from)
        .and_then(|()| crate::fsutil::write_atomic(&path, &encode(&value)));
    match written {
        Ok(()) => prune(folder, keep),
        Err(e) => eprintln!("warning: {what} was not cached: {e:#}"),
    }
    Ok(value)
}

/// Removes all but the `keep` newest `.bin` entries of `folder`. Best effort: a file another
/// process removed first, or one that cannot be removed, is left to the next prune.
pub fn prune(folder: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, path) in files.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// The one entry of `folder`, for tests that change it on disk.
#[cfg(test)]
pub fn only_entry(folder: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("a cache folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(entries.len(), 1, "one entry in {}", folder.display());
    entries[0].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: usize = 5;

    #[test]
    fn only_the_newest_entries_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..KEEP + 3 {
            std::fs::write(dir.path().join(format!("{i:03}.bin")), b"x").unwrap();
            // Distinct times, oldest first.
            let at = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(i as u64);
            let file = std::fs::File::options()
                .write(true)
                .open(dir.path().join(format!("{i:03}.bin")))
                .unwrap();
            file.set_modified(at).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"not an entry").unwrap();
        prune(dir.path(), KEEP);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left.len(), KEEP + 1);
        assert_eq!(left[0], "003.bin", "the three oldest went");
        assert!(left.contains(&"notes.txt".to_owned()));
    }
}
