//! CycleGAN's two domains: what `--domain-a` / `--domain-b` name, read into pictures of one
//! shape, each with a held-out part that training never sees.
//!
//! A domain is a folder or tarball of pictures (sub-folders such as classes are ignored), one
//! class of a labelled set (`cifar10:horse`, `fashion-mnist:sneaker`, `mnist:7`), a whole set
//! (`cifar10`), or the grey copy of one (`cifar10:grey`). Sets keep their own test split as the
//! held-out part; folders hold out every tenth picture by name.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use image::imageops::FilterType;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Dataset, DatasetKind, Split};

/// Folders hold out every n-th picture (by name) for evaluation.
const HOLD_OUT_EVERY: usize = 10;

/// What a run recorded about one domain: enough to read it again and to say which pictures
/// it held out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainRecord {
    /// As the user wrote it.
    pub spec: String,
    /// Where the pictures came from: the folder or tarball, or the data set's folder.
    pub source: PathBuf,
    /// Pictures trained on.
    pub train_count: usize,
    /// The held-out pictures: file names for a folder, `test/<index>` for a data set.
    pub held_out: Vec<String>,
}

impl DomainRecord {
    /// The record of a domain named but not read yet.
    pub fn unread(spec: &str) -> Self {
        Self {
            spec: spec.trim().to_string(),
            source: PathBuf::new(),
            train_count: 0,
            held_out: Vec::new(),
        }
    }
}

/// A domain read into memory at the run's shape.
#[derive(Clone, Debug)]
pub struct Domain {
    pub record: DomainRecord,
    pub train: Split,
    pub held_out: Split,
    /// The data set's class names when the domain comes from one (its pictures keep their
    /// labels), else empty.
    pub class_names: Vec<String>,
}

/// A parsed `--domain-*` value.
#[derive(Clone, Debug, PartialEq)]
enum Spec {
    Pictures(PathBuf),
    Set {
        kind: DatasetKind,
        class: Option<String>,
        grey: bool,
    },
}

fn set_named(name: &str) -> Option<DatasetKind> {
    match name.to_ascii_lowercase().as_str() {
        "mnist" => Some(DatasetKind::Mnist),
        "fashion-mnist" | "fashion" => Some(DatasetKind::Fashion),
        "cifar10" | "cifar-10" => Some(DatasetKind::Cifar10),
        _ => None,
    }
}

impl Spec {
    fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            bail!("a domain is empty: give a folder, a tarball, or e.g. cifar10:horse");
        }
        if let Some(kind) = set_named(text) {
            return Ok(Spec::Set {
                kind,
                class: None,
                grey: false,
            });
        }
        if let Some((set, rest)) = text.split_once(':')
            && let Some(kind) = set_named(set)
        {
            let rest = rest.trim();
            let grey = matches!(rest.to_ascii_lowercase().as_str(), "grey" | "gray");
            return Ok(Spec::Set {
                kind,
                class: (!grey).then(|| rest.to_string()),
                grey,
            });
        }
        // Absolute: the run records it, and resuming or evaluating may start in another folder.
        let path = PathBuf::from(text);
        Ok(Spec::Pictures(std::path::absolute(&path).unwrap_or(path)))
    }

    /// Whether two domains could share pictures (same set, and a class in common).
    fn overlaps(&self, other: &Spec) -> bool {
        match (self, other) {
            (
                Spec::Set {
                    kind: a, class: ca, ..
                },
                Spec::Set {
                    kind: b, class: cb, ..
                },
            ) => a == b && (ca.is_none() || cb.is_none() || ca == cb),
            _ => false,
        }
    }
}

/// What a domain's text names when it is a data set: the set, its class (if one) and whether
/// it is the grey copy; None for folders and tarballs.
pub fn named_set(text: &str) -> Option<(DatasetKind, Option<String>, bool)> {
    match Spec::parse(text).ok()? {
        Spec::Set { kind, class, grey } => Some((kind, class, grey)),
        Spec::Pictures(_) => None,
    }
}

/// The class index `name` stands for: the class's name (case ignored; for names like
/// "T-shirt/top", either part), or its number.
pub fn class_index(name: &str, classes: &[String], set: &str) -> Result<u8> {
    let wanted = name.to_lowercase();
    let found = classes.iter().position(|c| {
        let c = c.to_lowercase();
        c == wanted || c.split('/').any(|part| part == wanted)
    });
    if let Some(i) = found {
        return Ok(i as u8);
    }
    if let Ok(i) = wanted.parse::<usize>()
        && i < classes.len()
    {
        return Ok(i as u8);
    }
    bail!(
        "{set} has no class {name:?}; its classes are {}",
        classes.join(", ")
    )
}

