//! The retraining part of a study's report: how a classifier trained on a few real images per
//! class does with each run's samples mixed in at each ratio, over seeds; the accuracy-vs-ratio
//! curve; and conclusions that say "no difference" unless the 95% intervals separate.

use serde::Serialize;

use super::results::{Outcome, RetrainPoint, RunResult};
use super::stats::{Better, Summary, Verdict, compare};

/// One point of a cell's curve over its finished seeds.
#[derive(Clone, Debug, Serialize)]
pub struct RetrainSummary {
    pub per_class: usize,
    pub ratio: f64,
    /// Test accuracy in [0, 1].
    pub accuracy: Summary,
}

/// Shown in tables and conclusions with accuracies in [0, 1].
const DIGITS: usize = 3;

/// The curve points of `runs` (one cell's finished seeds), in (per_class, ratio) order.
pub fn summarise(runs: &[&RunResult]) -> Vec<RetrainSummary> {
    let points: Vec<&RetrainPoint> = runs
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Finished { retraining, .. } => Some(retraining),
            _ => None,
        })
        .flatten()
        .collect();
    let mut keys: Vec<(usize, f64)> = points.iter().map(|p| (p.per_class, p.ratio)).collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    keys.dedup();
    keys.into_iter()
        .filter_map(|(per_class, ratio)| {
            let values: Vec<f64> = points
                .iter()
                .filter(|p| p.per_class == per_class && p.ratio == ratio)
                .map(|p| p.accuracy)
                .collect();
            Some(RetrainSummary {
                per_class,
                ratio,
                accuracy: Summary::of(&values)?,
            })
        })
        .collect()
}

fn find(points: &[RetrainSummary], per_class: usize, ratio: f64) -> Option<&RetrainSummary> {
    points
        .iter()
        .find(|p| p.per_class == per_class && p.ratio == ratio)
}

/// "50% synthetic": ratios as a share of the real images.
pub fn share(ratio: f64) -> String {
    format!("{}% synthetic", (ratio * 100.0).round())
}

/// Conclusions for one data set's cells (`label`, curve): each ratio against real only within a
/// cell, then each cell against the first (the baseline) at the same point.
pub fn conclude(cells: &[(&str, &[RetrainSummary])]) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, points) in cells {
        let mut per_class: Vec<usize> = points.iter().map(|p| p.per_class).collect();
        per_class.dedup();
        for pc in per_class {
            let Some(base) = find(points, pc, 0.0) else {
                continue;
            };
            let (mut up, mut down, mut same) = (vec![], vec![], vec![]);
            for p in points.iter().filter(|p| p.per_class == pc && p.ratio > 0.0) {
                let detail = format!(
                    "{} ({} vs {})",
                    share(p.ratio),
                    p.accuracy.show(DIGITS),
                    base.accuracy.show(DIGITS)
                );
                match compare(&p.accuracy, &base.accuracy, Better::Higher) {
                    Verdict::FirstBetter => up.push(detail),
                    Verdict::SecondBetter => down.push(detail),
                    Verdict::NoDifference => same.push(share(p.ratio)),
                    Verdict::TooFewSeeds => {}
                }
            }
            let mut parts = Vec::new();
            if !up.is_empty() {
                parts.push(format!("raise the accuracy at {}", up.join(", ")));
            }
            if !down.is_empty() {
                parts.push(format!("lower it at {}", down.join(", ")));
            }
            if !same.is_empty() {
                parts.push(format!(
                    "make no difference we can tell with {} seeds at {}",
                    base.accuracy.n,
                    same.join(", ")
                ));
            }
            if !parts.is_empty() {
                lines.push(format!(
                    "**{label}**, {pc} real per class: its samples {} (against real only).",
                    parts.join("; ")
                ));
            }
        }
    }
    if let Some(((base_label, base), others)) = cells.split_first() {
        for (label, points) in others {
            let (mut better, mut worse) = (vec![], vec![]);
            for p in points.iter().filter(|p| p.ratio > 0.0) {
                let Some(b) = find(base, p.per_class, p.ratio) else {
                    continue;
                };
                let detail = format!(
                    "{} real per class, {} ({} vs {})",
                    p.per_class,
                    share(p.ratio),
                    p.accuracy.show(DIGITS),
                    b.accuracy.show(DIGITS)
                );
                match compare(&p.accuracy, &b.accuracy, Better::Higher) {
                    Verdict::FirstBetter => better.push(detail),
                    Verdict::SecondBetter => worse.push(detail),
                    _ => {}
                }
            }
            let line = match (better.is_empty(), worse.is_empty()) {
                (true, true) => format!(
                    "Retraining with **{label}**'s samples against **{base_label}**'s: no \
                     difference we can tell at any point."
                ),
                _ => {
                    let mut parts = Vec::new();
                    if !better.is_empty() {
                        parts.push(format!("better at {}", better.join(", ")));
                    }
                    if !worse.is_empty() {
                        parts.push(format!("worse at {}", worse.join(", ")));
                    }
                    format!(
                        "Retraining with **{label}**'s samples against **{base_label}**'s: {}; \
                         no difference elsewhere.",
                        parts.join("; ")
                    )
                }
            };
            lines.push(line);
        }
    }
    lines
}

