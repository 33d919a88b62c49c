//! Moving through latent space: linear and spherical interpolation, and the directions of z
//! along which the generator's images vary most.

use anyhow::Result;
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::source::LoadedGenerator;
use crate::sampling::normal_latents_host;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interpolation {
    #[default]
    Linear,
    /// Along the great circle: keeps the norm a Gaussian latent typically has, so the middle of
    /// the path is not a washed-out "average" digit.
    Spherical,
}

/// `steps` latents from `a` to `b` inclusive, as one flat row-major buffer.
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, how: Interpolation) -> Vec<f32> {
    let steps = steps.max(2);
    let mut out = Vec::with_capacity(steps * a.len());
    for i in 0..steps {
        let t = i as f32 / (steps - 1) as f32;
        out.extend(point(a, b, t, how));
    }
    out
}

/// One point at `t` in [0, 1] between `a` and `b`.
pub fn point(a: &[f32], b: &[f32], t: f32, how: Interpolation) -> Vec<f32> {
    let lerp = || a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect();
    match how {
        Interpolation::Linear => lerp(),
        Interpolation::Spherical => {
            let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let (na, nb) = (norm(a), norm(b));
            if na == 0.0 || nb == 0.0 {
                return lerp();
            }
            let cos =
                (a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (na * nb)).clamp(-1.0, 1.0);
            let omega = cos.acos();
            if omega.abs() < 1e-4 {
                return lerp();
            }
            let (wa, wb) = (
                ((1.0 - t) * omega).sin() / omega.sin(),
                (t * omega).sin() / omega.sin(),
            );
            a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
        }
    }
}

/// Unit directions in latent space along which the generated images change most.
///
/// Generates `samples` images from random latents (with cycling labels for conditional models),
/// finds the images' principal components through the `samples x samples` Gram matrix (cheap,
/// as samples << pixels), and regresses the latents on each component's scores: the direction
/// of z that best predicts moving along that image component.
pub fn principal_directions(
    generator: &LoadedGenerator,
    samples: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<Vec<f32>>> {
    let dim = generator.latent_dim();
    let mut rng = StdRng::seed_from_u64(seed);
    let latents = normal_latents_host(&mut rng, samples, dim);
    let labels: Option<Vec<u8>> = generator.is_conditional().then(|| {
        (0..samples)
            .map(|i| (i % generator.classes()) as u8)
            .collect()
    });
    let pixels = generator.generate(&latents, labels.as_deref())?;
    let side = pixels.len() / samples;
    let centre = |values: &[f32], width: usize| {
        let mut m = DMatrix::from_row_slice(samples, width, values).cast::<f64>();
        for mut column in m.column_iter_mut() {
            let mean = column.mean();
            column.add_scalar_mut(-mean);
        }
        m
    };
    let x = centre(&pixels, side);
    let z = centre(&latents, dim);
    let gram = &x * x.transpose();
    let eigen = SymmetricEigen::new(gram);
    let mut order: Vec<usize> = (0..samples).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    Ok(order
        .into_iter()
        .take(count.min(samples))
        .map(|k| {
            let scores = eigen.eigenvectors.column(k);
            let direction = z.transpose() * scores;
            let norm = direction.norm().max(1e-12);
            direction.iter().map(|v| (v / norm) as f32).collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_ends_at_both_latents() {
        let (a, b) = ([1.0, 0.0, 2.0], [0.0, 1.0, -2.0]);
        for how in [Interpolation::Linear, Interpolation::Spherical] {
            let path = interpolate(&a, &b, 5, how);
            assert_eq!(path.len(), 15);
            for (x, y) in path[..3].iter().zip(&a) {
                assert!((x - y).abs() < 1e-5, "{how:?} start");
            }
            for (x, y) in path[12..].iter().zip(&b) {
                assert!((x - y).abs() < 1e-5, "{how:?} end");
            }
        }
    }

    #[test]
    fn spherical_keeps_the_norm_of_equal_norm_latents() {
        let (a, b) = ([3.0, 0.0], [0.0, 3.0]);
        let mid = point(&a, &b, 0.5, Interpolation::Spherical);
        let norm = (mid[0] * mid[0] + mid[1] * mid[1]).sqrt();
        assert!((norm - 3.0).abs() < 1e-5, "norm {norm}");
        let lin = point(&a, &b, 0.5, Interpolation::Linear);
        assert!(((lin[0] * lin[0] + lin[1] * lin[1]).sqrt() - 2.1213).abs() < 1e-3);
    }
}
