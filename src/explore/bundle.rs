//! The pretrained model compiled into the binary, so a first launch has a working explorer
//! with no data and no training. Made by `gan-studio bundle` (see README) into assets/model/.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use burn::config::Config;
use burn::prelude::*;
use burn::tensor::Bytes;

use crate::eval::classifier::{Classifier, ClassifierConfig};
use crate::model::{GanConfig, Generator};
use crate::train::checkpoint::{self, load_module_bytes, save_module};
use crate::train::{RunDir, TrainConfig};

const GENERATOR_CONFIG: &str = include_str!("../../assets/model/generator/config.json");
const GENERATOR_RECORD: &[u8] = include_bytes!("../../assets/model/generator/generator.bpk");
const CLASSIFIER_CONFIG: &str = include_str!("../../assets/model/classifier/config.json");
const CLASSIFIER_RECORD: &[u8] = include_bytes!("../../assets/model/classifier/classifier.bpk");

/// The bundled generator's training configuration (the run it came from).
pub fn generator_config() -> Result<TrainConfig> {
    TrainConfig::from_run_json(GENERATOR_CONFIG, "the bundled generator's config")
}

pub fn generator(device: &Device) -> Result<(GanConfig, Generator)> {
    let gan = generator_config()?.gan;
    let generator = load_module_bytes(
        gan.init_generator(device),
        Bytes::from_bytes_vec(GENERATOR_RECORD.to_vec()),
        "bundled generator",
    )?;
    Ok((gan, generator))
}

pub fn classifier(device: &Device) -> Result<Classifier> {
    let config = ClassifierConfig::from_json(CLASSIFIER_CONFIG)
        .map_err(|e| anyhow!("the bundled classifier's config is invalid: {e}"))?;
    load_module_bytes(
        config.init(device),
        Bytes::from_bytes_vec(CLASSIFIER_RECORD.to_vec()),
        "bundled classifier",
    )
}

/// The classifier saved in `dir`, or the bundled one when no folder is given.
pub fn classifier_or_bundled(dir: Option<&Path>, device: &Device) -> Result<Classifier> {
    match dir {
        Some(dir) => crate::eval::classifier::load(dir, device),
        None => classifier(device),
    }
}

/// The run name the studio and `bundle --unpack` give the bundled generator.
pub const UNPACKED_RUN: &str = "bundled-cdcgan";
/// The classifier run name the bundled classifier gets.
pub const UNPACKED_CLASSIFIER: &str = "bundled-lenet";

/// Writes the bundled generator into `runs_dir/name` as a run (its config and a sampling-only
/// checkpoint at the step it was trained to), so every command and tab that reads runs can
/// sample, evaluate and embed it. An existing run of that name is left alone.
pub fn unpack_run(runs_dir: &Path, name: &str) -> Result<RunDir> {
    let run = RunDir::new(runs_dir, name)?;
    if run.config().is_file() {
        return Ok(run);
    }
    let config = generator_config()?;
    let step = config.max_steps.unwrap_or(0);
    checkpoint::write_sampling_run(&run, &config, step, GENERATOR_RECORD)?;
    Ok(run)
}

/// Writes the bundled classifier into `runs_dir/name` as a classifier run.
pub fn unpack_classifier(runs_dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    let root = RunDir::new(runs_dir, name)?.root;
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    crate::fsutil::write_atomic(&root.join("config.json"), CLASSIFIER_CONFIG.as_bytes())?;
    crate::fsutil::write_atomic(&root.join("classifier.bpk"), CLASSIFIER_RECORD)?;
    Ok(root)
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
