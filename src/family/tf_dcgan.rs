//! The TensorFlow tutorial's DCGAN: unconditional, fixed networks, a speed yardstick.

use burn::prelude::*;

use super::Family;
use crate::model::summary::NetworkSummary;
use crate::model::tf_dcgan::{TfDiscriminator, TfGenerator};
use crate::model::{Discriminator, GanConfig, Generator};

pub struct TfDcgan;

impl Family for TfDcgan {
    fn name(&self) -> &'static str {
        "tf-dcgan"
    }
    fn about(&self) -> &'static str {
        "The TensorFlow tutorial's DCGAN (unconditional), a fixed speed yardstick"
    }
    fn conditional(&self) -> bool {
        false
    }
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        Generator::Tf(TfGenerator::new(config, device))
    }
    fn discriminator(&self, config: &GanConfig, device: &Device) -> Option<Discriminator> {
        Some(Discriminator::Tf(TfDiscriminator::new(config, device)))
    }
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        (
            TfGenerator::summary(config),
            TfDiscriminator::summary(config),
        )
    }
}
