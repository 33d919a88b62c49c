//! Synthetic data sets on disk: what `generate` writes (one PNG per image in a folder per class,
//! or IDX files) and reading such a folder back as a labelled split.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::data::Split;
use crate::data::idx::{
    IdxImages, read_colour_images, read_images, read_labels, write_colour_images, write_images,
    write_labels,
};
use crate::export::grid::{deinterleave, interleave, to_u8_pixels};

pub const IDX_IMAGES: &str = "images-idx3-ubyte";
/// Colour images: (N, H, W, 3), as `sample` writes them.
pub const IDX_COLOUR_IMAGES: &str = "images-idx4-ubyte";
pub const IDX_LABELS: &str = "labels-idx1-ubyte";

/// How `generate` writes images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One PNG per image: `DIR/<class>/<class>-<n>.png` (unconditional: `DIR/<n>.png`).
    Png,
    /// `DIR/images-idx3-ubyte` (colour: `images-idx4-ubyte`, (N, H, W, 3)) and, for
    /// conditional models, `DIR/labels-idx1-ubyte`.
    Idx,
}

/// The path of image `index` of class `label` in a PNG folder.
pub fn png_path(out: &Path, label: Option<u8>, index: usize) -> PathBuf {
    match label {
        Some(c) => out.join(c.to_string()).join(format!("{c}-{index:06}.png")),
        None => out.join(format!("{index:06}.png")),
    }
}

/// The files an earlier `generate` left in `out` (its IDX files, its `NNNNNN.png` and its
/// class folders of `C-NNNNNN.png`), for `generate --replace` to remove. Anything else there is
/// an error naming it: a new set must not mix with other files, and a folder of the user's own
/// is never emptied.
pub fn previous_output(out: &Path) -> Result<Vec<PathBuf>> {
    fn numbered(name: &str, prefix: &str) -> bool {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".png"))
            .is_some_and(|digits| digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
    }
    let entries = |dir: &Path| -> Result<Vec<(PathBuf, String)>> {
        let mut found = Vec::new();
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
            found.push((
                entry.path(),
                entry.file_name().to_string_lossy().into_owned(),
            ));
        }
        found.sort();
        Ok(found)
    };
    let foreign = |path: &Path| {
        anyhow::anyhow!(
            "{} holds files `generate` did not write (e.g. {}): choose a new or empty folder",
            out.display(),
            path.display()
        )
    };
    let mut previous = Vec::new();
    if !out.exists() {
        return Ok(previous);
    }
    if !out.is_dir() {
        bail!("{} is a file, not a folder", out.display());
    }
    for (path, name) in entries(out)? {
        if path.is_dir() && name.parse::<u8>().is_ok_and(|c| c.to_string() == name) {
            for (file, file_name) in entries(&path)? {
                if !(file.is_file() && numbered(&file_name, &format!("{name}-"))) {
                    return Err(foreign(&file));
                }
                previous.push(file);
            }
            previous.push(path);
        } else if path.is_file()
            && ([IDX_IMAGES, IDX_COLOUR_IMAGES, IDX_LABELS].contains(&name.as_str())
                || numbered(&name, ""))
        {
            previous.push(path);
        } else {
            return Err(foreign(&path));
        }
    }
    Ok(previous)
}

