//! `gan-studio augment`: retrain the classifier with synthetic digits mixed in.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{DataArgs, RunArgs, TrainedRun};
use crate::eval::augment::{AugmentPlan, Strategy, markdown, run_plan};
use crate::eval::classifier;
use crate::export::plot::lines_png;
use crate::fsutil::write_atomic;

#[derive(Args, Debug)]
pub struct AugmentArgs {
    /// The conditional generator's run.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// The real-data classifier that judges synthetic images for the filter strategy.
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    /// Real training images per class ("all" for the whole set).
    #[arg(long, value_delimiter = ',', default_value = "10")]
    pub per_class: Vec<String>,
    /// Synthetic images as a share of the real ones.
    #[arg(long, value_delimiter = ',', default_value = "0,0.1,0.2,0.5,1")]
    pub ratios: Vec<f64>,
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "mix,pretrain,filter"
    )]
    pub strategies: Vec<Strategy>,
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Optimiser steps per training (batches of 64 drawn with replacement).
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Where the table goes (FILE.md and FILE.json); default: augment.md/json in the run.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: AugmentArgs) -> Result<()> {
    let device = args.runs.device()?;
    let TrainedRun {
        run,
        config,
        checkpoint: _,
        generator,
    } = super::open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
    let gan = &config.gan;
    if !gan.model.is_conditional() {
        bail!(
            "augment needs a conditional generator; {} is {}",
            run.name(),
            gan.model.name()
        );
    }
    if args.ratios.iter().any(|r| !(r.is_finite() && *r >= 0.0)) {
        bail!("--ratios must be non-negative numbers");
    }
    let per_class = args
        .per_class
        .iter()
        .map(|p| {
            if p == "all" {
                Ok(usize::MAX)
            } else {
                p.parse::<usize>()
                    .with_context(|| format!("--per-class: {p:?} is not a number or \"all\""))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let judge = classifier::load(
        &super::classifier_dir(&args.runs.runs_dir, &args.classifier),
        &device.device,
    )?;
    let dataset = args.data.load()?;
    let plan = AugmentPlan {
        per_class,
        ratios: args.ratios.clone(),
        strategies: args.strategies.clone(),
        seeds: args.seeds,
        steps: args.steps,
    };
    let started = std::time::Instant::now();
    let results = run_plan(
        &plan,
        &dataset.train,
        &dataset.test,
        &generator,
        gan,
        &judge,
        &device.device,
        |r| {
            eprintln!(
                "{}/class, {:.0}% synthetic, {:?}: {:.2}% ± {:.2} ({:.0} s)",
                r.real_per_class.min(dataset.train.len()),
                r.ratio * 100.0,
                r.strategy,
                r.accuracy.mean * 100.0,
                r.accuracy.std * 100.0,
                started.elapsed().as_secs_f64()
            );
        },
    )?;
    let table = markdown(&results);
    let out = args.out.clone().unwrap_or_else(|| run.root.join("augment"));
    write_atomic(&out.with_extension("md"), table.as_bytes())?;
    write_atomic(
        &out.with_extension("json"),
        serde_json::to_string_pretty(&results)?.as_bytes(),
    )?;
    // One curve per (real subset, strategy); ratio 0 is every curve's starting point.
    let mut series: Vec<crate::export::plot::Series> = Vec::new();
    for &per_class in &plan.per_class {
        let baseline = results
            .iter()
            .find(|r| r.real_per_class == per_class && r.ratio == 0.0);
        for &strategy in &plan.strategies {
            let points: Vec<(f64, f64, f64)> = baseline
                .into_iter()
                .chain(results.iter().filter(|r| {
                    r.real_per_class == per_class && r.strategy == strategy && r.ratio > 0.0
                }))
                .map(|r| {
                    (
                        r.ratio * 100.0,
                        r.accuracy.mean * 100.0,
                        r.accuracy.std * 100.0,
                    )
                })
                .collect();
            let subset = if per_class == usize::MAX {
                "all".to_string()
            } else {
                format!("{per_class}/class")
            };
            series.push((format!("{strategy:?}, {subset}"), points));
        }
    }
    lines_png(
        &out.with_extension("png"),
        "Classifier test accuracy with synthetic data",
        "synthetic share of the real set (%)",
        "test accuracy (%)",
        &series,
    )?;
    print!("{table}");
    eprintln!("-> {}", out.with_extension("md").display());
    Ok(())
}
