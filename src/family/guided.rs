//! Classifier-guided conditional DCGAN: the conditional DCGAN's networks and objective, and G
//! also minimises λ·CE(C(G(z, y)), y) for a frozen classifier C trained on real images, so its
//! samples are pushed to read as the class they were asked for. Scoring such a run with C
//! itself is self-fulfilling: `eval` and the Metrics tab warn when they do.

use burn::prelude::*;

use super::{
    Family, FamilyOption, GeneratorBatch, LABEL_INPUT, OptionField, PROJECTION, Recipe, binary,
};
use crate::model::GanConfig;

pub struct Guided;

const GUIDE_WEIGHT: FamilyOption = FamilyOption {
    label: "Guide weight λ",
    tip: "Weight of the guiding classifier's cross-entropy on G's samples in G's loss",
    field: OptionField::Weight(|gan| &mut gan.guide_weight),
};

impl Family for Guided {
    fn name(&self) -> &'static str {
        "guided"
    }
    fn about(&self) -> &'static str {
        "Classifier-guided conditional DCGAN: G's loss adds a frozen classifier's \
         cross-entropy on its samples (the classifier-guidance idea of Dhariwal & Nichol 2021 \
         applied to a GAN); score it with another classifier"
    }
    fn conditional(&self) -> bool {
        true
    }
    fn recipe(&self) -> Recipe {
        super::cdcgan::CDCGAN_RECIPE
    }
    fn discriminator_reads_labels(&self) -> bool {
        true
    }
    fn guided(&self) -> bool {
        true
    }
    fn discriminator_projects_labels(&self) -> bool {
        true
    }
    fn options(&self) -> &'static [FamilyOption] {
        &[LABEL_INPUT, PROJECTION, GUIDE_WEIGHT]
    }
    fn generator_loss(&self, config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        let adversarial = binary::generator_loss(batch.fake);
        match (batch.guide_logits, batch.labels) {
            (Some(logits), Some(labels)) => {
                let ce = burn::nn::loss::CrossEntropyLossConfig::new()
                    .init(&logits.device())
                    .forward(logits, labels);
                adversarial + ce.mul_scalar(config.guide_weight as f32)
            }
            // The trainer always supplies both; without them this is a conditional DCGAN.
            _ => adversarial,
        }
    }
}
