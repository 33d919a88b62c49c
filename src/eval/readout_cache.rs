//! A disk cache of what a classifier reads from a fixed set of real images: the evaluation's
//! reference half of a test set is the same images, read by the same judge, at every `eval`.
//! With CIFAR-10's judge (ten views of each of 5,000 pictures through a VGG) that reading was
//! ~50 of the ~55 s of every evaluation on a 2-core CPU, whatever the number of samples.
//!
//! An entry is keyed by a SHA-256 of everything the reading depends on: the judge's weights,
//! the views it averages (mirror, shifts: readings, not weights), and the images' exact
//! values. Any other image or judge is another key, so an entry is never stale. A missing,
//! short or unreadable entry is read again from the images and rewritten; failing to write
//! one only costs the next run the same time.

use std::path::{Path, PathBuf};

use anyhow::Result;
use burn::prelude::Device;
use sha2::{Digest, Sha256};

use super::classifier::{Classifier, Readout, read_out};

/// The first bytes of an entry, with the layout's version.
const MAGIC: &[u8; 8] = b"GSREAD01";

/// Where entries go ([`crate::disk_cache::folder`]); None when caching is turned off.
fn folder() -> Option<PathBuf> {
    crate::disk_cache::folder("readouts")
}

/// The entry's name: what the reading depends on, hashed.
fn key(classifier: &Classifier, pixels: &[f32], side: usize) -> String {
    let mut hash = Sha256::new();
    hash.update(MAGIC);
    hash.update(classifier.weights_sha256().as_bytes());
    hash.update([u8::from(classifier.mirror_average)]);
    hash.update((classifier.shift_average as u64).to_le_bytes());
    hash.update((side as u64).to_le_bytes());
    crate::disk_cache::hash_floats(&mut hash, pixels);
    crate::disk_cache::name(hash)
}

fn encode(readout: &Readout) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(
        MAGIC.len() + 16 + 4 * (readout.probabilities.len() + readout.features.len()),
    );
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(readout.classes as u64).to_le_bytes());
    bytes.extend_from_slice(&(readout.feature_dim as u64).to_le_bytes());
    for value in readout.probabilities.iter().chain(&readout.features) {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    bytes
}

/// The readout of `images` images in `bytes`, or None when they do not hold one of them.
fn decode(bytes: &[u8], images: usize) -> Option<Readout> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let word = |at: usize| -> Option<usize> {
        let raw: [u8; 8] = rest.get(at..at + 8)?.try_into().ok()?;
        usize::try_from(u64::from_le_bytes(raw)).ok()
    };
    let (classes, feature_dim) = (word(0)?, word(8)?);
    let values = &rest[16..];
    let (p, f) = (
        images.checked_mul(classes)?,
        images.checked_mul(feature_dim)?,
    );
    if values.len() != 4 * p.checked_add(f)? {
        return None;
    }
    let floats: Vec<f32> = values
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let (probabilities, features) = floats.split_at(p);
    Some(Readout {
        probabilities: probabilities.to_vec(),
        features: features.to_vec(),
        classes,
        feature_dim,
    })
}

/// Entries kept: the newest this many (a judge's reference for each data set it scores is
/// one entry of ~2 MB), so trying many judges cannot fill the disk.
const KEEP: usize = 32;

/// [`read_out`] of `pixels`, from the cache when this judge has read these very images before.
pub fn read_out_cached(
    classifier: &Classifier,
    pixels: &[f32],
    side: usize,
    device: &Device,
) -> Result<Readout> {
    read_out_cached_in(folder().as_deref(), classifier, pixels, side, device)
}

/// [`read_out_cached`] with the cache in `folder` (None: no cache).
pub fn read_out_cached_in(
    folder: Option<&Path>,
    classifier: &Classifier,
    pixels: &[f32],
    side: usize,
    device: &Device,
) -> Result<Readout> {
    let per = classifier.input_channels() * side * side;
    let Some(folder) = folder.filter(|_| per > 0) else {
        return read_out(classifier, pixels, side, device);
    };
    crate::disk_cache::cached(
        folder,
        &key(classifier, pixels, side),
        KEEP,
        "the classifier's reading",
        |bytes| decode(bytes, pixels.len() / per),
        || read_out(classifier, pixels, side, device),
        encode,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small LeNet of random weights and a few random 28x28 images.
    fn judge_and_images() -> (Classifier, Vec<f32>, Device) {
        use rand::{Rng, SeedableRng};
        let device = Device::flex();
        let classifier = crate::eval::classifier::ClassifierConfig::new().init(&device);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let pixels: Vec<f32> = (0..12 * 28 * 28)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        (classifier, pixels, device)
    }

    #[test]
    fn the_second_reading_comes_from_the_cache_and_equals_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let (classifier, pixels, device) = judge_and_images();
        let fresh = read_out(&classifier, &pixels, 28, &device).unwrap();
        let first =
            read_out_cached_in(Some(dir.path()), &classifier, &pixels, 28, &device).unwrap();
        let entries = || std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(entries(), 1);
        // The entry is what is read: change it, and the changed values come back.
        let entry = crate::disk_cache::only_entry(dir.path());
        let mut doctored = first.clone();
        doctored.probabilities[0] = 42.0;
        std::fs::write(&entry, encode(&doctored)).unwrap();
        let second =
            read_out_cached_in(Some(dir.path()), &classifier, &pixels, 28, &device).unwrap();
        assert_eq!(second.probabilities[0], 42.0);
        assert_eq!(first.probabilities, fresh.probabilities);
        assert_eq!(first.features, fresh.features);
        assert_eq!(second.features, fresh.features);
        // Other images, or the same judge reading more views, are other entries.
        let mut other = pixels.clone();
        other[5] += 0.5;
        read_out_cached_in(Some(dir.path()), &classifier, &other, 28, &device).unwrap();
        let mut mirrored = classifier.clone();
        mirrored.mirror_average = true;
        read_out_cached_in(Some(dir.path()), &mirrored, &pixels, 28, &device).unwrap();
        assert_eq!(entries(), 3);
    }

    #[test]
    fn an_entry_reads_back_and_a_wrong_one_is_refused() {
        let readout = Readout {
            probabilities: vec![0.25, 0.75, 0.5, 0.5],
            features: vec![1.0, -2.0, 3.5, 0.0, 7.0, 8.0],
            classes: 2,
            feature_dim: 3,
        };
        let bytes = encode(&readout);
        let back = decode(&bytes, 2).expect("two images");
        assert_eq!(back.probabilities, readout.probabilities);
        assert_eq!(back.features, readout.features);
        assert_eq!((back.classes, back.feature_dim), (2, 3));
        // Another count of images, a cut entry, another layout: read again, not misread.
        assert!(decode(&bytes, 3).is_none());
        assert!(decode(&bytes[..bytes.len() - 1], 2).is_none());
        let mut other = bytes.clone();
        other[7] = b'9';
        assert!(decode(&other, 2).is_none());
    }
}
