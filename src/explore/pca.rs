//! PCA as a generative baseline: per class, the mean image plus Gaussian coefficients on the
//! leading principal components, each with its component's variance. What a GAN has to beat:
//! it captures the average stroke and its main variations, and nothing sharper.

use anyhow::{Result, ensure};
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::data::Split;

/// A fitted per-class PCA model.
#[derive(Clone, Debug)]
pub struct PcaModel {
    pub side: usize,
    /// Colour channels: a colour picture is one vector of channels x side² values.
    pub channels: usize,
    pub components: usize,
    /// Per class: the mean image, in [-1, 1].
    means: Vec<Vec<f32>>,
    /// Per class: `components` rows of channels x side², each a principal direction scaled by its
    /// standard deviation, so a coefficient of 1 is one standard deviation.
    basis: Vec<Vec<f32>>,
}

impl PcaModel {
    /// Fits `components` components per class on up to `per_class` images of each class
    /// (a seeded random subset).
    pub fn fit(split: &Split, classes: usize, components: usize, per_class: usize) -> Result<Self> {
        let dim = split.channels * split.rows * split.cols;
        ensure!(split.rows == split.cols, "PCA expects square images");
        ensure!(components >= 1, "PCA needs at least one component");
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        // The subsets first, in class order from one generator (as before the classes were
        // fitted in parallel, so a refit gives the same model), then the classes in parallel.
        let mut subsets = Vec::with_capacity(classes);
        for class in 0..classes {
            let mut rows: Vec<usize> = (0..split.len())
                .filter(|&i| usize::from(split.labels[i]) == class)
                .collect();
            ensure!(
                rows.len() > components,
                "class {class} has {} images; PCA with {components} components needs more",
                rows.len()
            );
            rows.shuffle(&mut rng);
            rows.truncate(per_class.max(components + 1));
            subsets.push(rows);
        }
        let (means, basis): (Vec<Vec<f32>>, Vec<Vec<f32>>) = subsets
            .par_iter()
            .map(|rows| {
                let n = rows.len();
                // X (n, dim) in [-1, 1], then centred.
                let x = DMatrix::<f64>::from_fn(n, dim, |r, c| {
                    f64::from(split.images[rows[r] * dim + c]) / 127.5 - 1.0
                });
                let mean = x.row_mean();
                let centred = DMatrix::from_fn(n, dim, |r, c| x[(r, c)] - mean[c]);
                // With fewer images than pixels, the eigenvectors of the small Gram matrix
                // X Xᵀ give the principal directions: v = Xᵀ u / |Xᵀ u|, variance λ / (n - 1).
                // The scaled direction v·sqrt(λ / (n - 1)) is then simply Xᵀ u / sqrt(n - 1).
                let gram = &centred * centred.transpose();
                let eigen = SymmetricEigen::new(gram);
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
                let scale = 1.0 / ((n - 1) as f64).sqrt();
                let mut rows_out = Vec::with_capacity(components * dim);
                for &k in order.iter().take(components) {
                    let u = eigen.eigenvectors.column(k);
                    let direction = centred.transpose() * u;
                    rows_out.extend(direction.iter().map(|v| (v * scale) as f32));
                }
                (mean.iter().map(|&m| m as f32).collect(), rows_out)
            })
            .unzip();
        Ok(Self {
            side: split.rows,
            channels: split.channels,
            components,
            means,
            basis,
        })
    }

    pub fn classes(&self) -> usize {
        self.means.len()
    }

    /// Values in one image: channels x side².
    pub fn dim(&self) -> usize {
        self.channels * self.side * self.side
    }

    /// Class `class`'s mean image (channels x side² values in [-1, 1]).
    pub fn mean(&self, class: usize) -> &[f32] {
        &self.means[class]
    }

    /// Class `class`'s `component`-th principal direction, scaled by its standard deviation.
    pub fn direction(&self, class: usize, component: usize) -> &[f32] {
        let dim = self.dim();
        &self.basis[class][component * dim..(component + 1) * dim]
    }

    /// Images in [-1, 1]: row i is class `labels[i]`'s mean plus `latents` row i (the first
    /// `components` values of each row of `latent_dim`) on its scaled components.
    pub fn generate(&self, latents: &[f32], latent_dim: usize, labels: &[u8]) -> Vec<f32> {
        let dim = self.dim();
        let used = self.components.min(latent_dim);
        let mut out = Vec::with_capacity(labels.len() * dim);
        for (z, &label) in latents.chunks(latent_dim).zip(labels) {
            let class = usize::from(label) % self.classes();
            let mut image = self.means[class].clone();
            for (k, &coefficient) in z[..used].iter().enumerate() {
                let direction = &self.basis[class][k * dim..(k + 1) * dim];
                for (pixel, d) in image.iter_mut().zip(direction) {
                    *pixel += coefficient * d;
                }
            }
            out.extend(image.into_iter().map(|p| p.clamp(-1.0, 1.0)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes whose images vary along one known pixel pattern each.
    fn two_lines() -> Split {
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200u32 {
            let class = (i % 2) as u8;
            let strength = (i * 37 % 255) as u8;
            let mut image = vec![0u8; 16];
            // class 0 varies along row 0, class 1 along column 0
            for j in 0..4 {
                let at = if class == 0 { j } else { j * 4 };
                image[at] = strength;
            }
            images.extend(image);
            labels.push(class);
        }
        Split {
            channels: 1,
            images,
            labels,
            rows: 4,
            cols: 4,
        }
    }

    #[test]
    fn the_first_component_is_each_class_s_direction_of_variation() {
        let model = PcaModel::fit(&two_lines(), 2, 2, 100).unwrap();
        // Zero coefficients give the class mean; +2 standard deviations move only its line.
        let mean = model.generate(&[0.0, 0.0], 2, &[1]);
        let moved = model.generate(&[2.0, 0.0], 2, &[1]);
        for (i, (a, b)) in mean.iter().zip(&moved).enumerate() {
            if i % 4 == 0 {
                assert!((a - b).abs() > 0.5, "pixel {i} of column 0 should move");
            } else {
                assert!((a - b).abs() < 1e-4, "pixel {i} moved by {}", (a - b).abs());
            }
        }
        assert!(PcaModel::fit(&two_lines(), 2, 150, 100).is_err());
    }
}
