//! Data sets on disk: where they are, loading both splits (IDX, CIFAR-10's binary release or
//! folders of pictures), and batches as tensors.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::prelude::*;
use burn::tensor::TensorData;
use clap::ValueEnum;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::idx;
use crate::sampling::labels_tensor;

/// Which dataset. MNIST and Fashion-MNIST use the same IDX file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Mnist,
    #[value(name = "fashion-mnist", alias = "fashion")]
    #[serde(alias = "fashion-mnist")]
    Fashion,
    /// The binary release, or the JPEG copy in class folders (`cifar10-jpeg.tar.gz`).
    Cifar10,
    /// A user's own pictures: `train/<class>/*.png|jpg`, a folder or a .tar(.gz) of one.
    Folder,
}

/// Fashion-MNIST's classes in label order, as Zalando names them.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
];

/// The JPEG copy of CIFAR-10 these machines carry (class folders in a tarball).
pub const CIFAR_JPEG_TARBALL: &str = "cifar10-jpeg.tar.gz";

impl DatasetKind {
    /// Folder name under a data root holding several datasets.
    pub fn folder(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::Fashion => "fashion-mnist",
            DatasetKind::Cifar10 => "cifar10",
            DatasetKind::Folder => "pictures",
        }
    }

    /// (channels, side, classes) of a named set, known before it is loaded; None for a picture
    /// folder, whose shape comes from its pictures.
    pub fn known_shape(self) -> Option<(usize, usize, usize)> {
        match self {
            DatasetKind::Mnist | DatasetKind::Fashion => Some((1, 28, 10)),
            DatasetKind::Cifar10 => Some((3, 32, 10)),
            DatasetKind::Folder => None,
        }
    }

    /// The value of `--dataset` that names this set.
    pub fn folder_or_flag(self) -> &'static str {
        match self {
            DatasetKind::Folder => "folder",
            other => other.folder(),
        }
    }

    /// Whether the set is stored as IDX files.
    pub fn is_idx(self) -> bool {
        matches!(self, DatasetKind::Mnist | DatasetKind::Fashion)
    }

    /// Whether `dir` holds this data set's files.
    pub fn present_in(self, dir: &Path) -> bool {
        match self {
            DatasetKind::Mnist | DatasetKind::Fashion => {
                find_file(dir, TRAIN_IMAGES).is_some() || find_file(dir, TEST_IMAGES).is_some()
            }
            DatasetKind::Cifar10 => {
                super::cifar::find_binary(dir).is_some()
                    || dir.join(CIFAR_JPEG_TARBALL).is_file()
                    || super::images::looks_like_pictures(dir) && dir.is_dir()
            }
            DatasetKind::Folder => super::images::looks_like_pictures(dir),
        }
    }

    /// Class names in label order where the set has them (digits for MNIST).
    pub fn class_names(self) -> Vec<String> {
        match self {
            DatasetKind::Mnist => (0..10).map(|d| d.to_string()).collect(),
            DatasetKind::Fashion => FASHION_CLASSES.iter().map(|s| s.to_string()).collect(),
            DatasetKind::Cifar10 => super::cifar::CLASS_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            DatasetKind::Folder => Vec::new(),
        }
    }

    /// The data set's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST",
            DatasetKind::Fashion => "Fashion-MNIST",
            DatasetKind::Cifar10 => "CIFAR-10",
            DatasetKind::Folder => "picture folder",
        }
    }

    /// Where a system package installs this data set, if one does (Debian's
    /// `dataset-fashion-mnist`).
    pub fn system_folder(self) -> Option<&'static Path> {
        match self {
            DatasetKind::Mnist | DatasetKind::Cifar10 | DatasetKind::Folder => None,
            DatasetKind::Fashion => Some(Path::new("/usr/share/datasets/fashion-mnist")),
        }
    }
}

/// The environment variable naming the data folder.
pub const DATA_ENV: &str = "GAN_STUDIO_DATA";

/// File stems of the two splits (the files may end in `.gz`).
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";

/// Where to look for data: `--data DIR`, else `$GAN_STUDIO_DATA`, else the per-user data folder.
/// Each data set lives in its own subfolder of that root (`mnist/`, `fashion-mnist/`,
/// `cifar10/`); a root without one that holds the files itself is used as is (its content is
/// checked when loaded). Fashion-MNIST is also found where Debian's package puts it. A picture
/// folder is the path given itself (a folder or a tarball).
pub fn resolve_data_dir(flag: Option<&Path>, kind: DatasetKind) -> PathBuf {
    let root = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DATA_ENV).map(PathBuf::from))
        .unwrap_or_else(default_data_root);
    if kind == DatasetKind::Folder {
        return root;
    }
    let holds_files = |dir: &Path| kind.present_in(dir);
    let own = root.join(kind.folder());
    if holds_files(&own) {
        own
    } else if holds_files(&root) {
        root
    } else if let Some(system) = kind.system_folder().filter(|dir| holds_files(dir)) {
        system.to_path_buf()
    } else {
        own
    }
}

/// `~/.local/share/gan-studio/data` on Linux, the platform's equivalent elsewhere.
pub fn default_data_root() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gan-studio")
        .join("data")
}

