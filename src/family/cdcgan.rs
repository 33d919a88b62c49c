//! Conditional DCGAN (Mirza & Osindero 2014 on DCGAN's networks): both networks read the label,
//! as a learned map joined to the features as one more channel; the original objective.

use burn::prelude::*;

use super::{DiscriminatorBatch, DiscriminatorLoss, Family, GeneratorBatch, binary};
use crate::model::conv::{ConvDiscriminator, ConvGenerator};
use crate::model::summary::NetworkSummary;
use crate::model::{Discriminator, GanConfig, Generator};

pub struct Cdcgan;

impl Family for Cdcgan {
    fn name(&self) -> &'static str {
        "cdcgan"
    }
    fn about(&self) -> &'static str {
        "Conditional DCGAN: both networks read the label as an extra feature map \
         (Mirza & Osindero 2014)"
    }
    fn conditional(&self) -> bool {
        true
    }
    fn discriminator_reads_labels(&self) -> bool {
        true
    }
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        Generator::Conv(if config.one_hot_labels {
            ConvGenerator::with_one_hot_labels(config, device)
        } else {
            ConvGenerator::new(config, device)
        })
    }
    fn discriminator(&self, config: &GanConfig, device: &Device) -> Option<Discriminator> {
        Some(Discriminator::Conv(ConvDiscriminator::new(config, device)))
    }
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        let generator = if config.one_hot_labels {
            ConvGenerator::summary_one_hot(config)
        } else {
            ConvGenerator::summary(config)
        };
        (generator, ConvDiscriminator::summary(config))
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
