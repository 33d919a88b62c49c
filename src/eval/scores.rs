//! Scores computed from the classifier's outputs: inception score, Fréchet distance,
//! class coverage. Pure functions on host arrays, so they are easy to pin with known answers.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Mean and standard deviation of a score over splits.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
}

/// Inception score exp(E_x KL(p(y|x) || p(y))) from softmax rows (n, classes), as the mean and
/// std over `splits` equal parts (Salimans et al. 2016).
pub fn inception_score(probabilities: &[f32], classes: usize, splits: usize) -> MeanStd {
    let n = probabilities.len() / classes.max(1);
    let splits = splits.clamp(1, n.max(1));
    // Splits over a fixed shuffle: samples often come ordered by class, and a split holding
    // one class would score 1.
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(0));
    let scores: Vec<f64> = (0..splits)
        .map(|s| {
            let rows: Vec<&[f32]> = order[s * n / splits..(s + 1) * n / splits]
                .iter()
                .map(|&i| &probabilities[i * classes..(i + 1) * classes])
                .collect();
            let count = rows.len().max(1) as f64;
            let mut marginal = vec![0.0f64; classes];
            for row in &rows {
                for (m, &p) in marginal.iter_mut().zip(row.iter()) {
                    *m += f64::from(p) / count;
                }
            }
            let kl: f64 = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .zip(&marginal)
                        .filter(|(p, _)| **p > 0.0)
                        .map(|(&p, &m)| f64::from(p) * (f64::from(p).ln() - m.max(1e-30).ln()))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / count;
            kl.exp()
        })
        .collect();
    mean_std(&scores)
}

pub fn mean_std(values: &[f64]) -> MeanStd {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    MeanStd {
        mean,
        std: var.sqrt(),
    }
}

/// Mean vector and covariance matrix (unbiased) of rows of `dim` values.
fn gaussian(rows: &[f32], dim: usize) -> (DVector<f64>, DMatrix<f64>) {
    let n = rows.len() / dim;
    let data = DMatrix::from_row_iterator(n, dim, rows.iter().map(|&v| f64::from(v)));
    let mean = DVector::from_iterator(dim, data.column_iter().map(|c| c.mean()));
    let mut centred = data;
    for (j, mut column) in centred.column_iter_mut().enumerate() {
        column.add_scalar_mut(-mean[j]);
    }
    let cov = centred.transpose() * &centred / (n.saturating_sub(1).max(1) as f64);
    (mean, cov)
}

/// Fréchet distance between Gaussians fitted to two sets of feature rows:
/// |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). The trace of the matrix square root is taken
/// as the sum of sqrt(eigenvalues) of S1^(1/2) S2 S1^(1/2), which is symmetric, so a symmetric
/// eigen-solver suffices and no complex arithmetic appears.
pub fn frechet_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let (m1, s1) = gaussian(a, dim);
    let (m2, s2) = gaussian(b, dim);
    let root1 = psd_sqrt(&s1);
    let middle = &root1 * &s2 * &root1;
    let middle = (&middle + middle.transpose()) * 0.5;
    let tr_sqrt: f64 = SymmetricEigen::new(middle)
        .eigenvalues
        .iter()
        .map(|&l| l.max(0.0).sqrt())
        .sum();
    let diff = m1 - m2;
    (diff.dot(&diff) + s1.trace() + s2.trace() - 2.0 * tr_sqrt).max(0.0)
}

/// Square root of a symmetric positive semi-definite matrix.
fn psd_sqrt(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new((m + m.transpose()) * 0.5);
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eigen.eigenvectors * DMatrix::from_diagonal(&roots) * eigen.eigenvectors.transpose()
}

/// Share of samples per predicted class, and signs of mode collapse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub class_shares: Vec<f64>,
    /// KL(shares || uniform) in nats: 0 for a perfectly even spread, ln(classes) for one class.
    pub kl_from_uniform: f64,
    /// Classes with less than a fifth of their fair share.
    pub nearly_missing: Vec<usize>,
    pub collapsed: bool,
}

