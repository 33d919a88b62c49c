//! PNG plots for the CLI (the GUI draws its own with egui_plot): embedding scatters,
//! confidence histograms and accuracy curves. Drawn with plotters into memory, written
//! atomically, with a bundled font so labels look the same on every machine.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::fsutil::write_atomic;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const SIZE: (u32, u32) = (900, 700);

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bundled file is a valid TTF; if it were not, text would be missing, not wrong.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Renders with `draw` into an RGB buffer and writes it as a PNG.
fn render(
    path: &Path,
    draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    render_sized(path, SIZE, draw)
}

/// [`render`] on a canvas of `size` (width, height) pixels, for figures that are not plots.
pub(crate) fn render_sized(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    render_onto(
        path,
        size,
        vec![255u8; (size.0 * size.1 * 3) as usize],
        draw,
    )
}

/// [`render_sized`] over `buffer` (RGB, `size`), which already holds pictures to draw on.
pub(crate) fn render_onto(
    path: &Path,
    size: (u32, u32),
    mut buffer: Vec<u8>,
    draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<()>,
) -> Result<()> {
    ensure_font();
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        draw(root.clone())?;
        root.present().map_err(|e| anyhow!("{e:?}"))?;
    }
    let image = image::RgbImage::from_raw(size.0, size.1, buffer).context("plot buffer size")?;
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .context("cannot encode plot PNG")?;
    write_atomic(path, &png)
}

/// Twenty distinct class colours (a folder of pictures may have more than ten classes):
/// tab20 with its greys (classes 7 and 17) swapped for yellows, since a plot legend greys out
/// a hidden class and the two would look alike.
pub fn class_rgb(class: usize) -> (u8, u8, u8) {
    match class % 20 {
        7 => (255, 215, 0),
        17 => (255, 236, 139),
        c => series_rgb(c),
    }
}

fn class_colour(class: usize) -> RGBColor {
    let (r, g, b) = class_rgb(class);
    RGBColor(r, g, b)
}

/// Colours of the curves of line plots, in order: matplotlib's tab20, so the first ten are the
/// familiar tab10 and twenty curves stay distinct. The studio's live plots use the same list,
/// so an exported plot looks like the one on screen.
pub fn series_rgb(index: usize) -> (u8, u8, u8) {
    const TAB20: [(u8, u8, u8); 20] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
        (174, 199, 232),
        (255, 187, 120),
        (152, 223, 138),
        (255, 152, 150),
        (197, 176, 213),
        (196, 156, 148),
        (247, 182, 210),
        (199, 199, 199),
        (219, 219, 141),
        (158, 218, 229),
    ];
    TAB20[index % TAB20.len()]
}

/// An axis value as people write it: "200", not "200.0"; "0.25" stays.
fn tidy_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn bounds(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let lo = values.clone().fold(f32::INFINITY, f32::min);
    let hi = values.fold(f32::NEG_INFINITY, f32::max);
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// 2-D points coloured by class; real points are dots, generated ones crosses. The legend
/// names each class by `names` (or its number), for every class up to the highest present.
pub fn scatter_png(
    path: &Path,
    title: &str,
    points: &[[f32; 2]],
    classes: &[u8],
    real: &[bool],
    names: &[String],
) -> Result<()> {
    render(path, |root| {
        let (x0, x1) = bounds(points.iter().map(|p| p[0]));
        let (y0, y1) = bounds(points.iter().map(|p| p[1]));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .configure_mesh()
            .draw()
            .map_err(|e| anyhow!("{e:?}"))?;
        let count = classes
            .iter()
            .map(|&c| usize::from(c) + 1)
            .max()
            .unwrap_or(0);
        for class in 0..count.max(names.len()) {
            let colour = class_colour(class);
            let mine = |want_real: bool| {
                points
                    .iter()
                    .zip(classes)
                    .zip(real)
                    .filter(move |((_, c), r)| usize::from(**c) == class && **r == want_real)
                    .map(|((p, _), _)| (p[0], p[1]))
            };
            chart
                .draw_series(mine(true).map(|p| Circle::new(p, 2, colour.filled())))
                .map_err(|e| anyhow!("{e:?}"))?
                .label(index_name(class as f64, names))
                .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
            chart
                .draw_series(mine(false).map(|p| Cross::new(p, 3, colour)))
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        draw_legend(&mut chart)?;
        root.draw(&Text::new(
            "dots: real   crosses: generated",
            (60, SIZE.1 as i32 - 25),
            ("sans-serif", 16),
        ))
        .map_err(|e| anyhow!("{e:?}"))?;
        Ok(())
    })
}

/// The axes of a line plot over `x` and `y` (f64 ranges), titled and labelled as in
/// `labels` (title, x axis, y axis), its mesh drawn; `fine_grid` recolours the minor lines.
fn line_chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    (title, x_label, y_label): (&str, &str, &str),
    (x0, x1): (f32, f32),
    (y0, y1): (f32, f32),
    fine_grid: Option<RGBColor>,
) -> Result<
    ChartContext<
        'a,
        BitMapBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(f64::from(x0)..f64::from(x1), f64::from(y0)..f64::from(y1))
        .map_err(|e| anyhow!("{e:?}"))?;
    let mut mesh = chart.configure_mesh();
    if let Some(colour) = fine_grid {
        mesh.light_line_style(colour);
    }
    mesh.x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| tidy_number(*x))
        .y_label_formatter(&|y| tidy_number(*y))
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(chart)
}

