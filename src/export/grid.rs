//! Tiling generated images into one PNG grid.
//!
//! Training snapshots, the CLI and the GUI all go through [`grid_image`], so
//! a grid looks the same wherever it is produced.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, bail, ensure};
use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};

/// How tiles are arranged in a grid image.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GridLayout {
    /// Tiles per row (fewer when there are fewer images than this).
    pub cols: usize,
    /// Background pixels between tiles and around the edge.
    pub padding: usize,
    /// Nearest-neighbour upscale factor applied to the whole grid.
    pub scale: usize,
    /// Grey level of the padding and of empty cells.
    pub background: u8,
    /// Images per block, each block starting on a new row (one block per class, wrapped
    /// onto as many rows of `cols` as it needs); 0 lays the images out without blocks.
    #[serde(default)]
    pub block: usize,
}

impl Default for GridLayout {
    fn default() -> Self {
        Self {
            cols: 10,
            padding: 2,
            scale: 1,
            background: 0,
            block: 0,
        }
    }
}

/// Largest grid side accepted, well past any useful grid but far below sizes
/// that would exhaust memory.
const MAX_SIDE: usize = 16_384;

/// Maps one model output in [-1, 1] to a grey level: -1 -> 0, 1 -> 255.
/// Values outside the range are clamped; NaN becomes 0.
fn to_u8(v: f32) -> u8 {
    // `as` saturates and maps NaN to 0, so no further checks are needed.
    ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
}

/// Converts model outputs in [-1, 1] to grey levels, as [`grid_image`] does;
/// used to export generated images as IDX.
pub fn to_u8_pixels(images: &[f32]) -> Vec<u8> {
    images.iter().copied().map(to_u8).collect()
}

/// Images of `channels` planes of `plane` values each (count x C x H x W, as the models make
/// them) to pixels with their channels together (count x H x W x C, as PNG and IDX files and
/// NumPy hold them).
pub fn interleave(planar: &[u8], channels: usize, plane: usize) -> Vec<u8> {
    let mut interleaved = vec![0u8; planar.len()];
    for (image, out) in planar
        .chunks_exact(channels * plane)
        .zip(interleaved.chunks_exact_mut(channels * plane))
    {
        for p in 0..plane {
            for k in 0..channels {
                out[p * channels + k] = image[k * plane + p];
            }
        }
    }
    interleaved
}

/// The inverse of [`interleave`]: (count, H, W, C) pixels to planes per channel. Each image is
/// a (pixels x channels) matrix to transpose, which is [`interleave`] with the two swapped.
pub fn deinterleave(interleaved: &[u8], channels: usize, plane: usize) -> Vec<u8> {
    interleave(interleaved, plane, channels)
}

/// Lays out `count` images of `height` x `width` (floats in [-1, 1], image after image, each
/// one row-major plane per channel) in a grid of `layout.cols` tiles per row. The channels,
/// 1 (grey) or 3 (RGB), follow from the length of `images`; the image is grey or RGB to match.
pub fn grid_image(
    images: &[f32],
    count: usize,
    height: usize,
    width: usize,
    layout: &GridLayout,
) -> anyhow::Result<DynamicImage> {
    ensure!(
        count > 0 && height > 0 && width > 0,
        "cannot make a grid of {count} images of {height}x{width}: sizes must be non-zero"
    );
    ensure!(
        layout.cols > 0 && layout.scale > 0,
        "grid layout needs cols >= 1 and scale >= 1 (got cols {}, scale {})",
        layout.cols,
        layout.scale
    );
    let plane = height.checked_mul(width).context("image size overflows")?;
    let expected = count
        .checked_mul(plane)
        .context("image data size overflows")?;
    let channels = if images.len() == 3 * expected { 3 } else { 1 };
    ensure!(
        images.len() == channels * expected,
        "expected {count}x{height}x{width} = {expected} values for the grid (or three times \
         as many for colour), got {}",
        images.len()
    );
    let tile = channels * plane;

    // Blocks of `block` images each wrap onto `block_rows` rows of their own.
    let block = if layout.block == 0 {
        count
    } else {
        layout.block
    };
    let cols = layout.cols.min(block);
    let block_rows = block.div_ceil(cols);
    let rows = count.div_ceil(block) * block_rows;
    let cell = |i: usize| (i % block % cols, i / block * block_rows + i % block / cols);
    let pad = layout.padding;
    let grid_w = side(cols, width, pad)?;
    let grid_h = side(rows, height, pad)?;

    // Interleaved output: pixel (x, y) channel c at (y * grid_w + x) * channels + c.
    let mut pixels = vec![layout.background; grid_w * grid_h * channels];
    for (i, img) in images.chunks_exact(tile).enumerate() {
        let (col, row) = cell(i);
        let x0 = pad + col * (width + pad);
        let y0 = pad + row * (height + pad);
        for (c, channel) in img.chunks_exact(plane).enumerate() {
            for (r, src_row) in channel.chunks_exact(width).enumerate() {
                let start = ((y0 + r) * grid_w + x0) * channels + c;
                for (x, &v) in src_row.iter().enumerate() {
                    pixels[start + x * channels] = to_u8(v);
                }
            }
        }
    }

    let (pixels, out_w, out_h) =
        upscale(pixels, grid_w * channels, grid_h, layout.scale, channels)?;
    let w = u32::try_from(out_w / channels).context("grid too wide")?;
    let h = u32::try_from(out_h).context("grid too tall")?;
    let mismatch = "grid buffer does not match its size";
    Ok(if channels == 3 {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).context(mismatch)?)
    } else {
        DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).context(mismatch)?)
    })
}