pub fn coverage(predictions: &[usize], classes: usize) -> Coverage {
    let n = predictions.len().max(1) as f64;
    let mut counts = vec![0usize; classes];
    for &p in predictions {
        if let Some(count) = counts.get_mut(p) {
            *count += 1;
        }
    }
    let class_shares: Vec<f64> = counts.iter().map(|&c| c as f64 / n).collect();
    let uniform = 1.0 / classes as f64;
    let kl_from_uniform = class_shares
        .iter()
        .filter(|&&s| s > 0.0)
        .map(|&s| s * (s / uniform).ln())
        .sum();
    let nearly_missing: Vec<usize> = (0..classes)
        .filter(|&c| class_shares[c] < 0.2 * uniform)
        .collect();
    Coverage {
        collapsed: !nearly_missing.is_empty(),
        class_shares,
        kl_from_uniform,
        nearly_missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    #[test]
    fn inception_score_of_confident_uniform_predictions_is_the_class_count() {
        let probs: Vec<f32> = (0..100_000)
            .flat_map(|i| (0..10).map(move |c| if c == i % 10 { 1.0 } else { 0.0 }))
            .collect();
        // One split sees exactly uniform classes; ten random splits nearly so.
        assert!((inception_score(&probs, 10, 1).mean - 10.0).abs() < 1e-9);
        let score = inception_score(&probs, 10, 10);
        assert!((score.mean - 10.0).abs() < 0.01, "{score:?}");
        assert!(score.std < 0.01);
    }

    #[test]
    fn inception_score_of_one_repeated_class_is_one() {
        let probs: Vec<f32> = (0..500)
            .flat_map(|_| (0..10).map(|c| if c == 3 { 1.0 } else { 0.0 }))
            .collect();
        assert!((inception_score(&probs, 10, 10).mean - 1.0).abs() < 1e-9);
    }

    #[test]
    fn frechet_distance_of_a_set_with_itself_is_zero() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a: Vec<f32> = (0..2000 * 8)
            .map(|_| rng.sample::<f32, _>(StandardNormal) * 2.0 + 1.0)
            .collect();
        assert!(frechet_distance(&a, &a, 8).abs() < 1e-6);
    }

    #[test]
    fn frechet_distance_of_two_gaussians_matches_the_closed_form() {
        // Independent axes: FD = |m1 - m2|^2 + sum (s1 - s2)^2 for standard deviations s.
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let (n, dim) = (200_000, 3);
        let (m1, s1) = ([0.0, 1.0, -1.0], [1.0, 2.0, 0.5]);
        let (m2, s2) = ([1.0, 1.0, 0.0], [1.0, 1.0, 1.5]);
        let draw = |m: [f64; 3], s: [f64; 3], rng: &mut rand::rngs::StdRng| -> Vec<f32> {
            (0..n * dim)
                .map(|i| (m[i % dim] + s[i % dim] * rng.sample::<f64, _>(StandardNormal)) as f32)
                .collect()
        };
        let a = draw(m1, s1, &mut rng);
        let b = draw(m2, s2, &mut rng);
        let expected: f64 = (0..dim)
            .map(|i| (m1[i] - m2[i]).powi(2) + (s1[i] - s2[i]).powi(2))
            .sum();
        let got = frechet_distance(&a, &b, dim);
        assert!(
            (got - expected).abs() < 0.05 * expected,
            "{got} vs {expected}"
        );
    }

    #[test]
    fn a_generator_of_one_class_is_flagged_as_collapsed() {
        let collapsed = coverage(&vec![4; 1000], 10);
        assert!(collapsed.collapsed);
        assert_eq!(collapsed.nearly_missing.len(), 9);
        assert!((collapsed.kl_from_uniform - 10f64.ln()).abs() < 1e-9);
        let even = coverage(&(0..1000).map(|i| i % 10).collect::<Vec<_>>(), 10);
        assert!(!even.collapsed);
        assert!(even.kl_from_uniform.abs() < 1e-9);
    }
}
