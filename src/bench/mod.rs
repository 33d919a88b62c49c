//! Throughput benchmarks: milliseconds per training step, measured the same way as
//! `bench/pytorch_bench.py` (one step = one D update on real + fake, one G update).

use std::time::Instant;

use anyhow::Result;
use burn::prelude::*;
use serde::Serialize;

use crate::data::Split;
use crate::train::{RunDir, TrainConfig, Trainer};

#[derive(Clone, Debug, Serialize)]
pub struct Throughput {
    pub model: String,
    pub device: String,
    pub batch_size: usize,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub images_per_sec: f64,
    pub steps_timed: usize,
    /// Each phase of a step, in step order.
    pub phases_ms: Vec<PhaseSummary>,
}

/// Stand-in data when no dataset is given: random bytes have the same cost as digits.
pub fn synthetic_split(count: usize) -> Split {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    Split {
        channels: 1,
        images: (0..count * 784).map(|_| rng.random()).collect(),
        labels: (0..count).map(|_| rng.random_range(0..10)).collect(),
        rows: 28,
        cols: 28,
    }
}

/// Times `steps` steps after `warmup` untimed ones, `repeats` times over, in a throwaway run.
pub fn train_throughput(
    config: TrainConfig,
    data: Split,
    device: &Device,
    device_name: &str,
    warmup: usize,
    steps: usize,
    repeats: usize,
) -> Result<Throughput> {
    let scratch = tempfile::tempdir()?;
    let run = RunDir::new(scratch.path(), "bench")?;
    let model = format!("{} {:?}", config.gan.model.name(), config.gan.depth).to_lowercase();
    let batch_size = config.batch_size;
    let config = config
        .with_max_steps(Some(usize::MAX / 2))
        .with_sample_every(0)
        .with_checkpoint_every(0);
    let mut trainer = Trainer::create(config, run, data, device)?;
    trainer.phase_times = Some(Vec::new());
    let mut times_ms = Vec::new();
    // Per phase: its wall times and its CPU total (for the cores it kept busy).
    let mut phase_samples: Vec<(String, Vec<f64>, f64)> = Vec::new();
    for _ in 0..repeats.max(1) {
        for _ in 0..warmup {
            trainer.step()?;
        }
        for _ in 0..steps.max(1) {
            let started = Instant::now();
            trainer.step()?; // reads the losses back, so the step's work is finished
            times_ms.push(started.elapsed().as_secs_f64() * 1e3);
            for phase in trainer.phase_times.iter().flatten() {
                match phase_samples.iter_mut().find(|(n, ..)| n == phase.name) {
                    Some((_, samples, cpu)) => {
                        samples.push(phase.wall_ms);
                        *cpu += phase.cpu_ms;
                    }
                    None => phase_samples.push((
                        phase.name.to_string(),
                        vec![phase.wall_ms],
                        phase.cpu_ms,
                    )),
                }
            }
        }
    }
    let median_ms = median(&mut times_ms);
    let phases_ms = phase_samples
        .into_iter()
        .map(|(name, mut samples, cpu)| {
            let wall: f64 = samples.iter().sum();
            PhaseSummary {
                name,
                median_ms: median(&mut samples),
                cpu_percent: 100.0 * cpu / wall.max(f64::MIN_POSITIVE),
            }
        })
        .collect();
    Ok(Throughput {
        model,
        device: device_name.to_string(),
        batch_size,
        median_ms,
        min_ms: times_ms[0],
        max_ms: times_ms[times_ms.len() - 1],
        images_per_sec: batch_size as f64 / (median_ms / 1e3),
        steps_timed: times_ms.len(),
        phases_ms,
    })
}

/// One phase of a step over the timed steps.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseSummary {
    pub name: String,
    /// Median wall time.
    pub median_ms: f64,
    /// Process CPU time over wall time in this phase, all steps together (200% = 2 cores busy).
    pub cpu_percent: f64,
}

/// Sorts `values` and returns the middle one.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times regenerating the explorer's 10x10 class grid (100 images of the bundled generator,
/// read back to the host) on `device`: `warmup` untimed runs, then `repeats` timed ones (ms).
pub fn explorer_grid(device: &Device, warmup: usize, repeats: usize) -> anyhow::Result<Vec<f64>> {
    use rand::SeedableRng;
    let generator = crate::explore::LoadedGenerator::load(
        &crate::explore::GeneratorSource::Bundled(crate::data::DatasetKind::Mnist),
        device,
    )?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let latents = crate::sampling::normal_latents_host(&mut rng, 100, generator.latent_dim());
    let labels: Vec<u8> = (0..100).map(|i| (i / 10) as u8).collect();
    let mut times = Vec::with_capacity(repeats);
    for i in 0..warmup + repeats {
        let started = std::time::Instant::now();
        let pixels = generator.generate(&latents, Some(&labels))?;
        anyhow::ensure!(pixels.len() == 100 * 28 * 28, "unexpected grid size");
        if i >= warmup {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(times)
}
