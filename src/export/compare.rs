//! A comparison of runs as one PNG for a slide: one block per run (its name, a note, its grid
//! of samples for the shared latents and labels, its metric rows), side by side.

use std::path::Path;

use anyhow::{Result, anyhow, ensure};
use plotters::prelude::*;

use super::grid::{GridLayout, grid_image};
use super::plot::render_onto;

/// One run's column block.
pub struct CompareBlock {
    pub title: String,
    /// A line under the title ("latent 64: the first 64 coordinates", "unconditional").
    pub note: String,
    /// Images in [-1, 1], `side²` each, row-major in rows of `cols`.
    pub pixels: Vec<f32>,
    pub count: usize,
    pub side: usize,
    pub cols: usize,
    /// Metric rows under the grid ("IS 9.41", "FID 9.7", ...).
    pub metrics: Vec<String>,
}

const MARGIN: u32 = 24;
const GAP: u32 = 32;
const TITLE: u32 = 34;
/// Height of one line of a note; a note's " · " parts go on lines of their own so a long
/// note never runs into the next block.
const NOTE_LINE: u32 = 19;
const LINE: u32 = 22;
const FOOTER: u32 = 30;
/// Pixels per image pixel: 28x28 digits become 56x56 tiles.
const SCALE: usize = 2;

/// Writes the blocks side by side with `footer` (what the latents and labels were) under all.
pub fn compare_png(path: &Path, blocks: &[CompareBlock], footer: &str) -> Result<()> {
    ensure!(!blocks.is_empty(), "nothing to compare yet");
    let layout = GridLayout {
        padding: 1,
        scale: SCALE,
        ..GridLayout::default()
    };
    let grids = blocks
        .iter()
        .map(|b| {
            grid_image(
                &b.pixels,
                b.count,
                b.side,
                b.side,
                &GridLayout {
                    cols: b.cols,
                    ..layout
                },
            )
        })
        .map(|grid| grid.map(|g| g.to_rgb8()))
        .collect::<Result<Vec<_>>>()?;
    // A block is as wide as its grid, and wide enough for its title.
    let widths: Vec<u32> = grids.iter().map(|g| g.width().max(260)).collect();
    let grid_height = grids.iter().map(|g| g.height()).max().unwrap_or(0);
    let metric_lines = blocks.iter().map(|b| b.metrics.len()).max().unwrap_or(0) as u32;
    let note_lines = blocks
        .iter()
        .map(|b| b.note.split(" · ").count())
        .max()
        .unwrap_or(0) as u32;
    let note_height = note_lines * NOTE_LINE + 6;
    let width = 2 * MARGIN + widths.iter().sum::<u32>() + GAP * (blocks.len() as u32 - 1);
    let height =
        MARGIN + TITLE + note_height + grid_height + 12 + metric_lines * LINE + FOOTER + MARGIN;
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    let top = MARGIN + TITLE + note_height;
    let mut left = MARGIN;
    let mut lefts = Vec::new();
    for (grid, block_width) in grids.iter().zip(&widths) {
        lefts.push(left);
        for (x, y, pixel) in grid.enumerate_pixels() {
            let at = (((top + y) * width + left + x) * 3) as usize;
            buffer[at..at + 3].copy_from_slice(&pixel.0);
        }
        left += block_width + GAP;
    }
    render_onto(path, (width, height), buffer, |root| {
        let err = |e| anyhow!("{e:?}");
        for ((block, x), grid) in blocks.iter().zip(&lefts).zip(&grids) {
            let x = *x as i32;
            root.draw(&Text::new(
                block.title.as_str(),
                (x, MARGIN as i32),
                ("sans-serif", 24),
            ))
            .map_err(err)?;
            for (i, part) in block.note.split(" · ").enumerate() {
                root.draw(&Text::new(
                    part,
                    (x, (MARGIN + TITLE + i as u32 * NOTE_LINE) as i32),
                    ("sans-serif", 15).into_font().color(&RGBColor(90, 90, 90)),
                ))
                .map_err(err)?;
            }
            let mut y = (top + grid.height() + 12) as i32;
            for line in &block.metrics {
                root.draw(&Text::new(line.as_str(), (x, y), ("sans-serif", 17)))
                    .map_err(err)?;
                y += LINE as i32;
            }
        }
        root.draw(&Text::new(
            footer,
            (MARGIN as i32, (height - MARGIN - FOOTER + 8) as i32),
            ("sans-serif", 15).into_font().color(&RGBColor(90, 90, 90)),
        ))
        .map_err(err)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_sit_side_by_side_with_their_grids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("compare.png");
        // Two "runs" of 2x3 tiles: all white and all black digits.
        let block = |value: f32, title: &str| CompareBlock {
            title: title.into(),
            note: "note".into(),
            pixels: vec![value; 6 * 28 * 28],
            count: 6,
            side: 28,
            cols: 3,
            metrics: vec!["IS 9.5".into(), "FID 3.0".into()],
        };
        compare_png(&path, &[block(1.0, "a"), block(-1.0, "b")], "same latents").unwrap();
        let image = image::open(&path).unwrap().to_rgb8();
        let grid_width = (3 * (28 + 1) + 1) as u32 * SCALE as u32;
        assert!(image.width() >= 2 * 260 + GAP + 2 * MARGIN);
        // The middle of the first tile of each block: white for a, black for b.
        // One line of note ("note") above the grids.
        let y = MARGIN + TITLE + NOTE_LINE + 6 + 20;
        assert_eq!(image.get_pixel(MARGIN + 20, y).0, [255, 255, 255]);
        let second = MARGIN + grid_width.max(260) + GAP;
        assert_eq!(image.get_pixel(second + 20, y).0, [0, 0, 0]);
        assert!(compare_png(&path, &[], "").is_err());
    }
}
