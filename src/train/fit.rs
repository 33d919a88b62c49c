//! Fitting a family that needs no training loop (PCA) into a run folder like any other:
//! config.json, a generator-only checkpoint, an empty metrics log and the sample grid.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use burn::prelude::*;

use super::checkpoint;
use super::config::TrainConfig;
use super::lock::RunLock;
use super::run_dir::RunDir;
use super::trainer::write_sample_grid;
use crate::data::Split;

/// What fitting wrote.
pub struct Fitted {
    /// The sample grid, and its images in [-1, 1].
    pub grid: PathBuf,
    pub pixels: Vec<f32>,
    /// Seconds the fit itself took.
    pub seconds: f64,
}

/// Fits `config`'s closed-form family on `data` into the new run `run`.
pub fn fit_closed_form(
    config: &TrainConfig,
    run: &RunDir,
    data: Split,
    device: &Device,
) -> Result<Fitted> {
    config.validate()?;
    let _lock = RunLock::acquire(run)?;
    if run.config().exists() {
        bail!(
            "run {} already exists; pick another --run name",
            run.root.display()
        );
    }
    let data = match config.train_limit {
        Some(n) => data.truncate(n),
        None => data,
    };
    let gan = &config.gan;
    crate::train::trainer::check_data_shape(&data, gan)?;
    let started = Instant::now();
    let generator = gan
        .model
        .family()
        .fit(gan, &data, device)
        .unwrap_or_else(|| Err(anyhow!("{} is trained, not fitted", gan.model.name())))?;
    let seconds = started.elapsed().as_secs_f64();
    let record = checkpoint::record_bytes(&generator, "fitted generator")?;
    checkpoint::write_sampling_run(run, config, 0, &record)?;
    let (grid, pixels, _) = write_sample_grid(run, config, &generator, 0, device)?;
    Ok(Fitted {
        grid,
        pixels,
        seconds,
    })
}