/// Renders a grid with [`grid_image`] and writes it as a PNG. The file
/// appears under its name only once complete.
pub fn save_grid_png(
    path: &Path,
    images: &[f32],
    count: usize,
    height: usize,
    width: usize,
    layout: &GridLayout,
) -> anyhow::Result<()> {
    let img = grid_image(images, count, height, width, layout)?;
    let mut png: Vec<u8> = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .context("cannot encode grid PNG")?;
    crate::fsutil::write_parts_atomic(path, &[&png])
        .with_context(|| format!("cannot write grid PNG to {}", path.display()))
}

/// Length of one side of the grid: `n` tiles of `tile` pixels with padding
/// between and around them, checked against [`MAX_SIDE`].
fn side(n: usize, tile: usize, pad: usize) -> anyhow::Result<usize> {
    let len = n
        .checked_mul(tile)
        .and_then(|t| pad.checked_mul(n + 1).and_then(|p| t.checked_add(p)));
    match len {
        Some(len) if len <= MAX_SIDE => Ok(len),
        _ => bail!("grid would be larger than {MAX_SIDE} pixels on a side"),
    }
}

/// Nearest-neighbour upscale by an integer factor; rows are `w` bytes of pixels of `channels`
/// bytes each.
fn upscale(
    pixels: Vec<u8>,
    w: usize,
    h: usize,
    scale: usize,
    channels: usize,
) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    if scale == 1 {
        return Ok((pixels, w, h));
    }
    let (out_w, out_h) = match (w.checked_mul(scale), h.checked_mul(scale)) {
        (Some(ow), Some(oh)) if ow / channels <= MAX_SIDE && oh <= MAX_SIDE => (ow, oh),
        _ => bail!("grid scaled by {scale} would be larger than {MAX_SIDE} pixels on a side"),
    };
    let mut out = Vec::with_capacity(out_w * out_h);
    for src_row in pixels.chunks_exact(w) {
        let row: Vec<u8> = src_row
            .chunks_exact(channels)
            .flat_map(|p| std::iter::repeat_n(p, scale).flatten().copied())
            .collect();
        for _ in 0..scale {
            out.extend_from_slice(&row);
        }
    }
    Ok((out, out_w, out_h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GenericImageView;

    fn layout(cols: usize, padding: usize, scale: usize, background: u8) -> GridLayout {
        GridLayout {
            cols,
            padding,
            scale,
            background,
            block: 0,
        }
    }

    #[test]
    fn blocks_wrap_onto_rows_of_their_own() {
        // Two classes of 3 tiles in rows of 2: class 0 fills row 0 and half of row 1, class 1
        // starts on row 2, so row 1's second cell stays background.
        let tiles: Vec<f32> = [1.0f32, 1.0, 1.0, -1.0, -1.0, -1.0]
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, 4))
            .collect();
        let grid = grid_image(
            &tiles,
            6,
            2,
            2,
            &GridLayout {
                block: 3,
                background: 100,
                ..layout(2, 1, 1, 100)
            },
        )
        .unwrap();
        // 2 columns and 4 rows of 2x2 tiles with 1 pixel of padding: 7 x 13.
        assert_eq!(grid.dimensions(), (7, 13));
        let at = |col: u32, row: u32| grid.get_pixel(1 + col * 3, 1 + row * 3).0[0];
        assert_eq!((at(0, 0), at(1, 0), at(0, 1)), (255, 255, 255));
        assert_eq!(at(1, 1), 100, "the rest of class 0's last row is empty");
        assert_eq!((at(0, 2), at(1, 2), at(0, 3)), (0, 0, 0));
        assert_eq!(at(1, 3), 100);
    }

    /// Four constant 2x2 tiles with values -1, 1, 0 and 0.5.
    fn four_tiles() -> Vec<f32> {
        [-1.0f32, 1.0, 0.0, 0.5]
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, 4))
            .collect()
    }

    #[test]
    fn colour_tiles_are_rgb_with_each_plane_in_its_channel() {
        // Two 1x2 tiles: the first red on the left and blue on the right, the second all green.
        let planes = [
            1.0f32, -1.0, -1.0, -1.0, -1.0, 1.0, // tile 0: R, G, B planes
            -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, // tile 1
        ];
        let img = grid_image(&planes, 2, 1, 2, &layout(2, 1, 2, 0)).expect("grid");
        let rgb = img.as_rgb8().expect("an RGB grid");
        // (2 tiles of 2 + 3 padding) x (1 + 2 padding), doubled.
        assert_eq!(rgb.dimensions(), (14, 6));
        assert_eq!(rgb.get_pixel(2, 2).0, [255, 0, 0]);
        assert_eq!(rgb.get_pixel(5, 3).0, [0, 0, 255]);
        assert_eq!(rgb.get_pixel(8, 2).0, [0, 255, 0]);
        assert_eq!(rgb.get_pixel(0, 0).0, [0, 0, 0]);
    }

    #[test]
    fn pixel_mapping() {
        let got = to_u8_pixels(&[-1.0, 1.0, 0.0, 0.5, -5.0, 5.0, f32::NAN]);
        assert_eq!(got, vec![0, 255, 128, 191, 0, 255, 0]);
    }

    #[test]
    fn tiles_land_in_the_right_place() {
        let img = grid_image(&four_tiles(), 4, 2, 2, &layout(2, 1, 1, 7)).expect("grid");
        // 2 tiles of 2 plus 3 padding columns each way.
        assert_eq!(img.dimensions(), (7, 7));
        let at = |x: u32, y: u32| img.get_pixel(x, y).0[0];
        for (x0, y0, v) in [(1, 1, 0), (4, 1, 255), (1, 4, 128), (4, 4, 191)] {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                assert_eq!(at(x0 + dx, y0 + dy), v, "pixel ({}, {})", x0 + dx, y0 + dy);
            }
        }
        for (x, y) in [(0, 0), (3, 3), (6, 6), (3, 1), (1, 3), (6, 0)] {
            assert_eq!(at(x, y), 7, "padding at ({x}, {y})");
        }
    }

    #[test]
    fn partial_last_row_is_background() {
        let tiles = four_tiles();
        let img = grid_image(&tiles[..12], 3, 2, 2, &layout(2, 0, 1, 9)).expect("grid");
        assert_eq!(img.dimensions(), (4, 4));
        assert_eq!(img.get_pixel(0, 2).0[0], 128);
        assert_eq!(img.get_pixel(2, 2).0[0], 9);
        assert_eq!(img.get_pixel(3, 3).0[0], 9);
    }

    #[test]
    fn fewer_images_than_columns_shrinks_the_grid() {
        let img = grid_image(&[1.0; 4], 1, 2, 2, &GridLayout::default()).expect("grid");
        assert_eq!(img.dimensions(), (6, 6));
    }

    #[test]
    fn scale_doubles_the_size() {
        let l1 = layout(2, 1, 1, 7);
        let l2 = layout(2, 1, 2, 7);
        let small = grid_image(&four_tiles(), 4, 2, 2, &l1).expect("grid");
        let big = grid_image(&four_tiles(), 4, 2, 2, &l2).expect("grid");
        assert_eq!(big.dimensions(), (14, 14));
        for y in 0..14 {
            for x in 0..14 {
                assert_eq!(big.get_pixel(x, y), small.get_pixel(x / 2, y / 2));
            }
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        let l = GridLayout::default();
        assert!(grid_image(&[0.0; 7], 2, 2, 2, &l).is_err());
        assert!(grid_image(&[0.0; 9], 2, 2, 2, &l).is_err());
        assert!(grid_image(&[], 0, 2, 2, &l).is_err());
        assert!(grid_image(&[], 1, 0, 2, &l).is_err());
        assert!(grid_image(&[0.0; 4], 1, 2, 2, &layout(0, 0, 1, 0)).is_err());
        assert!(grid_image(&[0.0; 4], 1, 2, 2, &layout(1, 0, 0, 0)).is_err());
        assert!(grid_image(&[0.0; 4], 1, 2, 2, &layout(1, 0, 100_000, 0)).is_err());
        let msg = format!("{:#}", grid_image(&[0.0; 7], 2, 2, 2, &l).unwrap_err());
        assert!(msg.contains("2x2x2 = 8") && msg.contains("got 7"), "{msg}");
    }

    #[test]
    fn saving_into_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no-such-dir").join("grid.png");
        let err = save_grid_png(&path, &four_tiles(), 4, 2, 2, &GridLayout::default()).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("cannot write grid PNG"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
    }

    #[test]
    fn saved_png_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("grid.png");
        let l = layout(2, 1, 3, 0);
        save_grid_png(&path, &four_tiles(), 4, 2, 2, &l).expect("save");
        let back = image::open(&path).expect("open png");
        assert_eq!((back.width(), back.height()), (21, 21));
        let expected = grid_image(&four_tiles(), 4, 2, 2, &l).expect("grid");
        assert_eq!(back.to_luma8(), expected.to_luma8());
        // Only the PNG remains; the temporary file was renamed away.
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }
}
