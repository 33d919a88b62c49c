//! PCA as a generator: per class, the mean image plus the latent's first K values as
//! coefficients on the class's K leading principal directions, each scaled by its standard
//! deviation, so z ~ N(0, 1) samples the fitted Gaussian. K is the latent size; the values are
//! fitted in closed form (explore::pca), never trained, and stored like any generator's weights.

use burn::module::Param;
use burn::prelude::*;

use super::config::GanConfig;
use super::layers::Condition;
use super::summary::{Column, NetworkSummary};
use crate::explore::pca::PcaModel;

#[derive(Module, Debug)]
pub struct PcaGenerator {
    /// Per class, the mean image: (C, k*s*s) in [-1, 1], k channels.
    pub means: Param<Tensor<2>>,
    /// The scaled principal directions of every class side by side: (K, C*k*s*s), so one matmul
    /// gives every class's image and the label picks one.
    pub basis: Param<Tensor<2>>,
    pub side: usize,
    pub image_channels: usize,
}

impl PcaGenerator {
    /// Zeros of the right shapes; a fitted model's values are loaded into them.
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let (c, d) = (config.num_classes, pixels(config));
        Self {
            means: Param::from_tensor(Tensor::zeros([c, d], device)),
            basis: Param::from_tensor(Tensor::zeros([config.latent_dim, c * d], device)),
            side: config.image_size,
            image_channels: config.channels,
        }
    }

    /// The generator of a fitted model (its components must equal the config's latent size).
    pub fn from_fit(config: &GanConfig, model: &PcaModel, device: &Device) -> Self {
        let (c, d, k) = (config.num_classes, pixels(config), config.latent_dim);
        let means: Vec<f32> = (0..c)
            .flat_map(|class| model.mean(class).to_vec())
            .collect();
        let mut basis = vec![0.0f32; k * c * d];
        for class in 0..c {
            for component in 0..k.min(model.components) {
                let direction = model.direction(class, component);
                basis[component * c * d + class * d..][..d].copy_from_slice(direction);
            }
        }
        Self {
            means: Param::from_tensor(Tensor::from_data(
                burn::tensor::TensorData::new(means, [c, d]),
                device,
            )),
            basis: Param::from_tensor(Tensor::from_data(
                burn::tensor::TensorData::new(basis, [k, c * d]),
                device,
            )),
            side: config.image_size,
            image_channels: config.channels,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let (c, s, k) = (config.num_classes, config.image_size, config.latent_dim);
        let d = pixels(config);
        let mut column = Column::new(vec![k]);
        column.layer(
            "basis",
            format!("{k} principal directions x {c} classes"),
            vec![d],
            k * c * d,
            (k * c * d) as u64,
        );
        column.layer(
            "means",
            format!("+ class mean ({c} classes)"),
            vec![d],
            c * d,
            0,
        );
        column.reshape("view", "clamp to [-1, 1]", vec![config.channels, s, s]);
        column.finish()
    }

    /// As [`Self::forward`]; a blend of two labels blends their images.
    pub fn forward_condition(&self, z: Tensor<2>, condition: Option<Condition>) -> Tensor<4> {
        match condition {
            None => self.forward(z, None),
            Some(Condition::Labels(labels)) => self.forward(z, Some(labels)),
            Some(Condition::Blend { from, to, t }) => {
                let [b, _] = t.dims();
                let t: Tensor<4> = t.reshape([b, 1, 1, 1]);
                let a = self.forward(z.clone(), Some(from));
                let other = self.forward(z, Some(to));
                a.clone() + (other - a) * t
            }
        }
    }

    /// z (B, K), labels (B) -> images (B, k, s, s) in [-1, 1]
    pub fn forward(&self, z: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<4> {
        let [b, _] = z.dims();
        let device = z.device();
        let [c, d] = self.means.val().dims();
        let labels = labels.unwrap_or_else(|| Tensor::zeros([b], &device));
        let every_class = z.matmul(self.basis.val()).reshape([b, c, d]); // (B, C, k*s*s)
        let pick = labels.clone().reshape([b, 1, 1]).expand([b, 1, d]);
        let offsets: Tensor<2> = every_class.gather(1, pick).reshape([b, d]); // (B, k*s*s)
        (self.means.val().select(0, labels) + offsets)
            .clamp(-1.0, 1.0)
            .reshape([b, self.image_channels, self.side, self.side])
    }
}

/// Values per image: k*s*s.
fn pixels(config: &GanConfig) -> usize {
    config.channels * config.image_size * config.image_size
}
