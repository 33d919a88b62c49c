//! `gan-studio data info|fetch`

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::DataArgs;
use crate::data::Split;
use crate::data::dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, find_file};
use crate::data::fetch::{default_mirrors, fetch_mnist};

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Validate and summarise the dataset files; exit code 0 only if they are sound.
    Info(DataArgs),
    /// Download the four MNIST files with SHA-256 checks.
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Destination folder; default: $GAN_STUDIO_DATA/mnist, then the per-user data folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Base URL to try (repeatable); default: the usual public mirrors.
    #[arg(long = "mirror", value_name = "URL")]
    pub mirrors: Vec<String>,
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Info(args) => info(&args),
        DataCommand::Fetch(args) => {
            let dest = match &args.data {
                Some(dir) => dir.clone(),
                None => DataArgs {
                    data: None,
                    dataset: crate::data::DatasetKind::Mnist,
                }
                .dir(),
            };
            let mirrors = if args.mirrors.is_empty() {
                default_mirrors()
            } else {
                args.mirrors.clone()
            };
            let files = fetch_mnist(&dest, &mirrors, !args.quiet)?;
            for file in files {
                println!("{}", file.display());
            }
            Ok(())
        }
    }
}

fn info(args: &DataArgs) -> Result<()> {
    let dataset = args.load()?;
    println!("dataset: {:?} in {}", dataset.kind, dataset.dir.display());
    for (name, split, images, labels) in [
        ("train", &dataset.train, TRAIN_IMAGES, TRAIN_LABELS),
        ("test", &dataset.test, TEST_IMAGES, TEST_LABELS),
    ] {
        let show = |stem| {
            find_file(&dataset.dir, stem)
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        println!(
            "{name}: {} images of {}x{} ({}, {})",
            split.len(),
            split.rows,
            split.cols,
            show(images),
            show(labels)
        );
        println!("  per class: {:?}", split.class_counts(10));
        println!("  mean pixel in [-1, 1]: {:.4}", mean_pixel(split));
    }
    println!("ok");
    Ok(())
}

fn mean_pixel(split: &Split) -> f64 {
    let sum: u64 = split.images.iter().map(|&p| u64::from(p)).sum();
    sum as f64 / split.images.len().max(1) as f64 / 127.5 - 1.0
}
