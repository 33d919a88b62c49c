//! The pretrained models compiled into the binary, one generator and one classifier per named
//! data set, so a first launch has a working explorer (digits, clothes and colour) and scores
//! with no data and no training. Made by `gan-studio bundle` (see README) into
//! assets/model/<data set>/.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use burn::config::Config;
use burn::prelude::*;
use burn::tensor::Bytes;

use crate::data::DatasetKind;
use crate::eval::classifier::{Classifier, ClassifierConfig};
use crate::model::{GanConfig, Generator};
use crate::train::checkpoint::{self, load_module_bytes, save_module};
use crate::train::{RunDir, TrainConfig};

/// One data set's bundled generator and classifier.
pub struct Bundled {
    pub dataset: DatasetKind,
    /// Run names `bundle --unpack` and the studio give them.
    pub run_name: &'static str,
    pub classifier_name: &'static str,
    generator_config: &'static str,
    generator_record: &'static [u8],
    classifier_config: &'static str,
    classifier_record: &'static [u8],
}

macro_rules! bundled {
    ($kind:expr, $dir:literal, $run:literal, $classifier:literal) => {
        Bundled {
            dataset: $kind,
            run_name: $run,
            classifier_name: $classifier,
            generator_config: include_str!(concat!(
                "../../assets/model/",
                $dir,
                "/generator/config.json"
            )),
            generator_record: include_bytes!(concat!(
                "../../assets/model/",
                $dir,
                "/generator/generator.bpk"
            )),
            classifier_config: include_str!(concat!(
                "../../assets/model/",
                $dir,
                "/classifier/config.json"
            )),
            classifier_record: include_bytes!(concat!(
                "../../assets/model/",
                $dir,
                "/classifier/classifier.bpk"
            )),
        }
    };
}

/// Every bundle, MNIST first (the explorer's default).
pub static BUNDLES: [Bundled; 3] = [
    bundled!(
        DatasetKind::Mnist,
        "mnist",
        "bundled-cdcgan",
        "bundled-lenet"
    ),
    bundled!(
        DatasetKind::Fashion,
        "fashion-mnist",
        "bundled-fashion-mnist-cdcgan",
        "bundled-fashion-mnist-classifier"
    ),
    bundled!(
        DatasetKind::Cifar10,
        "cifar10",
        "bundled-cifar10-cdcgan",
        "bundled-cifar10-classifier"
    ),
];

impl Bundled {
    /// The bundle of a data set; None for picture folders, which are each user's own.
    pub fn of(dataset: DatasetKind) -> Option<&'static Self> {
        BUNDLES.iter().find(|b| b.dataset == dataset)
    }

    /// The bundle that `bundle --unpack` made a run of, by the run's name.
    pub fn by_run_name(name: &str) -> Option<&'static Self> {
        BUNDLES.iter().find(|b| b.run_name == name)
    }

    /// The generator's training configuration (the run it came from).
    pub fn generator_config(&self) -> Result<TrainConfig> {
        TrainConfig::from_run_json(
            self.generator_config,
            &format!("the bundled {} generator's config", self.dataset.title()),
        )
    }

    pub fn generator(&self, device: &Device) -> Result<(GanConfig, Generator)> {
        let gan = self.generator_config()?.gan;
        let generator = load_module_bytes(
            gan.init_generator(device),
            Bytes::from_bytes_vec(self.generator_record.to_vec()),
            &format!("bundled {} generator", self.dataset.title()),
        )?;
        Ok((gan, generator))
    }

    pub fn classifier(&self, device: &Device) -> Result<Classifier> {
        let config = ClassifierConfig::from_json(self.classifier_config).map_err(|e| {
            anyhow!(
                "the bundled {} classifier's config is invalid: {e}",
                self.dataset.title()
            )
        })?;
        load_module_bytes(
            config.init(device),
            Bytes::from_bytes_vec(self.classifier_record.to_vec()),
            &format!("bundled {} classifier", self.dataset.title()),
        )
    }

    /// Writes the generator into `runs_dir/name` as a run (its config and a sampling-only
    /// checkpoint at the step it was trained to), so every command and tab that reads runs
    /// can sample, evaluate and embed it. An existing run of that name is left alone.
    pub fn unpack_run(&self, runs_dir: &Path, name: &str) -> Result<RunDir> {
        let run = RunDir::new(runs_dir, name)?;
        if run.config().is_file() {
            return Ok(run);
        }
        let config = self.generator_config()?;
        let step = config.max_steps.unwrap_or(0);
        checkpoint::write_sampling_run(&run, &config, step, self.generator_record)?;
        Ok(run)
    }

    /// Writes the classifier into `runs_dir/name` as a classifier run.
    pub fn unpack_classifier(&self, runs_dir: &Path, name: &str) -> Result<std::path::PathBuf> {
        let root = RunDir::new(runs_dir, name)?.root;
        std::fs::create_dir_all(&root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        crate::fsutil::write_atomic(&root.join("config.json"), self.classifier_config.as_bytes())?;
        crate::fsutil::write_atomic(&root.join("classifier.bpk"), self.classifier_record)?;
        Ok(root)
    }
}

