//! `gan-studio bundle`: makes the pretrained model that ships in assets/model/.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{RunArgs, classifier_dir, open_trained_run};

#[derive(Args, Debug)]
pub struct BundleArgs {
    /// The conditional generator's run (its weight average is bundled when it keeps one).
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// The classifier run (or folder holding classifier.bpk).
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    /// Where the bundle goes; the binary compiles in assets/model.
    #[arg(long, value_name = "DIR", default_value = "assets/model")]
    pub out: PathBuf,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: BundleArgs) -> Result<()> {
    let device = crate::device::ComputeDevice::cpu();
    let trained = open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
    let classifier = classifier_dir(&args.runs.runs_dir, &args.classifier);
    // Loading it first proves the classifier is whole before it is copied.
    crate::eval::classifier::load(&classifier, &device.device)?;
    crate::explore::bundle::write(&trained.config, &trained.generator, &classifier, &args.out)?;
    println!(
        "bundled {} ({}) and classifier {} into {}; rebuild to compile them in",
        args.run,
        trained.checkpoint.display(),
        classifier.display(),
        args.out.display()
    );
    Ok(())
}