/// Reads both domains at `side` pixels. Named sets are found under the data folder `data_root`
/// (None: `$GAN_STUDIO_DATA`, then the per-user data folder). Both end up
/// with one channel count: 3 when either is colour (a grey one then has three equal channels).
pub fn load_pair(
    spec_a: &str,
    spec_b: &str,
    data_root: Option<&Path>,
    side: usize,
) -> Result<(Domain, Domain)> {
    let (a, b) = (Spec::parse(spec_a)?, Spec::parse(spec_b)?);
    if a == b || spec_a.trim() == spec_b.trim() {
        bail!(
            "--domain-a and --domain-b are the same domain ({}); CycleGAN learns between two",
            spec_a.trim()
        );
    }
    // Domains drawn from one set take alternate pictures, so that no picture (and so no pair,
    // e.g. a grey picture and its colour original) is in both.
    let disjoint = a.overlaps(&b);
    let mut cache: Option<Dataset> = None;
    let mut read = |spec: &Spec, text: &str, parity: Option<usize>| -> Result<Raw> {
        read_raw(spec, text, data_root, side, parity, &mut cache)
            .with_context(|| format!("domain {text:?}"))
    };
    let raw_a = read(&a, spec_a, disjoint.then_some(0))?;
    let raw_b = read(&b, spec_b, disjoint.then_some(1))?;
    let channels = if raw_a.train.channels == 3 || raw_b.train.channels == 3 {
        3
    } else {
        1
    };
    Ok((raw_a.finish(channels), raw_b.finish(channels)))
}

/// A domain as read, before both are brought to one channel count.
struct Raw {
    record: DomainRecord,
    train: Split,
    held_out: Split,
    class_names: Vec<String>,
}

impl Raw {
    fn finish(self, channels: usize) -> Domain {
        Domain {
            record: self.record,
            train: with_channels(self.train, channels),
            held_out: with_channels(self.held_out, channels),
            class_names: self.class_names,
        }
    }
}

fn read_raw(
    spec: &Spec,
    text: &str,
    data_root: Option<&Path>,
    side: usize,
    parity: Option<usize>,
    cache: &mut Option<Dataset>,
) -> Result<Raw> {
    match spec {
        Spec::Pictures(path) => read_pictures(path, side),
        Spec::Set { kind, class, grey } => {
            if cache.as_ref().is_none_or(|d| d.kind != *kind) {
                *cache = Some(Dataset::load(
                    &crate::data::resolve_data_dir(data_root, *kind),
                    *kind,
                )?);
            }
            let data = cache.as_ref().context("data set not loaded")?;
            let label = class
                .as_deref()
                .map(|c| class_index(c, &data.class_names, kind.title()))
                .transpose()?;
            let pick = |split: &Split| -> Vec<usize> {
                (0..split.len())
                    .filter(|&i| label.is_none_or(|l| split.labels[i] == l))
                    .filter(|&i| parity.is_none_or(|p| i % 2 == p))
                    .collect()
            };
            let (train_idx, test_idx) = (pick(&data.train), pick(&data.test));
            if train_idx.is_empty() || test_idx.is_empty() {
                bail!(
                    "{} has no pictures of this class in both its training and test splits",
                    kind.title()
                );
            }
            let prepare = |split: Split| {
                let split = if *grey { to_grey(split) } else { split };
                resize(split, side)
            };
            let train = prepare(data.train.select(&train_idx));
            let held_out = prepare(data.test.select(&test_idx));
            // The grey copy of a colour set keeps three equal channels, as the paper's
            // black-and-white photos do.
            let (train, held_out) = if *grey {
                (with_channels(train, 3), with_channels(held_out, 3))
            } else {
                (train, held_out)
            };
            Ok(Raw {
                record: DomainRecord {
                    spec: text.trim().to_string(),
                    source: data.dir.clone(),
                    train_count: train.len(),
                    held_out: test_idx.iter().map(|i| format!("test/{i}")).collect(),
                },
                train,
                held_out,
                class_names: data.class_names.clone(),
            })
        }
    }
}

/// A picture as [`crate::data::images::decode_picture`] gives it, or why it did not decode.
type Decoded = Result<(Vec<u8>, bool), String>;