fn mnist() -> &'static Bundled {
    &BUNDLES[0]
}

/// The bundled MNIST generator's training configuration.
pub fn generator_config() -> Result<TrainConfig> {
    mnist().generator_config()
}

/// The bundled MNIST generator.
pub fn generator(device: &Device) -> Result<(GanConfig, Generator)> {
    mnist().generator(device)
}

/// The bundled MNIST classifier (LeNet-5).
pub fn classifier(device: &Device) -> Result<Classifier> {
    mnist().classifier(device)
}

/// The classifier saved in `dir`, or, when no folder is given, the one bundled for `dataset`.
pub fn classifier_or_bundled(
    dir: Option<&Path>,
    dataset: DatasetKind,
    device: &Device,
) -> Result<Classifier> {
    match (dir, Bundled::of(dataset)) {
        (Some(dir), _) => {
            let classifier = crate::eval::classifier::load(dir, device)?;
            classifier.check_reads(dataset)?;
            Ok(classifier)
        }
        (None, Some(bundle)) => bundle.classifier(device),
        (None, None) => bail!(
            "no classifier ships for {}: train one (gan-studio classifier train --dataset \
             folder --data PATH) and choose it",
            dataset.title()
        ),
    }
}

/// The run name the studio and `bundle --unpack` give the bundled MNIST generator.
pub const UNPACKED_RUN: &str = "bundled-cdcgan";
/// The classifier run name the bundled MNIST classifier gets.
pub const UNPACKED_CLASSIFIER: &str = "bundled-lenet";

/// Writes the bundled MNIST generator into `runs_dir/name` as a run.
pub fn unpack_run(runs_dir: &Path, name: &str) -> Result<RunDir> {
    mnist().unpack_run(runs_dir, name)
}

/// Writes the bundled MNIST classifier into `runs_dir/name` as a classifier run.
pub fn unpack_classifier(runs_dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    mnist().unpack_classifier(runs_dir, name)
}

/// Writes a run's sampling generator and a classifier into `out` in the bundle's layout
/// (`generator/{config.json,generator.bpk}`, `classifier/{config.json,classifier.bpk}`).
pub fn write(
    config: &TrainConfig,
    generator: &Generator,
    classifier_dir: &Path,
    out: &Path,
) -> Result<()> {
    let g = out.join("generator");
    let c = out.join("classifier");
    for dir in [&g, &c] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    config
        .save(g.join("config.json"))
        .with_context(|| format!("cannot write {}", g.join("config.json").display()))?;
    save_module(generator, &g.join("generator.bpk"))?;
    for file in ["config.json", "classifier.bpk"] {
        let from = classifier_dir.join(file);
        std::fs::copy(&from, c.join(file))
            .with_context(|| format!("cannot copy {} into the bundle", from.display()))?;
    }
    Ok(())
}
