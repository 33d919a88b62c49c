//! DCGAN (Radford et al. 2016): unconditional convolutional networks, the original objective.

use burn::prelude::*;

use super::{DiscriminatorBatch, DiscriminatorLoss, Family, GeneratorBatch, binary};
use crate::model::conv::{ConvDiscriminator, ConvGenerator};
use crate::model::summary::NetworkSummary;
use crate::model::{Discriminator, GanConfig, Generator};

pub struct Dcgan;

impl Family for Dcgan {
    fn name(&self) -> &'static str {
        "dcgan"
    }
    fn about(&self) -> &'static str {
        "Unconditional deep convolutional GAN (Radford et al. 2016)"
    }
    fn conditional(&self) -> bool {
        false
    }
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        Generator::Conv(ConvGenerator::new(config, device))
    }
    fn discriminator(&self, config: &GanConfig, device: &Device) -> Option<Discriminator> {
        Some(Discriminator::Conv(ConvDiscriminator::new(config, device)))
    }
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        (
            ConvGenerator::summary(config),
            ConvDiscriminator::summary(config),
        )
    }
    fn discriminator_loss(
        &self,
        _config: &GanConfig,
        batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        binary::discriminator_loss(batch)
    }
    fn generator_loss(&self, _config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        binary::generator_loss(batch.fake)
    }
}
