//! The memorisation check: is a generated image closer to a training image of its class than
//! nearly every unseen real image of that class is, and singled out by it: markedly closer to
//! that one training image than to any other?
//!
//! Distances are in pixels, to the training images of the sample's own class (its requested
//! label, or the classifier's reading for unconditional models). Each class has its own
//! threshold, the 1st percentile of the real test images' distances: classes differ a lot
//! (MNIST's ones sit far closer to their training neighbours than any other digit), so a pooled
//! threshold would only ever fire on ones. The checked samples are a seeded random subset with
//! the same number from every class.
//!
//! Distance alone mistakes a blurry average for a copy: the mean of a class lies nearer to
//! its training images than unseen real images do (32x32 cats and dogs: 15.8 against 16-33
//! for held-out photos), so an untrained generator's grey mush of a 90-picture folder read as
//! 50% "memorised". A copy is also far nearer to its one training image than to the next
//! (the ratio is 0 for an exact copy), while a mean sits nearly as close to all of them (0.94-1.0;
//! unseen MNIST digits 0.57-1.0, their 1st percentile 0.73-0.80), so a sample counts only when
//! that ratio is below [`SINGLED_OUT`] too. A copy of a training image that has a near
//! twin in the training set escapes this test.

use anyhow::Result;
use burn::prelude::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::neighbours::nearest_two;
use crate::data::Split;

/// Share of real test images allowed below the threshold: the 1st percentile.
const PERCENTILE: f64 = 0.01;
/// A flagged sample's nearest training image is at most this share of the distance to its
/// second nearest: a copy with noise up to ~58% of the gap to that image's neighbour.
pub const SINGLED_OUT: f32 = 0.5;
/// Closest pairs kept for `memorisation.png`.
const CLOSEST_PAIRS: usize = 10;

/// The training images grouped by class, remembering where each came from.
pub struct TrainByClass {
    /// Per class: its images' pixels in [-1, 1], one after the other.
    pixels: Vec<Vec<f32>>,
    /// Per class: the index in the training set of each of its images.
    origin: Vec<Vec<usize>>,
    /// Per training index: (class, position within the class).
    place: Vec<(usize, usize)>,
    pub per_image: usize,
}

impl TrainByClass {
    pub fn new(train: &Split, classes: usize) -> Self {
        let per_image = train.pixels_per_image();
        let mut pixels = vec![Vec::new(); classes];
        let mut origin = vec![Vec::new(); classes];
        let mut place = Vec::with_capacity(train.len());
        for (i, &label) in train.labels.iter().enumerate() {
            let c = usize::from(label);
            place.push((c, origin[c].len()));
            origin[c].push(i);
            let image = &train.images[i * per_image..(i + 1) * per_image];
            pixels[c].extend(image.iter().map(|&p| crate::data::dataset::scale_pixel(p)));
        }
        Self {
            pixels,
            origin,
            place,
            per_image,
        }
    }

    pub fn classes(&self) -> usize {
        self.pixels.len()
    }

    /// The pixels of training image `index`.
    pub fn image(&self, index: usize) -> &[f32] {
        let (c, j) = self.place[index];
        &self.pixels[c][j * self.per_image..(j + 1) * self.per_image]
    }

    /// For each image (pixels of `per_image` values, of class `classes[i]`): the training
    /// index of its nearest same-class training image, the distance to it and the distance to
    /// the second nearest (infinite where the class has one training image).
    pub fn nearest_same_class(
        &self,
        pixels: &[f32],
        classes: &[usize],
        device: &Device,
    ) -> Result<Vec<(usize, f32, f32)>> {
        let per = self.per_image;
        let mut out = vec![(0, f32::INFINITY, f32::INFINITY); classes.len()];
        for c in 0..self.classes() {
            let members: Vec<usize> = (0..classes.len()).filter(|&i| classes[i] == c).collect();
            if members.is_empty() || self.origin[c].is_empty() {
                continue;
            }
            let queries: Vec<f32> = members
                .iter()
                .flat_map(|&i| pixels[i * per..(i + 1) * per].iter().copied())
                .collect();
            let found = nearest_two(&queries, &self.pixels[c], per, device)?;
            for (&i, (j, d1, d2)) in members.iter().zip(found) {
                out[i] = (self.origin[c][j], d1, d2);
            }
        }
        Ok(out)
    }

