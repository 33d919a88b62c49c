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
    /// The small conditional generator compiled into the binary for a data set
    /// (assets/model/<data set>).
    Bundled(crate::data::DatasetKind),
    /// The newest checkpoint of a run.
    Run { runs_dir: PathBuf, name: String },
}

impl GeneratorSource {
    pub fn describe(&self) -> String {
        match self {
            Self::Bundled(kind) => format!("bundled cDCGAN ({})", kind.title()),
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
    /// The classes' names in label order (empty: digits).
    pub class_names: Vec<String>,
    /// The data set it learned from (the bundled model: MNIST), and a picture folder's path.
    pub dataset: crate::data::DatasetKind,
    pub data_path: Option<PathBuf>,
}

impl LoadedGenerator {
    pub fn load(source: &GeneratorSource, device: &Device) -> Result<Self> {
        let (generator, train) = match source {
            GeneratorSource::Bundled(kind) => {
                let bundle = bundle::Bundled::of(*kind)
                    .ok_or_else(|| anyhow::anyhow!("no generator ships for {}", kind.title()))?;
                let (_, generator) = bundle.generator(device)?;
                (generator, bundle.generator_config()?)
            }
            GeneratorSource::Run { runs_dir, name } => {
                let run = crate::train::open_trained_run(runs_dir, name, device)?;
                (run.generator, run.config)
            }
        };
        Ok(Self {
            source: source.clone(),
            config: train.gan,
            generator,
            device: device.clone(),
            class_names: train.class_names,
            dataset: train.dataset,
            data_path: train.data_path,
        })
    }

    /// The name of class `label` ("airplane"), or the label itself where classes are digits.
    pub fn class_name(&self, label: u8) -> String {
        self.class_names
            .get(usize::from(label))
            .cloned()
            .unwrap_or_else(|| label.to_string())
    }

    /// The data folder to find its data set in: a picture folder's own path, else `data_dir`.
    pub fn data_root(&self, data_dir: &Path) -> PathBuf {
        crate::train::config::data_root(self.dataset, self.data_path.as_deref(), data_dir)
    }

    /// Whether the classes are the digits 0-9 (MNIST, and runs from before class names).
    pub fn draws_digits(&self) -> bool {
        self.class_names
            .iter()
            .enumerate()
            .all(|(i, name)| *name == i.to_string())
    }

    /// Values per image: channels x side x side.
    pub fn pixels_per_image(&self) -> usize {
        self.config.channels * self.config.image_size * self.config.image_size
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

    /// Images between two labels: row i uses latent i and the label embedding
    /// `(1 - t[i]) * embed(from[i]) + t[i] * embed(to[i])`, left on the generator's device.
    /// Conditional models only.
    pub fn generate_between_labels(
        &self,
        latents: &[f32],
        from: &[u8],
        to: &[u8],
        t: &[f32],
    ) -> Result<Tensor<4>> {
        use crate::model::layers::Condition;
        use crate::sampling::labels_tensor;
        anyhow::ensure!(
            self.is_conditional(),
            "only conditional models have labels to blend"
        );
        let n = t.len();
        let z = Tensor::<2>::from_data(
            TensorData::new(latents.to_vec(), [n, self.latent_dim()]),
            &self.device,
        );
        let condition = Condition::Blend {
            from: labels_tensor(from.to_vec(), &self.device),
            to: labels_tensor(to.to_vec(), &self.device),
            t: Tensor::from_data(TensorData::new(t.to_vec(), [n, 1]), &self.device),
        };
        Ok(self
            .generator
            .forward_condition(&self.config, z, Some(condition)))
    }

    /// InfoGAN's code sweep: one row per category code, `columns` images moving continuous
    /// code `code` (0-based) from -2 to 2, all from the noise part of `latent`; left on the
    /// generator's device.
    pub fn code_sweep(&self, latent: &[f32], code: usize, columns: usize) -> Result<Tensor<4>> {
        crate::explore::codes::code_sweep(
            &self.generator,
            &self.config,
            code,
            columns,
            crate::explore::codes::SWEEP_RANGE,
            latent,
            &self.device,
        )
    }

    /// False for InfoGAN, whose labels are category codes with a meaning it found itself.
    pub fn labels_are_classes(&self) -> bool {
        self.config.model.family().labels_are_classes()
    }

    /// InfoGAN: the number of continuous codes at the end of the latent (0 for other models).
    pub fn continuous_codes(&self) -> usize {
        self.config.model.family().continuous_codes(&self.config)
    }

    /// Images (n, C, H, W) in [-1, 1], left on the generator's device (at least one latent).
    pub fn generate_images(&self, latents: &[f32], labels: Option<&[u8]>) -> Tensor<4> {
        let labels = if self.is_conditional() { labels } else { None };
        crate::sampling::generate_images(
            &self.generator,
            &self.config,
            latents,
            labels,
            &self.device,
        )
    }

    /// The device the generator runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Images in [-1, 1], one `image_size²` block per latent row.
    pub fn generate(&self, latents: &[f32], labels: Option<&[u8]>) -> Result<Vec<f32>> {
        let labels = if self.is_conditional() { labels } else { None };
        generate_pixels(&self.generator, &self.config, latents, labels, &self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_blend_runs_from_one_class_to_the_other() {
        let device = Device::flex();
        let generator = LoadedGenerator::load(
            &GeneratorSource::Bundled(crate::data::DatasetKind::Mnist),
            &device,
        )
        .unwrap();
        let z: Vec<f32> = (0..100)
            .map(|i| ((i * 7) % 13) as f32 / 6.5 - 1.0)
            .collect();
        let three = generator.generate(&z, Some(&[3])).unwrap();
        let eight = generator.generate(&z, Some(&[8])).unwrap();
        let blend = crate::sampling::host_pixels(
            generator
                .generate_between_labels(&z.repeat(3), &[3, 3, 3], &[8, 8, 8], &[0.0, 0.5, 1.0])
                .unwrap(),
        )
        .unwrap();
        let distance = |a: &[f32], b: &[f32]| {
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
        };
        let per = three.len();
        assert!(distance(&blend[..per], &three) < 1e-5, "t = 0 is label 3");
        assert!(
            distance(&blend[2 * per..], &eight) < 1e-5,
            "t = 1 is label 8"
        );
        let middle = &blend[per..2 * per];
        assert!(distance(middle, &three) > 0.01 && distance(middle, &eight) > 0.01);
    }
}
