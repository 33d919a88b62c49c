//! Training curves as data: a value per logged step, thinned to what a plot can show without
//! losing a spike, optionally smoothed, and drawn to PNG. The studio's Training and CycleGAN
//! tabs draw these (`studio::widgets::curves`); `gan-studio curves` writes them headless.

use std::path::Path;

use anyhow::Result;

use super::plot::Curve;
use crate::cyclegan::CycleStepMetrics;
use crate::train::StepMetrics;

/// Buckets per plotted line: each keeps its lowest and highest point, so a line has at most
/// twice this many points, enough for the eye and cheap to draw.
pub const BUCKETS: usize = 1000;

/// The strongest smoothing offered: above it the curve lags the run by hundreds of steps.
pub const MAX_SMOOTHING: f32 = 0.99;

/// What a new studio smooths by: per-step GAN losses are noisy enough that 0.9 (about the last
/// ten steps) is where trends start to read.
pub const DEFAULT_SMOOTHING: f32 = 0.9;

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

    /// Writes the plot as the tab's "Export PNG..." does.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        super::plot::curves_png(path, self.title, "step", self.y_label, &self.lines)
    }
}

/// A GAN run's three plots, as the Training tab draws them: losses, D's outputs (and the
/// family's own figures) and per-layer gradient norms, from its logged steps.
pub fn training(history: &[StepMetrics], smoothing: f32) -> [Curves; 3] {
    let line = |name: &str, value: fn(&StepMetrics) -> f32| {
        let points: Vec<[f64; 2]> = history
            .iter()
            .map(|m| [m.step as f64, f64::from(value(m))])
            .collect();
        (name.to_owned(), points)
    };
    // One line per (network, layer). Every step lists its layers in the same order, so a
    // layer's line is found by its position when the name there matches, and by name (hashed)
    // only when it does not: hashing every name of every step cost ~10 ms a frame at 8,192 steps.
    let mut norms: Vec<(String, Vec<[f64; 2]>)> = Vec::new();
    let mut slots: std::collections::HashMap<(&str, &str), usize> = Default::default();
    let mut by_position: [Vec<(&str, usize)>; 2] = Default::default();
    for m in history {
        for (n, (net, layers)) in [("G", &m.grad_norms_g), ("D", &m.grad_norms_d)]
            .into_iter()
            .enumerate()
        {
            for (k, layer) in layers.iter().enumerate() {
                let name = layer.layer.as_str();
                let slot = match by_position[n].get(k) {
                    Some(&(at, slot)) if at == name => slot,
                    _ => {
                        let slot = *slots.entry((net, name)).or_insert_with(|| {
                            norms.push((format!("{net} {}", short_layer_name(name)), Vec::new()));
                            norms.len() - 1
                        });
                        let positions = &mut by_position[n];
                        if positions.len() <= k {
                            positions.resize(k + 1, ("", usize::MAX));
                        }
                        positions[k] = (name, slot);
                        slot
                    }
                };
                let point = [m.step as f64, f64::from(layer.norm.max(1e-12)).log10()];
                norms[slot].1.push(point);
            }
        }
    }
    // The family's own figures (class-head accuracy, ...) are shares in [0, 1] too.
    let mut outputs = vec![line("D(x)", |m| m.d_real), line("D(G(z))", |m| m.d_fake)];
    if let Some(last) = history.last() {
        for name in last.figures.keys() {
            let points: Vec<[f64; 2]> = history
                .iter()
                .filter_map(|m| Some([m.step as f64, f64::from(*m.figures.get(name)?)]))
                .collect();
            outputs.push((name.clone(), points));
        }
    }
    let losses = vec![line("D loss", |m| m.d_loss), line("G loss", |m| m.g_loss)];
    [
        Curves::new("Losses", "loss", "losses.png", losses, smoothing),
        Curves::new(
            "Discriminator outputs",
            "mean D output",
            "d-outputs.png",
            outputs,
            smoothing,
        ),
        Curves::new(
            "Gradient norms per layer (log10)",
            "log10 gradient norm",
            "gradient-norms.png",
            norms,
            smoothing,
        ),
    ]
}

