//! CycleGAN's training loop, written out: both generators step through frozen
//! discriminators, then both discriminators step on pooled fakes (the reference
//! implementation's order). It shares with the GAN trainer the run folder, its lock, atomic
//! checkpoints, the metrics log and the NaN stop.

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Bytes;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::config::CycleGanConfig;
use super::domain::Domain;
use super::networks::{Discriminators, Generators};
use super::pool::ImagePool;
use super::run::{self, CONFIG_FILE};
use crate::sampling::step_rng;
use crate::train::RunDir;
use crate::train::checkpoint::{self, TrainState};
use crate::train::lock::RunLock;

const STREAM_SHUFFLE: u64 = 11;
const STREAM_FLIP: u64 = 12;
const STREAM_POOL: u64 = 13;

const GENERATORS: &str = "generators.bpk";
const GENERATORS_EMA: &str = "generators_ema.bpk";
const DISCRIMINATORS: &str = "discriminators.bpk";
const OPTIM_G: &str = "optim_g.bpk";
const OPTIM_D: &str = "optim_d.bpk";
const POOL_A: &str = "pool_a.f32";
const POOL_B: &str = "pool_b.f32";

/// One step's figures, one line of `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleStepMetrics {
    pub step: usize,
    /// The generators' learning rate this step.
    pub learning_rate: f64,
    /// Least-squares adversarial loss of G: A -> B (judged by D_B) and of F: B -> A (by D_A).
    pub g_a2b: f32,
    pub g_b2a: f32,
    /// Mean absolute error of A -> B -> A and B -> A -> B on [0, 1] pixels (unweighted; the
    /// loss is λ_cyc times twice their sum, as pixels are in [-1, 1]).
    pub cycle_a: f32,
    pub cycle_b: f32,
    /// Mean absolute error on [0, 1] pixels of G on B's pictures and F on A's, averaged: how
    /// much each changes a picture already of its target domain (0 when the identity loss is
    /// off; its weight in the loss is λ_cyc·λ_idt).
    pub identity: f32,
    /// The discriminators' least-squares losses (halved, as in the paper).
    pub d_a: f32,
    pub d_b: f32,
    pub elapsed_secs: f64,
}

/// What the loop reports while it runs.
pub enum CycleEvent<'a> {
    Step(&'a CycleStepMetrics),
    /// The translation grid of fixed held-out pictures was written to `path`; `pixels` are
    /// its `rows` x 6 tiles in [-1, 1].
    Sample {
        step: usize,
        path: PathBuf,
        pixels: &'a [f32],
        rows: usize,
    },
    Checkpoint {
        step: usize,
        path: PathBuf,
    },
}

pub use crate::train::RunOutcome;

/// A CycleGAN run in progress.
pub struct CycleTrainer {
    pub config: CycleGanConfig,
    pub run: RunDir,
    device: Device,
    generators: Generators,
    discriminators: Discriminators,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    /// The generators' weight average (plain device) and its update count.
    ema: Option<(Generators, usize)>,
    /// Fakes of domain A (for D_A) and of domain B (for D_B).
    pool_a: ImagePool,
    pool_b: ImagePool,
    a: Domain,
    b: Domain,
    step: usize,
    elapsed_before_secs: f64,
    orders: [(usize, Vec<usize>); 2],
    metrics_log: BufWriter<std::fs::File>,
    _lock: RunLock,
}

/// Adam with the run's betas; its update is fused on flex (burn's own elsewhere).
fn adam(config: &CycleGanConfig) -> ModuleOptimizer {
    crate::fused::adam::module_adam(config.beta1, config.beta2, 1e-8)
}

/// mean((x - target)²): the least-squares GAN loss against a constant target.
fn squared_error_to(x: Tensor<4>, target: f32) -> Tensor<1> {
    x.sub_scalar(target).powi_scalar(2).mean()
}

fn mean_abs(x: Tensor<4>, y: Tensor<4>) -> Tensor<1> {
    (x - y).abs().mean()
}

