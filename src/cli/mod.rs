//! The command line: one subcommand per job, all over the same library.

mod augment;
mod bench;
mod bundle;
mod classifier;
mod curves;
mod cyclegan;
mod data;
mod embed;
mod eval;
mod export;
mod generate;
pub mod report;
mod sample;
mod study;
mod train;
mod translate;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::data::{Dataset, DatasetKind, resolve_data_dir};
use crate::device::{ComputeDevice, DeviceChoice};

#[derive(Parser, Debug)]
#[command(
    name = "gan-studio",
    version,
    about = "Train, explore, measure and export GANs on digits, clothes, CIFAR-10 or your own pictures"
)]
pub struct Cli {
    /// With no subcommand, the studio window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a GAN (or continue one with --resume)
    ///
    /// With no option but --model, each family trains its best measured recipe: shallow
    /// networks, batch 64, a budget of steps sized to finish in under 10 minutes on a 2-core
    /// CPU. What each reached on MNIST (BENCHMARKS.md, "Families"), scored by a LeNet trained
    /// apart from every GAN; success = the share of samples it reads as the digit asked for,
    /// IS = inception score (real test digits: 9.59):
    ///
    ///   guided   4,300 steps, matching-aware D   6.7 min  success 99.5%, IS 9.71
    ///   2n-gan   4,500 steps                     6.8 min  success 99.2%, IS 9.75
    ///   cgan     4,500 steps, matching-aware D,  1.7 min  success 96.9%, IS 9.32
    ///            medium (dense 256-512)
    ///   cdcgan   4,300 steps, matching-aware D   7.6 min  success 96.3%, IS 9.29
    ///   acgan    3,000 steps                     1.5 min  success 95.8%, IS 9.22
    ///   infogan  3,000 steps, G rate 1e-3,       8.0 min  its codes match the digits
    ///            62 noise values + 2 codes,               99.3-100% over six seeds
    ///            D's inputs warped, real digits           (mean 99.9%; no labels seen);
    ///            paired with deskewed neighbours,         c1 and c2 take slant and width
    ///            c1 and c2 read unwarped
    ///   dcgan    4,500 steps                     3.3 min  IS 5.91 (unconditional)
    ///   pca      fitted, no training             seconds  success 97.1%, IS 8.46
    ///
    /// --depth, --max-steps (or --epochs), --mismatch false and the other options override it.
    #[command(verbatim_doc_comment)]
    Train(train::TrainArgs),
    /// Write a sample grid and IDX files from a trained run.
    Sample(sample::SampleArgs),
    /// Inspect or download datasets.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Train the evaluation classifier.
    #[command(subcommand)]
    Classifier(classifier::ClassifierCommand),
    /// Measure a run's samples with the classifier.
    Eval(eval::EvalArgs),
    /// Retrain the classifier with synthetic data mixed in at chosen ratios.
    Augment(augment::AugmentArgs),
    /// PCA / t-SNE maps and confidence histograms of real vs generated digits.
    Embed(embed::EmbedArgs),
    /// One comparison table across runs (markdown and CSV).
    Report(report::ReportArgs),
    /// A run's training curves as PNGs (losses, D's outputs, gradient norms), smoothed as in the
    /// studio.
    Curves(curves::CurvesArgs),
    /// Measure training throughput.
    Bench(bench::BenchArgs),
    /// Package a trained generator and classifier as the model compiled into the binary.
    Bundle(bundle::BundleArgs),
    /// Write a run's generator (or a classifier) as safetensors PyTorch can load.
    Export(export::ExportArgs),
    /// Make a run from an exported generator or classifier.
    Import(export::ImportArgs),
    /// Write a synthetic data set: one PNG per image in a folder per class, or IDX files.
    Generate(generate::GenerateArgs),
    /// Translate pictures with a CycleGAN run (a picture, a folder or a tarball, into PNGs).
    Translate(translate::TranslateArgs),
    /// Run a whole comparison (families x options x seeds) and write its report.
    #[command(subcommand)]
    Study(study::StudyCommand),
}

/// Progress bars of nested jobs (a study's runs) stack under their parent's bar here.
pub(crate) static PROGRESS: std::sync::OnceLock<indicatif::MultiProgress> =
    std::sync::OnceLock::new();

pub fn run(cli: Cli) -> Result<()> {
    let Some(command) = cli.command else {
        return crate::studio::run();
    };
    on_pool(move || command_run(command))
}

/// Runs `work` on one of rayon's worker threads, the calling thread waiting. Every flex op that
/// splits its work over the cores then starts from a worker, which takes a share itself and
/// wakes one other, where from a thread outside the pool each op was handed to the pool and
/// the caller woken again when it was done: a few microseconds each way on every one of a
/// step's hundreds of ops (2N-GAN's shallow step: 25.2-27.3 -> 23.9-24.1 ms; BENCHMARKS.md).
/// The studio keeps its own threads: its window owns the main thread, and its jobs run beside
/// each other.
fn on_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| work())
}