/// A CycleGAN run's two plots, as its tab draws them: the adversarial losses, and the cycle and
/// identity errors.
pub fn cyclegan(history: &[CycleStepMetrics], smoothing: f32) -> [Curves; 2] {
    type Pick = fn(&CycleStepMetrics) -> f32;
    let lines = |picks: &[(&str, Pick)]| -> Vec<(String, Vec<[f64; 2]>)> {
        picks
            .iter()
            .map(|(name, pick)| {
                let points = history
                    .iter()
                    .map(|m| [m.step as f64, f64::from(pick(m))])
                    .collect();
                (name.to_string(), points)
            })
            .collect()
    };
    [
        Curves::new(
            "Adversarial losses (least squares)",
            "loss",
            "cyclegan-losses.png",
            lines(&[
                ("G: A -> B", |m| m.g_a2b),
                ("F: B -> A", |m| m.g_b2a),
                ("D_A", |m| m.d_a),
                ("D_B", |m| m.d_b),
            ]),
            smoothing,
        ),
        Curves::new(
            "Cycle and identity errors (mean absolute, [0, 1] pixels)",
            "mean absolute error",
            "cyclegan-errors.png",
            lines(&[
                ("cycle A -> B -> A", |m| m.cycle_a),
                ("cycle B -> A -> B", |m| m.cycle_b),
                ("identity: G(b) - b, F(a) - a", |m| m.identity),
            ]),
            smoothing,
        ),
    ]
}

/// "Conv.label_map.embedding" -> "label_map.embedding": the network kind adds nothing here.
fn short_layer_name(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: usize) -> StepMetrics {
        StepMetrics::flat(step)
    }

    #[test]
    fn the_plots_keep_a_spike_and_smooth_as_asked() {
        let mut history: Vec<StepMetrics> = (1..=4300).map(step).collect();
        history[1993].d_loss = 9.0;
        let [raw, _, _] = training(&history, 0.0);
        let d_loss = &raw.lines[0];
        assert_eq!(d_loss.name, "D loss");
        assert!(d_loss.smoothed.is_none());
        assert!(d_loss.points.len() <= 2 * BUCKETS);
        assert!(d_loss.points.contains(&[1994.0, 9.0]), "the spike is gone");

        let [smoothed, outputs, _] = training(&history, 0.9);
        let line = smoothed.lines[0]
            .smoothed
            .as_ref()
            .expect("a smoothed line");
        // The spike moves the average by (9 - 1) * 0.1 at its step, no more.
        let top = line.iter().map(|p| p[1]).fold(f64::MIN, f64::max);
        assert!((top - 1.8).abs() < 1e-6, "smoothed peak {top}");
        assert!(smoothed.lines[0].points.contains(&[1994.0, 9.0]));
        assert_eq!(outputs.lines.len(), 2);
    }

    #[test]
    fn a_cyclegan_run_has_its_two_plots() {
        let history: Vec<CycleStepMetrics> = (1..=3)
            .map(|step| CycleStepMetrics {
                step,
                learning_rate: 2e-4,
                g_a2b: 1.0,
                g_b2a: 0.9,
                cycle_a: 0.2,
                cycle_b: 0.3,
                identity: 0.1,
                d_a: 0.25,
                d_b: 0.25,
                elapsed_secs: step as f64,
            })
            .collect();
        let [losses, errors] = cyclegan(&history, 0.0);
        let names = |c: &Curves| c.lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&losses), ["G: A -> B", "F: B -> A", "D_A", "D_B"]);
        assert_eq!(errors.lines.len(), 3);
        assert_eq!(
            errors.lines[1].points,
            [
                [1.0, 0.3f32 as f64],
                [2.0, 0.3f32 as f64],
                [3.0, 0.3f32 as f64]
            ]
        );
    }

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
