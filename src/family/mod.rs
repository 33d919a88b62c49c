//! GAN families. Each file owns one family: which networks it builds from the config and what
//! it trains them to do (the discriminator's and the generator's loss for one batch, and the
//! extra figures it logs). The trainer, the CLI and the studio know only [`Family`] and [`of`],
//! so a new family is a new file, a [`ModelKind`] variant and one line in [`of`].

mod acgan;
mod binary;
mod cdcgan;
mod cgan;
mod dcgan;
mod guided;
mod infogan;
mod pca;
mod tf_dcgan;
mod two_n;

/// How `eval` reads InfoGAN's Q head on real images.
pub use infogan::read_categories;

use burn::prelude::*;

use crate::model::conv::{ConvDiscriminator, ConvGenerator};
use crate::model::summary::NetworkSummary;
use crate::model::{Depth, Discriminator, GanConfig, Generator, ModelKind};
use crate::train::warp::Distortion;

/// What the discriminator said about one batch, ready for a family's loss.
pub struct DiscriminatorBatch {
    /// D's outputs on real images (B, outputs).
    pub real: Tensor<2>,
    /// The real images' labels (B).
    pub real_labels: Tensor<1, Int>,
    /// D's outputs on the same real images under another random warp (B, outputs), when the
    /// family asks for it ([`Family::second_real_view`]).
    pub real_view: Option<Tensor<2>>,
    /// D's outputs on generated images (B, outputs).
    pub fake: Tensor<2>,
    /// D's outputs on the same generated images without the warp (B, outputs), when D's
    /// inputs are warped and the family asks for them ([`Family::reads_unwarped_fakes`]).
    pub fake_unwarped: Option<Tensor<2>>,
    /// The labels the generator was asked for (conditional families).
    pub fake_labels: Option<Tensor<1, Int>>,
    /// The latents the generated images came from (B, L), as drawn: N(0, 1).
    pub fake_latents: Tensor<2>,
    /// D's outputs on real images shown with wrong labels (matching-aware D), if asked for.
    pub wrong: Option<Tensor<2>>,
    /// The target for "real" (1, or e.g. 0.9 with one-sided label smoothing).
    pub real_target: f32,
    /// Soft labels: a target per real image (B, 1), drawn from a range, in place of
    /// `real_target` for the real/fake logit.
    pub real_targets: Option<Tensor<2>>,
}

/// BCE of D's real/fake logits on real images (B, 1) against the batch's real target, or its
/// per-image soft targets when it has them.
pub fn real_source_loss(logits: Tensor<2>, target: f32, targets: Option<&Tensor<2>>) -> Tensor<1> {
    match targets {
        Some(targets) => crate::train::loss::bce_with_logit_targets(logits, targets.clone()),
        None => crate::train::loss::bce_with_logits(logits, target),
    }
}

/// What the generator's loss needs: D's outputs on its samples, what the samples were asked for.
pub struct GeneratorBatch {
    /// D's outputs on the generated images (B, outputs).
    pub fake: Tensor<2>,
    /// D's outputs on them without the warp, as in [`DiscriminatorBatch::fake_unwarped`].
    pub fake_unwarped: Option<Tensor<2>>,
    pub labels: Option<Tensor<1, Int>>,
    /// The latents (B, L), as drawn: N(0, 1).
    pub latents: Tensor<2>,
    /// A frozen classifier's logits on the generated images (B, classes), for families that
    /// are guided by one ([`Family::guided`]).
    pub guide_logits: Option<Tensor<2>>,
}

/// A family's discriminator loss and what the trainer logs beside it.
pub struct DiscriminatorLoss {
    pub loss: Tensor<1>,
    /// Mean probability D gives "real" on real images, and on generated ones.
    pub real_score: Tensor<1>,
    pub fake_score: Tensor<1>,
    /// One value per name in [`Family::figures`].
    pub figures: Vec<Tensor<1>>,
}

/// An option only some families read, as the studio's Training tab shows it.
pub struct FamilyOption {
    pub label: &'static str,
    pub tip: &'static str,
    pub field: OptionField,
}

/// Where a [`FamilyOption`] lives in the config, and what kind of value it is.
#[derive(Clone, Copy)]
pub enum OptionField {
    Flag(fn(&mut GanConfig) -> &mut bool),
    /// A loss weight in [0, 10].
    Weight(fn(&mut GanConfig) -> &mut f64),
    /// A count from 0 to the given most.
    Count(fn(&mut GanConfig) -> &mut usize, usize),
}

