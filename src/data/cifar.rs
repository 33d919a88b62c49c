//! CIFAR-10's official binary release: `data_batch_1.bin` .. `data_batch_5.bin` and
//! `test_batch.bin`, each record one label byte then 1,024 red, 1,024 green and 1,024 blue bytes
//! (row-major), read from the unpacked `cifar-10-batches-bin/` or straight from
//! `cifar-10-binary.tar.gz`. Records are already planar, the layout [`Split`] keeps.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Split;
use super::images::{read_maybe_gzip, tar_files};

/// The release as users download it.
pub const TARBALL: &str = "cifar-10-binary.tar.gz";
/// Its size and SHA-256 as published.
pub const TARBALL_BYTES: u64 = 170_052_171;
pub const TARBALL_SHA256: &str = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd";
/// The folder the tarball unpacks to.
pub const FOLDER: &str = "cifar-10-batches-bin";
pub const TRAIN_BATCHES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
pub const TEST_BATCH: &str = "test_batch.bin";
/// The class names in label order, as `batches.meta.txt` lists them.
pub const CLASS_NAMES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];
pub const SIDE: usize = 32;
const RECORD: usize = 1 + 3 * SIDE * SIDE;

/// Where the binary release sits under `dir`, if it does: the tarball, or the unpacked folder
/// (or `dir` itself holding the batch files).
pub fn find_binary(dir: &Path) -> Option<PathBuf> {
    [dir.join(TARBALL), dir.join(FOLDER), dir.to_path_buf()]
        .into_iter()
        .find(|p| {
            p.is_file() && p.file_name().is_some_and(|n| n == TARBALL)
                || p.join(TEST_BATCH).is_file()
        })
}

/// Parses one batch file's bytes into a split; `name` is used in errors.
pub fn parse_batch(name: &str, bytes: &[u8]) -> Result<Split> {
    if bytes.is_empty() || bytes.len() % RECORD != 0 {
        bail!(
            "{name}: {} bytes is not a whole number of {RECORD}-byte CIFAR-10 records \
             (a label byte and 32x32x3 pixels each); the file is truncated or not a CIFAR-10 batch",
            bytes.len()
        );
    }
    let count = bytes.len() / RECORD;
    let mut split = Split {
        images: Vec::with_capacity(count * (RECORD - 1)),
        labels: Vec::with_capacity(count),
        channels: 3,
        rows: SIDE,
        cols: SIDE,
    };
    for (i, record) in bytes.chunks_exact(RECORD).enumerate() {
        if usize::from(record[0]) >= CLASS_NAMES.len() {
            bail!(
                "{name}: record {i} has label {}, but CIFAR-10 labels are 0..=9",
                record[0]
            );
        }
        split.labels.push(record[0]);
        split.images.extend_from_slice(&record[1..]);
    }
    Ok(split)
}

fn append(into: &mut Split, more: Split) {
    into.images.extend(more.images);
    into.labels.extend(more.labels);
}

/// Reads both splits from the tarball or folder [`find_binary`] found.
pub fn read_binary(source: &Path) -> Result<(Split, Split)> {
    let mut batches: Vec<(String, Vec<u8>)> = if source.is_file() {
        tar_files(source)?
            .into_iter()
            .filter(|(name, _)| name.ends_with(".bin"))
            .collect()
    } else {
        let mut found = Vec::new();
        for name in TRAIN_BATCHES.iter().chain([&TEST_BATCH]) {
            let path = source.join(name);
            if path.is_file() {
                found.push((name.to_string(), read_maybe_gzip(&path)?));
            }
        }
        found
    };
    let mut take = |wanted: &str| -> Result<Split> {
        let at = batches
            .iter()
            .position(|(name, _)| name.rsplit('/').next() == Some(wanted))
            .with_context(|| format!("{}: missing {wanted}", source.display()))?;
        let (name, bytes) = batches.swap_remove(at);
        parse_batch(&format!("{}: {name}", source.display()), &bytes)
    };
    let mut train = take(TRAIN_BATCHES[0])?;
    for batch in &TRAIN_BATCHES[1..] {
        append(&mut train, take(batch)?);
    }
    let test = take(TEST_BATCH)?;
    Ok((train, test))
}

/// Writes records in the release's format (tests write small files with this).
pub fn batch_bytes(split: &Split) -> Vec<u8> {
    let per = split.pixels_per_image();
    let mut out = Vec::with_capacity(split.len() * (per + 1));
    for (i, &label) in split.labels.iter().enumerate() {
        out.push(label);
        out.extend_from_slice(&split.images[i * per..(i + 1) * per]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(count: usize, first_label: u8) -> Split {
        let per = 3 * SIDE * SIDE;
        Split {
            images: (0..count * per).map(|i| (i % 251) as u8).collect(),
            labels: (0..count).map(|i| (first_label + i as u8) % 10).collect(),
            channels: 3,
            rows: SIDE,
            cols: SIDE,
        }
    }

    fn write_release(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for (i, name) in TRAIN_BATCHES.iter().enumerate() {
            std::fs::write(dir.join(name), batch_bytes(&records(3, i as u8))).unwrap();
        }
        std::fs::write(dir.join(TEST_BATCH), batch_bytes(&records(2, 7))).unwrap();
    }

    #[test]
    fn the_unpacked_folder_and_the_tarball_read_the_same_records() {
        let root = tempfile::tempdir().unwrap();
        write_release(&root.path().join(FOLDER));
        let folder = find_binary(root.path()).unwrap();
        let (train, test) = read_binary(&folder).unwrap();
        assert_eq!((train.len(), test.len()), (15, 2));
        assert_eq!(train.labels[..4], [0, 1, 2, 1]);
        assert_eq!(test.labels, [7, 8]);
        assert_eq!(train.images[..3], [0, 1, 2]);
        assert_eq!(train.channels, 3);

        let packed = tempfile::tempdir().unwrap();
        let tarball = packed.path().join(TARBALL);
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&tarball).unwrap(),
            flate2::Compression::fast(),
        );
        let mut builder = tar::Builder::new(gz);
        builder
            .append_dir_all(FOLDER, root.path().join(FOLDER))
            .unwrap();
        builder.into_inner().unwrap().finish().unwrap();
        let found = find_binary(packed.path()).unwrap();
        assert_eq!(found, tarball);
        let (train2, test2) = read_binary(&found).unwrap();
        assert_eq!(train2.labels, train.labels);
        assert_eq!(train2.images, train.images);
        assert_eq!(test2.images, test.images);
    }

    #[test]
    fn a_truncated_batch_or_a_bad_label_is_an_error_naming_the_file() {
        let mut bytes = batch_bytes(&records(2, 0));
        bytes.pop();
        let err = parse_batch("data_batch_3.bin", &bytes)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("data_batch_3.bin") && err.contains("truncated"),
            "{err}"
        );
        let mut bytes = batch_bytes(&records(2, 0));
        bytes[RECORD] = 10;
        let err = parse_batch("test_batch.bin", &bytes)
            .unwrap_err()
            .to_string();
        assert!(err.contains("record 1 has label 10"), "{err}");
    }

    #[test]
    fn a_missing_batch_is_named() {
        let root = tempfile::tempdir().unwrap();
        write_release(root.path());
        std::fs::remove_file(root.path().join("data_batch_4.bin")).unwrap();
        let err = format!("{:#}", read_binary(root.path()).unwrap_err());
        assert!(err.contains("missing data_batch_4.bin"), "{err}");
    }
}