/// `dir/stem` or `dir/stem.gz`, whichever exists (raw first).
pub fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [dir.join(stem), dir.join(format!("{stem}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

fn require_file(dir: &Path, stem: &str) -> Result<PathBuf> {
    find_file(dir, stem).with_context(|| {
        format!(
            "{}: missing {stem} (or {stem}.gz); run `gan-studio data fetch --data {}` or point --data / {DATA_ENV} at a folder with the MNIST files",
            dir.display(),
            dir.display()
        )
    })
}

/// One split: images as bytes (count x channels x rows x cols, each channel a row-major plane)
/// and their labels.
#[derive(Clone, Debug)]
pub struct Split {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    /// 1 for grey, 3 for RGB.
    pub channels: usize,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn pixels_per_image(&self) -> usize {
        self.channels * self.rows * self.cols
    }

    /// Reads and cross-checks an image file and its label file.
    pub fn load(images_path: &Path, labels_path: &Path, classes: u8) -> Result<Self> {
        let images = idx::read_images(images_path)?;
        let labels = idx::read_labels(labels_path, classes)?;
        if images.count != labels.labels.len() {
            bail!(
                "{} has {} images but {} has {} labels",
                images_path.display(),
                images.count,
                labels_path.display(),
                labels.labels.len()
            );
        }
        Ok(Self {
            images: images.pixels,
            labels: labels.labels,
            channels: 1,
            rows: images.rows,
            cols: images.cols,
        })
    }

    /// The first `n` examples (all if `n` is larger).
    pub fn truncate(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.images.truncate(n * self.pixels_per_image());
        self.labels.truncate(n);
        self
    }

    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let per = self.pixels_per_image();
        Self {
            images: indices
                .iter()
                .flat_map(|&i| self.images[i * per..(i + 1) * per].iter().copied())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Examples per class.
    pub fn class_counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }

    /// The class with the fewest examples and their count (the first such class on a tie);
    /// None for no classes.
    pub fn smallest_class(&self, classes: usize) -> Option<(usize, usize)> {
        self.class_counts(classes)
            .into_iter()
            .enumerate()
            .min_by_key(|&(_, n)| n)
    }

    /// Pixels of the examples at `indices`, scaled to [-1, 1]; with `augment`, each image is
    /// shifted by up to 2 pixels in x and y (the border filled with background) and, for colour
    /// pictures (photos, whose classes do not depend on handedness as digits do), mirrored
    /// left-right half the time.
    pub fn batch_pixels(
        &self,
        indices: &[usize],
        augment: Option<&mut dyn rand::RngCore>,
    ) -> Vec<f32> {
        let ppi = self.pixels_per_image();
        let mut out = Vec::with_capacity(indices.len() * ppi);
        match augment {
            None => {
                for &i in indices {
                    out.extend(
                        self.images[i * ppi..(i + 1) * ppi]
                            .iter()
                            .map(|&p| scale_pixel(p)),
                    );
                }
            }
            Some(rng) => {
                let plane = self.rows * self.cols;
                for &i in indices {
                    let dx = rng.random_range(-2i32..=2);
                    let dy = rng.random_range(-2i32..=2);
                    let mirror = self.channels == 3 && rng.random_bool(0.5);
                    let image = &self.images[i * ppi..(i + 1) * ppi];
                    for channel in image.chunks_exact(plane) {
                        for y in 0..self.rows as i32 {
                            for x in 0..self.cols as i32 {
                                let x = if mirror { self.cols as i32 - 1 - x } else { x };
                                let (sx, sy) = (x - dx, y - dy);
                                let inside = sx >= 0
                                    && sy >= 0
                                    && sx < self.cols as i32
                                    && sy < self.rows as i32;
                                let p = if inside {
                                    channel[sy as usize * self.cols + sx as usize]
                                } else {
                                    0
                                };
                                out.push(scale_pixel(p));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Images (B, channels, rows, cols) in [-1, 1] and labels (B).
    pub fn batch(
        &self,
        indices: &[usize],
        augment: Option<&mut dyn rand::RngCore>,
        device: &Device,
    ) -> (Tensor<4>, Tensor<1, Int>) {
        let pixels = self.batch_pixels(indices, augment);
        let images = Tensor::from_data(
            TensorData::new(pixels, [indices.len(), self.channels, self.rows, self.cols]),
            device,
        );
        let labels = labels_tensor(indices.iter().map(|&i| self.labels[i]).collect(), device);
        (images, labels)
    }
}

/// Byte 0..255 to [-1, 1].
pub fn scale_pixel(p: u8) -> f32 {
    f32::from(p) / 127.5 - 1.0
}

/// Both splits of a dataset.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub kind: DatasetKind,
    pub dir: PathBuf,
    pub train: Split,
    pub test: Split,
    /// Class names in label order.
    pub class_names: Vec<String>,
    /// What a user should know about how it was read (skipped files, a held-out test split).
    pub notes: Vec<String>,
}

impl Dataset {
    /// Finds `kind` under the data folder `root` ([`resolve_data_dir`]) and loads it.
    pub fn open(root: &Path, kind: DatasetKind) -> Result<Self> {
        Self::load(&resolve_data_dir(Some(root), kind), kind)
    }

    /// Loads and validates the data set at `dir` (for a picture folder, the folder or tarball).
    pub fn load(dir: &Path, kind: DatasetKind) -> Result<Self> {
        Self::load_reporting(dir, kind, &|_, _| {})
    }

    /// As [`Self::load`], calling `progress(done, total)` while pictures decode.
    pub fn load_reporting(
        dir: &Path,
        kind: DatasetKind,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Self> {
        match kind {
            DatasetKind::Mnist | DatasetKind::Fashion => Self::load_idx(dir, kind, false),
            DatasetKind::Cifar10 => Self::load_cifar(dir, progress),
            DatasetKind::Folder => Self::load_pictures(dir, kind, progress),
        }
    }

    fn load_cifar(dir: &Path, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Self> {
        if let Some(binary) = super::cifar::find_binary(dir) {
            let (train, test) = super::cifar::read_binary(&binary)?;
            return Ok(Self {
                kind: DatasetKind::Cifar10,
                dir: binary,
                train,
                test,
                class_names: DatasetKind::Cifar10.class_names(),
                notes: Vec::new(),
            });
        }
        let jpeg = dir.join(CIFAR_JPEG_TARBALL);
        let source = if jpeg.is_file() {
            jpeg
        } else {
            dir.to_path_buf()
        };
        if !source.is_file() && !super::images::looks_like_pictures(&source) {
            bail!(
                "{}: no CIFAR-10 here: expected {} or {}/ (the binary release), or {} \
                 (class folders of JPEGs); run `gan-studio data fetch --dataset cifar10`",
                dir.display(),
                super::cifar::TARBALL,
                super::cifar::FOLDER,
                CIFAR_JPEG_TARBALL
            );
        }
        let set = Self::load_pictures(&source, DatasetKind::Cifar10, progress)?;
        let expected = DatasetKind::Cifar10.class_names();
        if set.class_names != expected || set.train.rows != super::cifar::SIDE {
            bail!(
                "{}: not CIFAR-10: its class folders are {:?} (CIFAR-10's are {:?}) and its \
                 pictures {}x{}; load it with --dataset folder",
                source.display(),
                set.class_names,
                expected,
                set.train.rows,
                set.train.cols
            );
        }
        Ok(set)
    }

    fn load_pictures(
        path: &Path,
        kind: DatasetKind,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Self> {
        let set = super::images::read_pictures(path, None, progress)?;
        let mut notes = Vec::new();
        notes.extend(set.skip_warning());
        if set.held_out {
            notes.push(format!(
                "no test/ folder: every {}th picture of each class (by name) is held out as the \
                 test split",
                super::images::HOLD_OUT_EVERY
            ));
        }
        Ok(Self {
            kind,
            dir: path.to_path_buf(),
            train: set.train,
            test: set.test,
            class_names: set.class_names,
            notes,
        })
    }

    /// The IDX files in `dir` as the set their content shows (MNIST or Fashion-MNIST; MNIST
    /// when they are neither's release): for a folder given without naming its set.
    pub fn load_idx_as_found(dir: &Path) -> Result<Self> {
        Self::load_idx(dir, DatasetKind::Mnist, true)
    }

    /// `adopt`: read the files as the set they turn out to hold instead of refusing them.
    fn load_idx(dir: &Path, kind: DatasetKind, adopt: bool) -> Result<Self> {
        if !dir.is_dir() {
            bail!(
                "data folder {} does not exist; run `gan-studio data fetch --data {}` or pass --data DIR",
                dir.display(),
                dir.display()
            );
        }
        let train = Split::load(
            &require_file(dir, TRAIN_IMAGES)?,
            &require_file(dir, TRAIN_LABELS)?,
            10,
        )?;
        let test = Split::load(
            &require_file(dir, TEST_IMAGES)?,
            &require_file(dir, TEST_LABELS)?,
            10,
        )?;
        if (train.rows, train.cols) != (test.rows, test.cols) {
            bail!(
                "{}: train images are {}x{} but test images are {}x{}",
                dir.display(),
                train.rows,
                train.cols,
                test.rows,
                test.cols
            );
        }
        let mut notes = Vec::new();
        let found = super::known::identify(&train, &test);
        let kind = match found {
            Some(found) if found != kind && adopt => {
                notes.push(format!(
                    "{} holds {}: read as such, as no --dataset was given",
                    dir.display(),
                    found.title()
                ));
                found
            }
            _ => kind,
        };
        if let Some(found) = found
            && found != kind
        {
            bail!(
                "{} holds {}, not {}: the files share their names, so only their content tells \
                 the two apart. Keep each data set in its own subfolder of the data folder \
                 ({}/ and {}/) or point the data folder at the {} files",
                dir.display(),
                found.title(),
                kind.title(),
                DatasetKind::Mnist.folder(),
                DatasetKind::Fashion.folder(),
                kind.title()
            );
        }
        Ok(Self {
            kind,
            dir: dir.to_path_buf(),
            train,
            test,
            class_names: kind.class_names(),
            notes,
        })
    }
}
