//! InfoGAN (Chen et al. 2016): unsupervised. The generator's input is noise, a categorical code
//! (given as its "label", `num_classes` values) and continuous codes in U(-1, 1) (the last
//! values of the latent); a Q head on D's trunk predicts the codes of generated images, and
//! both networks minimise that prediction's loss, a lower bound on the mutual information
//! between the codes and the image: λ_cat · cross-entropy + λ_cont · Gaussian negative
//! log-likelihood (unit variance). Nothing tells it the digits: the categorical code finds
//! whatever discrete factor it can, which `eval` matches to the classes afterwards. The
//! networks are the paper's (`crate::model::info`) unless `info_hidden` is 0.

use burn::prelude::*;
use burn::tensor::activation::{log_softmax, sigmoid, softmax};

use super::{
    DCGAN_RECIPE, DiscriminatorBatch, DiscriminatorLoss, Family, FamilyOption, GeneratorBatch,
    OptionField, Recipe,
};
use crate::model::conv::{ConvDiscriminator, ConvGenerator};
use crate::model::info::{InfoDiscriminator, InfoGenerator};
use crate::model::summary::NetworkSummary;
use crate::model::{Discriminator, GanConfig, Generator};
use crate::train::loss::{accuracy, bce_with_logits, cross_entropy_with_logits};
use crate::train::warp::Distortion;

pub struct Infogan;

