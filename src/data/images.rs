//! Folders of pictures as a labelled data set: `train/<class>/*.png|jpg` (and `test/<class>/...`
//! when present), from a directory or from inside a .tar / .tar.gz, decoded in parallel.
//!
//! Pictures of another size are scaled so that their shorter side fits the model's side, then
//! cropped about the centre (the framing photo sets use; nothing is squashed). Files that are
//! not pictures, or do not decode, are skipped with a count and a warning rather than stopping
//! the load: one stray thumbnail in 60,000 should not cost a user the set. A set that is empty
//! once they are skipped is an error.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use flate2::read::GzDecoder;
use image::imageops::FilterType;
use rayon::prelude::*;

use super::Split;

/// Extensions read as pictures (PNG and JPEG, the two the image crate is built with here).
const PICTURE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];
/// At most this many class folders: labels are bytes.
const MAX_CLASSES: usize = 256;
/// Sides chosen when none is asked for: 32 for small pictures, 64 for anything larger.
const SMALL_SIDE: u32 = 32;
const LARGE_SIDE: u32 = 64;
/// Without a test/ folder, every n-th picture of each class (by name) is held out for testing.
pub const HOLD_OUT_EVERY: usize = 10;
/// Names of skipped files listed in a warning; the rest are counted.
const LISTED_SKIPS: usize = 5;

/// A picture folder's split a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Train,
    Test,
}

/// One file found in the folder: where it sits and its undecoded bytes.
struct Entry {
    part: Part,
    class: String,
    name: String,
    bytes: Vec<u8>,
}

/// A folder of pictures, loaded.
#[derive(Clone, Debug)]
pub struct PictureSet {
    pub train: Split,
    pub test: Split,
    /// Class folder names in label order (sorted).
    pub class_names: Vec<String>,
    /// Whether test/ was absent and the test split was held out of train/.
    pub held_out: bool,
    /// Files skipped (not pictures or not decodable), with the reason.
    pub skipped: Vec<String>,
}

impl PictureSet {
    /// The warning a caller prints when files were skipped, or None.
    pub fn skip_warning(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let listed: Vec<&str> = self
            .skipped
            .iter()
            .take(LISTED_SKIPS)
            .map(String::as_str)
            .collect();
        let more = self.skipped.len().saturating_sub(LISTED_SKIPS);
        let more = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "skipped {} files that are not readable pictures: {}{more}",
            self.skipped.len(),
            listed.join("; ")
        ))
    }
}

/// Reads a picture folder or tarball at `path`. `side` is the square size pictures are brought
/// to; None picks 32 when the first picture is smaller than 64 on its shorter side, else 64.
/// `progress(done, total)` is called as pictures decode, from several threads.
pub fn read_pictures(
    path: &Path,
    side: Option<u32>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PictureSet> {
    let entries = if path.is_dir() {
        entries_from_dir(path)?
    } else if path.is_file() {
        entries_from_tar(path)?
    } else {
        bail!("{}: no such folder or file", path.display());
    };
    assemble(path, entries, side, progress)
}

/// Whether `path` looks like a picture set: a tarball, or a folder with train/ or class folders.
pub fn looks_like_pictures(path: &Path) -> bool {
    if path.is_file() {
        let name = path.to_string_lossy().to_lowercase();
        return name.ends_with(".tar") || name.ends_with(".tar.gz") || name.ends_with(".tgz");
    }
    path.join("train").is_dir()
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with("__MACOSX")
}

fn is_picture_name(name: &str) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PICTURE_EXTENSIONS.contains(&e.to_lowercase().as_str()))
}

/// `train/<class>/<file>` or `test/<class>/<file>` (under any leading folders), or, in a set
/// without train/, `<class>/<file>` as training data.
fn classify(components: &[&str], has_train: bool) -> Option<(Part, String, String)> {
    let n = components.len();
    if n >= 3 {
        let part = match components[n - 3] {
            "train" => Some(Part::Train),
            "test" => Some(Part::Test),
            _ => None,
        };
        if let Some(part) = part {
            return Some((
                part,
                components[n - 2].to_owned(),
                components[n - 1].to_owned(),
            ));
        }
    }
    (!has_train && n >= 2).then(|| {
        (
            Part::Train,
            components[n - 2].to_owned(),
            components[n - 1].to_owned(),
        )
    })
}

