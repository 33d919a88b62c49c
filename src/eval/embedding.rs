//! 2-D maps of the classifier's feature space: PCA and Barnes-Hut t-SNE.

use anyhow::Result;
use clap::ValueEnum;
use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};

use super::tsne::{TsneOptions, tsne};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Pca,
    Tsne,
}

impl Method {
    /// The method's name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Method::Pca => "PCA",
            Method::Tsne => "t-SNE",
        }
    }

    /// Names of the map's two axes.
    pub fn axes(self) -> [&'static str; 2] {
        match self {
            Method::Pca => ["PC1", "PC2"],
            Method::Tsne => ["t-SNE 1", "t-SNE 2"],
        }
    }
}

/// Projects rows of `dim` features onto their two main principal axes.
pub fn pca_2d(features: &[f32], dim: usize) -> Vec<[f32; 2]> {
    let n = features.len() / dim;
    let data = DMatrix::from_row_iterator(n, dim, features.iter().map(|&v| f64::from(v)));
    let mean = data.row_mean();
    let centred = DMatrix::from_fn(n, dim, |i, j| data[(i, j)] - mean[j]);
    let cov = centred.transpose() * &centred / (n.max(2) - 1) as f64;
    let eigen = SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let axes = [
        eigen.eigenvectors.column(order[0]),
        eigen.eigenvectors.column(order[1]),
    ];
    (0..n)
        .map(|i| {
            let row = centred.row(i);
            [
                row.dot(&axes[0].transpose()) as f32,
                row.dot(&axes[1].transpose()) as f32,
            ]
        })
        .collect()
}

/// A 2-D map and, for t-SNE, how well it kept the neighbourhoods.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Projection {
    pub points: Vec<[f32; 2]>,
    /// t-SNE's cost, KL(P || Q), over the sparse P it fitted and the exact Q.
    pub kl_divergence: Option<f32>,
    pub learning_rate: Option<f32>,
    pub epochs: Option<usize>,
    /// t-SNE's perplexity as used: the one asked for, or less for a set too small for it.
    pub perplexity: Option<f32>,
}

/// Barnes-Hut t-SNE (θ = 0.5, [`super::tsne`]) from a seeded random start.
pub fn tsne_2d(
    features: &[f32],
    dim: usize,
    perplexity: f32,
    epochs: usize,
    seed: u64,
) -> Result<Projection> {
    // A few hundred points (a small picture folder's test split) cannot keep 3 x 30
    // neighbours each; the largest perplexity they can is used instead, as the user sees.
    let n = features.len() / dim.max(1);
    let perplexity = perplexity.min(super::tsne::largest_perplexity(n));
    if perplexity < 1.0 {
        anyhow::bail!("t-SNE needs at least 5 points to map, got {n}");
    }
    let map = tsne(
        features,
        dim,
        &TsneOptions {
            perplexity,
            epochs,
            seed,
            ..TsneOptions::default()
        },
    )?;
    Ok(Projection {
        points: map.points,
        kl_divergence: Some(map.kl_divergence),
        learning_rate: Some(map.learning_rate),
        epochs: Some(epochs),
        perplexity: Some(perplexity),
    })
}

/// Real and generated digits read by the classifier: what the embedding maps are made of.
pub struct EmbeddingInputs {
    /// Class of each point: the true label of real images, the requested label of generated
    /// ones (the predicted class for unconditional models).
    pub labels: Vec<u8>,
    pub real: Vec<bool>,
    /// The classifier's top-class probability per point.
    pub confidence: Vec<f32>,
    /// Penultimate-layer features, `feature_dim` per point.
    pub features: Vec<f32>,
    pub feature_dim: usize,
    /// The images in [-1, 1], `channels x side²` per point (for showing a hovered point).
    pub pixels: Vec<f32>,
    pub side: usize,
    pub channels: usize,
}

impl EmbeddingInputs {
    /// The pixels of point `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let per = self.channels * self.side * self.side;
        &self.pixels[i * per..(i + 1) * per]
    }
}