/// `line` two pixels wide, drawn a segment at a time: plotters joins the segments of a wide
/// polyline with miters, which a zigzag (noisy steps, a histogram's bins) turns into spikes far
/// past the data, even out of the axes.
fn wide_segments(
    line: &[(f64, f64)],
    colour: RGBColor,
) -> impl Iterator<Item = PathElement<(f64, f64)>> + '_ {
    line.windows(2)
        .map(move |pair| PathElement::new(pair.to_vec(), colour.stroke_width(2)))
}

/// The series' names and colours in a box over the plot.
fn draw_legend<'a, 'b: 'a, Coords: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, Coords>,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e:?}"))?;
    Ok(())
}

/// A named curve of (x, y, ± error) points.
pub type Series = (String, Vec<(f64, f64, f64)>);

/// Named curves over shared x values, each point with an optional ± error.
pub fn lines_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    render(path, |root| {
        let all = series.iter().flat_map(|(_, points)| points.iter());
        let (x0, x1) = bounds(all.clone().map(|p| p.0 as f32));
        let (y0, y1) = bounds(all.flat_map(|p| [(p.1 - p.2) as f32, (p.1 + p.2) as f32]));
        let labels = (title, x_label, y_label);
        let mut chart = line_chart(&root, labels, (x0, x1), (y0, y1), None)?;
        for (i, (name, points)) in series.iter().enumerate() {
            let (r, g, b) = series_rgb(i);
            let colour = RGBColor(r, g, b);
            let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
            chart
                .draw_series(wide_segments(&line, colour))
                .map_err(|e| anyhow!("{e:?}"))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(
                    points.iter().map(|p| {
                        PathElement::new(vec![(p.0, p.1 - p.2), (p.0, p.1 + p.2)], colour)
                    }),
                )
                .map_err(|e| anyhow!("{e:?}"))?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.0, p.1), 3, colour.filled())),
                )
                .map_err(|e| anyhow!("{e:?}"))?;
        }
        draw_legend(&mut chart)
    })
}

/// A named curve of (x, y) points, as a training run logs it (one point per step), and the
/// same smoothed when a moving average is drawn over it.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    pub smoothed: Option<Vec<[f64; 2]>>,
}