/// The table: one row per cell and real-per-class count, one column per ratio.
pub fn table(cells: &[(&str, &[RetrainSummary])]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut ratios: Vec<f64> = cells
        .iter()
        .flat_map(|(_, p)| p.iter().map(|p| p.ratio))
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.dedup();
    let mut header = vec!["cell".to_owned(), "real per class".to_owned()];
    header.extend(ratios.iter().map(|&r| {
        if r == 0.0 {
            "real only".to_owned()
        } else {
            share(r)
        }
    }));
    let mut rows = Vec::new();
    for (label, points) in cells {
        let mut per_class: Vec<usize> = points.iter().map(|p| p.per_class).collect();
        per_class.dedup();
        for pc in per_class {
            let mut row = vec![(*label).to_owned(), pc.to_string()];
            row.extend(
                ratios.iter().map(|&r| {
                    find(points, pc, r).map_or("-".to_owned(), |p| p.accuracy.show(DIGITS))
                }),
            );
            rows.push(row);
        }
    }
    (header, rows)
}

/// The accuracy-vs-ratio curves: one per cell and real-per-class count, in percent, with the
/// seeds' standard deviation as bars.
pub fn curves(cells: &[(&str, &[RetrainSummary])]) -> Vec<crate::export::plot::Series> {
    let mut series = Vec::new();
    for (label, points) in cells {
        let mut per_class: Vec<usize> = points.iter().map(|p| p.per_class).collect();
        per_class.dedup();
        for pc in per_class {
            let line = points
                .iter()
                .filter(|p| p.per_class == pc)
                .map(|p| {
                    (
                        p.ratio * 100.0,
                        p.accuracy.mean * 100.0,
                        p.accuracy.sd * 100.0,
                    )
                })
                .collect();
            series.push((format!("{label}, {pc} real/class"), line));
        }
    }
    series
}

/// results.csv columns of a run: "retrain_10pc_r0.5" and the accuracy.
pub fn csv_key(point: &RetrainPoint) -> String {
    format!("retrain_{}pc_r{}", point.per_class, point.ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(per_class: usize, ratio: f64, values: &[f64]) -> RetrainSummary {
        RetrainSummary {
            per_class,
            ratio,
            accuracy: Summary::of(values).unwrap(),
        }
    }

    #[test]
    fn a_ratio_whose_interval_clears_real_only_is_named_and_overlap_is_not() {
        let full = vec![
            point(10, 0.0, &[0.910, 0.915, 0.905]),
            point(10, 0.5, &[0.935, 0.940, 0.930]),
            point(10, 1.0, &[0.900, 0.930, 0.915]),
        ];
        let few = vec![
            point(10, 0.0, &[0.910, 0.915, 0.905]),
            point(10, 0.5, &[0.880, 0.885, 0.875]),
            point(10, 1.0, &[0.900, 0.930, 0.915]),
        ];
        let lines = conclude(&[("full", &full), ("few", &few)]).join("\n");
        assert!(
            lines.contains(
                "**full**, 10 real per class: its samples raise the accuracy at 50% synthetic \
                 (0.935 ± 0.005 vs 0.910 ± 0.005); make no difference we can tell with 3 seeds \
                 at 100% synthetic"
            ),
            "{lines}"
        );
        assert!(
            lines.contains("**few**, 10 real per class: its samples lower it at 50% synthetic"),
            "{lines}"
        );
        assert!(
            lines.contains("**few**'s samples against **full**'s: worse at 10 real per class, 50%"),
            "{lines}"
        );
        assert!(!lines.contains("better at"), "{lines}");
    }

    #[test]
    fn the_table_has_a_column_per_ratio_with_real_only_first() {
        let pts = vec![point(10, 0.0, &[0.9, 0.91]), point(10, 0.2, &[0.92, 0.93])];
        let (header, rows) = table(&[("a", &pts)]);
        assert_eq!(header[2..], ["real only", "20% synthetic"]);
        assert_eq!(
            rows,
            vec![vec!["a", "10", "0.905 ± 0.007", "0.925 ± 0.007"]]
        );
    }
}
