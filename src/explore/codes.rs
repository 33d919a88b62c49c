//! InfoGAN's code sweep, the paper's figure (Chen et al. 2016, fig. 2): one row per category
//! code, columns moving one continuous code from -2 to 2 (beyond the U(-1, 1) it trained on,
//! as the paper shows) with the noise and the other codes held still.

use anyhow::{Result, bail};
use burn::prelude::*;
use burn::tensor::TensorData;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::model::layers::Condition;
use crate::model::{GanConfig, Generator};
use crate::sampling::{labels_tensor, normal_latents_host};

/// Where a sweep's columns go: the paper's range.
pub const SWEEP_RANGE: (f32, f32) = (-2.0, 2.0);

/// The noise part of an InfoGAN latent drawn with `seed` (the latent less its continuous codes).
pub fn sweep_noise(config: &GanConfig, seed: u64) -> Vec<f32> {
    let noise_dim = config.latent_dim.saturating_sub(config.continuous_codes);
    normal_latents_host(&mut StdRng::seed_from_u64(seed), 1, noise_dim)
}

/// Images (rows = categories, `columns` each, row-major, values in [-1, 1]) of continuous code
/// `code` (0-based) swept over `range`, every image from the same `noise` (the first
/// latent_dim - K values of a latent; the other codes sit at 0), left on `device`.
pub fn code_sweep(
    generator: &Generator,
    config: &GanConfig,
    code: usize,
    columns: usize,
    range: (f32, f32),
    noise: &[f32],
    device: &Device,
) -> Result<Tensor<4>> {
    let k = config.model.family().continuous_codes(config);
    if k == 0 {
        bail!(
            "a code sweep needs continuous codes (an InfoGAN run); this one is {}",
            config.model.name()
        );
    }
    if code >= k {
        bail!(
            "continuous code c{} does not exist; the run has {k}",
            code + 1
        );
    }
    if columns < 2 {
        bail!("a sweep needs at least 2 columns");
    }
    let noise_dim = config.latent_dim - k;
    if noise.len() < noise_dim {
        bail!("{} noise values, the run needs {noise_dim}", noise.len());
    }
    let noise = &noise[..noise_dim];
    let categories = config.num_classes;
    let mut input = Vec::with_capacity(categories * columns * config.latent_dim);
    let mut labels = Vec::with_capacity(categories * columns);
    for category in 0..categories {
        for column in 0..columns {
            let t = column as f32 / (columns - 1) as f32;
            input.extend_from_slice(noise);
            // The other continuous codes at their middle, 0.
            input.extend((0..k).map(|c| {
                if c == code {
                    range.0 + t * (range.1 - range.0)
                } else {
                    0.0
                }
            }));
            labels.push(category as u8);
        }
    }
    let rows = categories * columns;
    let input = Tensor::<2>::from_data(TensorData::new(input, [rows, config.latent_dim]), device);
    let labels = labels_tensor(labels, device);
    Ok(generator.forward_prepared(config, input, Some(Condition::Labels(labels))))
}