/// Removes what [`previous_output`] found: the files, then their emptied class folders.
pub fn remove_previous_output(previous: &[PathBuf]) -> Result<()> {
    for path in previous.iter().filter(|p| !p.is_dir()) {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    for path in previous.iter().filter(|p| p.is_dir()) {
        std::fs::remove_dir(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// Writes images (`channels` planes of `side`² values in [-1, 1] each, as the models make
/// them) as grey or RGB PNGs, calling `written(n)` as it goes.
pub fn write_pngs(
    out: &Path,
    pixels: &[f32],
    labels: Option<&[u8]>,
    channels: usize,
    side: usize,
    first_index: usize,
    written: &mut dyn FnMut(usize),
) -> Result<()> {
    let per = channels * side * side;
    for (k, image) in pixels.chunks_exact(per).enumerate() {
        let path = png_path(out, labels.map(|l| l[k]), first_index + k);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let bytes = interleave(&to_u8_pixels(image), channels, side * side);
        let picture: image::DynamicImage = if channels == 3 {
            image::RgbImage::from_raw(side as u32, side as u32, bytes)
                .context("image buffer size")?
                .into()
        } else {
            image::GrayImage::from_raw(side as u32, side as u32, bytes)
                .context("image buffer size")?
                .into()
        };
        let mut png = Vec::new();
        picture
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .context("cannot encode PNG")?;
        crate::fsutil::write_atomic(&path, &png)?;
        written(k + 1);
    }
    Ok(())
}

/// Writes images (as [`write_pngs`] takes them) and labels as IDX files: grey images as
/// (N, H, W) in `images-idx3-ubyte`, colour ones as (N, H, W, 3) in `images-idx4-ubyte`.
pub fn write_idx(
    out: &Path,
    pixels: &[f32],
    labels: Option<&[u8]>,
    channels: usize,
    side: usize,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let count = pixels.len() / (channels * side * side);
    if channels == 3 {
        let bytes = interleave(&to_u8_pixels(pixels), channels, side * side);
        write_colour_images(
            &out.join(IDX_COLOUR_IMAGES),
            [count, side, side, channels],
            &bytes,
        )?;
    } else {
        let images = IdxImages {
            count,
            rows: side,
            cols: side,
            pixels: to_u8_pixels(pixels),
        };
        write_images(&out.join(IDX_IMAGES), &images)?;
    }
    if let Some(labels) = labels {
        write_labels(&out.join(IDX_LABELS), labels)?;
    }
    Ok(())
}

/// Reads a folder `generate` wrote (IDX files, or a subfolder of PNGs per class named by its
/// class number) as a labelled split of `classes` classes, grey or colour as written.
pub fn read_folder(dir: &Path, classes: u8) -> Result<Split> {
    if !dir.is_dir() {
        bail!("{}: no such folder", dir.display());
    }
    let grey_idx = dir.join(IDX_IMAGES);
    let colour_idx = dir.join(IDX_COLOUR_IMAGES);
    if grey_idx.is_file() || colour_idx.is_file() {
        let split = if grey_idx.is_file() {
            let images = read_images(&grey_idx)?;
            Split {
                images: images.pixels,
                labels: Vec::new(),
                channels: 1,
                rows: images.rows,
                cols: images.cols,
            }
        } else {
            let ([_, rows, cols, channels], bytes) = read_colour_images(&colour_idx)?;
            if channels != 3 {
                bail!(
                    "{}: {channels} channels per pixel; colour images have 3",
                    colour_idx.display()
                );
            }
            Split {
                images: deinterleave(&bytes, channels, rows * cols),
                labels: Vec::new(),
                channels,
                rows,
                cols,
            }
        };
        let count = split.images.len() / (split.channels * split.rows * split.cols).max(1);
        let labels_path = dir.join(IDX_LABELS);
        if !labels_path.is_file() {
            bail!(
                "{}: images without labels ({IDX_LABELS} is missing): synthetic training data needs a conditional generator's labels",
                dir.display()
            );
        }
        let labels = read_labels(&labels_path, classes)?;
        if labels.labels.len() != count {
            bail!(
                "{}: {} images but {} labels",
                dir.display(),
                count,
                labels.labels.len()
            );
        }
        return Ok(Split {
            labels: labels.labels,
            ..split
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
                .with_context(|| format!("{}: not a readable image", file.display()))?;
            // The first picture sets the folder's kind: grey, or colour (3 channels).
            let colour = image.color().has_color();
            let (w, h) = (image.width() as usize, image.height() as usize);
            if split.labels.is_empty() {
                (split.rows, split.cols) = (h, w);
                split.channels = if colour { 3 } else { 1 };
            } else if (h, w) != (split.rows, split.cols) {
                bail!(
                    "{}: {w}x{h}, but the folder's other images are {}x{}",
                    file.display(),
                    split.cols,
                    split.rows
                );
            } else if colour != (split.channels == 3) {
                bail!(
                    "{}: {}, but the folder's other images are {}",
                    file.display(),
                    if colour { "colour" } else { "grey" },
                    if colour { "grey" } else { "colour" }
                );
            }
            if colour {
                let rgb = image.into_rgb8();
                split.images.extend(deinterleave(rgb.as_raw(), 3, h * w));
            } else {
                split.images.extend_from_slice(image.into_luma8().as_raw());
            }
            split.labels.push(class);
        }
    }
    if split.labels.is_empty() {
        bail!(
            "{}: no images: expected {IDX_IMAGES} (or {IDX_COLOUR_IMAGES}) + {IDX_LABELS}, or PNGs in class folders 0/ .. {}/",
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
        write_pngs(&png, &pixels, Some(&labels), 1, 4, 0, &mut |n| count = n).unwrap();
        assert_eq!(count, 6);
        assert!(png_path(&png, Some(2), 5).is_file());
        write_idx(&idx, &pixels, Some(&labels), 1, 4).unwrap();
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
    fn colour_images_read_back_as_written_from_pngs_and_idx() {
        // 4 colour images of 3 planes of 2x2, each plane a different value.
        let pixels: Vec<f32> = (0..4 * 12).map(|i| (i % 12) as f32 / 6.0 - 1.0).collect();
        let labels = [0u8, 1, 1, 0];
        let dir = tempfile::tempdir().unwrap();
        let (png, idx) = (dir.path().join("png"), dir.path().join("idx"));
        write_pngs(&png, &pixels, Some(&labels), 3, 2, 0, &mut |_| {}).unwrap();
        write_idx(&idx, &pixels, Some(&labels), 3, 2).unwrap();
        let planar = to_u8_pixels(&pixels);
        for split in [read_folder(&idx, 2).unwrap(), read_folder(&png, 2).unwrap()] {
            assert_eq!((split.channels, split.rows, split.cols), (3, 2, 2));
            assert_eq!(split.len(), 4);
            // Planes as the models make them: every image is the same here.
            assert_eq!(&split.images[..12], &planar[..12]);
        }
        // A grey picture among colour ones is named.
        image::GrayImage::new(2, 2)
            .save(png.join("1").join("1-000009.png"))
            .unwrap();
        let err = read_folder(&png, 2).unwrap_err().to_string();
        assert!(
            err.contains("grey, but the folder's other images are colour"),
            "{err}"
        );
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
