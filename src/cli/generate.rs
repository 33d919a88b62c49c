//! `gan-studio generate`: a synthetic data set on disk, one file per image.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{RunArgs, TrainedRun};
use crate::interop::generated::{
    Format, previous_output, remove_previous_output, write_idx, write_pngs,
};
use crate::sampling::{generate_pixels, normal_latents_host};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Run name under RUNS_DIR, or the path of a run folder.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Images per class (conditional models).
    #[arg(long)]
    pub per_class: Option<usize>,
    /// Images (unconditional models).
    #[arg(long)]
    pub count: Option<usize>,
    /// Only these classes (default: all the model has).
    #[arg(long, value_delimiter = ',')]
    pub classes: Vec<u16>,
    /// How the images are written.
    #[arg(long, value_enum, default_value_t = Format::Png)]
    pub format: Format,
    /// Output folder (created). It must be new or empty, so a new set never mixes with
    /// another: see --replace.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Remove what an earlier `generate` wrote in the output folder first (only its files:
    /// a folder holding anything else is refused).
    #[arg(long)]
    pub replace: bool,
    /// Seed of the latents (and labels, where they are drawn).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub runs: RunArgs,
}

/// Images generated per forward pass.
const CHUNK: usize = 500;

pub fn run(args: GenerateArgs) -> Result<()> {
    crate::train::RunDir::open(&args.runs.runs_dir, &args.run)?;
    let device = args.runs.device()?;
    let TrainedRun {
        config, generator, ..
    } = super::open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
    let gan = &config.gan;
    let conditional = gan.model.is_conditional();
    // The labels to generate, one per image.
    let labels: Option<Vec<u8>> = if conditional {
        if args.count.is_some() {
            bail!(
                "--count is for unconditional models; use --per-class for {}",
                gan.model.name()
            );
        }
        let per_class = args
            .per_class
            .context("--per-class N is needed for a conditional model")?;
        let classes: Vec<u8> = if args.classes.is_empty() {
            (0..gan.num_classes as u8).collect()
        } else {
            args.classes
                .iter()
                .map(|&c| {
                    if usize::from(c) < gan.num_classes {
                        Ok(c as u8)
                    } else {
                        bail!(
                            "class {c} is not one of the model's classes 0-{}",
                            gan.num_classes - 1
                        )
                    }
                })
                .collect::<Result<_>>()?
        };
        Some(
            classes
                .iter()
                .flat_map(|&c| std::iter::repeat_n(c, per_class))
                .collect(),
        )
    } else {
        if args.per_class.is_some() || !args.classes.is_empty() {
            bail!(
                "{} is unconditional: it has no classes; use --count",
                gan.model.name()
            );
        }
        None
    };
    let total = match &labels {
        Some(l) => l.len(),
        None => args
            .count
            .context("--count N is needed for an unconditional model")?,
    };
    if total == 0 {
        bail!("nothing to generate: --per-class/--count must be at least 1");
    }
    let previous = previous_output(&args.out)?;
    if let Some(first) = previous.first() {
        if !args.replace {
            bail!(
                "{} already holds an earlier generated set (e.g. {}): a new one would mix with \
                 it; pass --replace to remove it first, or choose a new folder",
                args.out.display(),
                first.display()
            );
        }
        remove_previous_output(&previous)?;
    }
    let side = gan.image_size;
    let bar = (!args.quiet).then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} images (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let mut rng = crate::sampling::step_rng(args.seed, 0, 0);
    let mut all = Vec::new();
    for start in (0..total).step_by(CHUNK) {
        let end = (start + CHUNK).min(total);
        let latents = normal_latents_host(&mut rng, end - start, gan.latent_dim);
        let chunk_labels = labels.as_ref().map(|l| &l[start..end]);
        let pixels = generate_pixels(&generator, gan, &latents, chunk_labels, &device.device)?;
        match args.format {
            Format::Png => write_pngs(
                &args.out,
                &pixels,
                chunk_labels,
                gan.channels,
                side,
                start,
                &mut |n| {
                    if let Some(bar) = &bar {
                        bar.set_position((start + n) as u64);
                    }
                },
            )?,
            Format::Idx => {
                all.extend(pixels);
                if let Some(bar) = &bar {
                    bar.set_position(end as u64);
                }
            }
        }
    }
    if args.format == Format::Idx {
        write_idx(&args.out, &all, labels.as_deref(), gan.channels, side)?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    println!("{total} images -> {}", args.out.display());
    if conditional && !gan.model.family().labels_are_classes() {
        eprintln!(
            "note: {} found its category codes without labels: the folders and labels are codes, \
             not classes (`eval` matches them to classes as category_accuracy)",
            gan.model.name()
        );
    }
    Ok(())
}
