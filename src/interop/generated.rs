//! Synthetic data sets on disk: what `generate` writes (one PNG per image in a folder per class,
//! or IDX files) and reading such a folder back as a labelled split.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::data::Split;
use crate::data::idx::{IdxImages, read_images, read_labels, write_images, write_labels};
use crate::export::grid::to_u8_pixels;

pub const IDX_IMAGES: &str = "images-idx3-ubyte";
pub const IDX_LABELS: &str = "labels-idx1-ubyte";

/// How `generate` writes images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One PNG per image: `DIR/<class>/<class>-<n>.png` (unconditional: `DIR/<n>.png`).
    Png,
    /// `DIR/images-idx3-ubyte` and, for conditional models, `DIR/labels-idx1-ubyte`.
    Idx,
}

/// The path of image `index` of class `label` in a PNG folder.
pub fn png_path(out: &Path, label: Option<u8>, index: usize) -> PathBuf {
    match label {
        Some(c) => out.join(c.to_string()).join(format!("{c}-{index:06}.png")),
        None => out.join(format!("{index:06}.png")),
    }
}

/// Writes images (`side`² values in [-1, 1] each) as grey PNGs, calling `written(n)` as it goes.
pub fn write_pngs(
    out: &Path,
    pixels: &[f32],
    labels: Option<&[u8]>,
    side: usize,
    first_index: usize,
    written: &mut dyn FnMut(usize),
) -> Result<()> {
    let per = side * side;
    for (k, image) in pixels.chunks(per).enumerate() {
        let path = png_path(out, labels.map(|l| l[k]), first_index + k);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let grey = image::GrayImage::from_raw(side as u32, side as u32, to_u8_pixels(image))
            .context("image buffer size")?;
        let mut png = Vec::new();
        grey.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .context("cannot encode PNG")?;
        crate::fsutil::write_atomic(&path, &png)?;
        written(k + 1);
    }
    Ok(())
}

/// Writes images and labels as IDX files.
pub fn write_idx(out: &Path, pixels: &[f32], labels: Option<&[u8]>, side: usize) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let images = IdxImages {
        count: pixels.len() / (side * side),
        rows: side,
        cols: side,
        pixels: to_u8_pixels(pixels),
    };
    write_images(&out.join(IDX_IMAGES), &images)?;
    if let Some(labels) = labels {
        write_labels(&out.join(IDX_LABELS), labels)?;
    }
    Ok(())
}

/// Reads a folder `generate` wrote (IDX files, or a subfolder of PNGs per class named by its
/// class number) as a labelled split of `classes` classes.
pub fn read_folder(dir: &Path, classes: u8) -> Result<Split> {
    if !dir.is_dir() {
        bail!("{}: no such folder", dir.display());
    }
    if dir.join(IDX_IMAGES).is_file() {
        let images = read_images(&dir.join(IDX_IMAGES))?;
        let labels_path = dir.join(IDX_LABELS);
        if !labels_path.is_file() {
            bail!(
                "{}: images without labels ({IDX_LABELS} is missing): synthetic training data needs a conditional generator's labels",
                dir.display()
            );
        }
        let labels = read_labels(&labels_path, classes)?;
        if labels.labels.len() != images.count {
            bail!(
                "{}: {} images but {} labels",
                dir.display(),
                images.count,
                labels.labels.len()
            );
        }
        return Ok(Split {
            images: images.pixels,
            labels: labels.labels,
            channels: 1,
            rows: images.rows,
            cols: images.cols,
        });
    }
    let mut split = Split {
        images: Vec::new(),
        labels: Vec::new(),
        channels: 1,
        rows: 0,
        cols: 0,
    };
    for class in 0..classes {
        let folder = dir.join(class.to_string());
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
            .collect();
        files.sort();
        for file in files {
            let image = image::open(&file)
                .with_context(|| format!("{}: not a readable image", file.display()))?
                .into_luma8();
            let (w, h) = (image.width() as usize, image.height() as usize);
            if split.labels.is_empty() {
                (split.rows, split.cols) = (h, w);
            } else if (h, w) != (split.rows, split.cols) {
                bail!(
                    "{}: {w}x{h}, but the folder's other images are {}x{}",
                    file.display(),
                    split.cols,
                    split.rows
                );
            }
            split.images.extend_from_slice(image.as_raw());
            split.labels.push(class);
        }
    }
    if split.labels.is_empty() {
        bail!(
            "{}: no images: expected {IDX_IMAGES} + {IDX_LABELS}, or PNGs in class folders 0/ .. {}/",
            dir.display(),
            classes.saturating_sub(1)
        );
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images(n: usize) -> (Vec<f32>, Vec<u8>) {
        let pixels = (0..n * 16).map(|i| (i % 7) as f32 / 3.5 - 1.0).collect();
        let labels = (0..n).map(|i| (i % 3) as u8).collect();
        (pixels, labels)
    }

    #[test]
    fn png_and_idx_folders_read_back_as_the_same_split() {
        let (pixels, labels) = images(6);
        let dir = tempfile::tempdir().unwrap();
        let (png, idx) = (dir.path().join("png"), dir.path().join("idx"));
        let mut count = 0;
        write_pngs(&png, &pixels, Some(&labels), 4, 0, &mut |n| count = n).unwrap();
        assert_eq!(count, 6);
        assert!(png_path(&png, Some(2), 5).is_file());
        write_idx(&idx, &pixels, Some(&labels), 4).unwrap();
        let from_png = read_folder(&png, 3).unwrap();
        let from_idx = read_folder(&idx, 3).unwrap();
        assert_eq!(from_idx.labels, labels);
        assert_eq!(from_png.len(), 6);
        assert_eq!(from_png.rows, 4);
        // Same images per class, whatever the order on disk.
        for class in 0..3u8 {
            let pick = |s: &Split| -> Vec<Vec<u8>> {
                let mut v: Vec<Vec<u8>> = (0..s.len())
                    .filter(|&i| s.labels[i] == class)
                    .map(|i| s.images[i * 16..(i + 1) * 16].to_vec())
                    .collect();
                v.sort();
                v
            };
            assert_eq!(pick(&from_png), pick(&from_idx));
        }
    }

    #[test]
    fn bad_folders_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_folder(dir.path(), 10).unwrap_err().to_string();
        assert!(err.contains("no images"), "{err}");
        std::fs::create_dir_all(dir.path().join("3")).unwrap();
        std::fs::write(dir.path().join("3/x.png"), b"not a png").unwrap();
        let err = format!("{:#}", read_folder(dir.path(), 10).unwrap_err());
        assert!(
            err.contains("x.png") && err.contains("not a readable image"),
            "{err}"
        );
        let err = read_folder(&dir.path().join("absent"), 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no such folder"), "{err}");
    }
}
