//! Fixed, class-stratified splits of a labelled set into two exchangeable parts.
//!
//! Data sets are not stored in random order: MNIST's test images 0-4,999 and 5,000-9,999 come
//! from different groups of writers, and CIFAR-10's test images are stored class by class. A
//! reference set and a held-out set cut at a position would therefore differ by more than chance,
//! and every figure measured against them would carry that difference. Each class is shuffled by
//! a fixed seed and dealt alternately into the two parts, which are then shuffled themselves.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The seed of the evaluation's reference split; `eval.json` records it.
pub const REFERENCE_SPLIT_SEED: u64 = 0x5eed_2026;

/// Indices of `labels` dealt into two parts whose class counts differ by at most one per class
/// (and whose sizes differ by at most one), each part in a seeded random order.
pub fn stratified_halves(labels: &[u8], seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let classes = labels
        .iter()
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[usize::from(l)].push(i);
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    // Dealing continues across classes, so odd-sized classes alternate which part gets the
    // extra image and the two parts end up the same size.
    let mut turn = 0usize;
    for members in &mut by_class {
        members.shuffle(&mut rng);
        for &i in members.iter() {
            if turn % 2 == 0 {
                first.push(i);
            } else {
                second.push(i);
            }
            turn += 1;
        }
    }
    first.shuffle(&mut rng);
    second.shuffle(&mut rng);
    (first, second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_share_every_class_equally_and_cover_the_set_once() {
        // Stored class by class, like CIFAR-10's test files.
        let labels: Vec<u8> = (0..10u8).flat_map(|c| vec![c; 7 + c as usize]).collect();
        let (a, b) = stratified_halves(&labels, 3);
        assert!(a.len().abs_diff(b.len()) <= 1);
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        for c in 0..10u8 {
            let count = |part: &[usize]| part.iter().filter(|&&i| labels[i] == c).count();
            assert!(count(&a).abs_diff(count(&b)) <= 1, "class {c}");
        }
        // Neither part keeps the stored order.
        assert!(a.windows(2).any(|w| w[0] > w[1]));
        // The same seed gives the same split; another seed another one.
        assert_eq!(stratified_halves(&labels, 3), (a.clone(), b));
        assert_ne!(stratified_halves(&labels, 4).0, a);
    }
}