/// The choice between a one-hot label beside z and a label map, for conditional generators
/// built on DCGAN's (the trait's default generator).
pub const LABEL_INPUT: FamilyOption = FamilyOption {
    label: "Label one-hot beside z",
    tip: "The generator takes the label one-hot with the noise, into its first layer. Off: as \
          an extra 7x7 feature map, which G can satisfy with a pattern D learns to read instead \
          of the digit",
    field: OptionField::Flag(|gan| &mut gan.one_hot_labels),
};

/// The choice between reading the label as D's extra input channel and by projection, for
/// families whose conv D reads it.
pub const PROJECTION: FamilyOption = FamilyOption {
    label: "Projection discriminator",
    tip: "D reads the label by projection (Miyato & Koyama 2018): its logit gains the inner \
          product of a learned class embedding with its last features. Off: the label is an \
          extra input channel",
    field: OptionField::Flag(|gan| &mut gan.projection_discriminator),
};

/// A family's best measured recipe: what `train --model X` with no other option and the
/// studio's Training tab start from. Every figure was measured on MNIST on a 2-core CPU
/// (BENCHMARKS.md, "Families"); a budget is sized to train in under 10 minutes there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    pub lr_generator: f64,
    pub latent_dim: usize,
    pub depth: Depth,
    /// Optimiser steps at batch 64.
    pub steps: usize,
    /// Matching-aware discriminator (families whose D reads the label).
    pub mismatch: bool,
    /// The random warp of D's inputs (`TrainConfig::warp_degrees` and its kin).
    pub warp: Distortion,
    /// InfoGAN: the weight of clustering pairs of real images and how many nearest
    /// neighbours each is paired among (`GanConfig::info_pair_weight`, `info_pair_neighbours`).
    pub pairs: (f64, usize),
    /// InfoGAN: whether those neighbours are found among deskewed pictures
    /// (`GanConfig::info_pair_deskew`).
    pub pair_deskew: bool,
    /// InfoGAN: whether Q reads the continuous codes from unwarped images
    /// (`GanConfig::info_codes_unwarped`).
    pub codes_unwarped: bool,
}

/// DCGAN's rate and noise: Adam 2e-4 for G as for D, z of 100 values (Radford et al. 2016).
/// Shallow networks for many steps rather than medium ones for one epoch: the conditional DCGAN
/// was read as its label 66% of the time after one medium epoch (331 s) and 96% after 4,300
/// shallow steps (456 s); DCGAN scored IS 5.91 and FID 114 after 4,500 shallow steps (199 s)
/// and IS 4.39 and FID 183 after one medium epoch.
pub const DCGAN_RECIPE: Recipe = Recipe {
    lr_generator: 2e-4,
    latent_dim: 100,
    depth: Depth::Shallow,
    steps: 4500,
    mismatch: false,
    warp: Distortion::NONE,
    pairs: (0.0, 0),
    pair_deskew: false,
    codes_unwarped: false,
};

