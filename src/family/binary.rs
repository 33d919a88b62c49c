//! The original GAN objective (Goodfellow et al. 2014), shared by the families whose
//! discriminator gives one real/fake logit: D minimises BCE(real, t) + BCE(fake, 0), G the
//! non-saturating BCE(D(G(z)), 1).

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::{DiscriminatorBatch, DiscriminatorLoss};
use crate::train::loss::bce_with_logits;

pub fn discriminator_loss(batch: DiscriminatorBatch) -> DiscriminatorLoss {
    let real_loss = super::real_source_loss(
        batch.real.clone(),
        batch.real_target,
        batch.real_targets.as_ref(),
    );
    let fake_loss = bce_with_logits(batch.fake.clone(), 0.0);
    let loss = match batch.wrong {
        // Matching-aware D (Reed et al. 2016): a real image with a wrong label is as fake as a
        // generated one, so D must check the label and G must obey it.
        Some(wrong) => real_loss + (fake_loss + bce_with_logits(wrong, 0.0)).mul_scalar(0.5),
        None => real_loss + fake_loss,
    };
    DiscriminatorLoss {
        loss,
        real_score: sigmoid(batch.real.detach()).mean(),
        fake_score: sigmoid(batch.fake.detach()).mean(),
        figures: Vec::new(),
    }
}

pub fn generator_loss(fake: Tensor<2>) -> Tensor<1> {
    bce_with_logits(fake, 1.0)
}