fn read_pictures(path: &Path, side: usize) -> Result<Raw> {
    let files = crate::data::images::picture_files(path)?;
    if files.is_empty() {
        bail!(
            "{}: no PNG or JPEG pictures in it (a domain is a folder or tarball of pictures, \
             or a data set's class such as cifar10:horse)",
            path.display()
        );
    }
    let decoded: Vec<(String, Decoded)> = files
        .par_iter()
        .map(|(name, bytes)| {
            (
                name.clone(),
                crate::data::images::decode_picture(bytes, side as u32),
            )
        })
        .collect();
    let mut good = Vec::new();
    let mut skipped = Vec::new();
    for (name, result) in decoded {
        match result {
            Ok(picture) => good.push((name, picture)),
            Err(e) => skipped.push(format!("{name}: {e}")),
        }
    }
    if good.len() < 2 {
        bail!(
            "{}: {} picture(s) decode, and a domain needs at least 2 (one to train on, one \
             held out){}",
            path.display(),
            good.len(),
            skipped
                .first()
                .map(|s| format!("; e.g. {s}"))
                .unwrap_or_default()
        );
    }
    if !skipped.is_empty() {
        eprintln!(
            "warning: {}: skipped {} file(s) that do not decode, e.g. {}",
            path.display(),
            skipped.len(),
            skipped[0]
        );
    }
    let colour = good.iter().any(|(_, (_, colour))| *colour);
    let channels = if colour { 3 } else { 1 };
    let plane = side * side;
    let mut parts = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for (i, (name, (mut pixels, _))) in good.into_iter().enumerate() {
        pixels.truncate(channels * plane);
        let part = &mut parts[usize::from(i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1)];
        part.0.extend(pixels);
        part.1.push(name);
    }
    // Fewer than ten pictures: hold out the last one.
    if parts[1].1.is_empty() {
        let name = parts[0].1.pop().context("no pictures")?;
        let at = parts[0].0.len() - channels * plane;
        let pixels = parts[0].0.split_off(at);
        parts[1] = (pixels, vec![name]);
    }
    let split = |(images, names): (Vec<u8>, Vec<String>)| Split {
        labels: vec![0; names.len()],
        images,
        channels,
        rows: side,
        cols: side,
    };
    let [train, held] = parts;
    let held_names = held.1.clone();
    let train = split(train);
    Ok(Raw {
        record: DomainRecord {
            spec: path.display().to_string(),
            source: path.to_path_buf(),
            train_count: train.len(),
            held_out: held_names,
        },
        train,
        held_out: split(held),
        class_names: Vec::new(),
    })
}

/// Colour pictures to their luma (ITU-R BT.601 weights), one channel.
fn to_grey(split: Split) -> Split {
    if split.channels == 1 {
        return split;
    }
    let plane = split.rows * split.cols;
    let images = split
        .images
        .chunks_exact(3 * plane)
        .flat_map(|image| {
            let (r, rest) = image.split_at(plane);
            let (g, b) = rest.split_at(plane);
            (0..plane).map(move |i| {
                (0.299 * f32::from(r[i]) + 0.587 * f32::from(g[i]) + 0.114 * f32::from(b[i]))
                    .round() as u8
            })
        })
        .collect();
    Split {
        images,
        channels: 1,
        ..split
    }
}

/// Grey pictures as `channels` equal planes (colour ones are left as they are).
fn with_channels(split: Split, channels: usize) -> Split {
    if split.channels == channels || channels != 3 {
        return split;
    }
    let plane = split.rows * split.cols;
    let images = split
        .images
        .chunks_exact(plane)
        .flat_map(|grey| grey.iter().chain(grey).chain(grey).copied())
        .collect();
    Split {
        images,
        channels: 3,
        ..split
    }
}

