//! Figures over seeds: mean, standard deviation, a 95% interval, and whether two cells differ
//! by more than their noise.

use serde::{Deserialize, Serialize};

/// A metric over the seeds of one cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 for one seed.
    pub sd: f64,
    /// 95% interval of the mean (Student's t); None for a single seed, which has no spread.
    pub ci95: Option<(f64, f64)>,
}

/// Two-sided 95% quantiles of Student's t for 1 to 30 degrees of freedom; the normal's 1.96
/// beyond. Written out because no maintained crate we use carries the t distribution for
/// this one table (statrs would add a dependency tree for 30 numbers).
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

pub fn t95(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        d if d <= T95.len() => T95[d - 1],
        _ => 1.96,
    }
}

impl Summary {
    /// None when there are no values (no finished seed).
    pub fn of(values: &[f64]) -> Option<Self> {
        let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let ci95 = (n > 1).then(|| {
            let half = t95(n - 1) * sd / (n as f64).sqrt();
            (mean - half, mean + half)
        });
        Some(Self { n, mean, sd, ci95 })
    }

    /// "0.97 ± 0.01" with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        if self.n > 1 {
            format!("{:.digits$} ± {:.digits$}", self.mean, self.sd)
        } else {
            format!("{:.digits$}", self.mean)
        }
    }
}

/// Which way a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Better {
    Higher,
    Lower,
}

/// How two cells compare on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The first is better and the 95% intervals do not overlap.
    FirstBetter,
    SecondBetter,
    /// The intervals overlap: no difference the seeds can tell.
    NoDifference,
    /// A cell has a single seed: no interval to compare.
    TooFewSeeds,
}

pub fn compare(a: &Summary, b: &Summary, better: Better) -> Verdict {
    let (Some((a_lo, a_hi)), Some((b_lo, b_hi))) = (a.ci95, b.ci95) else {
        return Verdict::TooFewSeeds;
    };
    let a_above = a_lo > b_hi;
    let b_above = b_lo > a_hi;
    match (better, a_above, b_above) {
        (Better::Higher, true, _) | (Better::Lower, _, true) => Verdict::FirstBetter,
        (Better::Higher, _, true) | (Better::Lower, true, _) => Verdict::SecondBetter,
        _ => Verdict::NoDifference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_and_interval_match_a_hand_computation() {
        let s = Summary::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.n, 3);
        assert!((s.mean - 2.0).abs() < 1e-12);
        assert!((s.sd - 1.0).abs() < 1e-12);
        // 2 ± 4.303 / sqrt(3)
        let (lo, hi) = s.ci95.unwrap();
        assert!((hi - 2.0 - 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert!((lo - 2.0 + 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert_eq!(s.show(2), "2.00 ± 1.00");
    }

    #[test]
    fn one_seed_has_no_interval_and_nan_is_left_out() {
        let s = Summary::of(&[0.5, f64::NAN]).unwrap();
        assert_eq!((s.n, s.ci95), (1, None));
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn separated_intervals_name_the_better_side_and_overlap_says_no_difference() {
        let high = Summary::of(&[0.97, 0.98, 0.96]).unwrap();
        let low = Summary::of(&[0.90, 0.91, 0.89]).unwrap();
        assert_eq!(compare(&high, &low, Better::Higher), Verdict::FirstBetter);
        assert_eq!(compare(&high, &low, Better::Lower), Verdict::SecondBetter);
        let noisy = Summary::of(&[0.80, 0.99, 0.92]).unwrap();
        assert_eq!(
            compare(&high, &noisy, Better::Higher),
            Verdict::NoDifference
        );
        let single = Summary::of(&[0.5]).unwrap();
        assert_eq!(
            compare(&high, &single, Better::Higher),
            Verdict::TooFewSeeds
        );
    }
}
