//! `gan-studio bundle`: makes the pretrained models that ship in assets/model/<data set>/.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{RunArgs, classifier_dir, open_trained_run};
use crate::data::DatasetKind;

#[derive(Args, Debug)]
pub struct BundleArgs {
    /// The conditional generator's run (its weight average is bundled when it keeps one);
    /// with --unpack, the run to create.
    #[arg(long, value_name = "NAME", required_unless_present = "unpack")]
    pub run: Option<String>,
    /// The classifier run (or folder holding classifier.bpk); with --unpack, the classifier
    /// run to create.
    #[arg(long, value_name = "NAME", required_unless_present = "unpack")]
    pub classifier: Option<String>,
    /// The other way round: write the models compiled into this binary for --dataset into
    /// RUNS_DIR as a run (for MNIST named bundled-cdcgan) and a classifier run (bundled-lenet),
    /// to sample, eval, embed or augment like any other.
    #[arg(long)]
    pub unpack: bool,
    /// With --unpack: whose bundle to unpack.
    #[arg(long, value_enum, default_value = "mnist")]
    pub dataset: DatasetKind,
    /// Where the bundle goes; the binary compiles in assets/model/<data set of the run>.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: BundleArgs) -> Result<()> {
    use crate::explore::bundle::Bundled;
    if args.unpack {
        let Some(bundle) = Bundled::of(args.dataset) else {
            anyhow::bail!("no models ship for {}", args.dataset.title());
        };
        let run_name = args.run.as_deref().unwrap_or(bundle.run_name);
        let classifier_name = args.classifier.as_deref().unwrap_or(bundle.classifier_name);
        let run = bundle.unpack_run(&args.runs.runs_dir, run_name)?;
        let classifier = bundle.unpack_classifier(&args.runs.runs_dir, classifier_name)?;
        println!(
            "unpacked the bundled generator into {} and its classifier into {}",
            run.root.display(),
            classifier.display()
        );
        return Ok(());
    }
    let (Some(run_name), Some(classifier_name)) = (&args.run, &args.classifier) else {
        anyhow::bail!("bundle needs --run and --classifier (or --unpack)");
    };
    let device = crate::device::ComputeDevice::cpu();
    let trained = open_trained_run(&args.runs.runs_dir, run_name, &device.device)?;
    let classifier = classifier_dir(&args.runs.runs_dir, classifier_name);
    // Loading it first proves the classifier is whole before it is copied.
    crate::eval::classifier::load(&classifier, &device.device)?
        .check_reads(trained.config.dataset)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("assets/model").join(trained.config.dataset.folder()));
    crate::explore::bundle::write(&trained.config, &trained.generator, &classifier, &out)?;
    println!(
        "bundled {} ({}) and classifier {} into {}; rebuild to compile them in",
        run_name,
        trained.checkpoint.display(),
        classifier.display(),
        out.display()
    );
    Ok(())
}