/// Square pictures brought to `side` x `side` (MNIST's 28 to 32, say).
fn resize(split: Split, side: usize) -> Split {
    if split.rows == side && split.cols == side {
        return split;
    }
    let (rows, cols, c) = (split.rows, split.cols, split.channels);
    let plane = rows * cols;
    let images: Vec<u8> = split
        .images
        .par_chunks_exact(c * plane)
        .flat_map_iter(|image| {
            image
                .chunks_exact(plane)
                .flat_map(|channel| {
                    let from =
                        image::GrayImage::from_raw(cols as u32, rows as u32, channel.to_vec())
                            .expect("a plane has rows x cols bytes");
                    image::imageops::resize(&from, side as u32, side as u32, FilterType::Triangle)
                        .into_raw()
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    Split {
        images,
        rows: side,
        cols: side,
        ..split
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_png(path: &Path, colour: bool, value: u8) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if colour {
            image::RgbImage::from_pixel(40, 40, image::Rgb([value, 0, 255 - value]))
                .save(path)
                .unwrap();
        } else {
            image::GrayImage::from_pixel(40, 40, image::Luma([value]))
                .save(path)
                .unwrap();
        }
    }

    #[test]
    fn specs_parse_into_sets_classes_grey_copies_and_paths() {
        assert_eq!(
            Spec::parse("cifar10:horse").unwrap(),
            Spec::Set {
                kind: DatasetKind::Cifar10,
                class: Some("horse".into()),
                grey: false
            }
        );
        assert_eq!(
            Spec::parse("cifar10:grey").unwrap(),
            Spec::Set {
                kind: DatasetKind::Cifar10,
                class: None,
                grey: true
            }
        );
        // A relative folder becomes absolute: the run records it for resuming from anywhere.
        assert_eq!(
            Spec::parse("pictures/bears").unwrap(),
            Spec::Pictures(std::env::current_dir().unwrap().join("pictures/bears"))
        );
        assert_eq!(
            Spec::parse("/data/bears").unwrap(),
            Spec::Pictures(PathBuf::from("/data/bears"))
        );
        assert!(
            Spec::parse("cifar10:grey")
                .unwrap()
                .overlaps(&Spec::parse("cifar10").unwrap())
        );
        assert!(
            !Spec::parse("cifar10:horse")
                .unwrap()
                .overlaps(&Spec::parse("cifar10:deer").unwrap())
        );
        let classes: Vec<String> = crate::data::dataset::FASHION_CLASSES
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(class_index("Sneaker", &classes, "F").unwrap(), 7);
        assert_eq!(class_index("t-shirt", &classes, "F").unwrap(), 0);
        let error = class_index("zebra", &classes, "Fashion-MNIST")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("zebra") && error.contains("sneaker"),
            "{error}"
        );
    }

    #[test]
    fn a_grey_folder_beside_a_colour_one_is_read_as_three_equal_channels() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..12 {
            write_png(
                &dir.path().join(format!("grey/c{}/g{i:02}.png", i % 2)),
                false,
                10 * i as u8,
            );
            write_png(
                &dir.path().join(format!("colour/p{i:02}.png")),
                true,
                10 * i as u8,
            );
        }
        let (a, b) = load_pair(
            dir.path().join("grey").to_str().unwrap(),
            dir.path().join("colour").to_str().unwrap(),
            Some(dir.path()),
            32,
        )
        .unwrap();
        assert_eq!((a.train.channels, b.train.channels), (3, 3));
        assert_eq!((a.train.rows, a.train.cols), (32, 32));
        // Every tenth picture by name is held out, and named.
        assert_eq!((a.train.len(), a.held_out.len()), (11, 1));
        // Sorted by path: c0/g00..g10 (6), then c1/g01, g03, g05, g07 is the tenth.
        assert_eq!(a.record.held_out, vec!["c1/g07.png".to_string()]);
        assert_eq!(b.record.held_out, vec!["p09.png".to_string()]);
        let plane = 32 * 32;
        let first = &a.train.images[..3 * plane];
        assert_eq!(first[..plane], first[plane..2 * plane]);
        assert_eq!(first[..plane], first[2 * plane..]);
    }

    #[test]
    fn bad_domains_get_one_clear_error_each() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let texts = dir.path().join("texts");
        std::fs::create_dir_all(&texts).unwrap();
        for i in 0..3 {
            std::fs::write(texts.join(format!("note{i}.txt")), "not a picture").unwrap();
            std::fs::write(texts.join(format!("fake{i}.png")), "not a picture either").unwrap();
        }
        let good = dir.path().join("good");
        for i in 0..4 {
            write_png(&good.join(format!("{i}.png")), true, 40 * i as u8);
        }
        let root = dir.path();
        let error = |a: &Path, b: &Path| {
            format!(
                "{:#}",
                load_pair(a.to_str().unwrap(), b.to_str().unwrap(), Some(root), 32).unwrap_err()
            )
        };
        let e = error(&empty, &good);
        assert!(e.contains("no PNG or JPEG pictures"), "{e}");
        let e = error(&good, &texts);
        assert!(e.contains("0 picture(s) decode"), "{e}");
        let e = error(&good, &good);
        assert!(e.contains("same domain"), "{e}");
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data");
        let e = format!(
            "{:#}",
            load_pair(good.to_str().unwrap(), "cifar10:zebra", Some(&fixtures), 32).unwrap_err()
        );
        assert!(
            e.contains("cifar10:zebra") && e.contains("no class \"zebra\"") && e.contains("horse"),
            "{e}"
        );
    }

    #[test]
    fn one_set_split_into_grey_and_colour_shares_no_picture() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data");
        let (grey, colour) = load_pair("cifar10:grey", "cifar10", Some(&fixtures), 32).unwrap();
        assert_eq!((grey.train.channels, colour.train.channels), (3, 3));
        let evens = |names: &[String]| {
            names
                .iter()
                .all(|n| n.trim_start_matches("test/").parse::<usize>().unwrap() % 2 == 0)
        };
        assert!(evens(&grey.record.held_out));
        assert!(
            colour
                .record
                .held_out
                .iter()
                .all(|n| !grey.record.held_out.contains(n))
        );
        assert!(grey.train.len().abs_diff(colour.train.len()) <= 1);
        let (horse, mnist7) = load_pair("cifar10:horse", "mnist:7", Some(&fixtures), 32).unwrap();
        assert!(horse.train.labels.iter().all(|&l| l == 7));
        assert!(mnist7.train.labels.iter().all(|&l| l == 7));
        assert_eq!((mnist7.train.channels, mnist7.train.rows), (3, 32));
    }
}
