//! `gan-studio eval`

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{DataArgs, RunArgs};
use crate::eval::classifier;
use crate::eval::report::{EvalOptions, Reference, evaluate, markdown_table};
use crate::eval::run_eval::evaluate_run;
use crate::fsutil::write_atomic;

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
            markdown_table(&[("real (held-out half)".into(), &report)])
        );
        println!(
            "-> {} ({:.1} s)",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    };

    let result = evaluate_run(
        &args.runs.runs_dir,
        run_name,
        &classifier,
        &reference,
        args.samples,
        args.seed,
        &options,
        &device.device,
        &mut |_| {},
    )?;
    let root = crate::train::RunDir::open(&args.runs.runs_dir, run_name)?.root;
    if result.scored_by_guide {
        eprintln!("warning: {}", crate::eval::run_eval::SCORED_BY_GUIDE);
    }
    print!(
        "{}",
        markdown_table(&[(result.run.clone(), &result.report)])
    );
    println!(
        "-> {} ({:.1} s)",
        root.join("eval.json").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
