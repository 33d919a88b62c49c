//! InfoGAN (Chen et al. 2016): unsupervised. The generator's input is noise, a categorical code
//! (given as its "label", `num_classes` values) and continuous codes in U(-1, 1) (the last
//! values of the latent); a Q head on D's trunk predicts the codes of generated images, and
//! both networks minimise that prediction's loss, a lower bound on the mutual information
//! between the codes and the image: λ_cat · cross-entropy + λ_cont · Gaussian negative
//! log-likelihood (unit variance). Nothing tells it the digits: the categorical code finds
//! whatever discrete factor it can, which `eval` matches to the classes afterwards. The
//! networks are the paper's (`crate::model::info`) unless `info_hidden` is 0.

use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use super::{
    DCGAN_RECIPE, DiscriminatorBatch, DiscriminatorLoss, Family, FamilyOption, GeneratorBatch,
    OptionField, Recipe,
};
use crate::model::conv::{ConvDiscriminator, ConvGenerator};
use crate::model::info::{InfoDiscriminator, InfoGenerator};
use crate::model::summary::NetworkSummary;
use crate::model::{Discriminator, GanConfig, Generator};
use crate::train::loss::{accuracy, bce_with_logits, cross_entropy_with_logits};

pub struct Infogan;

/// D's outputs (B, 1 + C + K) -> real/fake logit (B, 1), category logits (B, C), continuous
/// code estimates (B, K).
fn heads(config: &GanConfig, outputs: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
    let (c, k) = (config.num_classes, config.continuous_codes);
    (
        outputs.clone().narrow(1, 0, 1),
        outputs.clone().narrow(1, 1, c),
        outputs.narrow(1, 1 + c, k),
    )
}

/// Values drawn N(0, 1) mapped to U(-1, 1) through the normal's CDF: erf(z / √2).
fn uniform(z: Tensor<2>) -> Tensor<2> {
    z.div_scalar(std::f64::consts::SQRT_2).erf()
}

/// The continuous codes of latents drawn N(0, 1): their last K values mapped to U(-1, 1).
fn continuous_codes(config: &GanConfig, latents: Tensor<2>) -> Tensor<2> {
    let [_, l] = latents.dims();
    let k = config.continuous_codes;
    uniform(latents.narrow(1, l - k, k))
}

/// The information terms for generated images and the cross-entropy alone (for its figure).
fn information(
    config: &GanConfig,
    outputs: Tensor<2>,
    codes: Tensor<1, Int>,
    latents: Tensor<2>,
) -> (Tensor<1>, Tensor<1>, Tensor<2>) {
    let (_, categories, estimates) = heads(config, outputs);
    let cross_entropy = cross_entropy_with_logits(categories.clone(), codes);
    let [b, _] = estimates.dims();
    let mut loss = cross_entropy
        .clone()
        .mul_scalar(config.info_categorical_weight);
    if config.continuous_codes > 0 {
        let squared = (estimates - continuous_codes(config, latents)).square();
        let nll = squared.sum().div_scalar(2.0 * b as f64);
        loss = loss + nll.mul_scalar(config.info_continuous_weight);
    }
    (loss, cross_entropy, categories)
}