impl EmbeddingInputs {
    /// `per_set` test images (a seeded random choice with the classes in their test-set
    /// shares) and as many generated ones (cycling labels for conditional models) from the
    /// fixed-noise stream `seed`.
    pub fn gather(
        generator: &crate::model::Generator,
        gan: &crate::model::GanConfig,
        classifier: &super::classifier::Classifier,
        test: &crate::data::Split,
        per_set: usize,
        seed: u64,
        device: &burn::prelude::Device,
    ) -> Result<Self> {
        use super::classifier::read_out;
        use crate::sampling::generate_set;
        let n = per_set.min(test.len());
        // The test set is not stored in random order (writer groups, classes): take a
        // stratified shuffle's front.
        let (first, second) = crate::data::holdout::stratified_halves(
            &test.labels,
            crate::data::holdout::REFERENCE_SPLIT_SEED,
        );
        let chosen: Vec<usize> = first.into_iter().chain(second).take(n).collect();
        let test = &test.select(&chosen);
        let mut pixels = super::report::all_pixels(test);
        let real = read_out(classifier, &pixels, test.rows, device)?;
        let per_row = if gan.model.is_conditional() {
            n.div_ceil(gan.num_classes)
        } else {
            n
        };
        let (fake_pixels, requested) = generate_set(generator, gan, per_row, seed, device)?;
        let fake = read_out(classifier, &fake_pixels, gan.image_size, device)?;
        pixels.extend_from_slice(&fake_pixels);
        let mut features = real.features.clone();
        features.extend_from_slice(&fake.features);
        let fake_labels: Vec<u8> = match requested {
            Some(l) => l,
            None => fake.predictions().iter().map(|&p| p as u8).collect(),
        };
        let labels: Vec<u8> = test.labels[..n]
            .iter()
            .copied()
            .chain(fake_labels)
            .collect();
        let top = |readout: &super::classifier::Readout| -> Vec<f32> {
            readout
                .probabilities
                .chunks(readout.classes)
                .map(|row| row.iter().copied().fold(0.0, f32::max))
                .collect()
        };
        Ok(Self {
            real: (0..labels.len()).map(|i| i < n).collect(),
            labels,
            confidence: top(&real).into_iter().chain(top(&fake)).collect(),
            features,
            feature_dim: real.feature_dim,
            pixels,
            side: test.rows,
            channels: test.channels,
        })
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 2-D map by `method` (t-SNE with the given perplexity, epochs and seed).
    pub fn project(
        &self,
        method: Method,
        perplexity: f32,
        epochs: usize,
        seed: u64,
    ) -> Result<Projection> {
        match method {
            Method::Pca => Ok(Projection {
                points: pca_2d(&self.features, self.feature_dim),
                kl_divergence: None,
                learning_rate: None,
                epochs: None,
                perplexity: None,
            }),
            Method::Tsne => tsne_2d(&self.features, self.feature_dim, perplexity, epochs, seed),
        }
    }

    /// Share of real (`real = true`) or generated points per confidence bin of width 1/bins.
    pub fn confidence_histogram(&self, real: bool, bins: usize) -> Vec<f64> {
        let mut counts = vec![0usize; bins];
        let mut total = 0;
        for (&c, &r) in self.confidence.iter().zip(&self.real) {
            if r == real {
                counts[((c * bins as f32) as usize).min(bins - 1)] += 1;
                total += 1;
            }
        }
        counts
            .iter()
            .map(|&c| c as f64 / total.max(1) as f64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    /// Two well separated blobs in 5-D.
    fn blobs() -> (Vec<f32>, Vec<u8>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200 {
            let class = (i % 2) as u8;
            for d in 0..5 {
                let centre = if class == 1 && d == 0 { 20.0 } else { 0.0 };
                features.push(centre + rng.sample::<f32, _>(StandardNormal));
            }
            labels.push(class);
        }
        (features, labels)
    }

    #[test]
    fn a_small_set_is_mapped_with_the_perplexity_it_allows() {
        let (features, labels) = blobs();
        // 20 points cannot keep 90 neighbours each: perplexity 6 instead of 30.
        let map = tsne_2d(&features[..20 * 5], 5, 30.0, 500, 1).unwrap();
        assert_eq!(map.perplexity, Some(6.0));
        assert_eq!(map.points.len(), 20);
        assert!(separated(&map.points, &labels[..20]));
        // 200 points keep the perplexity asked for; 4 are too few for any map.
        assert_eq!(
            tsne_2d(&features, 5, 30.0, 250, 1).unwrap().perplexity,
            Some(30.0)
        );
        let few = tsne_2d(&features[..4 * 5], 5, 30.0, 250, 1).unwrap_err();
        assert!(few.to_string().contains("at least 5 points"), "{few}");
    }

    fn separated(points: &[[f32; 2]], labels: &[u8]) -> bool {
        let mean = |c: u8| {
            let sel: Vec<&[f32; 2]> = points
                .iter()
                .zip(labels)
                .filter(|(_, l)| **l == c)
                .map(|(p, _)| p)
                .collect();
            let n = sel.len() as f32;
            [
                sel.iter().map(|p| p[0]).sum::<f32>() / n,
                sel.iter().map(|p| p[1]).sum::<f32>() / n,
            ]
        };
        let (a, b) = (mean(0), mean(1));
        // Nearest-centre classification in 2-D is right for nearly all points.
        let right = points
            .iter()
            .zip(labels)
            .filter(|(p, l)| {
                let da = (p[0] - a[0]).powi(2) + (p[1] - a[1]).powi(2);
                let db = (p[0] - b[0]).powi(2) + (p[1] - b[1]).powi(2);
                (da < db) == (**l == 0)
            })
            .count();
        right as f32 / points.len() as f32 > 0.95
    }

    #[test]
    fn pca_keeps_the_separating_axis() {
        let (features, labels) = blobs();
        let points = pca_2d(&features, 5);
        assert!(separated(&points, &labels));
    }

    #[test]
    fn tsne_separates_blobs() {
        let (features, labels) = blobs();
        let a = tsne_2d(&features, 5, 20.0, 300, 1).unwrap();
        assert!(separated(&a.points, &labels));
        // bhtsne sums forces in parallel, so maps from the same seed agree in layout, not bitwise.
        let b = tsne_2d(&features, 5, 20.0, 300, 1).unwrap();
        assert!(separated(&b.points, &labels));
    }
}