/// Dense curves over a shared x axis (losses per step): thin lines without markers, each
/// smoothed curve in full colour over its raw values drawn faint. [`lines_png`] marks every
/// point, which suits a few measured points, not thousands of steps.
pub fn curves_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    curves: &[Curve],
) -> Result<()> {
    let finite = |p: &&[f64; 2]| p[0].is_finite() && p[1].is_finite();
    let all = curves
        .iter()
        .flat_map(|c| c.points.iter().chain(c.smoothed.iter().flatten()))
        .filter(finite);
    if all.clone().next().is_none() {
        anyhow::bail!("{title}: nothing to plot yet");
    }
    // More than a few curves (a network's layers) get a key in a column of their own beside
    // the plot: a legend box inside would cover the curves.
    let keyed = curves.len() > KEY_BESIDE_FROM;
    let size = if keyed {
        (SIZE.0 + KEY_WIDTH, SIZE.1)
    } else {
        SIZE
    };
    render_sized(path, size, |root| {
        let (root, key) = if keyed {
            let (plot, key) = root.split_horizontally(SIZE.0);
            (plot, Some(key))
        } else {
            (root, None)
        };
        let (x0, x1) = bounds(all.clone().map(|p| p[0] as f32));
        let (y0, y1) = bounds(all.map(|p| p[1] as f32));
        let labels = (title, x_label, y_label);
        // A paler fine grid than the default, which competes with thousands of steps.
        let fine_grid = Some(RGBColor(242, 242, 242));
        let mut chart = line_chart(&root, labels, (x0, x1), (y0, y1), fine_grid)?;
        for (i, curve) in curves.iter().enumerate() {
            let (r, g, b) = series_rgb(i);
            let colour = RGBColor(r, g, b);
            let points = |line: &[[f64; 2]]| -> Vec<(f64, f64)> {
                line.iter().filter(finite).map(|p| (p[0], p[1])).collect()
            };
            let shown = match &curve.smoothed {
                Some(smoothed) => {
                    chart
                        .draw_series(LineSeries::new(points(&curve.points), colour.mix(0.3)))
                        .map_err(|e| anyhow!("{e:?}"))?;
                    smoothed
                }
                None => &curve.points,
            };
            let shown = points(shown);
            // A run one step in has a point and no segment yet: mark it.
            let lone = (shown.len() == 1).then(|| Circle::new(shown[0], 3, colour.filled()));
            chart.draw_series(lone).map_err(|e| anyhow!("{e:?}"))?;
            chart
                .draw_series(wide_segments(&shown, colour))
                .map_err(|e| anyhow!("{e:?}"))?
                .label(curve.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        let Some(key) = key else {
            return draw_legend(&mut chart);
        };
        // Rows close up for a deep network's many layers, so the last stays on the canvas.
        let row = ((SIZE.1 as i32 - 100) / curves.len() as i32).clamp(16, 22);
        for (i, curve) in curves.iter().enumerate() {
            let (r, g, b) = series_rgb(i);
            let y = 60 + row * i as i32;
            key.draw(&PathElement::new(
                vec![(8, y), (32, y)],
                RGBColor(r, g, b).stroke_width(3),
            ))
            .map_err(|e| anyhow!("{e:?}"))?;
            key.draw(&Text::new(
                curve.name.clone(),
                (40, y - 8),
                ("sans-serif", 15),
            ))
            .map_err(|e| anyhow!("{e:?}"))?;
        }
        Ok(())
    })
}

/// [`curves_png`] keys more curves than this beside the plot, in a column this wide.
const KEY_BESIDE_FROM: usize = 4;
const KEY_WIDTH: u32 = 260;

/// One bar per value, labelled by `names` (a class's name) or else 0, 1, ... (e.g. the success
/// rate of each class).
pub fn bars_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    values: &[f64],
    names: &[String],
) -> Result<()> {
    render(path, |root| {
        let n = values.len().max(1) as f64;
        let top = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(values.len())
            .x_label_formatter(&|x| index_name(*x, names))
            .draw()
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, v)], class_colour(i).filled())
            }))
            .map_err(|e| anyhow!("{e:?}"))?;
        Ok(())
    })
}

/// The label of a whole-number position `x`: `names[x]`, or the number where there is no name.
fn index_name(x: f64, names: &[String]) -> String {
    let rounded = x.round();
    if rounded >= 0.0
        && let Some(name) = names.get(rounded as usize)
    {
        return name.clone();
    }
    format!("{rounded:.0}")
}

/// A named value and its interval (low, high), if it has one.
pub type IntervalBar = (String, f64, Option<(f64, f64)>);

/// One bar per named value with its 95% interval as an error bar (e.g. a study's cells on one
/// metric); a value without an interval (one seed) has no bar.
pub fn interval_bars_png(
    path: &Path,
    title: &str,
    y_label: &str,
    bars: &[IntervalBar],
) -> Result<()> {
    render(path, |root| {
        let n = bars.len().max(1) as f64;
        let values = bars
            .iter()
            .flat_map(|(_, v, ci)| [Some(*v), ci.map(|c| c.0), ci.map(|c| c.1)])
            .flatten();
        let (lo, hi) = bounds(values.map(|v| v as f32));
        let (lo, hi) = (f64::from(lo.min(0.0)), f64::from(hi));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5..n - 0.5, lo..hi)
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .configure_mesh()
            .y_desc(y_label)
            .x_labels(bars.len())
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    bars.get(i as usize)
                        .map(|b| b.0.clone())
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| tidy_number(*y))
            .disable_x_mesh()
            .draw()
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, v, _))| {
                let x = i as f64;
                Rectangle::new([(x - 0.3, 0.0), (x + 0.3, *v)], class_colour(i).filled())
            }))
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, (_, _, ci))| {
                let (a, b) = (*ci)?;
                let x = i as f64;
                Some(PathElement::new(
                    vec![
                        (x - 0.1, a),
                        (x + 0.1, a),
                        (x, a),
                        (x, b),
                        (x - 0.1, b),
                        (x + 0.1, b),
                    ],
                    BLACK.stroke_width(2),
                ))
            }))
            .map_err(|e| anyhow!("{e:?}"))?;
        Ok(())
    })
}