impl CycleTrainer {
    /// Starts a new run in `run` (which must not hold one) on domains read for `config`.
    pub fn create(
        config: CycleGanConfig,
        run: RunDir,
        (a, b): (Domain, Domain),
        device: &Device,
    ) -> Result<Self> {
        config.validate()?;
        let lock = RunLock::acquire(&run)?;
        if run.root.join(CONFIG_FILE).exists() || run.config().exists() {
            bail!(
                "run {} already exists; continue it with --resume or pick another --run name",
                run.root.display()
            );
        }
        run.create()?;
        std::fs::File::create(run.metrics())
            .with_context(|| format!("cannot create {}", run.metrics().display()))?;
        // Last and atomic: the folder counts as a run once its config is whole.
        crate::fsutil::save_config(&config, &run.root.join(CONFIG_FILE))?;
        let device = device.clone().autodiff();
        let generators = config.init_generators(&device, config.seed);
        let discriminators = config.init_discriminators(&device, config.seed);
        let ema = config.ema_decay.map(|_| {
            let plain = device.clone().without_autodiff();
            (average_start(&config, &generators, &plain), 0)
        });
        let picture_len = config.channels * config.image_size * config.image_size;
        Self::assemble(
            config.clone(),
            (run, lock),
            (a, b),
            device,
            (generators, discriminators),
            (adam(&config), adam(&config)),
            ema,
            (
                ImagePool::new(config.pool_size, picture_len),
                ImagePool::new(config.pool_size, picture_len),
            ),
            TrainState {
                step: 0,
                total_steps: config.steps,
                elapsed_secs: 0.0,
            },
        )
    }

    /// Continues a run from its latest checkpoint; `steps` replaces its planned total.
    pub fn resume(
        run: RunDir,
        (a, b): (Domain, Domain),
        device: &Device,
        steps: Option<usize>,
    ) -> Result<Self> {
        let lock = RunLock::acquire(&run)?;
        let mut config = CycleGanConfig::load_run(&run.root.join(CONFIG_FILE))?;
        if let Some(steps) = steps {
            config.steps = steps;
            config.decay_steps = config.decay_steps.min(steps);
        }
        config.validate()?;
        let Some(checkpoint) = checkpoint::latest(&run)? else {
            // Stopped before its first checkpoint: start again from the seed, which gives the
            // same networks and steps the first start would have.
            drop(lock);
            std::fs::remove_file(run.root.join(CONFIG_FILE))
                .with_context(|| format!("cannot restart {}", run.root.display()))?;
            return Self::create(config, run, (a, b), device);
        };
        let device = device.clone().autodiff();
        let picture_len = config.channels * config.image_size * config.image_size;
        let state = checkpoint::load_state(&checkpoint)?;
        let generators = checkpoint::load_module(
            config.init_generators(&device, config.seed),
            &checkpoint.join(GENERATORS),
        )?;
        let discriminators = checkpoint::load_module(
            config.init_discriminators(&device, config.seed),
            &checkpoint.join(DISCRIMINATORS),
        )?;
        let load_optim = |file: &str| -> Result<ModuleOptimizer> {
            let path = checkpoint.join(file);
            adam(&config)
                .from_bytes(checkpoint::read_bytes(&path)?)
                .map_err(|e| anyhow!("{}: not a valid optimiser state: {e}", path.display()))
        };
        let optimizers = (load_optim(OPTIM_G)?, load_optim(OPTIM_D)?);
        let load_pool = |file: &str| -> Result<ImagePool> {
            let path = checkpoint.join(file);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("cannot read checkpoint file {}", path.display()))?;
            ImagePool::from_bytes(config.pool_size, picture_len, &bytes)
                .with_context(|| path.display().to_string())
        };
        let pools = (load_pool(POOL_A)?, load_pool(POOL_B)?);
        let plain = device.clone().without_autodiff();
        let ema = match config.ema_decay {
            Some(_) => {
                let path = checkpoint.join(GENERATORS_EMA);
                Some(if path.is_file() {
                    (
                        checkpoint::load_module(
                            config.init_generators(&plain, config.seed),
                            &path,
                        )?,
                        state.step,
                    )
                } else {
                    (average_start(&config, &generators, &plain), 0)
                })
            }
            None => None,
        };
        crate::train::trainer::truncate_metrics(&run, state.step)?;
        Self::assemble(
            config,
            (run, lock),
            (a, b),
            device,
            (generators, discriminators),
            optimizers,
            ema,
            pools,
            state,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        config: CycleGanConfig,
        (run, lock): (RunDir, RunLock),
        (a, b): (Domain, Domain),
        device: Device,
        (generators, discriminators): (Generators, Discriminators),
        (optim_g, optim_d): (ModuleOptimizer, ModuleOptimizer),
        ema: Option<(Generators, usize)>,
        (pool_a, pool_b): (ImagePool, ImagePool),
        state: TrainState,
    ) -> Result<Self> {
        for (name, domain, record) in [("A", &a, &config.domain_a), ("B", &b, &config.domain_b)] {
            let split = &domain.train;
            if split.channels != config.channels
                || split.rows != config.image_size
                || split.cols != config.image_size
            {
                bail!(
                    "domain {name}'s pictures are {}x{} with {} channel(s), the run's {}x{} \
                     with {}",
                    split.rows,
                    split.cols,
                    split.channels,
                    config.image_size,
                    config.image_size,
                    config.channels
                );
            }
            if split.len() != record.train_count {
                bail!(
                    "domain {name} ({}) now has {} training pictures; the run trained on {}",
                    record.spec,
                    split.len(),
                    record.train_count
                );
            }
            if split.len() < config.batch_size {
                bail!(
                    "domain {name} ({}) has {} training pictures, fewer than one batch of {}: \
                     choose a batch size of at most {}",
                    record.spec,
                    split.len(),
                    config.batch_size,
                    split.len()
                );
            }
        }
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(run.metrics())
            .with_context(|| format!("cannot open {}", run.metrics().display()))?;
        Ok(Self {
            config,
            run,
            device,
            generators,
            discriminators,
            optim_g,
            optim_d,
            ema,
            pool_a,
            pool_b,
            a,
            b,
            step: state.step,
            elapsed_before_secs: state.elapsed_secs,
            orders: [(usize::MAX, Vec::new()), (usize::MAX, Vec::new())],
            metrics_log: BufWriter::new(log),
            _lock: lock,
        })
    }

