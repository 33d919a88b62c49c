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
    /// The whole process's CPU time over wall time, timed steps only (200% = 2 cores busy).
    pub cpu_percent: f64,
    /// The part of `cpu_percent` that was workers kept awake through a step
    /// (`fused::awake`) looking for work and finding none.
    pub idle_percent: f64,
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
    // Per phase: its wall times, and its CPU and keepers' idle totals (the cores it kept busy).
    let mut phase_samples: Vec<(String, Vec<f64>, f64, f64)> = Vec::new();
    // Over the timed steps: wall, process CPU and the kept-awake workers' idle time (ms).
    let (mut wall, mut cpu, mut idle) = (0.0, 0.0, 0.0);
    for _ in 0..repeats.max(1) {
        for _ in 0..warmup {
            trainer.step()?;
        }
        let (started, cpu_from, idle_from) = (
            Instant::now(),
            crate::train::process_cpu_ms(),
            crate::fused::awake::idle_ms(),
        );
        for _ in 0..steps.max(1) {
            let started = Instant::now();
            trainer.step()?; // reads the losses back, so the step's work is finished
            times_ms.push(started.elapsed().as_secs_f64() * 1e3);
            for phase in trainer.phase_times.iter().flatten() {
                match phase_samples.iter_mut().find(|(n, ..)| n == phase.name) {
                    Some((_, samples, cpu, idle)) => {
                        samples.push(phase.wall_ms);
                        *cpu += phase.cpu_ms;
                        *idle += phase.idle_ms;
                    }
                    None => phase_samples.push((
                        phase.name.to_string(),
                        vec![phase.wall_ms],
                        phase.cpu_ms,
                        phase.idle_ms,
                    )),
                }
            }
        }
        wall += started.elapsed().as_secs_f64() * 1e3;
        cpu += crate::train::process_cpu_ms() - cpu_from;
        idle += crate::fused::awake::idle_ms() - idle_from;
    }
    let median_ms = median(&mut times_ms);
    let phases_ms = phase_samples
        .into_iter()
        .map(|(name, mut samples, cpu, idle)| {
            let wall = samples.iter().sum::<f64>().max(f64::MIN_POSITIVE);
            PhaseSummary {
                name,
                median_ms: median(&mut samples),
                cpu_percent: 100.0 * cpu / wall,
                idle_percent: 100.0 * idle / wall,
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
        cpu_percent: 100.0 * cpu / wall,
        idle_percent: 100.0 * idle / wall,
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
    /// The part of `cpu_percent` that was workers kept awake finding no work.
    pub idle_percent: f64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GanConfig, ModelKind};

    #[test]
    fn throughput_reports_every_phase_and_the_cpu_at_work() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a test pool");
        let config = TrainConfig::new(GanConfig::new(ModelKind::Cgan)).with_batch_size(16);
        let result = pool
            .install(|| {
                train_throughput(
                    config,
                    synthetic_split(64),
                    &Device::flex(),
                    "flex",
                    1,
                    4,
                    1,
                )
            })
            .expect("a benchmark");
        assert_eq!(result.steps_timed, 4);
        let names: Vec<&str> = result.phases_ms.iter().map(|p| p.name.as_str()).collect();
        for phase in ["D backward", "G backward (through D)", "G Adam step"] {
            assert!(names.contains(&phase), "{phase} missing from {names:?}");
        }
        // Process-wide figures (tests beside this one add to them), so only their sense: some
        // CPU time, and an idle share that is a share.
        assert!(result.cpu_percent > 0.0, "{}", result.cpu_percent);
        assert!(
            result.idle_percent.is_finite() && result.idle_percent >= 0.0,
            "{}",
            result.idle_percent
        );
    }
}