impl Family for Infogan {
    fn name(&self) -> &'static str {
        "infogan"
    }
    fn about(&self) -> &'static str {
        "InfoGAN: unsupervised; a categorical code and two continuous codes that a Q head on D \
         must recover, so they take on meaning (Chen et al. 2016)"
    }
    fn conditional(&self) -> bool {
        true
    }
    /// The paper's: G at 1e-3 (D stays at 2e-4) and 62 noise values beside the 2 codes. On
    /// MNIST (shallow, 3,000 steps, 8-9 minutes) the category code matched the digits 84-94% of
    /// the time over 3 seeds with it and 31.7% with DCGAN's 2e-4 and 100 (BENCHMARKS.md,
    /// "Families").
    fn recipe(&self) -> Recipe {
        Recipe {
            lr_generator: 1e-3,
            latent_dim: 64,
            steps: 3000,
            ..DCGAN_RECIPE
        }
    }
    fn labels_are_classes(&self) -> bool {
        false
    }
    fn continuous_codes(&self, config: &GanConfig) -> usize {
        config.continuous_codes
    }
    fn discriminator_outputs(&self, config: &GanConfig) -> usize {
        1 + config.num_classes + config.continuous_codes
    }
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        // As in the paper, the categorical code goes in one-hot beside the noise.
        if config.info_hidden > 0 {
            Generator::Info(InfoGenerator::new(config, device))
        } else {
            Generator::Conv(ConvGenerator::with_one_hot_labels(config, device))
        }
    }
    fn discriminator(&self, config: &GanConfig, device: &Device) -> Option<Discriminator> {
        Some(if config.info_hidden > 0 {
            Discriminator::Info(InfoDiscriminator::new(config, device))
        } else {
            Discriminator::Conv(ConvDiscriminator::new(config, device))
        })
    }
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        if config.info_hidden > 0 {
            (
                InfoGenerator::summary(config),
                InfoDiscriminator::summary(config),
            )
        } else {
            (
                ConvGenerator::summary_one_hot(config),
                ConvDiscriminator::summary(config),
            )
        }
    }
    fn options(&self) -> &'static [FamilyOption] {
        &[
            FamilyOption {
                label: "λ categorical",
                tip: "Weight of the categorical code's information term (paper: 1)",
                field: OptionField::Weight(|gan| &mut gan.info_categorical_weight),
            },
            FamilyOption {
                label: "λ continuous",
                tip: "Weight of the continuous codes' information term (paper: 0.1)",
                field: OptionField::Weight(|gan| &mut gan.info_continuous_weight),
            },
            FamilyOption {
                label: "Continuous codes",
                tip: "Codes in U(-1, 1) at the end of the latent (paper: 2)",
                field: OptionField::Count(|gan| &mut gan.continuous_codes, 8),
            },
            FamilyOption {
                label: "Uniform noise",
                tip: "Draw the noise beside the codes from U(-1, 1), as the paper's code does, \
                      rather than N(0, 1)",
                field: OptionField::Flag(|gan| &mut gan.info_uniform_noise),
            },
            FamilyOption {
                label: "Noise scale",
                tip: "Multiplies the noise beside the codes (not the codes), so that the \
                      category is the larger part of G's input and takes the largest \
                      variation, the digits (ClusterGAN draws its noise with σ 0.1)",
                field: OptionField::Weight(|gan| &mut gan.info_noise_scale),
            },
            FamilyOption {
                label: "Hidden layer width",
                tip: "A fully connected layer before G's projection and after D's convolutions, \
                      which Q's own 128-wide layer reads (paper: 1024). 0: DCGAN's networks, \
                      whose code found stroke style rather than the digits",
                field: OptionField::Count(|gan| &mut gan.info_hidden, 2048),
            },
        ]
    }
    fn figures(&self) -> &'static [&'static str] {
        &["code accuracy", "information / H(c)"]
    }
    fn prepare_latent(&self, config: &GanConfig, z: Tensor<2>) -> Tensor<2> {
        let [_, l] = z.dims();
        let k = config.continuous_codes;
        let noise = z.clone().narrow(1, 0, l - k);
        let noise = if config.info_uniform_noise {
            uniform(noise)
        } else {
            noise
        };
        let noise = if config.info_noise_scale == 1.0 {
            noise
        } else {
            noise.mul_scalar(config.info_noise_scale)
        };
        if k == 0 {
            return noise;
        }
        Tensor::cat(vec![noise, continuous_codes(config, z)], 1)
    }
    fn discriminator_loss(
        &self,
        config: &GanConfig,
        batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        let codes = batch
            .fake_labels
            .expect("InfoGAN's generator is always given a category code");
        let (source_real, _, _) = heads(config, batch.real);
        let (source_fake, _, _) = heads(config, batch.fake.clone());
        let (info, cross_entropy, categories) =
            information(config, batch.fake, codes.clone(), batch.fake_latents);
        let loss = super::real_source_loss(
            source_real.clone(),
            batch.real_target,
            batch.real_targets.as_ref(),
        ) + bce_with_logits(source_fake.clone(), 0.0)
            + info;
        // The variational lower bound on I(c; G(z, c)) is H(c) - cross-entropy; as a share of
        // H(c) = ln C, 1 means the code is read back perfectly.
        let entropy = (config.num_classes as f64).ln();
        let share = cross_entropy
            .detach()
            .div_scalar(-entropy)
            .add_scalar(1.0)
            .clamp(0.0, 1.0);
        DiscriminatorLoss {
            loss,
            real_score: sigmoid(source_real.detach()).mean(),
            fake_score: sigmoid(source_fake.detach()).mean(),
            figures: vec![accuracy(categories, codes), share],
        }
    }
    fn generator_loss(&self, config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        let codes = batch
            .labels
            .expect("InfoGAN's generator is always given a category code");
        let (source, _, _) = heads(config, batch.fake.clone());
        let (info, _, _) = information(config, batch.fake, codes, batch.latents);
        bce_with_logits(source, 1.0) + info
    }
}