    pub fn step_count(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.config.steps
    }

    /// The held-out pictures of both domains.
    pub fn domains(&self) -> (&Domain, &Domain) {
        (&self.a, &self.b)
    }

    /// What translations come from: the weight average if the run keeps one, else the last
    /// weights (without autodiff).
    pub fn sampling_generators(&self) -> Generators {
        match &self.ema {
            Some((average, _)) => average.clone(),
            None => self.generators.valid(),
        }
    }

    /// This step's batch of domain `which` (0: A, 1: B): a per-epoch shuffle of its training
    /// pictures, each mirrored half the time when the run flips.
    fn batch(&mut self, which: usize) -> Tensor<4> {
        let (split, seed) = match which {
            0 => (&self.a.train, self.config.seed),
            _ => (&self.b.train, self.config.seed ^ 0xB),
        };
        let bs = self.config.batch_size;
        let per_epoch = split.len() / bs;
        let (epoch, position) = (self.step / per_epoch, self.step % per_epoch);
        let order = &mut self.orders[which];
        if order.0 != epoch {
            let mut indices: Vec<usize> = (0..split.len()).collect();
            indices.shuffle(&mut step_rng(seed, epoch as u64, STREAM_SHUFFLE));
            *order = (epoch, indices);
        }
        let indices = &order.1[position * bs..(position + 1) * bs];
        let mut pixels = split.batch_pixels(indices, None);
        if self.config.flip {
            let mut rng = step_rng(seed, self.step as u64, STREAM_FLIP);
            let side = split.cols;
            for picture in pixels.chunks_exact_mut(split.pixels_per_image()) {
                if rng.random_bool(0.5) {
                    for row in picture.chunks_exact_mut(side) {
                        row.reverse();
                    }
                }
            }
        }
        Tensor::from_data(
            TensorData::new(pixels, [bs, split.channels, split.rows, split.cols]),
            &self.device,
        )
    }

    /// One step: both generators, then both discriminators. On flex the pool's other workers
    /// stay awake through it ([`crate::fused::awake`]).
    pub fn step(&mut self) -> Result<CycleStepMetrics> {
        let device = self.device.clone();
        crate::fused::awake::step_on(&device, || self.step_here())
    }