/// One GAN family.
pub trait Family: Sync {
    /// How the CLI and config.json spell it.
    fn name(&self) -> &'static str;
    /// One line for tooltips and `--help`: what it does and where it comes from.
    fn about(&self) -> &'static str;
    /// Whether the generator takes a class label.
    fn conditional(&self) -> bool;
    /// The recipe it trains best with (the defaults of `train` and the studio).
    fn recipe(&self) -> Recipe {
        DCGAN_RECIPE
    }
    /// Whether it trains against a discriminator (false: fitted in closed form, e.g. PCA,
    /// by [`Self::fit`]).
    fn adversarial(&self) -> bool {
        true
    }
    /// Whether the latent's coordinates are already principal components, in standard
    /// deviations (PCA's), so the explorer needs no principal directions of its own.
    fn latent_is_principal(&self) -> bool {
        false
    }
    /// A closed-form family's generator fitted on `data` (None: the family trains instead).
    fn fit(
        &self,
        _config: &GanConfig,
        _data: &crate::data::Split,
        _device: &Device,
    ) -> Option<anyhow::Result<Generator>> {
        None
    }
    /// Continuous codes at the end of the latent (InfoGAN's; 0 for other families).
    fn continuous_codes(&self, _config: &GanConfig) -> usize {
        0
    }
    /// Whether D's loss needs D's outputs on a second, independently warped view of the real
    /// batch (`DiscriminatorBatch::real_view`); it costs one more D pass.
    fn second_real_view(&self, _config: &GanConfig) -> bool {
        false
    }
    /// Whether its losses need D's outputs on the generated images without the warp as well
    /// (`DiscriminatorBatch::fake_unwarped`), when D's inputs are warped; one more D pass.
    fn reads_unwarped_fakes(&self, _config: &GanConfig) -> bool {
        false
    }
    /// Whether the discriminator takes the label as an input (rather than predicting it).
    fn discriminator_reads_labels(&self) -> bool {
        false
    }
    /// Whether its discriminator can read the label by projection
    /// (`GanConfig::projection_discriminator`): DCGAN's conv D with one real/fake logit.
    fn discriminator_projects_labels(&self) -> bool {
        false
    }
    /// Width of the discriminator's output.
    fn discriminator_outputs(&self, _config: &GanConfig) -> usize {
        1
    }
    /// The generator; by default DCGAN's, taking a label as the config says.
    fn generator(&self, config: &GanConfig, device: &Device) -> Generator {
        Generator::Conv(if config.one_hot_labels {
            ConvGenerator::with_one_hot_labels(config, device)
        } else {
            ConvGenerator::new(config, device)
        })
    }
    /// The discriminator, by default DCGAN's with [`Self::discriminator_outputs`] outputs; None
    /// for a family fitted in closed form rather than trained against a discriminator.
    fn discriminator(&self, config: &GanConfig, device: &Device) -> Option<Discriminator> {
        Some(Discriminator::Conv(ConvDiscriminator::new(config, device)))
    }
    /// The layers of (generator, discriminator), for the architecture panel.
    fn summary(&self, config: &GanConfig) -> (NetworkSummary, NetworkSummary) {
        let generator = if config.one_hot_labels {
            ConvGenerator::summary_one_hot(config)
        } else {
            ConvGenerator::summary(config)
        };
        (generator, ConvDiscriminator::summary(config))
    }
    /// The options only this family reads (shown in the Training tab for it alone).
    fn options(&self) -> &'static [FamilyOption] {
        &[]
    }
    /// Names of the extra figures [`Self::discriminator_loss`] returns, e.g. class-head accuracy.
    fn figures(&self) -> &'static [&'static str] {
        &[]
    }
    /// D's loss for one batch; by default the original real/fake objective.
    fn discriminator_loss(
        &self,
        _config: &GanConfig,
        batch: DiscriminatorBatch,
    ) -> DiscriminatorLoss {
        binary::discriminator_loss(batch)
    }
    /// The generator's loss from D's outputs on its samples and what they were asked for; by
    /// default the original non-saturating one.
    fn generator_loss(&self, _config: &GanConfig, batch: GeneratorBatch) -> Tensor<1> {
        binary::generator_loss(batch.fake)
    }
    /// The generator's input from drawn latents z ~ N(0, 1) (e.g. InfoGAN maps its continuous
    /// codes to U(-1, 1)). Every sampler draws N(0, 1); this is where a family's prior differs.
    fn prepare_latent(&self, _config: &GanConfig, z: Tensor<2>) -> Tensor<2> {
        z
    }
    /// Whether G's loss reads a frozen, pre-trained classifier's logits on its samples (the
    /// trainer then loads one and fills [`GeneratorBatch::guide_logits`]).
    fn guided(&self) -> bool {
        false
    }
    /// Whether the generator's labels are the data's classes (false: InfoGAN's category codes,
    /// whose meaning the model finds for itself).
    fn labels_are_classes(&self) -> bool {
        true
    }
}

/// The family of `kind`.
pub fn of(kind: ModelKind) -> &'static dyn Family {
    match kind {
        ModelKind::Dcgan => &dcgan::Dcgan,
        ModelKind::Cgan => &cgan::Cgan,
        ModelKind::Cdcgan => &cdcgan::Cdcgan,
        ModelKind::Acgan => &acgan::Acgan,
        ModelKind::TwoN => &two_n::TwoN,
        ModelKind::Infogan => &infogan::Infogan,
        ModelKind::Guided => &guided::Guided,
        ModelKind::Pca => &pca::Pca,
        ModelKind::TfDcgan => &tf_dcgan::TfDcgan,
    }
}

/// Every family, in the order menus list them.
pub fn all() -> impl Iterator<Item = (ModelKind, &'static dyn Family)> {
    use clap::ValueEnum;
    ModelKind::value_variants()
        .iter()
        .map(|&kind| (kind, of(kind)))
}

#[cfg(test)]
mod tests;
