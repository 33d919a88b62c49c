//! MNIST-format datasets on disk: where they are, loading both splits, and batches as tensors.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::prelude::*;
use burn::tensor::TensorData;
use clap::ValueEnum;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::idx;
use crate::sampling::labels_tensor;

/// Which dataset: both use the same IDX file names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Mnist,
    Fashion,
}

impl DatasetKind {
    /// Folder name under a data root holding several datasets.
    pub fn folder(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::Fashion => "fashion-mnist",
        }
    }

    /// The data set's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "MNIST",
            DatasetKind::Fashion => "Fashion-MNIST",
        }
    }

    /// Where a system package installs this data set, if one does (Debian's
    /// `dataset-fashion-mnist`).
    pub fn system_folder(self) -> Option<&'static Path> {
        match self {
            DatasetKind::Mnist => None,
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
/// Each data set lives in its own subfolder of that root (`mnist/`, `fashion-mnist/`); a root
/// without one that holds IDX files itself is used as is (its content is checked when loaded).
/// Fashion-MNIST is also found where Debian's package puts it.
pub fn resolve_data_dir(flag: Option<&Path>, kind: DatasetKind) -> PathBuf {
    let root = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(DATA_ENV).map(PathBuf::from))
        .unwrap_or_else(default_data_root);
    let holds_files = |dir: &Path| {
        find_file(dir, TRAIN_IMAGES).is_some() || find_file(dir, TEST_IMAGES).is_some()
    };
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

/// One split: images as bytes (count x rows x cols) and their labels.
#[derive(Clone, Debug)]
pub struct Split {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
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
        self.rows * self.cols
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

    /// Pixels of the examples at `indices`, scaled to [-1, 1]; with `augment`, each image is
    /// shifted by up to 2 pixels in x and y (the border filled with background).
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
                for &i in indices {
                    let dx = rng.random_range(-2i32..=2);
                    let dy = rng.random_range(-2i32..=2);
                    let image = &self.images[i * ppi..(i + 1) * ppi];
                    for y in 0..self.rows as i32 {
                        for x in 0..self.cols as i32 {
                            let (sx, sy) = (x - dx, y - dy);
                            let inside = sx >= 0
                                && sy >= 0
                                && sx < self.cols as i32
                                && sy < self.rows as i32;
                            let p = if inside {
                                image[sy as usize * self.cols + sx as usize]
                            } else {
                                0
                            };
                            out.push(scale_pixel(p));
                        }
                    }
                }
            }
        }
        out
    }

    /// Images (B, 1, rows, cols) in [-1, 1] and labels (B).
    pub fn batch(
        &self,
        indices: &[usize],
        augment: Option<&mut dyn rand::RngCore>,
        device: &Device,
    ) -> (Tensor<4>, Tensor<1, Int>) {
        let pixels = self.batch_pixels(indices, augment);
        let images = Tensor::from_data(
            TensorData::new(pixels, [indices.len(), 1, self.rows, self.cols]),
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
}

impl Dataset {
    /// Finds `kind` under the data folder `root` ([`resolve_data_dir`]) and loads it.
    pub fn open(root: &Path, kind: DatasetKind) -> Result<Self> {
        Self::load(&resolve_data_dir(Some(root), kind), kind)
    }

    /// Loads and validates the four files in `dir`, refusing another known data set than `kind`.
    pub fn load(dir: &Path, kind: DatasetKind) -> Result<Self> {
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
        if let Some(found) = super::known::identify(&train, &test)
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
        })
    }
}
