//! `gan-studio train`

use std::ops::ControlFlow;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DataArgs, RunArgs};
use crate::model::{Depth, GanConfig, ModelKind, NormKind};
use crate::train::{RunDir, RunOutcome, TrainConfig, TrainEvent, Trainer};

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Run name: the run lives in RUNS_DIR/NAME.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Continue the run from its latest checkpoint (its saved configuration is used).
    #[arg(long)]
    pub resume: bool,
    /// GAN family, or cyclegan (translation between two sets of pictures).
    #[arg(long, value_enum, required_unless_present = "resume")]
    pub model: Option<ModelChoice>,
    /// Network size [default: the family's recipe: shallow; cgan medium].
    #[arg(long, value_enum)]
    pub depth: Option<Depth>,
    /// Train for whole epochs instead of the family's step budget.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Stop after N steps (overrides --epochs) [default: the family's budget, see above;
    /// cyclegan: the whole run, default 3600].
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Pictures per batch [default: 64; cyclegan 4].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Generator learning rate [default: the family's: 2e-4; infogan 1e-3 (the paper's)].
    #[arg(long = "lr-g")]
    pub lr_generator: Option<f64>,
    /// Discriminator learning rate.
    #[arg(long = "lr-d", default_value_t = 2e-4)]
    pub lr_discriminator: f64,
    /// Adam's β1, for both networks (0.5, as DCGAN found, damps oscillation).
    #[arg(long, default_value_t = 0.5)]
    pub beta1: f32,
    /// Adam's β2, for both networks.
    #[arg(long, default_value_t = 0.999)]
    pub beta2: f32,
    /// D's target for real images; 0.9 is one-sided label smoothing.
    #[arg(long, default_value_t = 1.0)]
    pub real_target: f32,
    /// Soft labels: draw each real image's target uniformly from [--real-target, this] every
    /// step (the CIFAR-10 slides used --real-target 0.7 --real-target-max 1.2).
    #[arg(long, value_name = "T")]
    pub real_target_max: Option<f32>,
    /// Generator normalisation (virtual = virtual batch norm).
    #[arg(long = "g-norm", value_enum, default_value_t = NormKind::Batch)]
    pub generator_norm: NormKind,
    /// Discriminator normalisation.
    #[arg(long = "d-norm", value_enum, default_value_t = NormKind::Batch)]
    pub discriminator_norm: NormKind,
    /// Dropout after each hidden discriminator layer.
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f64,
    /// Discriminator updates per step.
    #[arg(long, default_value_t = 1)]
    pub d_updates: usize,
    /// Generator updates per step.
    #[arg(long, default_value_t = 1)]
    pub g_updates: usize,
    /// Latent size (InfoGAN: noise plus its continuous codes, which come last) [default: 100;
    /// infogan 64, the paper's 62 noise values and 2 codes].
    #[arg(long)]
    pub latent_dim: Option<usize>,
    /// Conditional conv generators (cdcgan, acgan, 2n-gan): take the label as an extra 7x7
    /// feature map instead of one-hot beside z (the default, far better for ACGAN and 2N-GAN).
    #[arg(long)]
    pub label_map: bool,
    /// cdcgan and guided: D reads the label by projection (Miyato & Koyama 2018), the inner
    /// product of a learned class embedding with its last features, instead of as an extra
    /// input channel.
    #[arg(long)]
    pub projection: bool,
    /// ACGAN: D's class head also learns from generated images, as in the paper (off by
    /// default: it let G and D agree on a private code instead of the digit, 12% success).
    #[arg(long)]
    pub acgan_fake_class_loss: bool,
    /// InfoGAN: continuous codes, each U(-1, 1).
    #[arg(long, default_value_t = 2)]
    pub continuous_codes: usize,
    /// InfoGAN: weight of the categorical code's information term.
    #[arg(long = "info-lambda-cat", default_value_t = 1.0)]
    pub info_categorical_weight: f64,
    /// InfoGAN: weight of the continuous codes' information term.
    #[arg(long = "info-lambda-cont", default_value_t = 0.1)]
    pub info_continuous_weight: f64,
    /// InfoGAN: width of the fully connected layer in G (before its projection) and in D
    /// (after its convolutions, shared with Q's 128-wide layer), as in the paper; 0: DCGAN's
    /// networks with a linear Q head.
    #[arg(long, default_value_t = 1024)]
    pub info_hidden: usize,
    /// InfoGAN: draw the noise beside the codes from U(-1, 1) (the paper's code) rather than
    /// N(0, 1).
    #[arg(long)]
    pub info_uniform_noise: bool,
    /// InfoGAN: multiply the noise beside the codes by this (not the codes), so that the
    /// category is the larger part of G's input.
    #[arg(long, default_value_t = 1.0)]
    pub info_noise_scale: f64,
    /// InfoGAN: weight of the mutual information between the real images and Q's category
    /// reading of them (confident per image, balanced over the batch) in D's loss; 0: Q reads
    /// generated images only, as in the paper.
    #[arg(long, default_value_t = 0.0)]
    pub info_real_weight: f64,
    /// InfoGAN: weight of Invariant Information Clustering on pairs of real images (Ji et al.
    /// 2019): D reads each real image and its pair (itself, or one of its nearest neighbours
    /// with --info-pair-neighbours), each under its own warp, and Q's categories of the two
    /// must agree while using every category; 0: off, as in the paper [default: the
    /// family's: infogan 1, else 0]
    #[arg(long)]
    pub info_pair_weight: Option<f64>,
    /// InfoGAN with --info-pair-weight: pair each real image with one of its this many nearest
    /// training images (by pixel distance; see --info-pair-deskew) instead of with itself
    /// warped again (SCAN, Van Gansbeke et al. 2020); 0: itself [default: the family's:
    /// infogan 5, else 0]
    #[arg(long)]
    pub info_pair_neighbours: Option<usize>,
    /// InfoGAN with --info-pair-neighbours: find the neighbours among deskewed pictures
    /// (sheared upright about their centre of ink), so a slanted digit's neighbours are the
    /// same digit in other slants [default: the family's: infogan true, else false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub info_pair_deskew: Option<bool>,
    /// InfoGAN with D's inputs warped: Q reads the continuous codes from the generated images
    /// as drawn, not warped, so c1 and c2 can take the styles the warp hides (slant, width);
    /// one more D pass per update [default: the family's: infogan true, else false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub info_codes_unwarped: Option<bool>,
    /// InfoGAN: weight of Q's reconstruction of the noise beside the codes (ClusterGAN's β_n;
    /// with --info-noise-scale 0.1 and 1 here, ClusterGAN's recipe); 0: Q predicts the codes
    /// only, as in the paper.
    #[arg(long, default_value_t = 0.0)]
    pub info_noise_weight: f64,
    /// Turn every image D sees, real and generated, by a random angle within ±this many
    /// degrees, differentiably, so G still draws upright images; 0: off [default: 0;
    /// infogan 15].
    #[arg(long)]
    pub warp_degrees: Option<f64>,
    /// Also slant every image D sees by a random horizontal shear within ±this (0.3: the top
    /// row moves 30% of the height sideways); 0: off [default: 0; infogan 0.3].
    #[arg(long)]
    pub warp_shear: Option<f64>,
    /// Also thicken or thin the strokes of every image D sees by a random share, within
    /// ±this, of a 3x3 dilation or erosion; 0: off [default: 0; infogan 0.3].
    #[arg(long)]
    pub warp_stroke: Option<f64>,
    /// Also magnify or shrink every image D sees about its centre by a random share within
    /// ±this (0.15: from 85% to 115% of its size); 0: off [default: 0].
    #[arg(long)]
    pub warp_scale: Option<f64>,
    /// Classifier-guided (--model guided): the classifier run (name under RUNS_DIR or a folder
    /// holding classifier.bpk) whose cross-entropy on G's samples G also minimises; default:
    /// the classifier bundled for the data set. Score the run with another classifier.
    #[arg(long, value_name = "NAME")]
    pub guide_classifier: Option<String>,
    /// Classifier-guided: weight λ of the guiding classifier's cross-entropy in G's loss.
    #[arg(long, default_value_t = 1.0)]
    pub guide_weight: f64,
    /// Seed of the weights, the batches' order, the latents and every random choice in a
    /// step: the same seed and options train the same run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Decay of the generator weight average that samples come from; 0 turns it off.
    #[arg(long, default_value_t = 0.999)]
    pub ema_decay: f64,
    /// Conditional models whose D reads the label: also train D to reject real images with
    /// wrong labels (matching-aware D) [default: on for cdcgan, guided and cgan; `--mismatch
    /// false` turns it off].
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub mismatch: Option<bool>,
    /// Shift real images by up to 2 pixels.
    #[arg(long)]
    pub augment: bool,
    /// Use only the first N training images.
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Write the fixed-noise sample grid every N steps and at the last (samples/step-*.png);
    /// 0: at the last only.
    #[arg(long, default_value_t = 200)]
    pub sample_every: usize,
    /// Save a checkpoint every N steps, and always at the last step or a stop; 0: only then.
    #[arg(long, default_value_t = 500)]
    pub checkpoint_every: usize,
    /// No progress bar; one summary line every 100 steps.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
    #[command(flatten)]
    pub cyclegan: super::cyclegan::CycleArgs,
}

