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
    /// What was fitted other than asked, for the user (fewer components than the latent
    /// size when a class has few pictures).
    pub note: Option<String>,
}

/// PCA fits at most one component fewer than its smallest class has images: a folder of 45
/// cats cannot give 100 principal directions. The run's latent size (its explorer sliders)
/// shrinks to match, and the note says so; None when the latent size fits.
fn principal_components_that_fit(
    config: &TrainConfig,
    data: &Split,
) -> Result<Option<(usize, String)>> {
    let gan = &config.gan;
    let (smallest, count) = data
        .smallest_class(gan.num_classes.max(1))
        .unwrap_or((0, 0));
    let name = config
        .class_names
        .get(smallest)
        .cloned()
        .unwrap_or_else(|| smallest.to_string());
    if count < 2 {
        bail!("class {name} has {count} training image(s); PCA needs at least 2 of every class");
    }
    Ok((gan.latent_dim >= count).then(|| {
        let note = format!(
            "fitted {} principal components per class, not {}: class {name} has {count} \
             training images",
            count - 1,
            gan.latent_dim
        );
        (count - 1, note)
    }))
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
    crate::train::trainer::check_data_shape(&data, &config.gan)?;
    let mut config = config.clone();
    let mut note = None;
    if config.gan.model.family().latent_is_principal()
        && let Some((components, why)) = principal_components_that_fit(&config, &data)?
    {
        config.gan.latent_dim = components;
        note = Some(why);
    }
    let (config, gan) = (&config, &config.gan);
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
        note,
    })
}
