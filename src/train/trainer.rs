//! The training loop, written out: two optimisers, detached fakes for the D step.

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use rand::Rng;
use rand::seq::SliceRandom;

use super::checkpoint::{self, TrainState};
use super::config::TrainConfig;
use super::ema::Ema;
use super::lock::RunLock;
use super::metrics::{PendingNorms, StepMetrics};
use super::run_dir::RunDir;
use super::warp::Warp;
use crate::data::Split;
use crate::export::grid::{GridLayout, save_grid_png};
use crate::family::{DiscriminatorBatch, GeneratorBatch};
use crate::model::{Discriminator, Generator};
use crate::sampling::{
    FixedBatch, generate_images, host_pixels, normal_latents, random_labels, step_rng, step_seed,
};

/// Independent random streams derived from (seed, step).
const STREAM_NOISE: u64 = 1;
const STREAM_SHUFFLE: u64 = 2;
const STREAM_AUGMENT: u64 = 3;
/// Dropout masks, reseeded at every step.
const STREAM_DROPOUT: u64 = 4;
/// Soft real labels, a stream of their own so runs without them draw the same noise as before.
const STREAM_SOFT_LABELS: u64 = 5;
/// The random warp of D's inputs (`TrainConfig::warp`).
const STREAM_WARP: u64 = 6;
/// The second warp of the real batch, for families that compare two views of it
/// (`Family::second_real_view`); its own stream so the first warp draws as without it.
const STREAM_WARP_VIEW: u64 = 7;
/// Which of its nearest neighbours each real image is paired with (`info_pair_neighbours`).
const STREAM_NEIGHBOUR: u64 = 8;
/// Seed offset of the fixed sample-grid noise, so it differs from the training noise.
const FIXED_NOISE_SEED: u64 = 0xF1ED;

/// What the loop reports while it runs.
pub enum TrainEvent<'a> {
    Step(&'a StepMetrics),
    /// The fixed-noise grid was written to `path`; `pixels` are its images in [-1, 1]
    /// (`count` of them, `side`² values each).
    Sample {
        step: usize,
        path: PathBuf,
        pixels: &'a [f32],
        /// The same images, still on the training device.
        images: &'a Tensor<4>,
        count: usize,
        side: usize,
    },
    Checkpoint {
        step: usize,
        path: PathBuf,
    },
}

/// How a call to [`Trainer::run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    Finished,
    /// Stopped by the caller; a checkpoint was written so the run can be resumed.
    Stopped,
}

/// A run in progress: both networks, their optimisers, the data and the position in it.
pub struct Trainer {
    pub config: TrainConfig,
    pub run: RunDir,
    device: Device,
    generator: Generator,
    discriminator: Discriminator,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    ema: Option<Ema>,
    /// Classifier-guided families: the frozen classifier G's samples are read by.
    guide: Option<crate::eval::classifier::Classifier>,
    data: Split,
    fixed: FixedBatch,
    step: usize,
    total_steps: usize,
    elapsed_before_secs: f64,
    permutation: (usize, Vec<usize>),
    /// Each training image's nearest other training images (in pixels), `k` per image, when
    /// real images are paired with their neighbours (`GanConfig::info_pair_neighbours`).
    neighbours: Option<(usize, Vec<usize>)>,
    metrics_log: Option<BufWriter<std::fs::File>>,
    /// When set, each step records its phases here (benchmarks only).
    pub phase_times: Option<Vec<PhaseTime>>,
    /// This trainer is the run's only writer while it lives.
    _lock: RunLock,
}

/// One phase of a step: its wall time and the CPU time the whole process spent in it (all
/// threads), so `cpu_ms / wall_ms` says how many cores the phase kept busy.
#[derive(Debug, Clone, Copy)]
pub struct PhaseTime {
    pub name: &'static str,
    pub wall_ms: f64,
    pub cpu_ms: f64,
    /// The part of `cpu_ms` that was workers kept awake looking for work and finding none
    /// (`fused::awake`).
    pub idle_ms: f64,
}

