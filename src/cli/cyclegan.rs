//! `gan-studio train --model cyclegan`: CycleGAN's options and its training loop's output.

use std::ops::ControlFlow;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::train::{TrainArgs, ended, show_file, show_step, step_bar};
use crate::cyclegan::{CycleEvent, CycleGanConfig, CycleTrainer, run::find};
use crate::train::RunDir;

/// Training steps when --max-steps is not given: under an hour at 32x32 on a 2-core CPU.
const DEFAULT_STEPS: usize = 3600;
/// Pictures per batch when --batch-size is not given (the paper's is 1, slow on a CPU).
const DEFAULT_BATCH: usize = 4;
/// Adam's rate for both generators (the paper's).
const CYCLEGAN_LR: f64 = 2e-4;

/// CycleGAN's own options (`train --model cyclegan`). With the defaults at 32x32 (width 32, 6
/// residual blocks, batch 4) a step takes 0.7-0.8 s on a 2-core AMD EPYC (2.0-2.8 s at 64x64),
/// so the default 3,600 steps take 40-50 minutes (BENCHMARKS.md, "CycleGAN").
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "CycleGAN (--model cyclegan)")]
pub struct CycleArgs {
    /// Domain A: a folder or tarball of pictures (sub-folders ignored), a set's class
    /// (cifar10:horse, fashion-mnist:sneaker, mnist:7), a whole set (cifar10) or its grey
    /// copy (cifar10:grey).
    #[arg(long, value_name = "DOMAIN")]
    pub domain_a: Option<String>,
    /// Domain B, as --domain-a.
    #[arg(long, value_name = "DOMAIN")]
    pub domain_b: Option<String>,
    /// Picture side: 32 or 64.
    #[arg(long, default_value_t = 32)]
    pub image_size: usize,
    /// Base width of the generators and discriminators (the paper's 64).
    #[arg(long, default_value_t = 32)]
    pub width: usize,
    /// Residual blocks of each generator.
    #[arg(long, default_value_t = 6)]
    pub residual_blocks: usize,
    /// Stride-2 layers of the PatchGAN discriminators [default: 2 at 32 pixels, 3 at 64].
    #[arg(long)]
    pub d_layers: Option<usize>,
    /// Weight of the cycle-consistency loss.
    #[arg(long, default_value_t = 10.0)]
    pub lambda_cycle: f64,
    /// Weight of the identity loss, relative to --lambda-cycle (0 turns it off). It keeps
    /// colours (grey <-> colour, paintings <-> photos); turn it off between classes:
    /// horse -> deer read as deer 60% with it, 74% without (BENCHMARKS.md, "CycleGAN").
    #[arg(long, default_value_t = 0.5)]
    pub lambda_identity: f64,
    /// Generators add their output to the input picture, so they start as the identity and
    /// learn only the change (not in the paper). With --lambda-cycle 3 it colourises grey
    /// CIFAR-10 (cycle error 0.009, read correctly 75.2% against 74.4% grey) but does not
    /// learn to grey colour pictures (BENCHMARKS.md, "CycleGAN").
    #[arg(long)]
    pub residual_output: bool,
    /// Generated pictures each discriminator keeps to learn from (0: none).
    #[arg(long, default_value_t = 50)]
    pub pool_size: usize,
    /// The last N steps decay the learning rates linearly to 0 [default: half the steps].
    #[arg(long, value_name = "N")]
    pub decay_steps: Option<usize>,
}

impl CycleArgs {
    /// CycleGAN's options mean nothing to the GAN families: say so rather than ignore them.
    pub fn refuse_for_gan(&self) -> Result<()> {
        if self.domain_a.is_some() || self.domain_b.is_some() || self.decay_steps.is_some() {
            bail!("--domain-a, --domain-b and --decay-steps are options of --model cyclegan");
        }
        Ok(())
    }
}

