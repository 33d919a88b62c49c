//! `gan-studio eval`

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use burn::config::Config;
use clap::Args;
use serde::Serialize;

use super::{DataArgs, RunArgs};
use crate::eval::classifier::{self, read_out};
use crate::eval::success::{SuccessReport, success_rate};
use crate::fsutil::write_atomic;
use crate::sampling::{FixedBatch, generate_pixels};
use crate::train::{RunDir, TrainConfig, checkpoint};

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Run to evaluate (name under RUNS_DIR or a path).
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Classifier run (name under RUNS_DIR or a path).
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    /// Samples per class (conditional) or in total (unconditional).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

#[derive(Serialize)]
struct EvalReport {
    run: String,
    step: usize,
    samples: usize,
    success_rate: Option<f64>,
    success: Option<SuccessReport>,
    class_shares: Vec<f64>,
}

pub fn run(args: EvalArgs) -> Result<()> {
    let device = args.runs.device()?;
    let run = RunDir::open(&args.runs.runs_dir, &args.run)?;
    let config =
        TrainConfig::load(run.config()).map_err(|e| anyhow!("{}: {e}", run.config().display()))?;
    let gan = &config.gan;
    let checkpoint = checkpoint::latest(&run)?
        .with_context(|| format!("run {} has no checkpoint", run.root.display()))?;
    let state = checkpoint::load_state(&checkpoint)?;
    let generator = checkpoint::load_generator(gan, &checkpoint, &device.device)?;
    let classifier_dir = {
        let p = PathBuf::from(&args.classifier);
        if p.join("classifier.bpk").is_file() {
            p
        } else {
            args.runs.runs_dir.join(&args.classifier)
        }
    };
    let classifier = classifier::load(&classifier_dir, &device.device)?;
    let conditional = gan.model.is_conditional();
    let (per_row, rows) = if conditional {
        (args.samples, gan.num_classes)
    } else {
        (args.samples, 1)
    };
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
    let readout = read_out(&classifier, &pixels, gan.image_size, &device.device)?;
    let predicted = readout.predictions();
    let mut class_shares = vec![0.0; readout.classes];
    for &p in &predicted {
        class_shares[p] += 1.0 / predicted.len() as f64;
    }
    let success = batch
        .labels
        .as_ref()
        .map(|labels| success_rate(labels, &predicted, gan.num_classes));
    let report = EvalReport {
        run: run.name(),
        step: state.step,
        samples: batch.count,
        success_rate: success.as_ref().map(|s| s.success_rate),
        success,
        class_shares,
    };
    let path = run.root.join("eval.json");
    write_atomic(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    if let Some(rate) = report.success_rate {
        println!(
            "success rate {:.2}% over {} samples",
            rate * 100.0,
            report.samples
        );
    }
    println!(
        "class shares {:?}",
        report
            .class_shares
            .iter()
            .map(|s| (s * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    println!("-> {}", path.display());
    let _ = &args.data;
    Ok(())
}