/// Splits a step's wall time into named phases. On the flex backend every op runs eagerly,
/// so a phase's time is its own; on wgpu queued work lands in whichever phase reads back.
struct PhaseClock {
    /// When the last phase ended: wall clock, process CPU and keepers' idle time (ms).
    last: Option<(Instant, f64, f64)>,
    phases: Vec<PhaseTime>,
}

impl PhaseClock {
    fn new(enabled: bool) -> Self {
        Self {
            last: enabled.then(|| (Instant::now(), process_cpu_ms(), idle_ms())),
            phases: Vec::new(),
        }
    }

    fn mark(&mut self, name: &'static str) {
        if let Some((wall, cpu, idle)) = &mut self.last {
            let (now, now_cpu, now_idle) = (Instant::now(), process_cpu_ms(), idle_ms());
            self.phases.push(PhaseTime {
                name,
                wall_ms: (now - *wall).as_secs_f64() * 1e3,
                cpu_ms: now_cpu - *cpu,
                idle_ms: now_idle - *idle,
            });
            (*wall, *cpu, *idle) = (now, now_cpu, now_idle);
        }
    }
}

use crate::fused::awake::idle_ms;

/// CPU time the whole process (every thread) has used, in ms; 0 where the platform does not
/// say. std has no process CPU clock, hence libc.
pub fn process_cpu_ms() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec for the call to fill.
        if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6;
        }
    }
    0.0
}

/// Adam with the run's betas; its update is fused on flex (burn's own elsewhere).
fn adam(config: &TrainConfig) -> ModuleOptimizer {
    crate::fused::adam::module_adam(config.beta1, config.beta2, 1e-8)
}

impl Trainer {
    /// Starts a new run in `run` (which must not hold one already). `device` gets autodiff.
    pub fn create(config: TrainConfig, run: RunDir, data: Split, device: &Device) -> Result<Self> {
        config.validate()?;
        refuse_closed_form(&config)?;
        let lock = RunLock::acquire(&run)?;
        if run.config().exists() {
            bail!(
                "run {} already exists; continue it with --resume or pick another --run name",
                run.root.display()
            );
        }
        run.create()?;
        if config.gan.model.family().guided() {
            super::guide::install(&config, &run)?;
        }
        std::fs::File::create(run.metrics())
            .with_context(|| format!("cannot create {}", run.metrics().display()))?;
        // Last and atomic: a folder counts as a run once its config is whole, so a start killed
        // before this point is started again by `train`, and one killed after it by `--resume`.
        crate::fsutil::save_config(&config, &run.config())?;
        Self::fresh(config, run, lock, data, device)
    }

    /// A run at step 0 whose folder and config exist: networks initialised from the seed.
    fn fresh(
        config: TrainConfig,
        run: RunDir,
        lock: RunLock,
        data: Split,
        device: &Device,
    ) -> Result<Self> {
        let device = device.clone().autodiff();
        let (generator, discriminator) = crate::model::init_seeded(&device, config.seed, || {
            anyhow::Ok((
                config.gan.init_generator(&device),
                config.gan.init_discriminator(&device)?,
            ))
        })?;
        let plain = device.clone().without_autodiff();
        let ema = config
            .ema_decay
            .map(|decay| Ema::new(&config.gan, &generator, decay, &plain));
        Self::assemble(
            config,
            (run, lock),
            data,
            device,
            generator,
            discriminator,
            ema,
            None,
            TrainState {
                step: 0,
                total_steps: 0,
                elapsed_secs: 0.0,
            },
        )
    }

