//! Fitting a family that needs no training loop (PCA) into a run folder like any other:
//! config.json, a generator-only checkpoint, an empty metrics log and the sample grid.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use burn::prelude::*;

use super::checkpoint;
use super::config::TrainConfig;
use super::lock::RunLock;
use super::run_dir::RunDir;
use super::trainer::write_sample_grid;
use crate::data::Split;
use crate::explore::pca::PcaModel;
use crate::model::pca::PcaGenerator;
use crate::model::{Generator, ModelKind};

/// Images per class the principal directions are fitted on: enough for stable leading
/// components, and the Gram matrix's eigen-decomposition stays a few seconds on 2 cores.
pub const PCA_IMAGES_PER_CLASS: usize = 1000;

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
    if data.rows != gan.image_size || data.cols != gan.image_size {
        bail!(
            "the data's images are {}x{}, the model's {}x{}",
            data.rows,
            data.cols,
            gan.image_size,
            gan.image_size
        );
    }
    let started = Instant::now();
    let generator = match gan.model {
        ModelKind::Pca => {
            let model =
                PcaModel::fit(&data, gan.num_classes, gan.latent_dim, PCA_IMAGES_PER_CLASS)?;
            Generator::Pca(PcaGenerator::from_fit(gan, &model, device))
        }
        other => bail!("{} is trained, not fitted", other.name()),
    };
    let seconds = started.elapsed().as_secs_f64();
    let record = checkpoint::record_bytes(&generator, "fitted generator")?;
    checkpoint::write_sampling_run(run, config, 0, &record)?;
    let (grid, pixels) = write_sample_grid(run, config, &generator, 0, device)?;
    Ok(Fitted {
        grid,
        pixels,
        seconds,
    })
}