/// One subcommand.
fn command_run(command: Command) -> Result<()> {
    match command {
        Command::Train(args) => train::run(args),
        Command::Sample(args) => sample::run(args),
        Command::Data(command) => data::run(command),
        Command::Classifier(command) => classifier::run(command),
        Command::Eval(args) => eval::run(args),
        Command::Augment(args) => augment::run(args),
        Command::Embed(args) => embed::run(args),
        Command::Report(args) => report::run(args),
        Command::Curves(args) => curves::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Bundle(args) => bundle::run(args),
        Command::Export(args) => export::export(args),
        Command::Import(args) => export::import(args),
        Command::Generate(args) => generate::run(args),
        Command::Study(command) => study::run(command),
        Command::Translate(args) => translate::run(args),
    }
}

/// Where the data is, shared by every subcommand that reads it.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Data folder (holding mnist/, fashion-mnist/, cifar10/, or one set's files); default:
    /// $GAN_STUDIO_DATA, then the per-user data folder. With --dataset folder: the picture
    /// folder (train/<class>/*.png|jpg, optionally test/<class>/) or a .tar / .tar.gz of one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Which dataset [default: mnist, or what --data's IDX files hold; for a command on a
    /// trained run, the set it trained on; for `eval --real`, the set its classifier learned].
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetKind>,
}

impl DataArgs {
    /// The named set's arguments.
    pub fn of(dataset: DatasetKind, data: Option<PathBuf>) -> Self {
        Self {
            data,
            dataset: Some(dataset),
        }
    }

    /// The set asked for, MNIST when none was.
    pub fn kind(&self) -> DatasetKind {
        self.dataset.unwrap_or(DatasetKind::Mnist)
    }

    /// The data a command on a trained run reads: the set the run trained on (and the picture
    /// folder it recorded, unless --data names another). A different --dataset is refused:
    /// scoring clothes against real digits, say, gives figures that look plausible and mean
    /// nothing (a Fashion-MNIST run scored against MNIST read FID 312 instead of 46).
    pub fn for_run(&self, run: &str, saved: &crate::train::TrainConfig) -> Result<Self> {
        if let Some(asked) = self.dataset
            && asked != saved.dataset
        {
            anyhow::bail!(
                "run {run} was trained on {}, not {}: leave out --dataset (the run's own set \
                 is read) or pass --dataset {}",
                saved.dataset.title(),
                asked.title(),
                saved.dataset.folder_or_flag()
            );
        }
        if self.data.is_none()
            && let Some(folder) = &saved.data_path
            && !folder.exists()
        {
            anyhow::bail!(
                "run {run} trained on the pictures in {}, which are no longer there: pass \
                 --data with where they are now",
                folder.display()
            );
        }
        let data = self.data.clone().or_else(|| saved.data_path.clone());
        Ok(Self::of(saved.dataset, data))
    }

    pub fn dir(&self) -> PathBuf {
        resolve_data_dir(self.data.as_deref(), self.kind())
    }

    /// Loads the set, with a progress bar while pictures decode, and prints what a user should
    /// know about how it was read (skipped files, a held-out split) on stderr.
    pub fn load(&self) -> Result<Dataset> {
        let kind = self.kind();
        if kind == DatasetKind::Folder && self.data.is_none() {
            anyhow::bail!("--dataset folder needs --data PATH: the picture folder or tarball");
        }
        let bar = indicatif::ProgressBar::hidden();
        if !kind.is_idx() && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.set_style(
                indicatif::ProgressStyle::with_template("decoding {pos}/{len} pictures {bar:30}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        }
        let dir = self.dir();
        // A folder of IDX files given without naming its set is read as what it holds
        // (MNIST and Fashion-MNIST share file names; only the content tells them apart).
        let unnamed_idx = self.dataset.is_none()
            && self.data.as_deref() == Some(dir.as_path())
            && kind.present_in(&dir);
        let dataset = if unnamed_idx {
            Dataset::load_idx_as_found(&dir)?
        } else {
            Dataset::load_reporting(&dir, kind, &|done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })?
        };
        bar.finish_and_clear();
        for note in &dataset.notes {
            eprintln!("warning: {note}");
        }
        Ok(dataset)
    }
}

/// The runs folder when none is given: `runs` in the working folder.
pub const DEFAULT_RUNS_DIR: &str = "runs";

/// Where runs live and which device computes.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Folder holding the runs.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_RUNS_DIR)]
    pub runs_dir: PathBuf,
    /// cpu (burn flex), wgpu, or auto (wgpu only on a real GPU).
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

impl RunArgs {
    pub fn device(&self) -> Result<ComputeDevice> {
        ComputeDevice::resolve(self.device)
    }
}

pub use crate::eval::classifier::classifier_dir;
pub use crate::train::trained::{TrainedRun, open_trained_run};

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every option of every command, nested ones included, says in `--help` what it does.
    #[test]
    fn every_option_has_help() {
        fn missing(command: &clap::Command, path: &str, found: &mut Vec<String>) {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    found.push(format!("{path} --{id}"));
                }
            }
            for sub in command.get_subcommands() {
                missing(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut found = Vec::new();
        missing(&super::Cli::command(), "gan-studio", &mut found);
        assert!(found.is_empty(), "options without help: {found:#?}");
    }
}
