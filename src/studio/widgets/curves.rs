//! Training curves as the Training and CycleGAN tabs draw them: a value per step, thinned to
//! what a plot can show without losing a spike, optionally smoothed (the raw values stay
//! behind, faint), with "Export PNG..." drawing the same.

use egui_plot::{ColorConflictHandling, HoverPosition, Legend, Line, Plot, PlotPoints};

use super::PlotExport;
use crate::export::plot::{Curve, series_rgb};
use crate::studio::tabs::Shared;

/// Buckets per plotted line: each keeps its lowest and highest point, so a line has at most
/// twice this many points, enough for the eye and cheap to draw.
pub const BUCKETS: usize = 1000;

/// The strongest smoothing offered: above it the curve lags the run by hundreds of steps.
pub const MAX_SMOOTHING: f32 = 0.99;

/// What a new studio smooths by: per-step GAN losses are noisy enough that 0.9 (about the last
/// ten steps) is where trends start to read.
pub const DEFAULT_SMOOTHING: f32 = 0.9;

/// A tab's smoothing weight as saved with the studio's state: 0 to [`MAX_SMOOTHING`] once
/// read through [`clamp_smoothing`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Smoothing(pub f32);

impl Default for Smoothing {
    fn default() -> Self {
        Self(DEFAULT_SMOOTHING)
    }
}

/// `points` (in step order) cut into at most `buckets` runs of consecutive steps, each kept as
/// its lowest and its highest point, in step order. Unlike keeping every k-th step, a one-step
/// spike of a loss survives, which is what a person watching for instability looks for.
/// Non-finite values are left out (the divergence check stops a run at the first one).
pub fn thin_extremes(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    if points.len() <= 2 * buckets.max(1) {
        return points
            .iter()
            .copied()
            .filter(|p| p[1].is_finite())
            .collect();
    }
    let size = points.len().div_ceil(buckets.max(1));
    let mut kept = Vec::with_capacity(2 * buckets);
    for bucket in points.chunks(size) {
        let mut finite = bucket.iter().enumerate().filter(|(_, p)| p[1].is_finite());
        let Some((first, _)) = finite.next() else {
            continue;
        };
        let (mut low, mut high) = (first, first);
        for (i, p) in finite {
            if p[1] < bucket[low][1] {
                low = i;
            }
            if p[1] > bucket[high][1] {
                high = i;
            }
        }
        kept.push(bucket[low.min(high)]);
        if low != high {
            kept.push(bucket[low.max(high)]);
        }
    }
    kept
}

/// TensorBoard's smoothing: an exponential moving average, `weight` of the past kept at each
/// step, divided by its weights' sum so the first values are not pulled towards zero. Values
/// that are not finite are left out; `weight` 0 leaves the rest as they are.
pub fn smooth(points: &[[f64; 2]], weight: f64) -> Vec<[f64; 2]> {
    let (mut average, mut total) = (0.0, 0.0);
    points
        .iter()
        .filter(|p| p[1].is_finite())
        .map(|&[x, y]| {
            average = average * weight + (1.0 - weight) * y;
            total = total * weight + (1.0 - weight);
            [x, average / total]
        })
        .collect()
}

/// A stored smoothing weight made safe to use: a saved state read back may hold anything.
pub fn clamp_smoothing(stored: f32) -> f64 {
    if stored.is_finite() {
        f64::from(stored.clamp(0.0, MAX_SMOOTHING))
    } else {
        0.0
    }
}

/// One plot: its title, axes, PNG file name and curves, thinned and smoothed.
pub struct Curves {
    pub title: &'static str,
    pub y_label: &'static str,
    pub file: &'static str,
    pub lines: Vec<Curve>,
}

impl Curves {
    /// `lines` hold every logged step; `smoothing` is the stored weight (0: none).
    pub fn new(
        title: &'static str,
        y_label: &'static str,
        file: &'static str,
        lines: Vec<(String, Vec<[f64; 2]>)>,
        smoothing: f32,
    ) -> Self {
        let weight = clamp_smoothing(smoothing);
        let lines = lines
            .into_iter()
            .map(|(name, points)| Curve {
                smoothed: (weight > 0.0).then(|| thin_extremes(&smooth(&points, weight), BUCKETS)),
                points: thin_extremes(&points, BUCKETS),
                name,
            })
            .collect();
        Self {
            title,
            y_label,
            file,
            lines,
        }
    }
}

/// The smoothing slider; true when it moved.
pub fn smoothing_ui(ui: &mut egui::Ui, smoothing: &mut Smoothing) -> bool {
    if !smoothing.0.is_finite() {
        smoothing.0 = 0.0;
    }
    let smoothing = &mut smoothing.0;
    ui.add(
        egui::Slider::new(smoothing, 0.0..=MAX_SMOOTHING)
            .fixed_decimals(2)
            .text("Smoothing"),
    )
    .on_hover_text(
        "Each curve is drawn as a moving average of its past values (TensorBoard's smoothing: \
         0.9 weighs about the last 10 steps), with every step's raw value faint behind it. 0 \
         draws the raw values alone. Exports draw the same.",
    )
    .changed()
}

/// The colour of curve `index`, the same as in the exported PNG.
pub fn series_colour(index: usize) -> egui::Color32 {
    let (r, g, b) = series_rgb(index);
    egui::Color32::from_rgb(r, g, b)
}

