//! The architecture panel as a PNG for slides: the generator's and the discriminator's columns
//! of layers side by side, with the totals underneath.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use super::plot::render_sized;
use crate::model::summary::{ArchitectureSummary, NetworkSummary, format_count, format_shape};

const COLUMN: i32 = 540;
const MARGIN: i32 = 20;
/// Two columns with a gap of two margins, and a margin either side.
const WIDTH: u32 = (2 * COLUMN + 4 * MARGIN) as u32;
const ROW: i32 = 56;
const BOX: i32 = 48;
const HEADER: i32 = 80;
const LINE: i32 = 24;

/// The fill of a layer's box, by what it computes (the studio uses the same tints).
pub fn kind_rgb(kind: &str) -> (u8, u8, u8) {
    if kind.starts_with("ConvT") {
        (255, 224, 178)
    } else if kind.starts_with("Conv") {
        (200, 230, 201)
    } else if kind.starts_with("Linear") {
        (187, 222, 251)
    } else if kind.contains("Norm") || kind.contains("BN") {
        (225, 225, 225)
    } else if kind.starts_with("Embedding") || kind.starts_with("label map") {
        (225, 190, 231)
    } else {
        (245, 245, 245)
    }
}

/// Writes `summary` with `title` over it and `totals` (one line each) under it.
pub fn architecture_png(
    path: &Path,
    title: &str,
    summary: &ArchitectureSummary,
    totals: &[String],
) -> Result<()> {
    let rows = summary
        .generator
        .layers
        .len()
        .max(summary.discriminator.layers.len()) as i32
        + 1;
    let height = HEADER + rows * ROW + MARGIN + totals.len() as i32 * LINE + MARGIN;
    render_sized(path, (WIDTH, height as u32), |root| {
        let err = |e| anyhow!("{e:?}");
        root.draw(&Text::new(title, (MARGIN, MARGIN), ("sans-serif", 26)))
            .map_err(err)?;
        for (i, (name, network)) in [
            ("Generator", &summary.generator),
            ("Discriminator", &summary.discriminator),
        ]
        .into_iter()
        .enumerate()
        {
            let x = MARGIN + i as i32 * (COLUMN + 2 * MARGIN);
            column(&root, x, name, network)?;
        }
        let mut y = HEADER + rows * ROW + MARGIN;
        for line in totals {
            root.draw(&Text::new(line.as_str(), (MARGIN, y), ("sans-serif", 18)))
                .map_err(err)?;
            y += LINE;
        }
        Ok(())
    })
}

fn column(
    root: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    x: i32,
    name: &str,
    network: &NetworkSummary,
) -> Result<()> {
    let err = |e| anyhow!("{e:?}");
    let heading = format!(
        "{name}: {} parameters, {} multiply-adds per image",
        format_count(network.params() as u64),
        format_count(network.macs())
    );
    root.draw(&Text::new(heading, (x, HEADER - 34), ("sans-serif", 17)))
        .map_err(err)?;
    let rows = std::iter::once((
        "input".to_owned(),
        String::new(),
        format_shape(&network.input),
        0,
    ))
    .chain(network.layers.iter().map(|l| {
        (
            l.name.clone(),
            l.kind.clone(),
            format_shape(&l.output),
            l.params,
        )
    }));
    for (i, (name, kind, shape, params)) in rows.enumerate() {
        let top = HEADER + i as i32 * ROW;
        let (r, g, b) = kind_rgb(&kind);
        root.draw(&Rectangle::new(
            [(x, top), (x + COLUMN, top + BOX)],
            RGBColor(r, g, b).filled(),
        ))
        .map_err(err)?;
        root.draw(&Rectangle::new(
            [(x, top), (x + COLUMN, top + BOX)],
            RGBColor(120, 120, 120),
        ))
        .map_err(err)?;
        let left = if kind.is_empty() {
            name
        } else {
            format!("{name} · {kind}")
        };
        root.draw(&Text::new(left, (x + 8, top + 6), ("sans-serif", 16)))
            .map_err(err)?;
        let second = if params > 0 {
            format!("{shape}   {} params", format_count(params as u64))
        } else {
            shape
        };
        root.draw(&Text::new(
            second,
            (x + 8, top + 26),
            ("sans-serif", 15).into_font().color(&RGBColor(60, 60, 60)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::{GanConfig, ModelKind};

    #[test]
    fn the_png_has_a_row_per_layer_and_says_so_in_colour() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("arch.png");
        let summary = GanConfig::new(ModelKind::Dcgan).summary();
        super::architecture_png(&path, "dcgan medium", &summary, &["total".into()]).unwrap();
        let image = image::open(&path).unwrap().to_rgb8();
        assert_eq!(image.width(), super::WIDTH);
        let rows = summary
            .discriminator
            .layers
            .len()
            .max(summary.generator.layers.len()) as u32;
        assert!(image.height() > rows * super::ROW as u32);
        // The first generator layer (project, a Linear) is drawn in the Linear tint.
        let (r, g, b) = super::kind_rgb("Linear");
        let y = (super::HEADER + super::ROW + 4) as u32;
        let tinted = (super::MARGIN as u32 + 2..super::MARGIN as u32 + 60)
            .filter(|&x| image.get_pixel(x, y).0 == [r, g, b])
            .count();
        assert!(tinted > 20, "{tinted} pixels in the Linear tint");
    }
}
