//! The guiding classifier of a classifier-guided run: copied into the run's `guide/` folder
//! when the run starts (so a resume, an export or an `eval` elsewhere finds the very weights
//! that guided it), loaded frozen for training, and recognised when someone scores the run
//! with it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::prelude::*;
use sha2::{Digest, Sha256};

use super::{RunDir, TrainConfig};
use crate::eval::classifier::{self, Classifier};

/// The folder inside a run that holds its guiding classifier.
pub const GUIDE_DIR: &str = "guide";

pub fn dir(run_root: &Path) -> PathBuf {
    run_root.join(GUIDE_DIR)
}

/// Copies the configured classifier (or the data set's bundled one) into the run and checks
/// that it reads the run's images and classes.
pub fn install(config: &TrainConfig, run: &RunDir) -> Result<()> {
    let target = dir(&run.root);
    match &config.guide_classifier {
        Some(from) => {
            std::fs::create_dir_all(&target)
                .with_context(|| format!("cannot create {}", target.display()))?;
            for file in ["config.json", "classifier.bpk"] {
                let source = from.join(file);
                std::fs::copy(&source, target.join(file)).with_context(|| {
                    format!(
                        "cannot copy the guiding classifier's {} (is {} a classifier run?)",
                        source.display(),
                        from.display()
                    )
                })?;
            }
        }
        None => {
            let bundle =
                crate::explore::bundle::Bundled::of(config.dataset).with_context(|| {
                    format!(
                        "no classifier ships for {}: name one with --guide-classifier",
                        config.dataset.title()
                    )
                })?;
            bundle.unpack_classifier(&run.root, GUIDE_DIR)?;
        }
    }
    let guide = classifier::load(&target, &Device::flex())?;
    check_fits(&guide, config)
}

fn check_fits(guide: &Classifier, config: &TrainConfig) -> Result<()> {
    guide
        .check_reads(config.dataset)
        .context("the guiding classifier cannot guide this run")?;
    let gan = &config.gan;
    guide
        .check_side(gan.image_size)
        .context("the guiding classifier cannot guide this run")?;
    let classes = guide.head.weight.dims()[1];
    if guide.input_channels() != gan.channels || classes != gan.num_classes {
        bail!(
            "the guiding classifier reads {} channel(s) and {classes} classes; the run's images \
             have {} channel(s) and {} classes",
            guide.input_channels(),
            gan.channels,
            gan.num_classes
        );
    }
    Ok(())
}

/// The run's guiding classifier on the training device, frozen: no weight updates, batch norm
/// and dropout in inference mode, gradients still flowing to the images it reads.
pub fn load(config: &TrainConfig, run: &RunDir, device: &Device) -> Result<Classifier> {
    let guide = classifier::load(&dir(&run.root), device).with_context(|| {
        format!(
            "the guided run {} lost its guiding classifier",
            run.root.display()
        )
    })?;
    check_fits(&guide, config)?;
    Ok(guide.freeze())
}

/// SHA-256 of a classifier record, to tell whether a scoring classifier is the guiding one.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of a run's guiding classifier, if it has one.
pub fn run_digest(run_root: &Path) -> Option<String> {
    std::fs::read(dir(run_root).join("classifier.bpk"))
        .ok()
        .map(|bytes| digest(&bytes))
}

/// Whether `scorer` is the classifier that guided the run in `run_root` (the same weights,
/// however it was loaded): scores it gives such a run are self-fulfilling.
pub fn guided_by(run_root: &Path, scorer: &Classifier) -> bool {
    let guide_dir = dir(run_root);
    if !guide_dir.join("classifier.bpk").is_file() {
        return false;
    }
    classifier::load(&guide_dir, &Device::flex())
        .is_ok_and(|guide| guide.weights_sha256() == scorer.weights_sha256())
}