/// Starts a new CycleGAN run.
pub fn train(args: &TrainArgs) -> Result<()> {
    let cycle = &args.cyclegan;
    let (Some(spec_a), Some(spec_b)) = (&cycle.domain_a, &cycle.domain_b) else {
        bail!("--model cyclegan needs --domain-a and --domain-b");
    };
    let data_root = match &args.data.data {
        Some(path) => Some(
            std::path::absolute(path)
                .with_context(|| format!("cannot resolve --data {}", path.display()))?,
        ),
        None => None,
    };
    let steps = args.max_steps.unwrap_or(DEFAULT_STEPS);
    let side = cycle.image_size;
    // Check the options before reading (perhaps 60,000) pictures.
    let mut config = CycleGanConfig::new(
        crate::cyclegan::DomainRecord::unread(spec_a),
        crate::cyclegan::DomainRecord::unread(spec_b),
    )
    .with_data_root(data_root.clone())
    .with_image_size(side)
    .with_width(cycle.width)
    .with_residual_blocks(cycle.residual_blocks)
    .with_residual_output(cycle.residual_output)
    .with_discriminator_layers(cycle.d_layers.unwrap_or(if side >= 64 { 3 } else { 2 }))
    .with_lambda_cycle(cycle.lambda_cycle)
    .with_lambda_identity(cycle.lambda_identity)
    .with_pool_size(cycle.pool_size)
    .with_lr_generators(args.lr_generator.unwrap_or(CYCLEGAN_LR))
    .with_lr_discriminators(args.lr_discriminator)
    .with_beta1(args.beta1)
    .with_beta2(args.beta2)
    .with_batch_size(args.batch_size.unwrap_or(DEFAULT_BATCH))
    .with_steps(steps)
    .with_decay_steps(cycle.decay_steps.unwrap_or(steps / 2))
    .with_seed(args.seed)
    .with_ema_decay((args.ema_decay > 0.0).then_some(args.ema_decay))
    .with_sample_every(args.sample_every)
    .with_checkpoint_every(args.checkpoint_every);
    config.validate()?;
    let run = RunDir::new(&args.runs.runs_dir, &args.run)?;
    if find(&args.runs.runs_dir, &args.run).is_some() || run.config().exists() {
        bail!(
            "run {} already exists; continue it with --resume or pick another --run name",
            run.root.display()
        );
    }
    let (a, b) = crate::cyclegan::load_pair(spec_a, spec_b, data_root.as_deref(), side)?;
    config.domain_a = a.record.clone();
    config.domain_b = b.record.clone();
    config.channels = a.train.channels;
    let device = args.runs.device()?;
    let trainer = CycleTrainer::create(config, run, (a, b), &device.device)?;
    drive(trainer, &device.to_string(), args.quiet)
}

/// Continues a CycleGAN run from its latest checkpoint.
pub fn resume(args: &TrainArgs, run: RunDir) -> Result<()> {
    let config = CycleGanConfig::load_run(&run.root.join(crate::cyclegan::run::CONFIG_FILE))?;
    let domains = crate::cyclegan::run::load_domains(&config, args.data.data.as_deref())?;
    let device = args.runs.device()?;
    let trainer = CycleTrainer::resume(run, domains, &device.device, args.max_steps)?;
    drive(trainer, &device.to_string(), args.quiet)
}

fn drive(mut trainer: CycleTrainer, device: &str, quiet: bool) -> Result<()> {
    let cfg = &trainer.config;
    println!(
        "run {} | cyclegan {} -> {} ({} / {} training pictures, {}x{}) | {device} | steps {}..{}",
        trainer.run.root.display(),
        cfg.domain_a.spec,
        cfg.domain_b.spec,
        cfg.domain_a.train_count,
        cfg.domain_b.train_count,
        cfg.image_size,
        cfg.image_size,
        trainer.step_count(),
        trainer.total_steps()
    );
    let bar = step_bar(trainer.total_steps(), trainer.step_count(), quiet);
    let start_step = trainer.step_count();
    let started = std::time::Instant::now();
    let outcome = trainer.run(|event| {
        match event {
            CycleEvent::Step(m) => {
                let per_step = started.elapsed().as_secs_f64() / (m.step - start_step) as f64;
                let line = format!(
                    "G {:.3}/{:.3} cycle {:.3}/{:.3} idt {:.3} D {:.3}/{:.3} | {per_step:.2} s/step",
                    m.g_a2b, m.g_b2a, m.cycle_a, m.cycle_b, m.identity, m.d_a, m.d_b
                );
                show_step(bar.as_ref(), m.step, line);
            }
            CycleEvent::Sample { path, .. } | CycleEvent::Checkpoint { path, .. } => {
                show_file(bar.as_ref(), &path)
            }
        }
        ControlFlow::Continue(())
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = outcome?;
    let secs = started.elapsed().as_secs_f64();
    let steps = trainer.step_count() - start_step;
    println!(
        "{} {steps} steps in {secs:.1} s ({:.2} s/step); translation grids in {}",
        ended(outcome),
        secs / steps.max(1) as f64,
        trainer.run.samples().display()
    );
    Ok(())
}