    fn step_here(&mut self) -> Result<CycleStepMetrics> {
        let started = Instant::now();
        let cfg = self.config.clone();
        let rate = cfg.rate_factor_at(self.step);
        let real_a = self.batch(0);
        let real_b = self.batch(1);
        let lambda = cfg.lambda_cycle as f32;

        let g = &self.generators;
        let fake_b = g.a2b.forward(real_a.clone());
        let rec_a = g.b2a.forward(fake_b.clone());
        let fake_a = g.b2a.forward(real_b.clone());
        let rec_b = g.a2b.forward(fake_a.clone());
        // G's loss flows through D without computing D's weight gradients.
        let frozen = self.discriminators.clone().no_grad();
        let g_a2b = squared_error_to(frozen.b.forward(fake_b.clone()), 1.0);
        let g_b2a = squared_error_to(frozen.a.forward(fake_a.clone()), 1.0);
        let cycle_a = mean_abs(rec_a, real_a.clone());
        let cycle_b = mean_abs(rec_b, real_b.clone());
        let mut loss_g =
            g_a2b.clone() + g_b2a.clone() + (cycle_a.clone() + cycle_b.clone()).mul_scalar(lambda);
        let identity = if cfg.lambda_identity > 0.0 {
            // G should leave a picture that is already of domain B as it is, and F one of A.
            let same_b = mean_abs(g.a2b.forward(real_b.clone()), real_b.clone());
            let same_a = mean_abs(g.b2a.forward(real_a.clone()), real_a.clone());
            let identity = same_a + same_b;
            loss_g = loss_g
                + identity
                    .clone()
                    .mul_scalar(lambda * cfg.lambda_identity as f32);
            identity.detach()
        } else {
            Tensor::zeros([1], &self.device)
        };
        let grads = GradientsParams::from_grads(loss_g.backward(), &self.generators);
        self.generators =
            self.optim_g
                .step(cfg.lr_generators * rate, self.generators.clone(), grads);
        if let Some((average, updates)) = &mut self.ema {
            *updates += 1;
            let decay = crate::train::ema::warmed_up(cfg.ema_decay.unwrap_or(0.0), *updates);
            crate::train::ema::blend_into(average, &self.generators.valid(), decay);
        }

        // The discriminators: real against pooled fakes, the fakes made before G's update.
        let mut pool_rng = step_rng(cfg.seed, self.step as u64, STREAM_POOL);
        let pooled = |pool: &mut ImagePool, fake: Tensor<4>, rng: &mut rand::rngs::StdRng| {
            let dims = fake.dims();
            let host = fake
                .detach()
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow!("cannot read the generated pictures: {e:?}"))?;
            anyhow::Ok(Tensor::<4>::from_data(
                TensorData::new(pool.query(&host, rng), dims),
                &self.device,
            ))
        };
        let pooled_b = pooled(&mut self.pool_b, fake_b, &mut pool_rng)?;
        let pooled_a = pooled(&mut self.pool_a, fake_a, &mut pool_rng)?;
        let d = &self.discriminators;
        let d_b = (squared_error_to(d.b.forward(real_b), 1.0)
            + squared_error_to(d.b.forward(pooled_b), 0.0))
        .mul_scalar(0.5);
        let d_a = (squared_error_to(d.a.forward(real_a), 1.0)
            + squared_error_to(d.a.forward(pooled_a), 0.0))
        .mul_scalar(0.5);
        let loss_d = d_a.clone() + d_b.clone();
        let grads = GradientsParams::from_grads(loss_d.backward(), &self.discriminators);
        self.discriminators = self.optim_d.step(
            cfg.lr_discriminators * rate,
            self.discriminators.clone(),
            grads,
        );