/// What `--model` names: a GAN family, or CycleGAN, which maps pictures to pictures and so
/// trains in a loop of its own ([`crate::cyclegan`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    Gan(ModelKind),
    CycleGan,
}

impl clap::ValueEnum for ModelChoice {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::LazyLock<Vec<ModelChoice>> = std::sync::LazyLock::new(|| {
            ModelKind::value_variants()
                .iter()
                .map(|&kind| ModelChoice::Gan(kind))
                .chain([ModelChoice::CycleGan])
                .collect()
        });
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            ModelChoice::Gan(kind) => kind.to_possible_value(),
            ModelChoice::CycleGan => Some(clap::builder::PossibleValue::new("cyclegan").help(
                "CycleGAN: translate between two unpaired sets of pictures (--domain-a, \
                 --domain-b)",
            )),
        }
    }
}

impl TrainArgs {
    /// The run's configuration: the options given, else the family's recipe. The image shape
    /// and classes come from the data ([`TrainConfig::fit_to`]).
    fn config(&self, model: ModelKind) -> TrainConfig {
        let recipe = model.family().recipe();
        let gan = GanConfig::new(model)
            .with_depth(self.depth.unwrap_or(recipe.depth))
            .with_latent_dim(self.latent_dim.unwrap_or(recipe.latent_dim))
            .with_generator_norm(self.generator_norm)
            .with_discriminator_norm(self.discriminator_norm)
            .with_dropout(self.dropout)
            .with_acgan_class_loss_on_generated(self.acgan_fake_class_loss)
            .with_one_hot_labels(!self.label_map)
            .with_projection_discriminator(self.projection)
            .with_continuous_codes(self.continuous_codes)
            .with_info_categorical_weight(self.info_categorical_weight)
            .with_info_continuous_weight(self.info_continuous_weight)
            .with_info_hidden(self.info_hidden)
            .with_info_uniform_noise(self.info_uniform_noise)
            .with_info_noise_scale(self.info_noise_scale)
            .with_info_real_weight(self.info_real_weight)
            .with_info_pair_weight(self.info_pair_weight.unwrap_or(recipe.pairs.0))
            .with_info_pair_neighbours(self.info_pair_neighbours.unwrap_or(recipe.pairs.1))
            .with_info_pair_deskew(self.info_pair_deskew.unwrap_or(recipe.pair_deskew))
            .with_info_codes_unwarped(self.info_codes_unwarped.unwrap_or(recipe.codes_unwarped))
            .with_info_noise_weight(self.info_noise_weight)
            .with_guide_weight(self.guide_weight);
        TrainConfig::new(gan)
            .with_real_target_max(self.real_target_max)
            .with_batch_size(self.batch_size.unwrap_or(DEFAULT_BATCH))
            .with_epochs(self.epochs.unwrap_or(1))
            // Whole epochs when asked for, else the recipe's budget.
            .with_max_steps(
                self.max_steps
                    .or(self.epochs.is_none().then_some(recipe.steps)),
            )
            .with_train_limit(self.train_limit)
            .with_lr_generator(self.lr_generator.unwrap_or(recipe.lr_generator))
            .with_lr_discriminator(self.lr_discriminator)
            .with_beta1(self.beta1)
            .with_beta2(self.beta2)
            .with_real_target(self.real_target)
            .with_d_updates(self.d_updates)
            .with_g_updates(self.g_updates)
            .with_seed(self.seed)
            .with_guide_classifier(
                self.guide_classifier
                    .as_deref()
                    .map(|name| super::classifier_dir(&self.runs.runs_dir, name)),
            )
            .with_ema_decay((self.ema_decay > 0.0).then_some(self.ema_decay))
            .with_augment(self.augment)
            .with_warp_degrees(self.warp_degrees.unwrap_or(recipe.warp.degrees))
            .with_warp_shear(self.warp_shear.unwrap_or(recipe.warp.shear))
            .with_warp_stroke(self.warp_stroke.unwrap_or(recipe.warp.stroke))
            .with_warp_scale(self.warp_scale.unwrap_or(recipe.warp.scale))
            .with_mismatch(
                self.mismatch
                    .unwrap_or(recipe.mismatch && model.family().discriminator_reads_labels()),
            )
            .with_sample_every(self.sample_every)
            .with_checkpoint_every(self.checkpoint_every)
    }
}