/// D's outputs (B, 1 + C + K [+ N]) -> real/fake logit (B, 1), category logits (B, C),
/// continuous code estimates (B, K; none for K = 0, as burn has no empty narrow); the noise
/// estimates, if any, are read by [`information`].
fn heads(config: &GanConfig, outputs: Tensor<2>) -> (Tensor<2>, Tensor<2>, Option<Tensor<2>>) {
    let (c, k) = (config.num_classes, config.continuous_codes);
    (
        outputs.clone().narrow(1, 0, 1),
        outputs.clone().narrow(1, 1, c),
        (k > 0).then(|| outputs.narrow(1, 1 + c, k)),
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
    unwarped: Option<Tensor<2>>,
    codes: Tensor<1, Int>,
    latents: Tensor<2>,
) -> (Tensor<1>, Tensor<1>, Tensor<2>) {
    let [b, _] = outputs.dims();
    let [_, l] = latents.dims();
    let k = config.continuous_codes;
    let (_, categories, mut estimates) = heads(config, outputs.clone());
    // The continuous codes read from the images as drawn (`info_codes_unwarped`).
    if let Some(unwarped) = unwarped {
        estimates = heads(config, unwarped).2;
    }
    let cross_entropy = cross_entropy_with_logits(categories.clone(), codes);
    let mut loss = cross_entropy
        .clone()
        .mul_scalar(config.info_categorical_weight);
    if let Some(estimates) = estimates {
        let squared = (estimates - continuous_codes(config, latents.clone())).square();
        let nll = squared.sum().div_scalar(2.0 * b as f64);
        loss = loss + nll.mul_scalar(config.info_continuous_weight);
    }
    if config.info_noise_weight > 0.0 {
        // Q's last L - K outputs estimate the noise as G was given it (after its scale).
        let estimates = outputs.narrow(1, 1 + config.num_classes + k, l - k);
        let squared = (estimates - noise(config, latents)).square();
        let error = squared.sum().div_scalar(b as f64);
        loss = loss + error.mul_scalar(config.info_noise_weight);
    }
    (loss, cross_entropy, categories)
}

/// The noise part of latents drawn N(0, 1) (all but the last K values) as G is given it:
/// mapped to U(-1, 1) if asked, then scaled.
fn noise(config: &GanConfig, z: Tensor<2>) -> Tensor<2> {
    let [_, l] = z.dims();
    let noise = z.narrow(1, 0, l - config.continuous_codes);
    let noise = if config.info_uniform_noise {
        uniform(noise)
    } else {
        noise
    };
    if config.info_noise_scale == 1.0 {
        noise
    } else {
        noise.mul_scalar(config.info_noise_scale)
    }
}

/// How far Q's category reading of a real batch is from carrying all ln C nats about the
/// images: ln C - I(x; c) = ln C - H(mean p(c|x)) + mean H(p(c|x)), 0 when each image gets
/// one category for sure and the batch is spread evenly over them. Q is otherwise trained on
/// generated images only, so nothing asks it to read the real digits confidently. On MNIST it
/// did not lift the codes' match to the digits (BENCHMARKS.md, "Families"): the codes there
/// are mixtures of digits spread evenly, which this term does not see.
fn real_information_gap(categories: Tensor<2>) -> Tensor<1> {
    let [b, c] = categories.dims();
    let log_p = log_softmax(categories, 1); // (B, C)
    let p = log_p.clone().exp();
    let conditional = (p.clone() * log_p).sum().div_scalar(-(b as f64));
    let marginal = p.mean_dim(0); // (1, C)
    let marginal_entropy = (marginal.clone() * marginal.clamp_min(1e-12).log())
        .sum()
        .neg();
    conditional - marginal_entropy + (c as f64).ln()
}

/// How far Q's category readings of two views of the same real images (each warped its own
/// way) are from sharing all ln C nats: ln C - I(c; c'), the loss of Invariant Information
/// Clustering (Ji et al. 2019). I is read off the joint distribution of the two readings over
/// the batch, symmetrised; it is largest when both views of every image get the same category
/// for sure and the categories are used evenly. Grouping images by what a warp leaves alone is
/// what makes the categories digits rather than styles: `real_information_gap` asks only for
/// confidence and evenness, which mixtures of digits satisfy as well.
fn pair_information_gap(first: Tensor<2>, second: Tensor<2>) -> Tensor<1> {
    let [b, c] = first.dims();
    let first = softmax(first, 1); // (B, C)
    let second = softmax(second, 1); // (B, C)
    let joint = first.transpose().matmul(second).div_scalar(b as f64); // (C, C)
    let joint = (joint.clone() + joint.transpose())
        .div_scalar(2.0)
        .clamp_min(1e-8);
    let rows = joint.clone().sum_dim(1).log(); // (C, 1)
    let columns = joint.clone().sum_dim(0).log(); // (1, C)
    let information = (joint.clone() * (joint.log() - rows - columns)).sum();
    information.neg().add_scalar((c as f64).ln())
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
    /// The paper's: G at 1e-3 (D stays at 2e-4) and 62 noise values beside the 2 codes; D's
    /// inputs warped (turned ±15°, slanted ±0.3, strokes ±0.3), so that Q cannot tell the
    /// codes apart by slant or stroke width; and Q asked to give each real image and one of
    /// its 5 nearest training images the same category (IIC on pairs of neighbours), so that
    /// a code cannot split a digit by style, the neighbours found among deskewed pictures so
    /// that they differ in slant (`data::deskew`). On MNIST (shallow, 3,000 steps) the
    /// category code matched the digits 99.3-100% of the time over six seeds (mean 99.9%),
    /// against 90.5-100% (mean 98.4%) with pixel neighbours on the same machine, 93.6-100%
    /// (mean 97.9%) with pixel neighbours on another and 85.4-98.8% (mean 89.9%) without the
    /// pairs there; 84.4-94.2% unwarped over three; 31.7% with DCGAN's 2e-4 and 100
    /// (BENCHMARKS.md, "Families"). Q reads the continuous codes from the images unwarped, so
    /// that they take the slant and width the warp hides from the rest of D: through the
    /// warp, sweeping c1 and c2 moved the digits about half as much over six seeds, at the
    /// same category accuracy (99.85% against 99.86%).
    fn recipe(&self) -> Recipe {
        Recipe {
            lr_generator: 1e-3,
            latent_dim: 64,
            steps: 3000,
            warp: Distortion {
                degrees: 15.0,
                shear: 0.3,
                stroke: 0.3,
                scale: 0.0,
            },
            pairs: (1.0, 5),
            pair_deskew: true,
            codes_unwarped: true,
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
        1 + config.info_q_outputs()
    }
    fn second_real_view(&self, config: &GanConfig) -> bool {
        config.info_pair_weight > 0.0
    }
    fn reads_unwarped_fakes(&self, config: &GanConfig) -> bool {
        config.info_codes_unwarped && config.continuous_codes > 0
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
                label: "λ real",
                tip: "Weight of a term that asks Q to read the real images' categories \
                      confidently and evenly over the batch (RIM's mutual information); \
                      0: Q reads generated images only, as in the paper",
                field: OptionField::Weight(|gan| &mut gan.info_real_weight),
            },
            FamilyOption {
                label: "λ pair",
                tip: "Weight of Invariant Information Clustering on pairs of real images: D \
                      reads each image and its pair, each under its own random warp, and Q \
                      must give both the same category, using every category (Ji et al. \
                      2019); 0: Q reads generated images only, as in the paper",
                field: OptionField::Weight(|gan| &mut gan.info_pair_weight),
            },
            FamilyOption {
                label: "Pair neighbours",
                tip: "With λ pair: each real image is paired with one of its this many nearest \
                      training images (by pixel distance), another drawing of the same digit \
                      most of the time, so Q must group digits across styles (SCAN, Van \
                      Gansbeke et al. 2020); 0: with itself",
                field: OptionField::Count(|gan| &mut gan.info_pair_neighbours, 64),
            },
            FamilyOption {
                label: "Deskewed neighbours",
                tip: "With pair neighbours: find them among the pictures sheared upright about \
                      their centre of ink, so a slanted digit's neighbours are the same digit \
                      in other slants, not other digits in its slant; off: in raw pixels",
                field: OptionField::Flag(|gan| &mut gan.info_pair_deskew),
            },
            FamilyOption {
                label: "Codes read unwarped",
                tip: "With D's inputs warped: Q reads the continuous codes from the generated \
                      images as drawn, so c1 and c2 can take the styles the warp hides (slant, \
                      width); the category and real/fake still see warped images. Off: the \
                      codes are read through the warp and barely move the digits",
                field: OptionField::Flag(|gan| &mut gan.info_codes_unwarped),
            },
            FamilyOption {
                label: "λ noise",
                tip: "Weight of Q's reconstruction of the noise beside the codes (squared \
                      error), so G cannot ignore small noise; with noise scale 0.1 and λ 1 \
                      this is ClusterGAN's recipe (Mukherjee et al. 2019). 0: the paper's",
                field: OptionField::Weight(|gan| &mut gan.info_noise_weight),
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
        let noise = noise(config, z.clone());
        if config.continuous_codes == 0 {
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
        let (source_real, categories_real, _) = heads(config, batch.real);
        let (source_fake, _, _) = heads(config, batch.fake.clone());
        let (mut info, cross_entropy, categories) = information(
            config,
            batch.fake,
            batch.fake_unwarped,
            codes.clone(),
            batch.fake_latents,
        );
        if config.info_real_weight > 0.0 {
            let gap = real_information_gap(categories_real.clone());
            info = info + gap.mul_scalar(config.info_real_weight);
        }
        if let Some(view) = batch.real_view {
            let (_, categories_view, _) = heads(config, view);
            let gap = pair_information_gap(categories_real, categories_view);
            info = info + gap.mul_scalar(config.info_pair_weight);
        }
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
        let (info, _, _) = information(
            config,
            batch.fake,
            batch.fake_unwarped,
            codes,
            batch.latents,
        );
        bce_with_logits(source, 1.0) + info
    }
}

/// Q's category for each of `pixels`' images (whole images of `side`², in [-1, 1], channels as
/// the run's), read in inference mode a thousand at a time.
pub fn read_categories(
    discriminator: &Discriminator,
    config: &GanConfig,
    pixels: &[f32],
    side: usize,
    device: &Device,
) -> anyhow::Result<Vec<u8>> {
    const CHUNK: usize = 1000;
    let discriminator = burn::module::Module::valid(discriminator);
    let per = config.channels * side * side;
    let mut categories = Vec::with_capacity(pixels.len() / per);
    for chunk in pixels.chunks(CHUNK * per) {
        let images = Tensor::from_data(
            TensorData::new(
                chunk.to_vec(),
                [chunk.len() / per, config.channels, side, side],
            ),
            device,
        );
        let (_, logits, _) = heads(config, discriminator.forward(images, None));
        let read = logits
            .argmax(1)
            .into_data()
            .try_into_vec_as::<i64>()
            .map_err(|e| anyhow::anyhow!("cannot read Q's categories: {e:?}"))?;
        categories.extend(read.into_iter().map(|c| c as u8));
    }
    Ok(categories)
}
