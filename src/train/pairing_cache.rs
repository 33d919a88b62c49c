//! A disk cache of InfoGAN's neighbour table: each training image's nearest other training
//! images, which pairing real images with their neighbours needs before the first step. For
//! MNIST's 60,000 images that is every image against every other, ~45 s on 2 cores, at every
//! start of a run, every resume, and every seed of a study; the table depends only on the
//! images and k, so it is computed once and read back after (a few ms).
//!
//! An entry is keyed by a SHA-256 of the images' exact values (deskewed, when the run pairs
//! deskewed images), their length and k. A missing, short or unreadable entry is computed
//! again and rewritten; failing to write one only costs the next start the same time.

use std::path::Path;

use anyhow::Result;
use sha2::{Digest, Sha256};

/// The first bytes of an entry, with the layout's version.
const MAGIC: &[u8; 8] = b"GSPAIR01";

/// Entries kept, newest first: one per data set and k (240 KB for MNIST at k = 1, 1.2 MB at 5).
const KEEP: usize = 16;

/// `compute()`'s table (k indices per image, `dim` values an image), from the cache when these
/// very images were paired with this k before.
pub fn neighbours_cached(
    pixels: &[f32],
    dim: usize,
    k: usize,
    compute: impl FnOnce() -> Result<Vec<usize>>,
) -> Result<Vec<usize>> {
    neighbours_cached_in(
        crate::disk_cache::folder("neighbours").as_deref(),
        pixels,
        dim,
        k,
        compute,
    )
}

/// [`neighbours_cached`] with the cache in `folder` (None: no cache).
pub fn neighbours_cached_in(
    folder: Option<&Path>,
    pixels: &[f32],
    dim: usize,
    k: usize,
    compute: impl FnOnce() -> Result<Vec<usize>>,
) -> Result<Vec<usize>> {
    let Some(folder) = folder.filter(|_| dim > 0) else {
        return compute();
    };
    let images = pixels.len() / dim;
    crate::disk_cache::cached(
        folder,
        &key(pixels, dim, k),
        KEEP,
        "the neighbour table",
        |bytes| decode(bytes, images, k.min(images.saturating_sub(1))),
        compute,
        |table| encode(table),
    )
}

/// The entry's name: what the table depends on, hashed.
fn key(pixels: &[f32], dim: usize, k: usize) -> String {
    let mut hash = Sha256::new();
    hash.update(MAGIC);
    hash.update((dim as u64).to_le_bytes());
    hash.update((k as u64).to_le_bytes());
    crate::disk_cache::hash_floats(&mut hash, pixels);
    crate::disk_cache::name(hash)
}

fn encode(table: &[usize]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(MAGIC.len() + 4 * table.len());
    bytes.extend_from_slice(MAGIC);
    // Indices of images, far below 2^32 for any data set that fits in memory.
    bytes.extend(table.iter().flat_map(|&i| (i as u32).to_le_bytes()));
    bytes
}

/// The table of `images` images, `k` indices an image, in `bytes`, or None when they do not
/// hold one (cut short, or an index past the last image).
fn decode(bytes: &[u8], images: usize, k: usize) -> Option<Vec<usize>> {
    let values = bytes.strip_prefix(MAGIC.as_slice())?;
    if k == 0 || values.len() != 4 * images.checked_mul(k)? {
        return None;
    }
    let table: Vec<usize> = values
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    table.iter().all(|&i| i < images).then_some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<f32> {
        // Six points of two values on a line: 0, 1, 3, 7, 8, 20.
        [0.0, 1.0, 3.0, 7.0, 8.0, 20.0]
            .iter()
            .flat_map(|&x| [x, 0.0])
            .collect()
    }

    fn computed(points: &[f32], k: usize) -> Result<Vec<usize>> {
        crate::eval::neighbours::k_nearest_others(points, 2, k, &burn::prelude::Device::flex())
    }

    #[test]
    fn the_second_table_comes_from_the_cache_and_equals_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let points = points();
        let first =
            neighbours_cached_in(Some(dir.path()), &points, 2, 2, || computed(&points, 2)).unwrap();
        assert_eq!(first, computed(&points, 2).unwrap());
        // Read back, not computed: a compute that fails is never called.
        let second = neighbours_cached_in(Some(dir.path()), &points, 2, 2, || {
            anyhow::bail!("computed again")
        })
        .unwrap();
        assert_eq!(second, first);
        // Other images or another k are other entries.
        let mut moved = points.clone();
        moved[0] = 0.5;
        neighbours_cached_in(Some(dir.path()), &moved, 2, 2, || computed(&moved, 2)).unwrap();
        neighbours_cached_in(Some(dir.path()), &points, 2, 1, || computed(&points, 1)).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_damaged_entry_is_computed_again_and_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let points = points();
        let first =
            neighbours_cached_in(Some(dir.path()), &points, 2, 2, || computed(&points, 2)).unwrap();
        let entry = crate::disk_cache::only_entry(dir.path());
        let good = std::fs::read(&entry).unwrap();
        // Cut short, and an index past the last image: both read as no entry.
        for damaged in [good[..good.len() - 3].to_vec(), {
            let mut b = good.clone();
            let at = b.len() - 4;
            b[at..].copy_from_slice(&99u32.to_le_bytes());
            b
        }] {
            std::fs::write(&entry, damaged).unwrap();
            let again =
                neighbours_cached_in(Some(dir.path()), &points, 2, 2, || computed(&points, 2))
                    .unwrap();
            assert_eq!(again, first);
            assert_eq!(std::fs::read(&entry).unwrap(), good);
        }
    }

    #[test]
    fn without_a_folder_it_computes() {
        let points = points();
        let table = neighbours_cached_in(None, &points, 2, 2, || computed(&points, 2)).unwrap();
        assert_eq!(table, computed(&points, 2).unwrap());
    }
}
