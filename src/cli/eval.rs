//! `gan-studio eval`

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use super::{DataArgs, RunArgs, TrainedRun};
use crate::eval::classifier;
use crate::eval::report::{EvalOptions, EvalReport, Reference, evaluate, markdown_table};
use crate::export::grid::{GridLayout, save_grid_png};
use crate::fsutil::write_atomic;
use crate::sampling::{FixedBatch, generate_pixels};
use crate::train::checkpoint;

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Run to evaluate (name under RUNS_DIR or a path).
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "real",
        conflicts_with = "real"
    )]
    pub run: Option<String>,
    /// Evaluate real held-out test images instead of a run: the reference row.
    #[arg(long, requires = "out")]
    pub real: bool,
    /// Where --real writes its JSON.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Classifier run (name under RUNS_DIR or a path).
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    /// Generated samples (conditional models: split evenly over the classes).
    #[arg(long, default_value_t = 10_000)]
    pub samples: usize,
    /// Samples compared pixel by pixel with every training image.
    #[arg(long, default_value_t = 1000)]
    pub memorisation_samples: usize,
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

#[derive(Serialize)]
struct RunEval<'a> {
    run: String,
    step: usize,
    #[serde(flatten)]
    report: &'a EvalReport,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let device = args.runs.device()?;
    let classifier = classifier::load(
        &super::classifier_dir(&args.runs.runs_dir, &args.classifier),
        &device.device,
    )?;
    let dataset = args.data.load()?;
    let reference = Reference::new(&dataset, &classifier, &device.device)?;
    let options = EvalOptions {
        memorisation_samples: args.memorisation_samples,
        ..EvalOptions::default()
    };

    let Some(run_name) = &args.run else {
        let out = args.out.as_ref().context("--real needs --out FILE")?;
        let report = evaluate(
            &reference.held_out_pixels,
            Some(&reference.held_out_labels),
            &reference,
            &classifier,
            &options,
            &device.device,
        )?;
        write_atomic(out, serde_json::to_string_pretty(&report)?.as_bytes())?;
        print!(
            "{}",
            markdown_table(&[("real (test half)".into(), &report)])
        );
        eprintln!(
            "-> {} ({:.1} s)",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    };

    let TrainedRun {
        run,
        config,
        checkpoint,
        generator,
    } = super::open_trained_run(&args.runs.runs_dir, run_name, &device.device)?;
    let gan = &config.gan;
    let conditional = gan.model.is_conditional();
    let (per_row, rows) = if conditional {
        (args.samples / gan.num_classes, gan.num_classes)
    } else {
        (args.samples, 1)
    };
    if per_row == 0 {
        bail!("--samples {} is too few", args.samples);
    }
    let batch = FixedBatch::new(
        args.seed,
        gan.latent_dim,
        conditional,
        gan.num_classes,
        per_row,
        rows,
    );
    let pixels = generate_pixels(
        &generator,
        gan,
        &batch.latents,
        batch.labels.as_deref(),
        &device.device,
    )?;
    let report = evaluate(
        &pixels,
        batch.labels.as_deref(),
        &reference,
        &classifier,
        &options,
        &device.device,
    )?;

    let side = gan.image_size;
    let per = side * side;
    let mut pairs = Vec::with_capacity(2 * report.closest_pairs.len() * per);
    for &(i, _, _) in &report.closest_pairs {
        pairs.extend_from_slice(&pixels[i * per..(i + 1) * per]);
    }
    for &(_, j, _) in &report.closest_pairs {
        pairs.extend_from_slice(&reference.train_pixels[j * per..(j + 1) * per]);
    }
    let n_pairs = report.closest_pairs.len();
    if n_pairs > 0 {
        let layout = GridLayout {
            cols: n_pairs,
            ..GridLayout::default()
        };
        save_grid_png(
            &run.root.join("memorisation.png"),
            &pairs,
            2 * n_pairs,
            side,
            side,
            &layout,
        )?;
    }
    let json = serde_json::to_string_pretty(&RunEval {
        run: run.name(),
        step: checkpoint::load_state(&checkpoint)?.step,
        report: &report,
    })?;
    write_atomic(&run.root.join("eval.json"), json.as_bytes())?;
    let table = markdown_table(&[(run.name(), &report)]);
    write_atomic(&run.root.join("eval.md"), table.as_bytes())?;
    print!("{table}");
    eprintln!(
        "-> {} ({:.1} s)",
        run.root.join("eval.json").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
