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
    /// Classifier run (name under RUNS_DIR or a path). Required for GAN runs; CycleGAN runs
    /// default to the classifier bundled for their domains' data set.
    #[arg(long, value_name = "NAME")]
    pub classifier: Option<String>,
    /// Generated samples (conditional models: split evenly over the classes); CycleGAN runs:
    /// held-out pictures per domain, at most.
    #[arg(long, default_value_t = 10_000)]
    pub samples: usize,
    /// Samples compared pixel by pixel with every training image.
    #[arg(long, default_value_t = 1000)]
    pub memorisation_samples: usize,
    /// Seed of the latents and labels of the generated samples.
    #[arg(long, default_value_t = 12345)]
    pub seed: u64,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: EvalArgs) -> Result<()> {
    if let Some(name) = &args.run
        && let Some(dir) = crate::cyclegan::run::find(&args.runs.runs_dir, name)
    {
        return cyclegan(&args, dir);
    }
    let started = std::time::Instant::now();
    let classifier_name = args.classifier.as_deref().context(
        "--classifier NAME is required: the classifier that reads the samples, one you \
             trained (`gan-studio classifier train --run NAME`) or a bundled one \
             (assets/model/mnist/classifier, fashion-mnist, cifar10); a run trained against a \
             classifier (--model guided) is scored fairly only by another",
    )?;
    let device = args.runs.device()?;
    let classifier = classifier::load(
        &super::classifier_dir(&args.runs.runs_dir, classifier_name),
        &device.device,
    )?;
    // A run is measured against real images of the set it trained on.
    let data = match &args.run {
        Some(name) => {
            let run = crate::train::RunDir::open(&args.runs.runs_dir, name)?;
            let saved = crate::train::TrainConfig::load_run(&run.config())?;
            args.data.for_run(name, &saved)?
        }
        // --real without --dataset: the set the classifier learned, where it recorded one.
        None => match (args.data.dataset, classifier.dataset) {
            (None, Some(learned)) => super::DataArgs::of(learned, args.data.data.clone()),
            _ => args.data.clone(),
        },
    };
    let dataset = data.load()?;
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

/// `eval --run R` for a CycleGAN run: its figures on held-out pictures, into its eval.json.
fn cyclegan(args: &EvalArgs, dir: crate::train::RunDir) -> Result<()> {
    use crate::cyclegan::domain::named_set;
    let device = args.runs.device()?;
    let trained = crate::cyclegan::run::open(dir, &device.device)?;
    let config = &trained.config;
    let set = named_set(&config.domain_a.spec)
        .or_else(|| named_set(&config.domain_b.spec))
        .map(|(kind, _, _)| kind);
    let data_classifier = match (&args.classifier, set) {
        (Some(name), _) => {
            let dir = super::classifier_dir(&args.runs.runs_dir, name);
            Some((classifier::load(&dir, &device.device)?, name.clone()))
        }
        (None, Some(kind)) => Some((
            crate::explore::bundle::classifier_or_bundled(None, kind, &device.device)?,
            format!("the bundled {} classifier", kind.title()),
        )),
        (None, None) => None,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    let result = crate::cyclegan::eval::evaluate_run(
        &trained,
        args.samples,
        data_classifier.as_ref().map(|(c, name)| (c, name.clone())),
        args.data.data.as_deref(),
        &device.device,
        &mut |what| bar.set_message(what.to_string()),
    )?;
    bar.finish_and_clear();
    print!("{}", result.markdown());
    println!(
        "-> {} ({:.1} s)",
        trained.run.root.join("eval.json").display(),
        result.seconds
    );
    Ok(())
}