    /// Per class, the distance below which only 1% of the given real (unseen) images of that
    /// class lie; infinite-free: a class without test images gets 0 (nothing is flagged).
    pub fn thresholds(&self, test: &Split, device: &Device) -> Result<Vec<f32>> {
        let pixels = test.batch_pixels(&(0..test.len()).collect::<Vec<_>>(), None);
        let classes: Vec<usize> = test.labels.iter().map(|&l| usize::from(l)).collect();
        let found = self.nearest_same_class(&pixels, &classes, device)?;
        Ok((0..self.classes())
            .map(|c| {
                let mut d: Vec<f32> = found
                    .iter()
                    .zip(&classes)
                    .filter(|(_, k)| **k == c)
                    .map(|((_, d, _), _)| *d)
                    .collect();
                if d.is_empty() {
                    return 0.0;
                }
                d.sort_by(f32::total_cmp);
                d[((d.len() as f64 * PERCENTILE) as usize).min(d.len() - 1)]
            })
            .collect())
    }
}

/// What the check found, as `eval.json` records it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Memorisation {
    /// Share of checked samples below their class's threshold and singled out by their
    /// nearest training image ([`SINGLED_OUT`]).
    pub share: f64,
    /// The same per class (0 for a class with no checked sample).
    pub per_class: Vec<f64>,
    pub checked_per_class: Vec<usize>,
    pub thresholds: Vec<f64>,
    /// The checked samples nearest to a training image: (sample index, training index,
    /// distance), nearest first.
    pub closest_pairs: Vec<(usize, usize, f32)>,
}

