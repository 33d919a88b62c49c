//! PCA as a generative baseline: per class, the mean image plus Gaussian coefficients on the
//! leading principal components, each with its component's variance. It has no discriminator and
//! no training loop: `train --model pca` fits it in seconds (train::fit) and writes a run
//! like any other, so sampling, evaluation and the explorer treat it as one more generator.
//! What a GAN has to beat: the average stroke and its main variations, nothing sharper.

use burn::prelude::*;

use super::{DiscriminatorBatch, DiscriminatorLoss, Family, GeneratorBatch};
use crate::explore::pca::PcaModel;
use crate::model::pca::PcaGenerator;
use crate::model::summary::NetworkSummary;
use crate::model::{Discriminator, GanConfig, Generator};

pub struct Pca;

/// Images per class the principal directions are fitted on: enough for stable leading
/// components, and the Gram matrix's eigen-decomposition stays a few seconds on 2 cores.
pub const PCA_IMAGES_PER_CLASS: usize = 1000;

impl Family for Pca {
    fn name(&self) -> &'static str {
        "pca"
    }
    fn about(&self) -> &'static str {
        "PCA per class as a baseline generator: class mean plus Gaussian coefficients on the \
         leading principal components; fitted in seconds, no training"
    }
    fn conditional(&self) -> bool {
        true
    }
    fn adversarial(&self) -> bool {
        false
    }
    fn latent_is_principal(&self) -> bool {
        true
    }
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        Generator::Pca(PcaGenerator::new(config, device))
    }
    fn discriminator(&self, _config: &GanConfig, _device: &Device) -> Option<Discriminator> {
        None
    }
    fn fit(
        &self,
        config: &GanConfig,
        data: &crate::data::Split,
        device: &Device,
    ) -> Option<anyhow::Result<Generator>> {
        Some(
            PcaModel::fit(
                data,
                config.num_classes,
                config.latent_dim,
                PCA_IMAGES_PER_CLASS,
            )
            .map(|model| Generator::Pca(PcaGenerator::from_fit(config, &model, device))),
        )
    }
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        (PcaGenerator::summary(config), NetworkSummary::default())
    }
    fn discriminator_loss(
        &self,
        _config: &GanConfig,
        _batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        unreachable!("PCA is fitted, never trained against a discriminator")
    }
    fn generator_loss(&self, _config: &GanConfig, _batch: GeneratorBatch) -> Tensor<1> {
        unreachable!("PCA is fitted, never trained against a discriminator")
    }
}