        // One read per step.
        let values = Tensor::cat(
            vec![
                g_a2b.detach(),
                g_b2a.detach(),
                cycle_a.detach(),
                cycle_b.detach(),
                identity,
                d_a.detach(),
                d_b.detach(),
                loss_g.detach(),
            ],
            0,
        )
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow!("cannot read the step's losses: {e:?}"))?;
        self.step += 1;
        // Pixels are in [-1, 1]: half the error is the error on [0, 1].
        let metrics = CycleStepMetrics {
            step: self.step,
            learning_rate: cfg.lr_generators * rate,
            g_a2b: values[0],
            g_b2a: values[1],
            cycle_a: values[2] / 2.0,
            cycle_b: values[3] / 2.0,
            // The mean of two errors on [-1, 1]: a quarter of their sum on [0, 1].
            identity: values[4] / 4.0,
            d_a: values[5],
            d_b: values[6],
            elapsed_secs: self.elapsed_before_secs + started.elapsed().as_secs_f64(),
        };
        self.elapsed_before_secs = metrics.elapsed_secs;
        crate::train::trainer::refuse_divergence(
            self.step,
            &[
                ("the generators'", values[7]),
                ("the discriminators'", metrics.d_a + metrics.d_b),
            ],
            cfg.loss_limit,
            "try a lower --lr-g / --lr-d",
        )?;
        Ok(metrics)
    }

    /// Trains until the planned number of steps or until `on_event` breaks.
    pub fn run(
        &mut self,
        mut on_event: impl FnMut(CycleEvent<'_>) -> ControlFlow<()>,
    ) -> Result<RunOutcome> {
        while self.step < self.config.steps {
            let metrics = self.step()?;
            serde_json::to_writer(&mut self.metrics_log, &metrics)?;
            self.metrics_log
                .write_all(b"\n")
                .with_context(|| format!("cannot write {}", self.run.metrics().display()))?;
            let mut flow = on_event(CycleEvent::Step(&metrics));
            let step = self.step;
            let last = step == self.config.steps;
            if last
                || (self.config.sample_every > 0 && step.is_multiple_of(self.config.sample_every))
            {
                let (path, pixels, rows) = self.write_samples()?;
                if flow.is_continue() {
                    flow = on_event(CycleEvent::Sample {
                        step,
                        path,
                        pixels: &pixels,
                        rows,
                    });
                }
            }
            let stopping = flow.is_break();
            if last
                || stopping
                || (self.config.checkpoint_every > 0
                    && step.is_multiple_of(self.config.checkpoint_every))
            {
                let path = self.save_checkpoint()?;
                if on_event(CycleEvent::Checkpoint { step, path }).is_break() && !last {
                    return Ok(RunOutcome::Stopped);
                }
            }
            if stopping {
                return Ok(RunOutcome::Stopped);
            }
        }
        Ok(RunOutcome::Finished)
    }

    /// Writes a checkpoint of the current state (the metrics log flushed first).
    pub fn save_checkpoint(&mut self) -> Result<PathBuf> {
        self.metrics_log
            .flush()
            .with_context(|| format!("cannot write {}", self.run.metrics().display()))?;
        let state = TrainState {
            step: self.step,
            total_steps: self.config.steps,
            elapsed_secs: self.elapsed_before_secs,
        };
        checkpoint::save_files(&self.run, &state, || {
            let mut files = vec![
                (
                    GENERATORS,
                    checkpoint::record_bytes(&self.generators, "generators")?,
                ),
                (
                    DISCRIMINATORS,
                    checkpoint::record_bytes(&self.discriminators, "discriminators")?,
                ),
                (OPTIM_G, checkpoint::optimizer_bytes(&self.optim_g, "G")?),
                (OPTIM_D, checkpoint::optimizer_bytes(&self.optim_d, "D")?),
                (POOL_A, Bytes::from_bytes_vec(self.pool_a.to_bytes())),
                (POOL_B, Bytes::from_bytes_vec(self.pool_b.to_bytes())),
            ];
            if let Some((average, _)) = &self.ema {
                files.push((
                    GENERATORS_EMA,
                    checkpoint::record_bytes(average, "averaged generators")?,
                ));
            }
            Ok(files)
        })
    }

    /// The translation grid of the run's fixed held-out pictures as `samples/step-N.png` and
    /// `samples/latest.png`: the path, the tiles and the row count.
    pub fn write_samples(&self) -> Result<(PathBuf, Vec<f32>, usize)> {
        let device = self.device.clone().without_autodiff();
        let (pixels, rows) = run::slides_grid(
            &self.sampling_generators(),
            &self.a.held_out,
            &self.b.held_out,
            run::GRID_ROWS,
            &device,
        )?;
        let path = self
            .run
            .samples()
            .join(format!("step-{:08}.png", self.step));
        run::save_slides_grid(&path, &pixels, rows, self.config.image_size)?;
        let latest = self.run.samples().join("latest.png");
        std::fs::copy(&path, &latest)
            .with_context(|| format!("cannot write {}", latest.display()))?;
        Ok((path, pixels, rows))
    }
}

/// The weight average's start: a fresh copy of `generators` (own parameter ids) on `device`.
fn average_start(config: &CycleGanConfig, generators: &Generators, device: &Device) -> Generators {
    let mut average = config.init_generators(device, config.seed);
    crate::train::ema::blend_into(&mut average, &generators.valid(), 0.0);
    average
}

/// The checkpoint file a trained run's translations come from: the average when it has one.
pub(crate) fn sampling_record(checkpoint: &std::path::Path) -> PathBuf {
    let ema = checkpoint.join(GENERATORS_EMA);
    if ema.is_file() {
        ema
    } else {
        checkpoint.join(GENERATORS)
    }
}
