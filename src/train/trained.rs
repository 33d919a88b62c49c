//! Opening a finished (or stopped) run to sample from it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::prelude::Device;

use super::{RunDir, TrainConfig, checkpoint};
use crate::model::Generator;

/// A trained run ready to sample from: its folder, configuration, newest checkpoint and the
/// generator that samples come from (the weight average when the run keeps one).
pub struct TrainedRun {
    pub run: RunDir,
    pub config: TrainConfig,
    pub checkpoint: PathBuf,
    pub generator: Generator,
}

pub fn open_trained_run(runs_dir: &Path, name: &str, device: &Device) -> Result<TrainedRun> {
    let run = RunDir::open(runs_dir, name)?;
    let config = TrainConfig::load_run(&run.config())?;
    let checkpoint = checkpoint::latest(&run)?
        .with_context(|| format!("run {} has no checkpoint yet", run.root.display()))?;
    let generator = checkpoint::load_sampling_generator(&config.gan, &checkpoint, device)?;
    Ok(TrainedRun {
        run,
        config,
        checkpoint,
        generator,
    })
}