/// Class folders seen (even empty ones), so that an empty class is reported, not dropped.
type ClassFolders = BTreeMap<(Part, String), usize>;

fn entries_from_dir(root: &Path) -> Result<(Vec<Entry>, ClassFolders)> {
    let has_train = root.join("train").is_dir();
    let parts: Vec<(Part, PathBuf)> = if has_train {
        let mut parts = vec![(Part::Train, root.join("train"))];
        if root.join("test").is_dir() {
            parts.push((Part::Test, root.join("test")));
        }
        parts
    } else {
        vec![(Part::Train, root.to_path_buf())]
    };
    let mut files = Vec::new();
    let mut folders = ClassFolders::new();
    for (part, dir) in parts {
        for class in sorted_dir(&dir)? {
            let class_path = dir.join(&class);
            if !class_path.is_dir() || is_hidden(&class) {
                continue;
            }
            folders.insert((part, class.clone()), 0);
            for name in sorted_dir(&class_path)? {
                let path = class_path.join(&name);
                if path.is_file() && !is_hidden(&name) {
                    files.push((part, class.clone(), name, path));
                }
            }
        }
    }
    // Reading is I/O bound on a cold disk and memory bound on a warm one; both gain from
    // several files in flight.
    let entries = files
        .into_par_iter()
        .map(|(part, class, name, path)| {
            let bytes =
                fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
            Ok(Entry {
                part,
                class,
                name,
                bytes,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((entries, folders))
}

fn sorted_dir(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
        let entry = entry.with_context(|| format!("{}: cannot list", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The bytes of a file, un-gzipped when it starts like gzip (whatever its name).
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .with_context(|| format!("{}: corrupt gzip data", path.display()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Every regular file of a tar archive (gzipped or not) as (path, bytes), in archive order.
pub fn tar_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let bytes = read_maybe_gzip(path)?;
    let not_tar = || format!("{}: not a tar archive", path.display());
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut files = Vec::new();
    let mut seen_any = false;
    for entry in archive.entries().with_context(not_tar)? {
        let mut entry = entry.with_context(not_tar)?;
        seen_any = true;
        let name = entry
            .path()
            .with_context(not_tar)?
            .to_string_lossy()
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            files.push((name, Vec::new()));
        } else if kind.is_file() {
            let mut data = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut data)
                .with_context(|| format!("{}: {name} is cut short", path.display()))?;
            files.push((name, data));
        }
    }
    if !seen_any {
        bail!("{}: not a tar archive (no entries)", path.display());
    }
    Ok(files)
}

fn entries_from_tar(path: &Path) -> Result<(Vec<Entry>, ClassFolders)> {
    let files = tar_files(path)?;
    let split = |name: &str| -> Vec<String> {
        name.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_owned)
            .collect()
    };
    // A file under any train/ folder: the set has the train/ layout.
    let has_train = files
        .iter()
        .any(|(name, _)| split(name).iter().rev().skip(1).any(|c| c == "train"));
    let mut folders = ClassFolders::new();
    let mut entries = Vec::new();
    for (name, bytes) in files {
        let owned = split(&name);
        let parts: Vec<&str> = owned.iter().map(String::as_str).collect();
        if parts.iter().any(|c| is_hidden(c)) {
            continue;
        }
        let is_dir = name.ends_with('/');
        if is_dir {
            // A class folder: `.../train/<class>/`.
            let mut with_file = parts.clone();
            with_file.push("_");
            if let Some((part, class, _)) = classify(&with_file, has_train) {
                folders.entry((part, class)).or_insert(0);
            }
            continue;
        }
        if let Some((part, class, file)) = classify(&parts, has_train) {
            folders.entry((part, class.clone())).or_insert(0);
            entries.push(Entry {
                part,
                class,
                name: file,
                bytes,
            });
        }
    }
    Ok((entries, folders))
}

/// Every picture file (PNG or JPEG by name) at `path`, with its path relative to it, sorted:
/// a single picture, a folder walked at any depth (sub-folders such as classes are part of the
/// name, not labels), or a .tar / .tar.gz. Hidden files and folders are passed over. CycleGAN's
/// domains and `translate` read pictures this way.
pub fn picture_files(path: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    if path.is_dir() {
        let mut pending = vec![(path.to_path_buf(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            for name in sorted_dir(&dir)? {
                if is_hidden(&name) {
                    continue;
                }
                let full = dir.join(&name);
                let relative = format!("{prefix}{name}");
                if full.is_dir() {
                    pending.push((full, format!("{relative}/")));
                } else if is_picture_name(&name) {
                    let bytes = fs::read(&full)
                        .with_context(|| format!("{}: cannot read", full.display()))?;
                    files.push((relative, bytes));
                }
            }
        }
    } else if path.is_file() && is_picture_name(&path.to_string_lossy()) {
        let bytes = fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((name, bytes));
    } else if path.is_file() {
        for (name, bytes) in tar_files(path)? {
            let parts: Vec<&str> = name
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect();
            if !name.ends_with('/') && !parts.iter().any(|c| is_hidden(c)) && is_picture_name(&name)
            {
                files.push((parts.join("/"), bytes));
            }
        }
    } else {
        bail!("{}: no such folder or file", path.display());
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Decodes one picture to `side` x `side` (shorter side scaled to fit, then the centre crop):
/// three planes of RGB, and whether it had colour. The error says why it did not decode.
pub fn decode_picture(bytes: &[u8], side: u32) -> Result<(Vec<u8>, bool), String> {
    decode(bytes, side).map(|d| (d.pixels, d.colour))
}

/// A decoded picture, planar RGB (or grey: one plane) at `side` x `side`.
struct Decoded {
    pixels: Vec<u8>,
    colour: bool,
}

fn decode(bytes: &[u8], side: u32) -> Result<Decoded, String> {
    let picture = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    let colour = picture.color().has_color();
    let picture = if picture.width() == side && picture.height() == side {
        picture
    } else {
        // Shorter side to `side`, then the centre crop.
        picture.resize_to_fill(side, side, FilterType::Triangle)
    };
    let rgb = picture.to_rgb8();
    let plane = (side * side) as usize;
    let mut pixels = vec![0u8; 3 * plane];
    for (i, p) in rgb.pixels().enumerate() {
        pixels[i] = p[0];
        pixels[plane + i] = p[1];
        pixels[2 * plane + i] = p[2];
    }
    Ok(Decoded { pixels, colour })
}

fn assemble(
    path: &Path,
    (entries, folders): (Vec<Entry>, ClassFolders),
    side: Option<u32>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<PictureSet> {
    let where_ = path.display();
    let class_names: Vec<String> = folders
        .keys()
        .filter(|(part, _)| *part == Part::Train)
        .map(|(_, class)| class.clone())
        .collect();
    if class_names.is_empty() {
        bail!(
            "{where_}: no class folders: expected train/<class>/ folders of pictures (and \
             optionally test/<class>/), or <class>/ folders"
        );
    }
    if class_names.len() > MAX_CLASSES {
        bail!(
            "{where_}: {} class folders; at most {MAX_CLASSES} are supported",
            class_names.len()
        );
    }
    for (part, class) in folders.keys() {
        if *part == Part::Test && !class_names.contains(class) {
            bail!("{where_}: test/{class}/ has no train/{class}/ to learn it from");
        }
    }
    let mut skipped = Vec::new();
    let (pictures, others): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| is_picture_name(&e.name));
    for other in others {
        skipped.push(format!(
            "{}/{}: not a PNG or JPEG file",
            other.class, other.name
        ));
    }
    let side = match side {
        Some(side) => side,
        None => {
            let first = pictures
                .iter()
                .find_map(|e| image::load_from_memory(&e.bytes).ok());
            match first {
                Some(p) if p.width().min(p.height()) >= LARGE_SIDE => LARGE_SIDE,
                _ => SMALL_SIDE,
            }
        }
    };
    let total = pictures.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let decoded: Vec<Result<Decoded, String>> = pictures
        .par_iter()
        .map(|e| {
            let out = decode(&e.bytes, side);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n % 1024 == 0 || n == total {
                progress(n, total);
            }
            out
        })
        .collect();
    let colour = decoded.iter().flatten().any(|d| d.colour);
    let channels = if colour { 3 } else { 1 };
    let plane = (side * side) as usize;

    // Per class, the decoded pictures of each part, in name order.
    let mut by_class: BTreeMap<(Part, usize), Vec<Vec<u8>>> = BTreeMap::new();
    for (entry, result) in pictures.iter().zip(decoded) {
        match result {
            Ok(d) => {
                let label = class_names
                    .iter()
                    .position(|c| *c == entry.class)
                    .context("class of a test picture is not a training class")?;
                let mut pixels = d.pixels;
                pixels.truncate(channels * plane);
                by_class
                    .entry((entry.part, label))
                    .or_default()
                    .push(pixels);
            }
            Err(e) => skipped.push(format!("{}/{}: {e}", entry.class, entry.name)),
        }
    }
    for (part, class) in folders.keys() {
        let label = class_names.iter().position(|c| c == class).unwrap_or(0);
        if !by_class.contains_key(&(*part, label)) {
            let folder = if *part == Part::Train {
                "train"
            } else {
                "test"
            };
            bail!("{where_}: class folder {folder}/{class}/ holds no readable pictures");
        }
    }
    let has_test = by_class.keys().any(|(part, _)| *part == Part::Test);
    let side = side as usize;
    let empty = || Split {
        images: Vec::new(),
        labels: Vec::new(),
        channels,
        rows: side,
        cols: side,
    };
    let (mut train, mut test) = (empty(), empty());
    for ((part, label), images) in by_class {
        for (i, pixels) in images.into_iter().enumerate() {
            let into = match part {
                Part::Test => &mut test,
                Part::Train if !has_test && i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 => &mut test,
                Part::Train => &mut train,
            };
            into.images.extend_from_slice(&pixels);
            into.labels.push(label as u8);
        }
    }
    Ok(PictureSet {
        train: shuffled(&train),
        test: shuffled(&test),
        class_names,
        held_out: !has_test,
        skipped,
    })
}

/// Folders list a class at a time; MNIST's files and CIFAR-10's batches come shuffled, so that
/// the first N images (`--train-limit`, quick runs) are a fair sample of every class. A fixed
/// seed keeps the order, and everything measured on it, the same from one load to the next.
fn shuffled(split: &Split) -> Split {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..split.len()).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(SHUFFLE_SEED));
    split.select(&order)
}

/// The seed of [`shuffled`]'s order.
const SHUFFLE_SEED: u64 = 0x1ca9_2026;

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn png(w: u32, h: u32, colour: [u8; 3]) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, Rgb(colour));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn quiet(_: usize, _: usize) {}

    #[test]
    fn a_folder_reads_as_planar_colour_with_sorted_classes_and_a_held_out_split() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..10 {
            write(
                dir.path(),
                &format!("train/red/{i}.png"),
                &png(32, 32, [200, 0, 0]),
            );
            write(
                dir.path(),
                &format!("train/blue/{i}.png"),
                &png(32, 32, [0, 0, 200]),
            );
        }
        let set = read_pictures(dir.path(), None, &quiet).unwrap();
        assert_eq!(set.class_names, ["blue", "red"]);
        assert!(set.held_out);
        assert_eq!((set.train.len(), set.test.len()), (18, 2));
        assert_eq!(set.train.class_counts(2), [9, 9]);
        assert_eq!(set.test.class_counts(2), [1, 1]);
        assert_eq!(set.train.channels, 3);
        assert_eq!((set.train.rows, set.train.cols), (32, 32));
        // Every blue picture (label 0) has a blue plane of 200 and a red plane of 0.
        let plane = 32 * 32;
        let per = 3 * plane;
        for (i, &label) in set.train.labels.iter().enumerate() {
            let image = &set.train.images[i * per..(i + 1) * per];
            let (red, blue) = (image[0], image[2 * plane]);
            assert_eq!((red, blue), if label == 0 { (0, 200) } else { (200, 0) });
        }
        // Shuffled: the classes are not listed one after the other.
        assert_ne!(set.train.labels[..9], [0; 9]);
    }

    #[test]
    fn larger_pictures_are_scaled_by_their_shorter_side_and_centre_cropped() {
        let dir = tempfile::tempdir().unwrap();
        // 128 x 64: a red left quarter, green middle half, blue right quarter.
        let mut img = RgbImage::from_pixel(128, 64, Rgb([0, 255, 0]));
        for y in 0..64 {
            for x in 0..32 {
                img.put_pixel(x, y, Rgb([255, 0, 0]));
                img.put_pixel(127 - x, y, Rgb([0, 0, 255]));
            }
        }
        let mut bytes = std::io::Cursor::new(Vec::new());
        img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        write(dir.path(), "train/a/0.png", &bytes.into_inner());
        write(dir.path(), "test/a/0.png", &png(64, 64, [0, 255, 0]));
        let set = read_pictures(dir.path(), Some(32), &quiet).unwrap();
        assert!(!set.held_out);
        // Shorter side 64 -> 32 makes it 64 x 32; the centre 32 columns are the green half.
        // (Away from the crop's edges, where the filter blends in a little of the neighbours.)
        let plane = 32 * 32;
        let at =
            |channel: usize, x: usize, y: usize| set.train.images[channel * plane + y * 32 + x];
        for y in 0..32 {
            for x in 2..30 {
                assert!(at(1, x, y) > 240 && at(0, x, y) < 15, "green at ({x}, {y})");
            }
        }
    }

    #[test]
    fn grey_pictures_give_one_channel_and_bad_files_are_skipped_with_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let grey = image::GrayImage::from_pixel(28, 28, image::Luma([90]));
        let mut bytes = std::io::Cursor::new(Vec::new());
        grey.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        let bytes = bytes.into_inner();
        write(dir.path(), "train/x/0.png", &bytes);
        write(dir.path(), "train/x/1.png", &bytes[..bytes.len() / 2]);
        write(dir.path(), "train/x/notes.txt", b"hello");
        write(dir.path(), "test/x/0.png", &bytes);
        let set = read_pictures(dir.path(), Some(32), &quiet).unwrap();
        assert_eq!(set.train.channels, 1);
        assert_eq!(set.train.len(), 1);
        assert_eq!(set.train.images[0], 90);
        let warning = set.skip_warning().unwrap();
        assert!(warning.contains("skipped 2 files"), "{warning}");
        assert!(warning.contains("x/1.png") && warning.contains("x/notes.txt"));
    }

    #[test]
    fn empty_class_folders_no_classes_and_non_tarballs_are_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "train/a/0.png", &png(8, 8, [1, 2, 3]));
        fs::create_dir_all(dir.path().join("train/empty")).unwrap();
        let err = format!("{:#}", read_pictures(dir.path(), None, &quiet).unwrap_err());
        assert!(
            err.contains("train/empty/ holds no readable pictures"),
            "{err}"
        );

        let none = tempfile::tempdir().unwrap();
        fs::create_dir_all(none.path().join("train")).unwrap();
        let err = format!(
            "{:#}",
            read_pictures(none.path(), None, &quiet).unwrap_err()
        );
        assert!(err.contains("no class folders"), "{err}");

        let fake = none.path().join("set.tar.gz");
        fs::write(&fake, b"this is not an archive at all, just text").unwrap();
        let err = format!("{:#}", read_pictures(&fake, None, &quiet).unwrap_err());
        assert!(
            err.contains("set.tar.gz") && err.contains("not a tar archive"),
            "{err}"
        );
    }

    #[test]
    fn a_tarball_reads_like_the_folder_it_packs() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..3 {
            write(
                dir.path(),
                &format!("set/train/cat/{i}.png"),
                &png(32, 32, [9, 9, 9]),
            );
            write(
                dir.path(),
                &format!("set/test/cat/{i}.png"),
                &png(32, 32, [9, 9, 9]),
            );
            write(
                dir.path(),
                &format!("set/train/dog/{i}.png"),
                &png(32, 32, [250, 9, 9]),
            );
        }
        let tarball = dir.path().join("set.tar.gz");
        let file = fs::File::create(&tarball).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        builder
            .append_dir_all("set", dir.path().join("set"))
            .unwrap();
        builder.into_inner().unwrap().finish().unwrap();
        let set = read_pictures(&tarball, None, &quiet).unwrap();
        assert_eq!(set.class_names, ["cat", "dog"]);
        assert_eq!((set.train.len(), set.test.len()), (6, 3));
        assert!(!set.held_out);
        assert_eq!(set.train.channels, 3);
    }
}