    /// Continues a run from its latest checkpoint. `extend` replaces the run's epochs/max steps.
    pub fn resume(
        run: RunDir,
        data: Split,
        device: &Device,
        extend: Option<(usize, Option<usize>)>,
    ) -> Result<Self> {
        let lock = RunLock::acquire(&run)?;
        let mut config = TrainConfig::load_run(&run.config())?;
        if let Some((epochs, max_steps)) = extend {
            config.epochs = epochs;
            config.max_steps = max_steps;
        }
        config.validate()?;
        refuse_closed_form(&config)?;
        let Some(checkpoint) = checkpoint::latest(&run)? else {
            // Stopped before its first checkpoint: start again from the seed, which gives the
            // same networks and the same steps the first start would have.
            truncate_metrics(&run, 0)?;
            return Self::fresh(config, run, lock, data, device);
        };
        if !checkpoint::is_resumable(&checkpoint) {
            bail!(
                "run {} holds only a generator (e.g. an unpacked bundled model), not the \
                 discriminator and optimiser state that continuing needs",
                run.root.display()
            );
        }
        let state = checkpoint::load_state(&checkpoint)?;
        let device = device.clone().autodiff();
        let generator = checkpoint::load_generator(&config.gan, &checkpoint, &device)?;
        let discriminator = checkpoint::load_discriminator(&config.gan, &checkpoint, &device)?;
        let optim_g = checkpoint::load_optimizer(adam(&config), &checkpoint, true)?;
        let optim_d = checkpoint::load_optimizer(adam(&config), &checkpoint, false)?;
        truncate_metrics(&run, state.step)?;
        let ema = match config.ema_decay {
            Some(decay) => {
                let plain = device.clone().without_autodiff();
                match checkpoint::load_generator_ema(&config.gan, &checkpoint, &plain)? {
                    Some(model) => Some(Ema::resumed(decay, state.step, model)),
                    None => Some(Ema::new(&config.gan, &generator, decay, &plain)),
                }
            }
            None => None,
        };
        Self::assemble(
            config,
            (run, lock),
            data,
            device,
            generator,
            discriminator,
            ema,
            Some((optim_g, optim_d)),
            state,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        config: TrainConfig,
        (run, lock): (RunDir, RunLock),
        data: Split,
        device: Device,
        generator: Generator,
        discriminator: Discriminator,
        ema: Option<Ema>,
        optimizers: Option<(ModuleOptimizer, ModuleOptimizer)>,
        state: TrainState,
    ) -> Result<Self> {
        let data = match config.train_limit {
            Some(n) => data.truncate(n),
            None => data,
        };
        check_data_shape(&data, &config.gan)?;
        if data.len() < config.batch_size {
            bail!(
                "only {} training images, fewer than one batch of {}: choose a batch size of \
                 at most {}",
                data.len(),
                config.batch_size,
                data.len()
            );
        }
        let guide = if config.gan.model.family().guided() {
            Some(super::guide::load(&config, &run, &device)?)
        } else {
            None
        };
        let fixed = fixed_batch(&config);
        let neighbours = pair_neighbours(&config, &data, &device)?;
        let (optim_g, optim_d) = optimizers.unwrap_or_else(|| (adam(&config), adam(&config)));
        let metrics_log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(run.metrics())
            .with_context(|| format!("cannot open {}", run.metrics().display()))?;
        let mut trainer = Self {
            _lock: lock,
            config,
            run,
            device,
            generator,
            discriminator,
            optim_g,
            optim_d,
            ema,
            guide,
            data,
            fixed,
            step: state.step,
            total_steps: 0,
            elapsed_before_secs: state.elapsed_secs,
            permutation: (usize::MAX, Vec::new()),
            neighbours,
            metrics_log: Some(BufWriter::new(metrics_log)),
            phase_times: None,
        };
        trainer.total_steps = trainer.planned_steps();
        Ok(trainer)
    }

    fn batches_per_epoch(&self) -> usize {
        self.data.len() / self.config.batch_size
    }

    fn planned_steps(&self) -> usize {
        let per_epoch = (self.batches_per_epoch() / self.config.d_updates).max(1);
        self.config
            .max_steps
            .unwrap_or(self.config.epochs * per_epoch)
    }

    pub fn step_count(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.total_steps
    }

    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    /// What samples come from: the weight average if the run keeps one, else the last weights
    /// (in inference mode, without autodiff).
    pub fn sampling_generator(&self) -> Generator {
        match &self.ema {
            Some(ema) => ema.model(),
            None => self.generator.valid(),
        }
    }

    /// The `k`-th real batch of the current step, from a per-epoch shuffle.
    fn real_batch(&mut self, k: usize) -> (Tensor<4>, Tensor<1, Int>, usize) {
        let (indices, global, epoch) = self.batch_indices(k);
        let mut augment_rng = step_rng(self.config.seed, global as u64, STREAM_AUGMENT);
        let augment: Option<&mut dyn rand::RngCore> = if self.config.augment {
            Some(&mut augment_rng)
        } else {
            None
        };
        let (images, labels) = self.data.batch(&indices, augment, &self.device);
        (images, labels, epoch)
    }

    /// For each image of the `k`-th real batch, one of its nearest training images, drawn
    /// from (seed, step); `None` unless real images are paired with their neighbours.
    fn neighbour_batch(&mut self, k: usize) -> Option<Tensor<4>> {
        let (indices, global, _) = self.batch_indices(k);
        let (per, table) = self.neighbours.as_ref()?;
        let mut rng = step_rng(self.config.seed, global as u64, STREAM_NEIGHBOUR);
        let picked: Vec<usize> = indices
            .iter()
            .map(|&i| table[i * per + rng.random_range(0..*per)])
            .collect();
        Some(self.data.batch(&picked, None, &self.device).0)
    }

    /// The data indices of the `k`-th real batch of the current step, its number among all
    /// batches, and its epoch.
    fn batch_indices(&mut self, k: usize) -> (Vec<usize>, usize, usize) {
        let per_epoch = self.batches_per_epoch();
        let global = self.step * self.config.d_updates + k;
        let (epoch, position) = (global / per_epoch, global % per_epoch);
        if self.permutation.0 != epoch {
            let mut order: Vec<usize> = (0..self.data.len()).collect();
            order.shuffle(&mut step_rng(
                self.config.seed,
                epoch as u64,
                STREAM_SHUFFLE,
            ));
            self.permutation = (epoch, order);
        }
        let bs = self.config.batch_size;
        let indices = self.permutation.1[position * bs..(position + 1) * bs].to_vec();
        (indices, global, epoch)
    }

    /// One step: `d_updates` discriminator updates, then `g_updates` generator updates. On flex
    /// the pool's other workers stay awake through it ([`crate::fused::awake`]).
    pub fn step(&mut self) -> Result<StepMetrics> {
        let device = self.device.clone();
        crate::fused::awake::step_on(&device, || self.step_here())
    }

    fn step_here(&mut self) -> Result<StepMetrics> {
        let started = Instant::now();
        let mut clock = PhaseClock::new(self.phase_times.is_some());
        let cfg = self.config.clone();
        let gan = &cfg.gan;
        let family = gan.model.family();
        let conditional = family.conditional();
        let reads_labels = family.discriminator_reads_labels();
        let bs = cfg.batch_size;
        let mut rng = step_rng(cfg.seed, self.step as u64, STREAM_NOISE);
        // Dropout masks come from (seed, step) too, so a resumed run repeats an uninterrupted
        // one step for step.
        crate::model::layers::seed_dropout(step_seed(cfg.seed, self.step as u64, STREAM_DROPOUT));
        let device = self.device.clone();
        let mut warp_rng = step_rng(cfg.seed, self.step as u64, STREAM_WARP);
        let bound = cfg.warp();
        let warp_with = |rng: &mut rand::rngs::StdRng, images: Tensor<4>| {
            if bound.is_none() {
                return images;
            }
            let [n, ..] = images.dims();
            Warp::random(rng, n, bound, &device).apply(images)
        };
        let mut warp = |images: Tensor<4>| warp_with(&mut warp_rng, images);
        let unwarped_too = !bound.is_none() && family.reads_unwarped_fakes(gan);
        let fresh_fake = |generator: &Generator, rng: &mut rand::rngs::StdRng| {
            let z = normal_latents(rng, bs, gan.latent_dim, &device);
            let labels = conditional.then(|| random_labels(rng, bs, gan.num_classes, &device));
            (generator.forward(gan, z.clone(), labels.clone()), labels, z)
        };
        // One generator forward serves the first D update (detached) and the first G update.
        let (fake, fake_labels, fake_latents) = fresh_fake(&self.generator, &mut rng);
        clock.mark("G forward");

        let mut d_report = None;
        let mut epoch = 0;
        for k in 0..cfg.d_updates {
            let (real, real_labels, e) = self.real_batch(k);
            let neighbours = self.neighbour_batch(k);
            let view = family.second_real_view(gan).then(|| {
                let draw = (self.step * cfg.d_updates + k) as u64;
                warp_with(
                    &mut step_rng(cfg.seed, draw, STREAM_WARP_VIEW),
                    neighbours.unwrap_or_else(|| real.clone()),
                )
            });
            let real = warp(real);
            clock.mark("data");
            epoch = e;
            let (fake_d, labels_d, latents_d) = if k == 0 {
                (
                    fake.clone().detach(),
                    fake_labels.clone(),
                    fake_latents.clone(),
                )
            } else {
                let (f, l, z) = fresh_fake(&self.generator, &mut rng);
                (f.detach(), l, z)
            };
            let mismatched = (reads_labels && cfg.mismatch).then(|| {
                (
                    real.clone(),
                    wrong_labels(&real_labels, gan.num_classes, &mut rng, &device),
                )
            });
            // D's passes of this update, in the order they draw their dropout masks.
            let real_read = reads_labels.then(|| real_labels.clone());
            let fake_read = labels_d.clone().filter(|_| reads_labels);
            let mut passes = vec![(real, real_read.clone())];
            let has_view = view.is_some();
            passes.extend(view.map(|images| (images, real_read)));
            if unwarped_too {
                passes.push((fake_d.clone(), fake_read.clone()));
            }
            passes.push((warp(fake_d), fake_read));
            let has_wrong = mismatched.is_some();
            passes.extend(mismatched.map(|(images, wrong)| (images, Some(wrong))));
            let mut logits = self.discriminator.forward_passes(passes).into_iter();
            let mut next = || logits.next().expect("one logit tensor per pass");
            let logits_real = next();
            let logits_view = has_view.then(&mut next);
            let logits_unwarped = unwarped_too.then(&mut next);
            let logits_fake = next();
            let wrong = has_wrong.then(&mut next);
            let judged = family.discriminator_loss(
                gan,
                DiscriminatorBatch {
                    real: logits_real,
                    real_labels,
                    real_view: logits_view,
                    fake: logits_fake,
                    fake_unwarped: logits_unwarped,
                    fake_labels: labels_d,
                    fake_latents: latents_d,
                    wrong,
                    real_target: cfg.real_target,
                    real_targets: cfg.real_target_max.map(|high| {
                        let mut rng = step_rng(
                            cfg.seed,
                            (self.step * cfg.d_updates + k) as u64,
                            STREAM_SOFT_LABELS,
                        );
                        let targets: Vec<f32> = (0..bs)
                            .map(|_| rng.random_range(cfg.real_target..=high))
                            .collect();
                        Tensor::from_data(TensorData::new(targets, [bs, 1]), &device)
                    }),
                },
            );
            let loss = judged.loss.clone();
            clock.mark("D forward (real + fake)");
            let grads = GradientsParams::from_grads(loss.backward(), &self.discriminator);
            clock.mark("D backward");
            if k + 1 == cfg.d_updates {
                let norms = PendingNorms::collect(&self.discriminator, &grads);
                d_report = Some((loss.detach(), judged, norms));
            }
            self.discriminator =
                self.optim_d
                    .step(cfg.lr_discriminator, self.discriminator.clone(), grads);
            clock.mark("D Adam step");
        }

        // The G update flows through D without computing D's weight gradients.
        let frozen_d = self.discriminator.clone().no_grad();
        let mut g_report = None;
        let mut first = Some((fake, fake_labels, fake_latents));
        for k in 0..cfg.g_updates {
            let (fake_g, labels_g, latents_g) = match first.take() {
                Some(batch) => batch,
                None => fresh_fake(&self.generator, &mut rng),
            };
            let guide_logits = self.guide.as_ref().map(|c| c.forward(fake_g.clone()));
            let unwarped = unwarped_too.then(|| {
                frozen_d.forward(fake_g.clone(), labels_g.clone().filter(|_| reads_labels))
            });
            let judged = frozen_d.forward(warp(fake_g), labels_g.clone().filter(|_| reads_labels));
            let loss = family.generator_loss(
                gan,
                GeneratorBatch {
                    fake: judged,
                    fake_unwarped: unwarped,
                    labels: labels_g,
                    latents: latents_g,
                    guide_logits,
                },
            );
            clock.mark("D forward for G");
            let grads = GradientsParams::from_grads(loss.backward(), &self.generator);
            clock.mark("G backward (through D)");
            if k + 1 == cfg.g_updates {
                g_report = Some((
                    loss.detach(),
                    PendingNorms::collect(&self.generator, &grads),
                ));
            }
            self.generator = self
                .optim_g
                .step(cfg.lr_generator, self.generator.clone(), grads);
            clock.mark("G Adam step");
        }
        if let Some(ema) = &mut self.ema {
            ema.update(&self.generator);
            clock.mark("G weight average");
        }

        let (d_loss, judged, d_norms) = d_report.context("no discriminator update ran")?;
        let (g_loss, g_norms) = g_report.context("no generator update ran")?;
        let (n_d, n_g) = (d_norms.squares.len(), g_norms.squares.len());
        let n_figures = judged.figures.len();
        let mut scalars = vec![d_loss, g_loss, judged.real_score, judged.fake_score];
        scalars.extend(judged.figures);
        scalars.extend(d_norms.squares);
        scalars.extend(g_norms.squares);
        // One read per step: on a GPU every read is a round trip.
        let values = Tensor::cat(scalars, 0)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow!("cannot read the step's losses: {e:?}"))?;
        clock.mark("norms + read back");
        if let Some(times) = &mut self.phase_times {
            *times = clock.phases;
        }
        self.step += 1;
        let metrics = StepMetrics {
            step: self.step,
            epoch,
            d_loss: values[0],
            g_loss: values[1],
            d_real: values[2],
            d_fake: values[3],
            figures: family
                .figures()
                .iter()
                .zip(&values[4..4 + n_figures])
                .map(|(name, value)| (name.to_string(), *value))
                .collect(),
            grad_norms_d: PendingNorms::finish(d_norms.layers, &values[4 + n_figures..][..n_d]),
            grad_norms_g: PendingNorms::finish(
                g_norms.layers,
                &values[4 + n_figures + n_d..][..n_g],
            ),
            elapsed_secs: self.elapsed_before_secs + started.elapsed().as_secs_f64(),
        };
        self.elapsed_before_secs = metrics.elapsed_secs;
        refuse_divergence(
            self.step,
            &[
                ("discriminator", metrics.d_loss),
                ("generator", metrics.g_loss),
            ],
            cfg.loss_limit,
            "try a lower learning rate, label smoothing or batch norm",
        )?;
        Ok(metrics)
    }

