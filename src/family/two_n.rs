//! The 2N-class GAN: D is one 2N-way classifier, output c meaning "real, class c" and output
//! N + c "generated, class c"; G is trained so that D answers "real, class y" for its samples of
//! class y. ADC-GAN (Hou et al. 2022) is its closest published relative. One-sided label
//! smoothing moves the real target's missing mass to "generated, class y".

use burn::prelude::*;
use burn::tensor::activation::softmax;

use super::{
    DiscriminatorBatch, DiscriminatorLoss, Family, FamilyOption, GeneratorBatch, LABEL_INPUT,
    Recipe,
};
use crate::model::GanConfig;
use crate::train::loss::{accuracy, cross_entropy_split, cross_entropy_with_logits};

pub struct TwoN;

/// Probabilities (B, 2N) -> P(real) per row (B) and the class probabilities, real and
/// generated added (B, N).
fn readings(outputs: Tensor<2>) -> (Tensor<1>, Tensor<2>) {
    let [b, width] = outputs.dims();
    let n = width / 2;
    let p = softmax(outputs.detach(), 1);
    let real = p.clone().narrow(1, 0, n);
    let classes = real.clone() + p.narrow(1, n, n);
    (real.sum_dim(1).reshape([b]), classes)
}

impl Family for TwoN {
    fn name(&self) -> &'static str {
        "2n-gan"
    }
    fn about(&self) -> &'static str {
        "2N-class GAN: D is one classifier over \"real, class c\" and \"generated, class c\"; \
         G aims for \"real, class y\" (cf. ADC-GAN, Hou et al. 2022)"
    }
    fn conditional(&self) -> bool {
        true
    }
    /// DCGAN's shallow 4,500 steps: 99.16% success, IS 9.75, FID 3.33 in 6.8 minutes
    /// (BENCHMARKS.md, "Families"), the best conditional family.
    fn recipe(&self) -> Recipe {
        super::DCGAN_RECIPE
    }
    fn discriminator_outputs(&self, config: &GanConfig) -> usize {
        2 * config.num_classes
    }
    fn options(&self) -> &'static [FamilyOption] {
        &[LABEL_INPUT]
    }
    fn figures(&self) -> &'static [&'static str] {
        &["class accuracy, real", "class accuracy, generated"]
    }
    fn discriminator_loss(
        &self,
        _config: &GanConfig,
        batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        let [_, width] = batch.real.dims();
        let n = (width / 2) as i64;
        let fake_labels = batch
            .fake_labels
            .expect("the 2N-class GAN's generator is always given labels");
        let loss =
            cross_entropy_split(
                batch.real.clone(),
                batch.real_labels.clone(),
                batch.real_labels.clone().add_scalar(n),
                batch.real_target,
            ) + cross_entropy_with_logits(batch.fake.clone(), fake_labels.clone().add_scalar(n));
        let (real_score, real_classes) = readings(batch.real);
        let (fake_real_score, fake_classes) = readings(batch.fake);
        DiscriminatorLoss {
            loss,
            real_score: real_score.mean(),
            fake_score: fake_real_score.mean(),
            figures: vec![
                accuracy(real_classes, batch.real_labels),
                accuracy(fake_classes, fake_labels),
            ],
        }
    }
    fn generator_loss(&self, _config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        let (fake, labels) = (batch.fake, batch.labels);
        let labels = labels.expect("the 2N-class GAN's generator is always given labels");
        cross_entropy_with_logits(fake, labels)
    }
}