/// Checks up to `budget` samples, `budget / classes` (rounded up) from each class, drawn by
/// `seed`. `classes[i]` is sample i's class.
pub fn check(
    pixels: &[f32],
    classes: &[usize],
    budget: usize,
    seed: u64,
    train: &TrainByClass,
    thresholds: &[f32],
    device: &Device,
) -> Result<Memorisation> {
    let k = train.classes();
    let per_class = budget.div_ceil(k.max(1));
    let mut rng = StdRng::seed_from_u64(seed);
    let mut chosen = Vec::new();
    for c in 0..k {
        let mut members: Vec<usize> = (0..classes.len()).filter(|&i| classes[i] == c).collect();
        members.shuffle(&mut rng);
        members.truncate(per_class);
        chosen.extend(members);
    }
    let per = train.per_image;
    let subset: Vec<f32> = chosen
        .iter()
        .flat_map(|&i| pixels[i * per..(i + 1) * per].iter().copied())
        .collect();
    let subset_classes: Vec<usize> = chosen.iter().map(|&i| classes[i]).collect();
    let found = train.nearest_same_class(&subset, &subset_classes, device)?;

    let mut checked = vec![0usize; k];
    let mut flagged = vec![0usize; k];
    for (&c, &(_, d1, d2)) in subset_classes.iter().zip(&found) {
        checked[c] += 1;
        flagged[c] += usize::from(d1 < thresholds[c] && d1 < SINGLED_OUT * d2);
    }
    let mut closest_pairs: Vec<(usize, usize, f32)> = chosen
        .iter()
        .zip(&found)
        .map(|(&i, &(j, d, _))| (i, j, d))
        .collect();
    closest_pairs.sort_by(|a, b| a.2.total_cmp(&b.2));
    closest_pairs.truncate(CLOSEST_PAIRS);
    let total: usize = checked.iter().sum();
    Ok(Memorisation {
        share: flagged.iter().sum::<usize>() as f64 / total.max(1) as f64,
        per_class: flagged
            .iter()
            .zip(&checked)
            .map(|(&f, &n)| f as f64 / n.max(1) as f64)
            .collect(),
        checked_per_class: checked,
        thresholds: thresholds.iter().map(|&t| f64::from(t)).collect(),
        closest_pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes of 4-pixel "images": class 0 around -0.5, class 1 around +0.5.
    fn tiny_train() -> Split {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..40u8 {
            let c = i % 2;
            let base = if c == 0 { 64u8 } else { 192 };
            images.extend([base + i, base, base.wrapping_sub(i), base]);
            labels.push(c);
        }
        Split {
            channels: 1,
            images,
            labels,
            rows: 2,
            cols: 2,
        }
    }

    #[test]
    fn a_copied_training_image_is_flagged_in_its_class_only() {
        let device = Device::flex();
        let train = tiny_train();
        let by_class = TrainByClass::new(&train, 2);
        assert_eq!(by_class.image(3), &train.batch_pixels(&[3], None)[..]);
        // Thresholds well above zero but below the spacing of the training images.
        let thresholds = [0.01, 0.01];
        // Samples: far from every training image, except sample 5, a copy of training image 7
        // (class 1).
        let mut pixels = vec![0.9f32; 8 * 4];
        pixels[5 * 4..6 * 4].copy_from_slice(by_class.image(7));
        let classes = [0, 1, 0, 1, 0, 1, 0, 1];
        let found = check(&pixels, &classes, 8, 1, &by_class, &thresholds, &device).unwrap();
        assert_eq!(found.checked_per_class, vec![4, 4]);
        assert_eq!(found.per_class, vec![0.0, 0.25]);
        assert_eq!(found.share, 1.0 / 8.0);
        assert_eq!(found.closest_pairs[0].0, 5);
        assert_eq!(found.closest_pairs[0].1, 7);
        assert!(found.closest_pairs[0].2 < 1e-3);
    }

    #[test]
    fn a_class_average_is_not_a_copy_but_a_noisy_copy_is() {
        let device = Device::flex();
        let train = tiny_train();
        let by_class = TrainByClass::new(&train, 2);
        // Class 0 is the even training indices; its mean lies between two of them.
        let mut mean = vec![0.0f32; 4];
        for i in (0..40).step_by(2) {
            for (m, p) in mean.iter_mut().zip(by_class.image(i)) {
                *m += p / 20.0;
            }
        }
        let mut noisy = by_class.image(4).to_vec();
        noisy[1] += 0.002; // a tenth of the gap to image 4's neighbours
        let mut pixels = mean.clone();
        pixels.extend_from_slice(by_class.image(7));
        pixels.extend_from_slice(&noisy);
        let classes = [0, 1, 0];
        // Thresholds every sample is under: distance alone would flag all three.
        let found = check(&pixels, &classes, 3, 1, &by_class, &[10.0, 10.0], &device).unwrap();
        assert_eq!(found.checked_per_class, vec![2, 1]);
        assert_eq!(found.per_class, vec![0.5, 1.0]);
        let nearest = by_class
            .nearest_same_class(&pixels, &classes, &device)
            .unwrap();
        assert!(nearest[0].1 > 0.9 * nearest[0].2, "{:?}", nearest[0]);
        assert_eq!(nearest[2].0, 4);
        assert!(nearest[2].1 < 0.2 * nearest[2].2, "{:?}", nearest[2]);
    }

    #[test]
    fn the_subset_takes_the_same_number_from_every_class() {
        let device = Device::flex();
        let by_class = TrainByClass::new(&tiny_train(), 2);
        // Stored class by class, as generated sets are: 30 of class 0, then 30 of class 1.
        let pixels = vec![0.0f32; 60 * 4];
        let classes: Vec<usize> = (0..60).map(|i| i / 30).collect();
        let found = check(&pixels, &classes, 10, 1, &by_class, &[0.0, 0.0], &device).unwrap();
        assert_eq!(found.checked_per_class, vec![5, 5]);
    }
}