/// Draws `curves` `width` wide, with its title and "Export PNG...". More than four curves get
/// a key below the plot, where a legend would cover it. `include_y` widens the y range (e.g.
/// to [0, 1] for D's outputs).
pub fn show(
    ui: &mut egui::Ui,
    curves: &Curves,
    width: f32,
    include_y: &[f64],
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    ui.horizontal(|ui| {
        ui.strong(curves.title);
        export.button(ui, shared.export, curves.file);
    });
    let many = curves.lines.len() > 4;
    let y_label = curves.y_label;
    let mut plot = Plot::new(curves.title)
        // The wheel scrolls the page these plots sit in, not the plot.
        .allow_scroll(false)
        .height(if many { 220.0 } else { 150.0 })
        .width(width)
        .x_axis_label("step")
        .y_axis_label(y_label)
        .label_formatter(move |position| match position {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}\nstep {:.0}\n{y_label} {:.4}",
                position.x, position.y
            )),
            HoverPosition::Elsewhere { position } => Some(format!(
                "step {:.0}\n{y_label} {:.4}",
                position.x, position.y
            )),
        });
    if !many {
        // A curve's raw and smoothed lines share its name, so one entry toggles both; the
        // entry takes the smoothed line's full colour.
        plot = plot.legend(
            Legend::default()
                .text_style(egui::TextStyle::Small)
                .color_conflict_handling(ColorConflictHandling::PickLast),
        );
    }
    for &y in include_y {
        plot = plot.include_y(y);
    }
    plot.show(ui, |plot| {
        for (i, curve) in curves.lines.iter().enumerate() {
            let colour = series_colour(i);
            let raw = Line::new(curve.name.clone(), PlotPoints::from(curve.points.clone()));
            match &curve.smoothed {
                Some(smoothed) => {
                    plot.line(raw.color(colour.gamma_multiply(0.3)).width(1.0));
                    plot.line(
                        Line::new(curve.name.clone(), PlotPoints::from(smoothed.clone()))
                            .color(colour)
                            .width(1.5),
                    );
                }
                None => plot.line(raw.color(colour)),
            }
        }
    });
    if many {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 10.0;
            for (i, curve) in curves.lines.iter().enumerate() {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("— {}", curve.name))
                            .small()
                            .color(series_colour(i)),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        });
    }
    export.window(ui.ctx(), curves.title, shared.notices, |path| {
        crate::export::plot::curves_png(path, curves.title, "step", curves.y_label, &curves.lines)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_every_spike_in_step_order_and_stays_bounded() {
        // Near 1 with one-step spikes at even and odd steps: keeping every k-th step (what the
        // plots did) loses those between the kept ones.
        let spikes = [1994, 2991, 3988, 4300];
        let points: Vec<[f64; 2]> = (1..=4300)
            .map(|step| {
                let y = match step {
                    s if spikes.contains(&s) => 9.0,
                    1000 => -3.0,
                    _ => 1.0 + 0.01 * f64::from(step % 7),
                };
                [f64::from(step), y]
            })
            .collect();
        let thinned = thin_extremes(&points, BUCKETS);
        assert!(thinned.len() <= 2 * BUCKETS, "{} points", thinned.len());
        for spike in spikes {
            assert!(
                thinned.contains(&[f64::from(spike), 9.0]),
                "the spike at step {spike} is missing"
            );
        }
        assert!(thinned.contains(&[1000.0, -3.0]), "the dip is missing");
        assert!(
            thinned.windows(2).all(|w| w[0][0] < w[1][0]),
            "points out of step order"
        );

        // Short lines are drawn whole; values that are not finite are left out.
        let points = [
            [1.0, 2.0],
            [2.0, f64::NAN],
            [3.0, f64::INFINITY],
            [4.0, 1.0],
        ];
        assert_eq!(thin_extremes(&points, 10), vec![[1.0, 2.0], [4.0, 1.0]]);
        let long: Vec<[f64; 2]> = (0..100).map(|i| [f64::from(i), f64::NAN]).collect();
        assert!(thin_extremes(&long, 10).is_empty());
    }

    #[test]
    fn smoothing_is_an_unbiased_moving_average() {
        let at = |values: &[f64]| -> Vec<[f64; 2]> {
            values
                .iter()
                .enumerate()
                .map(|(i, &y)| [i as f64, y])
                .collect()
        };
        // A constant stays itself from the first step: no pull towards zero.
        for [_, y] in smooth(&at(&[5.0; 20]), 0.9) {
            assert!((y - 5.0).abs() < 1e-12, "{y}");
        }
        // Weight 0 is the raw values; a step from 0 to 1 is approached, never passed.
        assert_eq!(smooth(&at(&[1.0, 3.0, 2.0]), 0.0), at(&[1.0, 3.0, 2.0]));
        let stepped = smooth(&at(&[0.0, 0.0, 1.0, 1.0, 1.0, 1.0]), 0.5);
        // By hand: sums 0, 0, 0.5, 0.75, 0.875, 0.9375 over weights 0.5, 0.75, 0.875, 0.9375,
        // 0.96875, 0.984375.
        let expected = [
            0.0,
            0.0,
            0.5 / 0.875,
            0.75 / 0.9375,
            0.875 / 0.96875,
            0.9375 / 0.984375,
        ];
        for ([_, y], want) in stepped.iter().zip(expected) {
            assert!((y - want).abs() < 1e-12, "{y} against {want}");
        }
        // A NaN is skipped, not spread to every later point.
        let with_nan = smooth(&at(&[1.0, f64::NAN, 1.0]), 0.9);
        assert_eq!(with_nan.len(), 2);
        assert!(with_nan.iter().all(|p| (p[1] - 1.0).abs() < 1e-12));
    }

    #[test]
    fn a_saved_smoothing_weight_is_clamped() {
        assert_eq!(clamp_smoothing(0.9), f64::from(0.9f32));
        assert_eq!(clamp_smoothing(5.0), f64::from(MAX_SMOOTHING));
        assert_eq!(clamp_smoothing(-1.0), 0.0);
        assert_eq!(clamp_smoothing(f32::NAN), 0.0);
    }
}
