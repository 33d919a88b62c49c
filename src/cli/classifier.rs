//! `gan-studio classifier train`

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{DataArgs, RunArgs};
use crate::eval::classifier::{self, Classifier, ClassifierConfig, ClassifierReport, Continued};
use crate::fsutil::write_atomic;
use crate::train::RunDir;

#[derive(Subcommand, Debug)]
pub enum ClassifierCommand {
    /// Train the classifier on the real training set: LeNet-5 (the default, 99% on MNIST) or
    /// a VGG-style trunk with --stages (what Fashion-MNIST and CIFAR-10 need).
    Train(ClassifierTrainArgs),
}

#[derive(Args, Debug)]
pub struct ClassifierTrainArgs {
    /// Run name: the classifier is saved in RUNS_DIR/NAME.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Passes over the training images.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// 0: LeNet-5. N > 0: N VGG stages of two 3x3 convolutions with batch norm, widths
    /// W, 2W, 4W, ... (3 with --width 32 reads CIFAR-10 at 80% after 12 epochs) [default: 0;
    /// with --from, that classifier's]
    #[arg(long)]
    pub stages: Option<usize>,
    /// Width W of the first convolutions [default: 32; with --from, that classifier's]
    #[arg(long)]
    pub width: Option<usize>,
    /// Continue training this classifier (a run name, or a folder holding classifier.bpk such
    /// as assets/model/cifar10/classifier) for --epochs more epochs, with a fresh
    /// learning-rate schedule, rather than starting from random weights. Its architecture is
    /// kept; the result is saved as a new run.
    #[arg(long, value_name = "NAME")]
    pub from: Option<String>,
    /// Read every image and its mirror image and average the two readings, for test accuracy
    /// and every metric the classifier measures (test-time augmentation; only for pictures
    /// whose classes do not depend on left and right, such as CIFAR-10's). With --from and
    /// --epochs 0, turns it on for a trained classifier without training it further.
    #[arg(long)]
    pub mirror_average: bool,
    /// Also read every image shifted N pixels left, right, up and down and average the
    /// readings (five views, ten with --mirror-average), for accuracy and every metric. The
    /// classifier trains on shifts of up to 2 pixels, so 1 or 2 suit it. With --from and
    /// --epochs 0, turns it on for a trained classifier [default: 0; with --from, that
    /// classifier's]
    #[arg(long, value_name = "N")]
    pub shift_average: Option<usize>,
    /// Adam's learning rate in the first epoch (see --lr-decay).
    #[arg(long, default_value_t = 1e-3)]
    pub learning_rate: f64,
    /// Images per batch; a folder of fewer pictures than this needs a smaller one
    /// [default: 128; with --from, that classifier's]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Use only the first N training images.
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Seed of the initial weights, the images' order and their shifts.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The learning rate is multiplied by this after every epoch (0.6 suits MNIST's 5 epochs;
    /// longer runs want a gentler decay, e.g. 0.8 for 15).
    #[arg(long, default_value_t = 0.6)]
    pub lr_decay: f64,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(command: ClassifierCommand) -> Result<()> {
    let ClassifierCommand::Train(args) = command;
    let device = args.runs.device()?;
    let dataset = args.data.load()?;
    let train = match args.train_limit {
        Some(n) => dataset.train.truncate(n),
        None => dataset.train,
    };
    if train.rows != train.cols {
        anyhow::bail!(
            "the classifier needs square images, got {}x{}",
            train.rows,
            train.cols
        );
    }
    let start = match &args.from {
        Some(name) => Some(parent(
            name,
            &args,
            dataset.kind,
            dataset.class_names.len(),
            &device.device,
        )?),
        None => None,
    };
    let architecture = match &start {
        Some(parent) => parent.config.clone(),
        None => ClassifierConfig::new()
            .with_classes(dataset.class_names.len())
            .with_channels(train.channels)
            .with_image_size(train.rows)
            .with_stages(args.stages.unwrap_or(0))
            .with_conv1(args.width.unwrap_or(32)),
    };
    // A continued classifier that read mirror images goes on doing so.
    let mirror_average = args.mirror_average || architecture.mirror_average;
    let shift_average = args.shift_average.unwrap_or(architecture.shift_average);
    let batch_size = args.batch_size.unwrap_or(architecture.batch_size);
    let config = architecture
        .with_epochs(args.epochs)
        .with_batch_size(batch_size)
        .with_mirror_average(mirror_average)
        .with_shift_average(shift_average)
        .with_learning_rate(args.learning_rate)
        .with_lr_decay(args.lr_decay)
        .with_seed(args.seed)
        .with_dataset(Some(dataset.kind));
    let run = RunDir::new(&args.runs.runs_dir, &args.run)?;
    std::fs::create_dir_all(&run.root)
        .with_context(|| format!("cannot create {}", run.root.display()))?;
    println!(
        "training the classifier on {} images ({device})",
        train.len()
    );
    let started = std::time::Instant::now();
    let (weights, continued_from) = match start {
        Some(parent) => (Some(parent.model), Some(parent.continued)),
        None => (None, None),
    };
    let model = classifier::train_from(&config, weights, &train, &device.device, |epoch, loss| {
        println!(
            "epoch {epoch}/{}: mean loss {loss:.4} ({:.0} s)",
            config.epochs,
            started.elapsed().as_secs_f64()
        );
    })?;
    let train_secs = started.elapsed().as_secs_f64();
    let test_accuracy = classifier::accuracy(&model, &dataset.test, &device.device)?;
    crate::fsutil::save_config(&config, &run.config())?;
    crate::train::checkpoint::save_module(&model, &run.root.join("classifier.bpk"))?;
    let report = ClassifierReport {
        test_accuracy,
        train_images: train.len(),
        epochs: config.epochs,
        train_secs,
        continued_from,
    };
    let path = run.root.join("classifier.json");
    write_atomic(&path, serde_json::to_string_pretty(&report)?.as_bytes())?;
    println!(
        "test accuracy {:.2}% ({} test images) -> {}",
        test_accuracy * 100.0,
        dataset.test.len(),
        path.display()
    );
    Ok(())
}

/// A classifier to continue training (`--from`).
struct Parent {
    config: ClassifierConfig,
    model: Classifier,
    continued: Continued,
}

/// Loads the classifier `--from` names and checks it against the other options and the data.
fn parent(
    name: &str,
    args: &ClassifierTrainArgs,
    kind: crate::data::DatasetKind,
    classes: usize,
    device: &burn::prelude::Device,
) -> Result<Parent> {
    let dir = classifier::classifier_dir(&args.runs.runs_dir, name);
    let config = classifier::load_config(&dir)
        .with_context(|| format!("--from {name}: no classifier to continue"))?;
    for (flag, asked, has) in [
        ("--stages", args.stages, config.stages),
        ("--width", args.width, config.conv1),
    ] {
        if let Some(asked) = asked.filter(|asked| *asked != has) {
            anyhow::bail!(
                "--from {name} continues a classifier with {flag} {has}; it cannot become {asked}"
            );
        }
    }
    if let Some(learned) = config.dataset.filter(|learned| *learned != kind) {
        anyhow::bail!(
            "--from {name} learned to read {}; it cannot continue on {}",
            learned.title(),
            kind.title()
        );
    }
    if config.classes != classes {
        anyhow::bail!(
            "--from {name} tells {} classes apart, the data has {classes}",
            config.classes
        );
    }
    let model = classifier::load_weights(&dir, &config, device)?;
    // Its own training, and that of any classifier it continued, if recorded.
    let epochs = std::fs::read_to_string(dir.join("classifier.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<ClassifierReport>(&text).ok())
        .map(|report| report.epochs + report.continued_from.map_or(0, |c| c.epochs))
        .unwrap_or(config.epochs);
    Ok(Parent {
        config,
        model,
        continued: Continued {
            classifier: name.to_string(),
            epochs,
        },
    })
}
