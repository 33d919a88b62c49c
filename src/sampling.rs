//! Latent vectors and labels made on the host from seeded RNGs, so a run is reproducible on
//! any backend and a sample grid does not depend on the device's random generator.

use burn::prelude::*;
use burn::tensor::TensorData;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::StandardNormal;

/// (n, dim) standard normal latents.
pub fn normal_latents(rng: &mut impl Rng, n: usize, dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(normal_latents_host(rng, n, dim), [n, dim]),
        device,
    )
}

/// `n` standard-normal latents of `dim` values, row-major, on the host.
pub fn normal_latents_host(rng: &mut impl Rng, n: usize, dim: usize) -> Vec<f32> {
    (0..n * dim).map(|_| rng.sample(StandardNormal)).collect()
}

/// Labels 0, 1, .., classes-1, 0, 1, .. (n of them).
pub fn cycle_labels(n: usize, classes: usize, device: &Device) -> Tensor<1, Int> {
    labels_tensor((0..n).map(|i| (i % classes) as u8).collect(), device)
}

/// n labels drawn uniformly.
pub fn random_labels(
    rng: &mut impl Rng,
    n: usize,
    classes: usize,
    device: &Device,
) -> Tensor<1, Int> {
    labels_tensor(
        (0..n).map(|_| rng.random_range(0..classes) as u8).collect(),
        device,
    )
}

pub fn labels_tensor(labels: Vec<u8>, device: &Device) -> Tensor<1, Int> {
    let n = labels.len();
    let values: Vec<i64> = labels.into_iter().map(i64::from).collect();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// A deterministic RNG for one step of one run: no RNG state has to be saved to resume.
pub fn step_rng(seed: u64, step: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(step_seed(seed, step, stream))
}

/// A seed for one step of one run and one stream of randomness.
pub fn step_seed(seed: u64, step: u64, stream: u64) -> u64 {
    // SplitMix-style mixing so neighbouring steps get unrelated streams.
    let mut x = seed
        ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The fixed inputs of a sample grid: `rows` x `cols` latents and, for conditional models,
/// one class per row.
#[derive(Clone, Debug)]
pub struct FixedBatch {
    pub latents: Vec<f32>,
    pub labels: Option<Vec<u8>>,
    pub count: usize,
    pub latent_dim: usize,
}

impl FixedBatch {
    /// Conditional: `per_class` columns, one row per class. Unconditional: `count` latents.
    pub fn new(
        seed: u64,
        latent_dim: usize,
        conditional: bool,
        classes: usize,
        per_row: usize,
        rows: usize,
    ) -> Self {
        let count = per_row * rows;
        let mut rng = StdRng::seed_from_u64(seed);
        let latents = (0..count * latent_dim)
            .map(|_| rng.sample(StandardNormal))
            .collect();
        let labels = conditional.then(|| {
            (0..count)
                .map(|i| ((i / per_row) % classes) as u8)
                .collect()
        });
        Self {
            latents,
            labels,
            count,
            latent_dim,
        }
    }

    pub fn latents(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(self.latents.clone(), [self.count, self.latent_dim]),
            device,
        )
    }

    pub fn labels(&self, device: &Device) -> Option<Tensor<1, Int>> {
        self.labels
            .clone()
            .map(|labels| labels_tensor(labels, device))
    }
}

/// Runs the generator on `latents` (and labels) in chunks and returns the images as host
/// floats in [-1, 1], (n, C, H, W) row-major.
pub fn generate_pixels(
    generator: &crate::model::Generator,
    config: &crate::model::GanConfig,
    latents: &[f32],
    labels: Option<&[u8]>,
    device: &Device,
) -> anyhow::Result<Vec<f32>> {
    if latents.len() < config.latent_dim {
        return Ok(Vec::new());
    }
    host_pixels(generate_images(generator, config, latents, labels, device))
}

/// Generated images copied to the host as floats in [-1, 1], (n, C, H, W) row-major.
pub fn host_pixels(images: Tensor<4>) -> anyhow::Result<Vec<f32>> {
    images
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("cannot read generated images: {e:?}"))
}

/// Runs the generator on `latents` (and labels) in chunks of 500 and leaves the images, (n, C,
/// H, W) in [-1, 1], on `device` (the zero-copy display draws them from there). Needs at
/// least one latent.
pub fn generate_images(
    generator: &crate::model::Generator,
    config: &crate::model::GanConfig,
    latents: &[f32],
    labels: Option<&[u8]>,
    device: &Device,
) -> Tensor<4> {
    const CHUNK: usize = 500;
    let dim = config.latent_dim;
    let n = latents.len() / dim;
    let chunks: Vec<Tensor<4>> = (0..n)
        .step_by(CHUNK)
        .map(|start| {
            let end = (start + CHUNK).min(n);
            let z = Tensor::from_data(
                TensorData::new(latents[start * dim..end * dim].to_vec(), [end - start, dim]),
                device,
            );
            let l = labels.map(|l| labels_tensor(l[start..end].to_vec(), device));
            generator.forward(config, z, l)
        })
        .collect();
    Tensor::cat(chunks, 0)
}

/// A fixed-noise sample set: `per_class` images of each class for conditional models (class by
/// class), or `per_class` images for unconditional ones, from the noise stream `seed`. Returns
/// the images in [-1, 1] and, for conditional models, the requested labels.
pub fn generate_set(
    generator: &crate::model::Generator,
    config: &crate::model::GanConfig,
    per_class: usize,
    seed: u64,
    device: &Device,
) -> anyhow::Result<(Vec<f32>, Option<Vec<u8>>)> {
    let conditional = config.model.is_conditional();
    let rows = if conditional { config.num_classes } else { 1 };
    let batch = FixedBatch::new(
        seed,
        config.latent_dim,
        conditional,
        config.num_classes,
        per_class,
        rows,
    );
    let pixels = generate_pixels(
        generator,
        config,
        &batch.latents,
        batch.labels.as_deref(),
        device,
    )?;
    Ok((pixels, batch.labels))
}