    /// Trains until the planned number of steps or until `on_event` breaks.
    pub fn run(
        &mut self,
        mut on_event: impl FnMut(TrainEvent<'_>) -> ControlFlow<()>,
    ) -> Result<RunOutcome> {
        while self.step < self.total_steps {
            let metrics = self.step()?;
            self.log_metrics(&metrics)?;
            let mut flow = on_event(TrainEvent::Step(&metrics));
            let step = self.step;
            let last = step == self.total_steps;
            if last || (self.config.sample_every > 0 && step % self.config.sample_every == 0) {
                let (path, pixels, images) = self.write_samples()?;
                if flow.is_continue() {
                    flow = on_event(TrainEvent::Sample {
                        step,
                        path,
                        pixels: &pixels,
                        images: &images,
                        count: self.fixed.count,
                        side: self.config.gan.image_size,
                    });
                }
            }
            let stopping = flow.is_break();
            if last
                || stopping
                || (self.config.checkpoint_every > 0 && step % self.config.checkpoint_every == 0)
            {
                let path = self.save_checkpoint()?;
                // A stop asked for now is obeyed too: the checkpoint it needs is written.
                if on_event(TrainEvent::Checkpoint { step, path }).is_break() && !last {
                    return Ok(RunOutcome::Stopped);
                }
            }
            if stopping {
                return Ok(RunOutcome::Stopped);
            }
        }
        Ok(RunOutcome::Finished)
    }

    fn log_metrics(&mut self, metrics: &StepMetrics) -> Result<()> {
        if let Some(log) = &mut self.metrics_log {
            serde_json::to_writer(&mut *log, metrics)?;
            log.write_all(b"\n")
                .with_context(|| format!("cannot write {}", self.run.metrics().display()))?;
        }
        Ok(())
    }

    /// Writes a checkpoint of the current state (and flushes the metrics log first).
    pub fn save_checkpoint(&mut self) -> Result<PathBuf> {
        if let Some(log) = &mut self.metrics_log {
            log.flush()
                .with_context(|| format!("cannot write {}", self.run.metrics().display()))?;
        }
        let state = TrainState {
            step: self.step,
            total_steps: self.total_steps,
            elapsed_secs: self.elapsed_before_secs,
        };
        let average = self.ema.as_ref().map(Ema::model);
        checkpoint::save(
            &self.run,
            &state,
            &self.generator,
            &self.discriminator,
            &self.optim_g,
            &self.optim_d,
            average.as_ref(),
        )
    }

    /// The fixed-noise grid (one row per class for conditional models) as
    /// `samples/step-N.png`, also copied to `samples/latest.png`. Returns the path and the
    /// images.
    pub fn write_samples(&self) -> Result<(PathBuf, Vec<f32>, Tensor<4>)> {
        let device = self.device.clone().without_autodiff();
        write_sample_grid(
            &self.run,
            &self.config,
            &self.sampling_generator(),
            self.step,
            &device,
        )
    }
}

/// The nearest-neighbour table for pairing real images with their neighbours, when the run
/// asks for it: every training image against every other, in pixels, deskewed or not
/// (MNIST's 60,000: about 45 s on 2 cores the first time, then read from the disk cache).
fn pair_neighbours(
    config: &TrainConfig,
    data: &Split,
    device: &Device,
) -> Result<Option<(usize, Vec<usize>)>> {
    let gan = &config.gan;
    let k = gan.info_pair_neighbours;
    if k == 0 || !gan.model.family().second_real_view(gan) {
        return Ok(None);
    }
    let all: Vec<usize> = (0..data.len()).collect();
    let mut pixels = data.batch_pixels(&all, None);
    if gan.info_pair_deskew {
        pixels = crate::data::deskew::deskewed(&pixels, data.channels, data.rows, data.cols);
    }
    let plain = device.clone().without_autodiff();
    let dim = data.pixels_per_image();
    let table = super::pairing_cache::neighbours_cached(&pixels, dim, k, || {
        crate::eval::neighbours::k_nearest_others(&pixels, dim, k, &plain)
    })?;
    let k = table.len() / data.len().max(1);
    if k == 0 {
        bail!("pairing real images with their neighbours needs at least two training images");
    }
    Ok(Some((k, table)))
}

/// Writes `generator`'s fixed-noise grid of the run as `samples/step-N.png` and
/// `samples/latest.png`. Returns the path, the images as host floats, and the images as they
/// are still on `device` (the studio draws those on the GPU when it renders there).
pub fn write_sample_grid(
    run: &RunDir,
    config: &TrainConfig,
    generator: &Generator,
    step: usize,
    device: &Device,
) -> Result<(PathBuf, Vec<f32>, Tensor<4>)> {
    let gan = &config.gan;
    let fixed = fixed_batch(config);
    let images = generate_images(
        generator,
        gan,
        &fixed.latents,
        fixed.labels.as_deref(),
        device,
    );
    let pixels = host_pixels(images.clone())?;
    let path = run.samples().join(format!("step-{step:08}.png"));
    let side = gan.image_size;
    save_grid_png(
        &path,
        &pixels,
        fixed.count,
        side,
        side,
        &GridLayout::default(),
    )?;
    let latest = run.samples().join("latest.png");
    std::fs::copy(&path, &latest).with_context(|| format!("cannot write {}", latest.display()))?;
    Ok((path, pixels, images))
}

/// The NaN / explosion stop every trainer shares: an error naming the step and the first loss
/// that is not finite or is above `limit`, with what to `try`.
pub(crate) fn refuse_divergence(
    step: usize,
    losses: &[(&str, f32)],
    limit: f32,
    try_this: &str,
) -> Result<()> {
    for &(name, loss) in losses {
        if !loss.is_finite() || loss > limit {
            bail!(
                "training diverged at step {step}: {name} loss is {loss} (limit {limit}); the run keeps its last good checkpoint — {try_this}"
            );
        }
    }
    Ok(())
}

/// Refuses data whose images are not the shape the model makes: side and colour channels.
pub fn check_data_shape(data: &crate::data::Split, gan: &crate::model::GanConfig) -> Result<()> {
    let colour = |c: usize| if c == 3 { "colour" } else { "grey" };
    if data.rows != gan.image_size || data.cols != gan.image_size || data.channels != gan.channels {
        bail!(
            "the data's images are {}x{} {}, the model's {}x{} {}",
            data.rows,
            data.cols,
            colour(data.channels),
            gan.image_size,
            gan.image_size,
            colour(gan.channels)
        );
    }
    Ok(())
}

/// Families fitted in closed form have no training loop: `train` fits them instead.
fn refuse_closed_form(config: &TrainConfig) -> Result<()> {
    if !config.gan.model.family().adversarial() {
        bail!(
            "{name} is fitted in closed form, not trained step by step, so there is nothing to \
             continue; `train --model {name} --run NEW` fits a new run",
            name = config.gan.model.name()
        );
    }
    Ok(())
}

/// The fixed inputs of a run's sample grid: 10 columns, one row per class for conditional
/// models (10 rows otherwise), from the run's seed. The studio regenerates a run's grid with it.
pub fn fixed_batch(config: &TrainConfig) -> FixedBatch {
    let gan = &config.gan;
    let conditional = gan.model.is_conditional();
    FixedBatch::new(
        config.seed ^ FIXED_NOISE_SEED,
        gan.latent_dim,
        conditional,
        gan.num_classes,
        10,
        if conditional { gan.num_classes } else { 10 },
    )
}

/// A different label for every row: (label + 1..classes) mod classes.
fn wrong_labels(
    labels: &Tensor<1, Int>,
    classes: usize,
    rng: &mut impl rand::Rng,
    device: &Device,
) -> Tensor<1, Int> {
    let [n] = labels.dims();
    let offsets: Vec<u8> = (0..n).map(|_| rng.random_range(1..classes) as u8).collect();
    (labels.clone() + crate::sampling::labels_tensor(offsets, device))
        .remainder_scalar(classes as i64)
}

/// Drops metric lines past `step` (written after the checkpoint a resume starts from).
pub(crate) fn truncate_metrics(run: &RunDir, step: usize) -> Result<()> {
    let path = run.metrics();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let kept: String = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("step").and_then(|s| s.as_u64()))
                .is_some_and(|s| s as usize <= step)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    crate::fsutil::write_atomic(&path, kept.as_bytes())
}
