//! `gan-studio augment`: retrain the classifier with synthetic digits mixed in.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{DataArgs, RunArgs, TrainedRun};
use crate::eval::augment::{
    AugmentEvent, AugmentPlan, GeneratorData, Pretrained, Strategy, SyntheticImages, markdown,
    provenance_note, run_plan,
};
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
    /// How synthetic images join the real ones (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "mix,pretrain,filter"
    )]
    pub strategies: Vec<Strategy>,
    /// Classifiers trained per (strategy, ratio), each from its own seed, for the spread.
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// The first seed (seeds run from it up): a study asks each of its runs for one seed.
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// Optimiser steps per training (batches of 64 drawn with replacement).
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Also the honest variant: per seed, train a generator of the run's recipe on only that
    /// seed's few real images (and a judge on them for the filter), shown beside the run's
    /// generator, which saw the whole labelled training set.
    #[arg(long)]
    pub few_real_generator: bool,
    /// Take the synthetic images from this folder (written by `generate`: PNGs in class
    /// folders, or IDX files) instead of sampling the run's generator.
    #[arg(long, value_name = "DIR")]
    pub synthetic: Option<PathBuf>,
    /// Training steps of each few-real generator.
    #[arg(long, default_value_t = 1000)]
    pub few_real_steps: usize,
    /// Where the table goes (FILE.md and FILE.json); default: augment.md/json in the run.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print nothing (studies run it under their own progress bars); the table is still
    /// written.
    #[arg(long)]
    pub quiet: bool,
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
    judge.check_reads(config.dataset)?;
    let dataset = args.data.for_run(&args.run, &config)?.load()?;
    let mut plan = AugmentPlan {
        per_class,
        ratios: args.ratios.clone(),
        strategies: args.strategies.clone(),
        seeds: args.seeds,
        first_seed: args.first_seed,
        steps: args.steps,
        few_real_generator: args.few_real_generator.then(|| {
            config
                .clone()
                .with_max_steps(Some(args.few_real_steps))
                .with_train_limit(None)
        }),
    };
    if let Some(note) = plan.fit_to(&dataset.train, &dataset.class_names) {
        eprintln!("warning: {note}");
    }
    let pool = match &args.synthetic {
        Some(dir) => Some(crate::interop::generated::read_folder(
            dir,
            gan.num_classes as u8,
        )?),
        None => None,
    };
    if let Some(pool) = &pool {
        let real = &dataset.train;
        if (pool.channels, pool.rows, pool.cols) != (real.channels, real.rows, real.cols) {
            bail!(
                "the synthetic images are {}x{} with {} channel(s), {}'s are {}x{} with {}",
                pool.cols,
                pool.rows,
                pool.channels,
                config.dataset.title(),
                real.cols,
                real.rows,
                real.channels
            );
        }
    }
    let images = match &pool {
        Some(pool) => SyntheticImages::Folder(pool),
        None => SyntheticImages::Generator {
            generator: &generator,
            gan,
        },
    };
    let started = std::time::Instant::now();
    let train_images = Some(
        config
            .train_limit
            .map_or(dataset.train.len(), |n| n.min(dataset.train.len())),
    );
    let say = |line: String| {
        if !args.quiet {
            println!("{line}");
        }
    };
    if !args.few_real_generator && args.synthetic.is_none() {
        say(provenance_note(&[], train_images));
    }
    let results = run_plan(
        &plan,
        &dataset.train,
        &dataset.test,
        &Pretrained {
            images,
            classes: gan.num_classes,
            judge: &judge,
        },
        &device.device,
        |event| match event {
            AugmentEvent::FewRealGenerator(per_class, seed, step, steps) => {
                if step == 1 || step % 100 == 0 || step == steps {
                    say(format!(
                        "few-real generator ({per_class}/class, seed {seed}): step {step}/{steps} ({:.0} s)",
                        started.elapsed().as_secs_f64()
                    ));
                }
            }
            AugmentEvent::ClassifierStep(..) => {}
            AugmentEvent::Result(r) => say(format!(
                "{}/class, {:.0}% synthetic, {:?}, {}: {:.2}% ± {:.2} ({:.0} s)",
                r.real_per_class.min(dataset.train.len()),
                r.ratio * 100.0,
                r.strategy,
                r.generator.describe(),
                r.accuracy.mean * 100.0,
                r.accuracy.std * 100.0,
                started.elapsed().as_secs_f64()
            )),
        },
    )?;
    let mut table = markdown(&results, train_images);
    if pool.is_none() && !gan.model.family().labels_are_classes() {
        table.push_str(&format!(
            "{} saw no labels: each of its category codes was named by the class the judge ({}) \
             reads most among its images, under the best one-to-one matching of codes to \
             classes, so the synthetic labels come from the judge's labelled training.\n",
            gan.model.name(),
            args.classifier
        ));
    }
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
        for (source, &strategy) in [
            GeneratorData::AllLabelled,
            GeneratorData::Folder,
            GeneratorData::FewRealOnly,
        ]
        .into_iter()
        .flat_map(|source| plan.strategies.iter().map(move |s| (source, s)))
        {
            let cells: Vec<_> = results
                .iter()
                .filter(|r| {
                    r.real_per_class == per_class
                        && r.strategy == strategy
                        && r.generator == source
                        && r.ratio > 0.0
                })
                .collect();
            if cells.is_empty() {
                continue;
            }
            let points: Vec<(f64, f64, f64)> = baseline
                .into_iter()
                .chain(cells)
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
            let trained_on = match source {
                GeneratorData::AllLabelled => "G: full set",
                GeneratorData::FewRealOnly => "G: few real only",
                GeneratorData::Folder => "from a folder",
            };
            series.push((format!("{strategy:?}, {subset}, {trained_on}"), points));
        }
    }
    lines_png(
        &out.with_extension("png"),
        "Classifier test accuracy with synthetic data",
        "synthetic share of the real set (%)",
        "test accuracy (%)",
        &series,
    )?;
    if !args.quiet {
        print!("{table}");
        println!("-> {}", out.with_extension("md").display());
    }
    Ok(())
}