/// A count matrix as a heat map shaded by each row's shares, with the share in percent
/// printed in every cell of at least 1% (e.g. a confusion matrix).
pub fn heatmap_png(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    counts: &[Vec<usize>],
    names: &[String],
) -> Result<()> {
    render(path, |root| {
        let n = counts.len().max(1) as f64;
        // Room for the longest row name ("T-shirt/top") beside the axis title.
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(40 + 7 * longest.max(3) as u32)
            // Cells centred on whole numbers; rows run downwards, as in a printed matrix.
            .build_cartesian_2d(-0.5..n - 0.5, n - 0.5..-0.5)
            .map_err(|e| anyhow!("{e:?}"))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_labels(counts.len())
            .y_labels(counts.len())
            .x_label_formatter(&|v| index_name(*v, names))
            .y_label_formatter(&|v| index_name(*v, names))
            .draw()
            .map_err(|e| anyhow!("{e:?}"))?;
        for (i, row) in counts.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (j, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let shade = (255.0 * (1.0 - share.sqrt())) as u8;
                let (x, y) = (j as f64 - 0.5, i as f64 - 0.5);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        RGBColor(shade, shade, 255).filled(),
                    )))
                    .map_err(|e| anyhow!("{e:?}"))?;
                if share >= 0.01 {
                    let colour = if share > 0.4 { WHITE } else { BLACK };
                    let (cx, cy) = chart.backend_coord(&(x, y));
                    let (ex, ey) = chart.backend_coord(&(x + 1.0, y + 1.0));
                    root.draw(&Text::new(
                        format!("{:.0}", 100.0 * share),
                        ((cx + ex) / 2 - 8, (cy + ey) / 2 - 7),
                        ("sans-serif", 14).into_font().color(&colour),
                    ))
                    .map_err(|e| anyhow!("{e:?}"))?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_numbers_read_as_people_write_them() {
        assert_eq!(tidy_number(200.0), "200");
        assert_eq!(tidy_number(0.25), "0.25");
        assert_eq!(tidy_number(-3.0), "-3");
    }

    #[test]
    fn dense_curves_stay_inside_their_axes() {
        let dir = std::env::var_os("GAN_STUDIO_KEEP_PLOTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join(format!("curves-{}", std::process::id())));
        std::fs::create_dir_all(&dir).unwrap();
        // 2,000 noisy steps of a loss with a spike, and its running mean.
        let noisy: Vec<[f64; 2]> = (0..2000)
            .map(|i| {
                let wobble = f64::from((i * 7919) % 1000) / 1000.0 - 0.5;
                let spike = if i == 1234 { 4.0 } else { 0.0 };
                [f64::from(i), 1.0 + wobble + spike]
            })
            .collect();
        let smoothed: Vec<[f64; 2]> = noisy.iter().map(|p| [p[0], 1.0]).collect();
        let curve = |name: &str, smoothed: Option<Vec<[f64; 2]>>| Curve {
            name: name.into(),
            points: noisy.clone(),
            smoothed,
        };
        for (file, curves) in [
            ("raw.png", vec![curve("D loss", None)]),
            (
                "smoothed.png",
                vec![curve("G loss", Some(smoothed.clone()))],
            ),
        ] {
            let path = dir.join(file);
            curves_png(&path, "Losses", "step", "loss", &curves).unwrap();
            let image = image::open(&path).unwrap().into_rgb8();
            assert_eq!(image.dimensions(), SIZE);
            // The first series' colour, full or faint, appears inside the plot area only:
            // nowhere in the margins below the x axis's labels or beside the y axis's.
            let (r, g, b) = series_rgb(0);
            let tinted = |p: &image::Rgb<u8>| {
                let [pr, pg, pb] = p.0.map(i32::from);
                // Blue-dominant, as series 0 is, and not grey text.
                (pb - pr) > 40 && (pb - pg) > 20
            };
            assert!(b > r && b > g, "series 0 is expected to be blue");
            let (w, h) = SIZE;
            let inside = image
                .enumerate_pixels()
                .filter(|(_, _, p)| tinted(p))
                .count();
            assert!(inside > 2_000, "{file}: only {inside} pixels of the curve");
            let strays = image
                .enumerate_pixels()
                .filter(|(x, y, p)| (*y > h - 40 || *x < 60) && *x < w - 20 && tinted(p))
                .count();
            assert_eq!(strays, 0, "{file}: the curve is drawn outside its axes");
        }
        assert!(
            curves_png(&dir.join("empty.png"), "Losses", "step", "loss", &[]).is_err(),
            "an empty plot is refused"
        );
        // Eighteen layers' curves get their key in a column beside the plot, not over it.
        let layers: Vec<Curve> = (0..18)
            .map(|k| curve(&format!("layer {k}"), None))
            .collect();
        let path = dir.join("layers.png");
        curves_png(&path, "Gradient norms", "step", "norm", &layers).unwrap();
        let image = image::open(&path).unwrap().into_rgb8();
        assert_eq!(image.dimensions(), (SIZE.0 + KEY_WIDTH, SIZE.1));
        // The key's swatch of the last layer, in its colour, in the column.
        let (r, g, b) = series_rgb(17);
        let swatch = image
            .enumerate_pixels()
            .filter(|(x, _, p)| *x > SIZE.0 && p.0 == [r, g, b])
            .count();
        assert!(
            swatch >= 24,
            "{swatch} pixels of layer 17's swatch in the key"
        );
    }

    #[test]
    fn bar_and_heat_map_plots_write_whole_pngs() {
        let dir = std::env::var_os("GAN_STUDIO_KEEP_PLOTS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join(format!("plots-{}", std::process::id())));
        std::fs::create_dir_all(&dir).unwrap();
        let bars = dir.join("bars.png");
        bars_png(
            &bars,
            "Success rate per class",
            "class",
            "%",
            &[99.0, 84.0, 97.0, 96.0],
            &[],
        )
        .unwrap();
        let confusion = vec![vec![90, 10, 0], vec![5, 80, 15], vec![0, 0, 100]];
        let heat = dir.join("heat.png");
        // Twelve classes, named: every one is drawn, in its own colour.
        let scatter = dir.join("scatter.png");
        let points: Vec<[f32; 2]> = (0..48).map(|i| [i as f32, (i % 7) as f32]).collect();
        let classes: Vec<u8> = (0..48).map(|i| (i % 12) as u8).collect();
        let real: Vec<bool> = (0..48).map(|i| i % 2 == 0).collect();
        let names: Vec<String> = (0..12).map(|c| format!("class-{c}")).collect();
        scatter_png(&scatter, "Map", &points, &classes, &real, &names).unwrap();
        let colours: std::collections::HashSet<_> = (0..12).map(class_rgb).collect();
        assert_eq!(colours.len(), 12);
        let image = image::open(&scatter).unwrap().into_rgb8();
        let (r, g, b) = class_rgb(11);
        assert!(
            image.pixels().any(|p| p.0 == [r, g, b]),
            "class 11 is drawn"
        );
        let names = ["T-shirt/top", "trouser", "pullover"].map(String::from);
        heatmap_png(
            &heat,
            "Confusion",
            "read as",
            "requested",
            &confusion,
            &names,
        )
        .unwrap();
        assert_eq!(index_name(1.0, &names), "trouser");
        assert_eq!(index_name(3.0, &names), "3");
        for path in [&bars, &heat] {
            let image = image::open(path).unwrap().into_rgb8();
            assert_eq!(image.dimensions(), SIZE);
            // Something besides the white background was drawn.
            let inked = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
            assert!(
                inked > 10_000,
                "{}: {inked} non-white pixels",
                path.display()
            );
        }
        // The diagonal cell of the last row (100%) is the darkest blue.
        let heat = image::open(&heat).unwrap().into_rgb8();
        let darkest = heat.pixels().filter(|p| p.0 == [0, 0, 255]).count();
        assert!(darkest > 1_000, "{darkest} fully saturated pixels");
    }
}
