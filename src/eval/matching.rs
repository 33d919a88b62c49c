//! The best one-to-one matching of codes to classes, for scoring unsupervised categories
//! (InfoGAN's categorical code) against the data's labels.
//!
//! Written by hand: an exact search over subsets of classes (dynamic programming, 2^n · n²
//! steps) is a dozen lines and instant for the code sizes InfoGAN uses (at most 20), where a
//! Hungarian-algorithm crate would be one more dependency for the same answer.

use anyhow::{Result, ensure};

/// Largest square confusion matrix [`best_matching_accuracy`] accepts: 2^20 · 20 states.
pub const MAX_CODES: usize = 20;

/// Accuracy under the best assignment of codes (rows) to distinct classes (columns):
/// max over one-to-one maps m of Σ_code confusion[code][m(code)] / Σ all.
pub fn best_matching_accuracy(confusion: &[Vec<usize>]) -> Result<f64> {
    best_matching(confusion).map(|(accuracy, _)| accuracy)
}

/// The best one-to-one map of codes to classes (`map[code]` is its class) and its accuracy,
/// as [`best_matching_accuracy`] scores it.
pub fn best_matching(confusion: &[Vec<usize>]) -> Result<(f64, Vec<usize>)> {
    let n = confusion.len();
    ensure!(
        (1..=MAX_CODES).contains(&n),
        "{n} codes: matching handles 1 to {MAX_CODES}"
    );
    ensure!(
        confusion.iter().all(|row| row.len() == n),
        "the code-by-class counts are not square"
    );
    // best[mask]: the most hits assigning the first popcount(mask) codes to the classes in mask.
    let mut best = vec![0usize; 1 << n];
    for mask in 1usize..(1 << n) {
        let code = mask.count_ones() as usize - 1;
        best[mask] = (0..n)
            .filter(|class| mask & (1 << class) != 0)
            .map(|class| best[mask ^ (1 << class)] + confusion[code][class])
            .max()
            .unwrap_or(0);
    }
    // Back from the full set: the last code took a class whose removal left the best of the rest.
    let mut map = vec![0; n];
    let mut mask = (1usize << n) - 1;
    for code in (0..n).rev() {
        let class = (0..n)
            .filter(|class| mask & (1 << class) != 0)
            .find(|&class| best[mask ^ (1 << class)] + confusion[code][class] == best[mask])
            .unwrap_or(0);
        map[code] = class;
        mask ^= 1 << class;
    }
    let total: usize = confusion.iter().flatten().sum();
    let accuracy = if total == 0 {
        0.0
    } else {
        best[(1 << n) - 1] as f64 / total as f64
    };
    Ok((accuracy, map))
}

/// The best one-to-one matching of `codes` (taking `n_codes` values) to the classes read for
/// the same images (`classes`, of `n_classes`): its accuracy and each code's class. The counts
/// are square, with room for every code and every class, so an unmatched one scores nothing.
pub fn match_codes(
    codes: &[u8],
    classes: &[usize],
    n_codes: usize,
    n_classes: usize,
) -> Result<(f64, Vec<usize>)> {
    best_matching(&code_class_counts(codes, classes, n_codes.max(n_classes)))
}

/// Counts of (code, class) pairs: rows are codes, columns the classes the classifier read.
pub fn code_class_counts(codes: &[u8], predicted: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut counts = vec![vec![0usize; n]; n];
    for (&code, &class) in codes.iter().zip(predicted) {
        if usize::from(code) < n && class < n {
            counts[usize::from(code)][class] += 1;
        }
    }
    counts
}

/// The share of points whose category is their nearest neighbour's (`nearest[i]` is point i's):
/// read without labels. Digits sit in clusters of their own in pixel space (a held-out MNIST
/// digit's nearest other held-out digit has its label 94% of the time), so categories that are
/// digits agree with the neighbours, and categories split by a style that varies smoothly
/// (slant, stroke) cut through the clusters and agree less (BENCHMARKS.md, "Families").
pub fn neighbour_agreement(categories: &[u8], nearest: &[usize]) -> f64 {
    if nearest.is_empty() {
        return 0.0;
    }
    let agree = nearest
        .iter()
        .enumerate()
        .filter(|&(i, &j)| categories.get(i) == categories.get(j))
        .count();
    agree as f64 / nearest.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permuted_diagonal_matches_perfectly_and_ties_take_the_best_total() {
        // Code 0 makes class 2, code 1 class 0, code 2 class 1.
        let permuted = vec![vec![0, 0, 10], vec![10, 0, 0], vec![0, 10, 0]];
        assert_eq!(best_matching_accuracy(&permuted).unwrap(), 1.0);
        // Greedy would give code 0 -> class 0 (9) and then code 1 -> class 1 (1): 10 of 26;
        // the best matching is code 0 -> 1 (8) and code 1 -> 0 (8): 16 of 26.
        let greedy_trap = vec![vec![9, 8], vec![8, 1]];
        assert_eq!(best_matching_accuracy(&greedy_trap).unwrap(), 16.0 / 26.0);
        // Two codes making the same class: only one of them can be matched to it.
        let collapsed = vec![vec![5, 0], vec![5, 0]];
        assert_eq!(best_matching_accuracy(&collapsed).unwrap(), 0.5);
        assert!(best_matching_accuracy(&[vec![1, 2]]).is_err());
        // The map itself: each code's class, one class per code.
        assert_eq!(best_matching(&permuted).unwrap().1, vec![2, 0, 1]);
        assert_eq!(best_matching(&greedy_trap).unwrap().1, vec![1, 0]);
        let (_, map) = best_matching(&collapsed).unwrap();
        assert!(map == vec![0, 1] || map == vec![1, 0], "{map:?}");
        let counts = code_class_counts(&[0, 0, 1, 1], &[1, 1, 0, 1], 2);
        assert_eq!(counts, vec![vec![0, 2], vec![1, 1]]);
    }

    #[test]
    fn neighbour_agreement_counts_points_whose_category_is_their_neighbours() {
        // Points 0 and 1 are each other's neighbours and agree; 2 -> 0 disagrees; 3 -> 2 agrees.
        let categories = [4, 4, 7, 7];
        let nearest = [1, 0, 0, 2];
        assert_eq!(neighbour_agreement(&categories, &nearest), 0.75);
        assert_eq!(neighbour_agreement(&[1, 2], &[1, 0]), 0.0);
        assert_eq!(neighbour_agreement(&[], &[]), 0.0);
    }
}
