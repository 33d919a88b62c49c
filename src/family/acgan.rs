//! ACGAN (Odena et al. 2017): the generator takes a label; the discriminator does not read it
//! but predicts it. D has one trunk and two heads, a real/fake logit and C class logits; both
//! networks also minimise the class cross-entropy (D on real and fake images, G on its own).

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::{
    DCGAN_RECIPE, DiscriminatorBatch, DiscriminatorLoss, Family, FamilyOption, GeneratorBatch,
    LABEL_INPUT, OptionField, Recipe,
};
use crate::model::GanConfig;
use crate::train::loss::{accuracy, bce_with_logits, cross_entropy_with_logits};

pub struct Acgan;

/// D's outputs (B, 1 + C) -> the real/fake logit (B, 1) and the class logits (B, C).
fn heads(outputs: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let [_, width] = outputs.dims();
    (
        outputs.clone().narrow(1, 0, 1),
        outputs.narrow(1, 1, width - 1),
    )
}

impl Family for Acgan {
    fn name(&self) -> &'static str {
        "acgan"
    }
    fn about(&self) -> &'static str {
        "Auxiliary-classifier GAN: D judges real/fake and also names the class \
         (Odena et al. 2017)"
    }
    fn conditional(&self) -> bool {
        true
    }
    /// Shallow, 3,000 steps: 95.8% success, IS 9.22 (BENCHMARKS.md, "Families").
    fn recipe(&self) -> Recipe {
        Recipe {
            steps: 3000,
            ..DCGAN_RECIPE
        }
    }
    fn discriminator_outputs(&self, config: &GanConfig) -> usize {
        1 + config.num_classes
    }
    fn options(&self) -> &'static [FamilyOption] {
        &[
            LABEL_INPUT,
            FamilyOption {
                label: "D class loss on fakes",
                tip: "Odena et al.: D's class head also learns from generated images. Off: from \
                      real images only, so G cannot agree with D on a private code",
                field: OptionField::Flag(|gan| &mut gan.acgan_class_loss_on_generated),
            },
        ]
    }
    fn figures(&self) -> &'static [&'static str] {
        &["class accuracy, real", "class accuracy, generated"]
    }
    fn discriminator_loss(
        &self,
        config: &GanConfig,
        batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        let (source_real, class_real) = heads(batch.real);
        let (source_fake, class_fake) = heads(batch.fake);
        let fake_labels = batch
            .fake_labels
            .expect("ACGAN's generator is always given labels");
        let mut loss = super::real_source_loss(
            source_real.clone(),
            batch.real_target,
            batch.real_targets.as_ref(),
        ) + bce_with_logits(source_fake.clone(), 0.0)
            + cross_entropy_with_logits(class_real.clone(), batch.real_labels.clone());
        if config.acgan_class_loss_on_generated {
            loss = loss + cross_entropy_with_logits(class_fake.clone(), fake_labels.clone());
        }
        DiscriminatorLoss {
            loss,
            real_score: sigmoid(source_real.detach()).mean(),
            fake_score: sigmoid(source_fake.detach()).mean(),
            figures: vec![
                accuracy(class_real, batch.real_labels),
                accuracy(class_fake, fake_labels),
            ],
        }
    }
    fn generator_loss(&self, _config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        let (fake, labels) = (batch.fake, batch.labels);
        let (source, class) = heads(fake);
        let labels = labels.expect("ACGAN's generator is always given labels");
        bce_with_logits(source, 1.0) + cross_entropy_with_logits(class, labels)
    }
}
