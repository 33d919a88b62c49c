//! `gan-studio data info|fetch`

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::DataArgs;
use crate::data::DatasetKind;
use crate::data::Split;
use crate::data::dataset::{TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, find_file};
use crate::data::fetch::{fetch_files, remote_set};

#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Validate and summarise the dataset files; exit code 0 only if they are sound.
    Info(DataArgs),
    /// Download a data set (MNIST, Fashion-MNIST or CIFAR-10's binary release), every file
    /// checked against its published checksum.
    Fetch(FetchArgs),
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Destination folder; default: the data set's subfolder of $GAN_STUDIO_DATA, else of the
    /// per-user data folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The data set to download.
    #[arg(long, value_enum, default_value_t = DatasetKind::Mnist)]
    pub dataset: DatasetKind,
    /// Base URL to try (repeatable); default: the usual public mirrors.
    #[arg(long = "mirror", value_name = "URL")]
    pub mirrors: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Info(args) => info(&args),
        DataCommand::Fetch(args) => {
            let (files, defaults) = remote_set(args.dataset).with_context(|| {
                format!(
                    "{} is not downloaded: point --data at your pictures",
                    args.dataset.title()
                )
            })?;
            let dest = match &args.data {
                Some(dir) => dir.clone(),
                None => DataArgs::of(args.dataset, None).dir(),
            };
            let mirrors = if args.mirrors.is_empty() {
                defaults
            } else {
                args.mirrors.clone()
            };
            let files = fetch_files(&dest, &mirrors, &files, !args.quiet)?;
            for file in files {
                println!("{}", file.display());
            }
            Ok(())
        }
    }
}

fn info(args: &DataArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let dataset = args.load()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "dataset: {} in {} (read in {seconds:.2} s)",
        dataset.kind.title(),
        dataset.dir.display()
    );
    let classes = dataset.class_names.len();
    println!("classes: {}", dataset.class_names.join(", "));
    for (name, split, images, labels) in [
        ("train", &dataset.train, TRAIN_IMAGES, TRAIN_LABELS),
        ("test", &dataset.test, TEST_IMAGES, TEST_LABELS),
    ] {
        let files = if dataset.kind.is_idx() {
            let show = |stem| {
                find_file(&dataset.dir, stem)
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            };
            format!(" ({}, {})", show(images), show(labels))
        } else {
            String::new()
        };
        println!(
            "{name}: {} images of {}x{} {}{files}",
            split.len(),
            split.rows,
            split.cols,
            if split.channels == 3 { "RGB" } else { "grey" },
        );
        println!("  per class: {:?}", split.class_counts(classes));
        println!("  mean pixel in [-1, 1]: {:.4}", mean_pixel(split));
    }
    println!("ok");
    Ok(())
}

fn mean_pixel(split: &Split) -> f64 {
    let sum: u64 = split.images.iter().map(|&p| u64::from(p)).sum();
    sum as f64 / split.images.len().max(1) as f64 / 127.5 - 1.0
}