/// Pictures per batch of the GAN families when --batch-size is not given.
const DEFAULT_BATCH: usize = 64;

pub fn run(args: TrainArgs) -> Result<()> {
    if args.resume
        && let Some(run) = crate::cyclegan::run::find(&args.runs.runs_dir, &args.run)
    {
        return super::cyclegan::resume(&args, run);
    }
    let model = match args.model {
        Some(ModelChoice::CycleGan) => return super::cyclegan::train(&args),
        Some(ModelChoice::Gan(kind)) => Some(kind),
        None => None,
    };
    args.cyclegan.refuse_for_gan()?;
    let device = args.runs.device()?;
    let mut trainer = if args.resume {
        let run = RunDir::open(&args.runs.runs_dir, &args.run)?;
        let saved = TrainConfig::load_run(&run.config())?;
        let data = args.data.for_run(&args.run, &saved)?.load()?.train;
        let extend = (args.epochs.is_some() || args.max_steps.is_some())
            .then(|| (args.epochs.unwrap_or(1), args.max_steps));
        Trainer::resume(run, data, &device.device, extend)?
    } else {
        let model = model.context("--model is required for a new run")?;
        let dataset = args.data.load()?;
        let mut config = args.config(model);
        config.fit_to(&dataset);
        config.validate()?;
        let data = dataset.train;
        if let Some(limit) = config.train_limit
            && limit >= data.len()
        {
            // A study's "G saw 1,000 images" cell on a small folder is the full-set cell.
            eprintln!(
                "warning: --train-limit {limit} is not below the {} training images: all are used",
                data.len()
            );
        }
        let run = RunDir::new(&args.runs.runs_dir, &args.run)?;
        if !model.family().adversarial() {
            let fitted = crate::train::fit::fit_closed_form(&config, &run, data, &device.device)?;
            if let Some(note) = &fitted.note {
                eprintln!("warning: {note}");
            }
            println!(
                "fitted {} in {:.1} s into {}; samples in {}",
                model.name(),
                fitted.seconds,
                run.root.display(),
                fitted.grid.display()
            );
            return Ok(());
        }
        Trainer::create(config, run, data, &device.device)?
    };
    let gan = &trainer.config.gan;
    println!(
        "run {} | {} {:?} | {} | steps {}..{}",
        trainer.run.root.display(),
        gan.model.name(),
        gan.depth,
        device,
        trainer.step_count(),
        trainer.total_steps()
    );
    let bar = progress_bar(&trainer, args.quiet);
    let batch = trainer.config.batch_size;
    let start_step = trainer.step_count();
    let started = std::time::Instant::now();
    let outcome = trainer.run(|event| {
        match event {
            TrainEvent::Step(m) => {
                let rate = (m.step - start_step) as f64 * batch as f64
                    / started.elapsed().as_secs_f64().max(1e-9);
                let line = format!(
                    "D {:.3} G {:.3} | D(x) {:.2} D(G(z)) {:.2} | {rate:.0} img/s",
                    m.d_loss, m.g_loss, m.d_real, m.d_fake
                );
                show_step(bar.as_ref(), m.step, line);
            }
            TrainEvent::Sample { path, .. } | TrainEvent::Checkpoint { path, .. } => {
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
        "{} {} steps in {secs:.1} s ({:.0} img/s); samples in {}",
        ended(outcome),
        steps,
        steps as f64 * batch as f64 / secs.max(1e-9),
        trainer.run.samples().display()
    );
    Ok(())
}

fn progress_bar(trainer: &Trainer, quiet: bool) -> Option<ProgressBar> {
    step_bar(trainer.total_steps(), trainer.step_count(), quiet)
}

/// One step's summary: on the bar, or (quiet) a line every 100 steps.
pub(super) fn show_step(bar: Option<&ProgressBar>, step: usize, line: String) {
    match bar {
        Some(bar) => {
            bar.set_position(step as u64);
            bar.set_message(line);
        }
        None if step.is_multiple_of(100) => println!("step {step} | {line}"),
        None => {}
    }
}

/// Where the latest grid or checkpoint went, beside the bar.
pub(super) fn show_file(bar: Option<&ProgressBar>, path: &std::path::Path) {
    if let Some(bar) = bar {
        bar.set_prefix(format!("{}", path.display()));
    }
}

/// How a run ended, for its last line.
pub(super) fn ended(outcome: RunOutcome) -> &'static str {
    if outcome == RunOutcome::Finished {
        "finished"
    } else {
        "stopped after"
    }
}

/// A bar of training steps from `done` to `total` (None when quiet), under a study's bar when
/// one runs.
pub(super) fn step_bar(total: usize, done: usize, quiet: bool) -> Option<ProgressBar> {
    if quiet {
        return None;
    }
    let bar = ProgressBar::new(total as u64).with_position(done as u64);
    let style = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} steps (eta {eta}) {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    // Under `study run` the bar sits below the study's own.
    Some(match super::PROGRESS.get() {
        Some(multi) => multi.add(bar),
        None => bar,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The configuration `gan-studio train ARGS` would start a run with.
    fn config_of(args: &[&str]) -> TrainConfig {
        let cli = Cli::try_parse_from([&["gan-studio", "train", "--run", "r"], args].concat())
            .expect("the arguments parse");
        let Some(Command::Train(train)) = cli.command else {
            panic!("not a train command")
        };
        let Some(ModelChoice::Gan(model)) = train.model else {
            panic!("not a GAN family")
        };
        train.config(model)
    }

    #[test]
    fn a_family_with_no_options_trains_its_recipe() {
        let cdcgan = config_of(&["--model", "cdcgan"]);
        assert_eq!(cdcgan.gan.depth, Depth::Shallow);
        assert_eq!(cdcgan.max_steps, Some(4300));
        assert!(cdcgan.mismatch);
        assert_eq!((cdcgan.lr_generator, cdcgan.gan.latent_dim), (2e-4, 100));

        let acgan = config_of(&["--model", "acgan"]);
        assert_eq!(
            (acgan.gan.depth, acgan.max_steps),
            (Depth::Shallow, Some(3000))
        );
        // ACGAN's D predicts the label rather than reading it: no matching-aware D.
        assert!(!acgan.mismatch);

        let infogan = config_of(&["--model", "infogan"]);
        assert_eq!(infogan.max_steps, Some(3000));
        assert_eq!((infogan.lr_generator, infogan.gan.latent_dim), (1e-3, 64));
        assert!(!infogan.gan.info_uniform_noise);
        let uniform = config_of(&["--model", "infogan", "--info-uniform-noise"]);
        assert!(uniform.gan.info_uniform_noise);
        assert_eq!(infogan.gan.info_noise_scale, 1.0);
        let scaled = config_of(&["--model", "infogan", "--info-noise-scale", "0.1"]);
        assert_eq!(scaled.gan.info_noise_scale, 0.1);
        assert_eq!(infogan.gan.info_real_weight, 0.0);
        let real = config_of(&["--model", "infogan", "--info-real-weight", "0.5"]);
        assert_eq!(real.gan.info_real_weight, 0.5);
        // Pairs of real neighbours are clustered unless told otherwise; in no other family.
        let pairs = |c: &TrainConfig| (c.gan.info_pair_weight, c.gan.info_pair_neighbours);
        assert_eq!(pairs(&infogan), (1.0, 5));
        let plain = config_of(&["--model", "infogan", "--info-pair-weight", "0"]);
        assert_eq!(pairs(&plain), (0.0, 5));
        let itself = config_of(&["--model", "infogan", "--info-pair-neighbours", "0"]);
        assert_eq!(pairs(&itself), (1.0, 0));
        assert_eq!(pairs(&config_of(&["--model", "cdcgan"])), (0.0, 0));
        // The neighbours are found among deskewed digits unless told otherwise.
        assert!(infogan.gan.info_pair_deskew);
        let raw = config_of(&["--model", "infogan", "--info-pair-deskew", "false"]);
        assert!(!raw.gan.info_pair_deskew);
        let told = config_of(&["--model", "cdcgan", "--info-pair-deskew"]);
        assert!(
            told.gan.info_pair_deskew && !config_of(&["--model", "cdcgan"]).gan.info_pair_deskew
        );
        // Its continuous codes are read unwarped unless told otherwise.
        assert!(infogan.gan.info_codes_unwarped);
        let through = config_of(&["--model", "infogan", "--info-codes-unwarped", "false"]);
        assert!(!through.gan.info_codes_unwarped);
        assert!(!config_of(&["--model", "cdcgan"]).gan.info_codes_unwarped);
        assert_eq!(infogan.gan.info_noise_weight, 0.0);
        let noise = config_of(&["--model", "infogan", "--info-noise-weight", "1"]);
        assert_eq!(noise.gan.info_noise_weight, 1.0);
        // InfoGAN's D sees warped images unless told otherwise; the others' do not.
        assert_eq!(
            (
                infogan.warp_degrees,
                infogan.warp_shear,
                infogan.warp_stroke
            ),
            (15.0, 0.3, 0.3)
        );
        assert!(config_of(&["--model", "cdcgan"]).warp().is_none());
        let told = config_of(&[
            "--model",
            "infogan",
            "--warp-degrees",
            "0",
            "--warp-stroke",
            "0.5",
        ]);
        assert_eq!(
            (told.warp_degrees, told.warp_shear, told.warp_stroke),
            (0.0, 0.3, 0.5)
        );
        let refused = told.clone().with_warp_shear(f64::NAN).validate();
        assert!(format!("{:#}", refused.unwrap_err()).contains("--warp-shear"));
        let sized = config_of(&["--model", "cdcgan", "--warp-scale", "0.15"]);
        assert_eq!(sized.warp().scale, 0.15);
        let refused = sized.clone().with_warp_scale(0.6).validate();
        assert!(format!("{:#}", refused.unwrap_err()).contains("--warp-scale"));

        assert_eq!(config_of(&["--model", "2n-gan"]).max_steps, Some(4500));
        assert!(config_of(&["--model", "guided"]).mismatch);
    }

    #[test]
    fn options_given_replace_the_recipe() {
        let told = config_of(&[
            "--model",
            "cdcgan",
            "--depth",
            "medium",
            "--epochs",
            "2",
            "--mismatch",
            "false",
        ]);
        assert_eq!(told.gan.depth, Depth::Medium);
        // Whole epochs asked for: no step budget.
        assert_eq!((told.epochs, told.max_steps), (2, None));
        assert!(!told.mismatch);

        let steps = config_of(&["--model", "dcgan", "--max-steps", "7", "--epochs", "3"]);
        assert_eq!(steps.max_steps, Some(7));
        // A bare --mismatch still turns it on, and validation says where it cannot apply.
        let asked = config_of(&["--model", "acgan", "--mismatch"]);
        assert!(asked.mismatch);
        assert!(
            asked.validate().is_err(),
            "ACGAN's D does not read the label"
        );
    }
}
