//! Which generator the explorer shows: a run's newest checkpoint or the bundled model.

use std::path::{Path, PathBuf};

use anyhow::Result;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::bundle;
use crate::model::{GanConfig, Generator};
use crate::sampling::generate_pixels;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GeneratorSource {
    /// The small conditional generator compiled into the binary (assets/model).
    Bundled,
    /// The newest checkpoint of a run.
    Run { runs_dir: PathBuf, name: String },
}

impl GeneratorSource {
    pub fn describe(&self) -> String {
        match self {
            Self::Bundled => "bundled cDCGAN".to_owned(),
            Self::Run { name, .. } => format!("run {name}"),
        }
    }

    pub fn run(runs_dir: &Path, name: &str) -> Self {
        Self::Run {
            runs_dir: runs_dir.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// A generator in inference mode on a chosen device, with the configuration that built it.
#[derive(Clone)]
pub struct LoadedGenerator {
    pub source: GeneratorSource,
    pub config: GanConfig,
    pub generator: Generator,
    pub device: Device,
}

impl LoadedGenerator {
    pub fn load(source: &GeneratorSource, device: &Device) -> Result<Self> {
        let (config, generator) = match source {
            GeneratorSource::Bundled => bundle::generator(device)?,
            GeneratorSource::Run { runs_dir, name } => {
                let run = crate::cli::open_trained_run(runs_dir, name, device)?;
                (run.config.gan, run.generator)
            }
        };
        Ok(Self {
            source: source.clone(),
            config,
            generator,
            device: device.clone(),
        })
    }

    pub fn latent_dim(&self) -> usize {
        self.config.latent_dim
    }

    pub fn is_conditional(&self) -> bool {
        self.config.model.is_conditional()
    }

    pub fn classes(&self) -> usize {
        self.config.num_classes
    }

    pub fn image_size(&self) -> usize {
        self.config.image_size
    }

    /// Images in [-1, 1], one `image_size²` block per latent row.
    pub fn generate(&self, latents: &[f32], labels: Option<&[u8]>) -> Result<Vec<f32>> {
        let labels = if self.is_conditional() { labels } else { None };
        generate_pixels(&self.generator, &self.config, latents, labels, &self.device)
    }
}
