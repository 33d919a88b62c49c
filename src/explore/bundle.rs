//! The pretrained model compiled into the binary, so a first launch has a working explorer
//! with no data and no training. Made by `gan-studio bundle` (see README) into assets/model/.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use burn::config::Config;
use burn::prelude::*;
use burn::tensor::Bytes;

use crate::eval::classifier::{Classifier, ClassifierConfig};
use crate::model::{GanConfig, Generator};
use crate::train::TrainConfig;
use crate::train::checkpoint::{load_module_bytes, save_module};

const GENERATOR_CONFIG: &str = include_str!("../../assets/model/generator/config.json");
const GENERATOR_RECORD: &[u8] = include_bytes!("../../assets/model/generator/generator.bpk");
const CLASSIFIER_CONFIG: &str = include_str!("../../assets/model/classifier/config.json");
const CLASSIFIER_RECORD: &[u8] = include_bytes!("../../assets/model/classifier/classifier.bpk");

/// The bundled generator's training configuration (the run it came from).
pub fn generator_config() -> Result<TrainConfig> {
    serde_json::from_str(GENERATOR_CONFIG)
        .map_err(|e| anyhow!("the bundled generator's config is invalid: {e}"))
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
    let config: ClassifierConfig = serde_json::from_str(CLASSIFIER_CONFIG)
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
