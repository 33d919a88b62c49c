//! `gan-studio export` and `gan-studio import`: weights as safetensors in PyTorch's layout.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::RunArgs;
use crate::interop::safetensors::{
    export_classifier, export_generator, import_classifier, import_generator,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WeightsFormat {
    /// safetensors with PyTorch's tensor names and layouts, plus config.json.
    Safetensors,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A generator run or a classifier run (name under RUNS_DIR or a path).
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// File format of the weights.
    #[arg(long, value_enum, default_value_t = WeightsFormat::Safetensors)]
    pub format: WeightsFormat,
    /// Output folder (created): generator.safetensors or classifier.safetensors, config.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub runs: RunArgs,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A folder written by `export` (or by PyTorch in the same layout).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The run to create under RUNS_DIR.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn export(args: ExportArgs) -> Result<()> {
    let WeightsFormat::Safetensors = args.format;
    let classifier = crate::eval::classifier::classifier_dir(&args.runs.runs_dir, &args.run);
    let files = if classifier.join("classifier.bpk").is_file() {
        export_classifier(&classifier, &args.out)?
    } else {
        let device = crate::device::ComputeDevice::cpu();
        let trained = super::open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
        export_generator(&trained, &args.out)?
    };
    for file in files {
        println!("{}", file.display());
    }
    Ok(())
}

pub fn import(args: ImportArgs) -> Result<()> {
    use crate::interop::safetensors::{CLASSIFIER_FILE, GENERATOR_FILE};
    let path = if args.from.join(GENERATOR_FILE).is_file() {
        import_generator(&args.from, &args.runs.runs_dir, &args.run)?.root
    } else if args.from.join(CLASSIFIER_FILE).is_file() {
        import_classifier(&args.from, &args.runs.runs_dir, &args.run)?
    } else {
        bail!(
            "{}: holds neither {GENERATOR_FILE} nor {CLASSIFIER_FILE}",
            args.from.display()
        );
    };
    println!("imported into {}", path.display());
    Ok(())
}
