//! The GAN configuration: data that builds both networks and is saved beside every checkpoint.

use burn::prelude::*;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::networks::{Discriminator, Generator};
use crate::family;

/// The GAN family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Unconditional deep convolutional GAN.
    Dcgan,
    /// Conditional GAN of dense layers: a label embedding joined to z and to the image.
    Cgan,
    /// Conditional DCGAN: both networks read the label (G one-hot beside z).
    Cdcgan,
    /// Auxiliary-classifier GAN: D judges real/fake and names the class.
    Acgan,
    /// 2N-class GAN: D classifies "real, class c" against "generated, class c".
    #[value(name = "2n-gan")]
    #[serde(rename = "2n-gan")]
    TwoN,
    /// InfoGAN: unsupervised; a categorical and continuous codes that D's Q head recovers.
    Infogan,
    /// Classifier-guided conditional DCGAN: G also minimises a frozen classifier's
    /// cross-entropy on its samples.
    Guided,
    /// PCA per class as a generative baseline: fitted in seconds, no training loop.
    Pca,
    /// The TensorFlow tutorial's DCGAN (unconditional), a fixed speed yardstick.
    #[value(name = "tf-dcgan")]
    #[serde(rename = "tf-dcgan")]
    TfDcgan,
}

impl ModelKind {
    /// The family: its networks and its objective.
    pub fn family(self) -> &'static dyn family::Family {
        family::of(self)
    }

    pub fn is_conditional(self) -> bool {
        self.family().conditional()
    }

    pub fn name(self) -> &'static str {
        self.family().name()
    }
}

/// How big the networks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    Shallow,
    Medium,
    Deep,
}

impl Depth {
    /// Base channel width of the convolutional networks.
    pub fn conv_width(self) -> usize {
        match self {
            Depth::Shallow => 32,
            Depth::Medium | Depth::Deep => 64,
        }
    }

    /// Whether the convolutional networks get an extra 3x3 stride-1 block at 7x7.
    pub fn conv_extra_block(self) -> bool {
        self == Depth::Deep
    }

    /// Hidden layer widths of the dense generator (the discriminator uses them reversed).
    pub fn dense_widths(self) -> &'static [usize] {
        match self {
            Depth::Shallow => &[256],
            Depth::Medium => &[256, 512],
            Depth::Deep => &[256, 512, 1024],
        }
    }
}

/// The normalisation used between layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormKind {
    /// Batch normalisation over the current batch.
    Batch,
    /// Virtual batch normalisation against a fixed reference batch (generator only).
    Virtual,
    /// No normalisation.
    None,
}

/// Largest latent size, label embedding and reference batch accepted.
const MAX_WIDTH: usize = 4096;
/// Largest image side (the data sets are 28 and 32, image folders up to 64).
const MAX_IMAGE_SIZE: usize = 256;
/// Labels are stored as bytes.
const MAX_CLASSES: usize = 256;
/// Both networks together: 100 M parameters are 1.6 GB with gradients and Adam's moments.
const MAX_PARAMS: usize = 100_000_000;
/// The most neighbours a real image can be paired with (`GanConfig::info_pair_neighbours`).
const MAX_PAIR_NEIGHBOURS: usize = 64;

/// Everything that decides the shape of the two networks.
#[derive(Config, Debug, PartialEq)]
pub struct GanConfig {
    pub model: ModelKind,
    #[config(default = "Depth::Medium")]
    pub depth: Depth,
    /// Size of the latent vector z.
    #[config(default = 100)]
    pub latent_dim: usize,
    #[config(default = 10)]
    pub num_classes: usize,
    /// Size of the learned label embedding of conditional models.
    #[config(default = 50)]
    pub label_embedding: usize,
    /// Image side in pixels; must be a multiple of 4 (two stride-2 stages).
    #[config(default = 28)]
    pub image_size: usize,
    /// Colour channels of the images: 1 (grey) or 3 (RGB), taken from the data.
    #[config(default = 1)]
    pub channels: usize,
    #[config(default = "NormKind::Batch")]
    pub generator_norm: NormKind,
    #[config(default = "NormKind::Batch")]
    pub discriminator_norm: NormKind,
    /// Rows of the fixed reference batch used by virtual batch norm.
    #[config(default = 32)]
    pub reference_batch: usize,
    /// Dropout probability after each hidden discriminator layer.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Negative slope of the discriminator's leaky ReLUs.
    #[config(default = 0.2)]
    pub leaky_slope: f64,
    /// Give the layers that feed a normalisation a bias of their own. The norm subtracts it
    /// again, so DCGAN has none (Radford et al. 2016); runs made before this option existed had
    /// one, and their config.json, which lacks the field, loads with true.
    #[config(default = false)]
    pub bias_before_norm: bool,
    /// Conditional convolutional generators: take the label one-hot beside z, into the
    /// projection, instead of as an extra 7x7 feature map (InfoGAN always does). Measured on
    /// MNIST (shallow, 3,000 steps, one seed): ACGAN's success 73.9% -> 95.8%, the 2N-class
    /// GAN's 56.5% -> 98.6% (BENCHMARKS.md, "Families"). Runs from before this option load
    /// with false, the conditioning they trained with.
    #[config(default = true)]
    pub one_hot_labels: bool,
    /// ACGAN: D's class head also learns from generated images, as in Odena et al. Off by
    /// default: then the head learns from real images only, so G cannot agree with D on a
    /// private code. Measured on MNIST (shallow, 3,000 steps, one seed), samples were read as
    /// their label 12.3% of the time with it and 73.9% without (BENCHMARKS.md, "Families").
    #[config(default = false)]
    pub acgan_class_loss_on_generated: bool,
    /// InfoGAN: continuous codes at the end of the latent, each U(-1, 1) (the rest is noise;
    /// the categorical code has `num_classes` values).
    #[config(default = 2)]
    pub continuous_codes: usize,
    /// InfoGAN: weight λ of the categorical code's mutual-information term.
    #[config(default = 1.0)]
    pub info_categorical_weight: f64,
    /// InfoGAN: weight λ of the continuous codes' term.
    #[config(default = 0.1)]
    pub info_continuous_weight: f64,
    /// InfoGAN: width of the fully connected layer before G's projection and after D's
    /// convolutions, which Q's own 128-wide layer reads (the paper's 1024); 0 builds DCGAN's
    /// networks with a linear Q head instead, as runs from before this option did.
    #[config(default = 1024)]
    pub info_hidden: usize,
    /// InfoGAN: the noise beside the codes is U(-1, 1), as in the paper's code, rather than
    /// N(0, 1). Off by default: over 3 seeds on MNIST its categories matched the digits no
    /// better on average (88.2% against 88.2%; BENCHMARKS.md, "Families").
    #[config(default = false)]
    pub info_uniform_noise: bool,
    /// InfoGAN: the noise beside the codes is multiplied by this (the codes are not). Below 1
    /// the one-hot category is the largest part of G's input, so the largest variation
    /// (the digits) falls to the category rather than to the noise (ClusterGAN, Mukherjee et
    /// al. 2019, draws its noise with σ 0.1 for that reason). Off (1) by default: 0.1 matched
    /// the digits worse on MNIST (78.6% and 71.0% against 84.4% and 85.9% on two seeds;
    /// BENCHMARKS.md, "Families").
    #[config(default = 1.0)]
    pub info_noise_scale: f64,
    /// InfoGAN: weight of a term in D's loss that makes Q's category reading of the *real*
    /// batch informative: confident for each image and balanced over the batch (the
    /// mutual information of RIM, Krause et al. 2010, and IMSAT). 0, the paper's, leaves Q
    /// trained on generated images only.
    #[config(default = 0.0)]
    pub info_real_weight: f64,
    /// InfoGAN: weight of Invariant Information Clustering on pairs of real images (Ji et al.
    /// 2019): D sees each real image and its pair (the image itself, or one of its nearest
    /// neighbours with `info_pair_neighbours`), each under its own warp (`TrainConfig::warp`),
    /// and Q's category readings of the two must share as much information as they can: the
    /// same category for both, every category used. Unlike `info_real_weight`, it asks Q to
    /// group real images, not merely to read them confidently. 0, the paper's: Q reads
    /// generated images only. Pairing an image with itself lifted one seed and sank another
    /// on MNIST; pairing it with a neighbour is InfoGAN's recipe (BENCHMARKS.md, "Families").
    #[config(default = 0.0)]
    pub info_pair_weight: f64,
    /// InfoGAN with `info_pair_weight`: the second view of each real image is one of its this
    /// many nearest training images (by pixel distance, deskewed with `info_pair_deskew`; drawn
    /// at random each step, then warped), not
    /// the image itself warped again, as SCAN pairs neighbours (Van Gansbeke et al. 2020): a
    /// neighbour is another drawing of the same digit 94% of the time, in another style, so Q
    /// is asked to group digits across styles. 0: the image itself.
    #[config(default = 0)]
    pub info_pair_neighbours: usize,
    /// InfoGAN with `info_pair_neighbours`: find the neighbours among deskewed pictures
    /// (`data::deskew`), so that a slanted digit's neighbours are the same digit in other
    /// slants rather than other digits in its slant. false: in raw pixels.
    #[config(default = false)]
    pub info_pair_deskew: bool,
    /// InfoGAN with D's inputs warped (`TrainConfig::warp`): Q reads the continuous codes
    /// from the generated images as G drew them, not warped. The warp turns, slants and
    /// re-strokes every image D sees so that the category cannot be a style, but it also hides
    /// the styles the continuous codes are meant to take (the paper's slant and width): read
    /// through it, c1 and c2 moved the digits about half as much (BENCHMARKS.md, six seeds).
    /// The category and D's real/fake judgement still see warped images. false: Q reads every
    /// code through the warp.
    #[config(default = false)]
    pub info_codes_unwarped: bool,
    /// InfoGAN: weight β of the noise's reconstruction, Q also predicting the noise values
    /// beside the codes (squared error summed over them). ClusterGAN (Mukherjee et al. 2019)
    /// asks this of its encoder so that G cannot ignore small noise (σ 0.1, see
    /// `info_noise_scale`) and the category keeps the digits. 0, the paper's: Q predicts
    /// the codes only.
    #[config(default = 0.0)]
    pub info_noise_weight: f64,
    /// Classifier-guided: weight λ of the guiding classifier's cross-entropy in G's loss.
    #[config(default = 1.0)]
    pub guide_weight: f64,
    /// Conditional conv discriminators that read the label (cdcgan, guided): read it by
    /// projection (Miyato & Koyama 2018) rather than as an extra input channel. D's logit
    /// gains the inner product of a learned class embedding with its last features summed
    /// over the picture, so the class is judged on what D has recognised rather than on a
    /// map its first layer must learn to combine with the pixels. Runs from before this
    /// option load with false, the input map they trained with.
    #[config(default = false)]
    pub projection_discriminator: bool,
}

impl GanConfig {
    /// Rejects impossible combinations with a message naming the option.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        // Sizes come from config.json files too, which may be damaged or edited: refuse absurd
        // ones before any network of that size is allocated.
        for (name, value, max) in [
            ("--latent-dim", self.latent_dim, MAX_WIDTH),
            ("label embedding size", self.label_embedding, MAX_WIDTH),
            ("image size", self.image_size, MAX_IMAGE_SIZE),
            ("class count", self.num_classes, MAX_CLASSES),
            ("reference batch", self.reference_batch, MAX_WIDTH),
            ("--info-hidden", self.info_hidden, MAX_WIDTH),
        ] {
            if value > max {
                bail!("{name} {value} is larger than the largest supported, {max}");
            }
        }
        if self.latent_dim == 0 {
            bail!("--latent-dim must be at least 1");
        }
        if self.model == ModelKind::TfDcgan && (self.image_size != 28 || self.channels != 1) {
            bail!("the tf-dcgan yardstick is defined for 28x28 grey images only");
        }
        if self.channels != 1 && self.channels != 3 {
            bail!(
                "images have {} channels; 1 (grey) and 3 (RGB) are supported",
                self.channels
            );
        }
        if self.image_size == 0 || self.image_size % 4 != 0 {
            bail!(
                "image size {} is not a positive multiple of 4",
                self.image_size
            );
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bail!("--dropout must be in [0, 1), got {}", self.dropout);
        }
        if !(0.0..1.0).contains(&self.leaky_slope) {
            bail!(
                "leaky ReLU slope must be in [0, 1), got {}",
                self.leaky_slope
            );
        }
        if self.discriminator_norm == NormKind::Virtual {
            bail!("virtual batch norm is only available for the generator (--g-norm virtual)");
        }
        if self.generator_norm == NormKind::Virtual && self.reference_batch == 0 {
            bail!("virtual batch norm needs a reference batch of at least 1 row");
        }
        if self.model.is_conditional() && self.num_classes < 2 {
            bail!("a conditional model needs at least 2 classes");
        }
        if self.model.is_conditional() && self.label_embedding == 0 {
            bail!("a conditional model needs a label embedding of at least 1 value");
        }
        // Read by the guided family only, but a weight out of range is wrong in any config.
        if !(self.guide_weight.is_finite() && (0.0..=100.0).contains(&self.guide_weight)) {
            anyhow::bail!(
                "--guide-weight must be in [0, 100], got {}",
                self.guide_weight
            );
        }
        if self.model == ModelKind::Infogan {
            if !(2..=20).contains(&self.num_classes) {
                bail!(
                    "InfoGAN's categorical code needs 2 to 20 values, got {}",
                    self.num_classes
                );
            }
            if self.continuous_codes >= self.latent_dim {
                bail!(
                    "--latent-dim {} leaves no noise beside {} continuous codes",
                    self.latent_dim,
                    self.continuous_codes
                );
            }
            for (name, weight) in [
                ("--info-lambda-cat", self.info_categorical_weight),
                ("--info-lambda-cont", self.info_continuous_weight),
                ("--info-real-weight", self.info_real_weight),
                ("--info-pair-weight", self.info_pair_weight),
                ("--info-noise-weight", self.info_noise_weight),
            ] {
                if !(weight.is_finite() && (0.0..=100.0).contains(&weight)) {
                    bail!("{name} must be in [0, 100], got {weight}");
                }
            }
            if self.info_pair_neighbours > MAX_PAIR_NEIGHBOURS {
                bail!(
                    "--info-pair-neighbours must be at most {MAX_PAIR_NEIGHBOURS}, got {}",
                    self.info_pair_neighbours
                );
            }
            let scale = self.info_noise_scale;
            if !(scale.is_finite() && scale > 0.0 && scale <= 10.0) {
                bail!("--info-noise-scale must be in (0, 10], got {scale}");
            }
        }
        let params = self.summary().params();
        if params > MAX_PARAMS {
            bail!(
                "the networks would have {params} parameters, more than the {MAX_PARAMS} this \
                 tool trains"
            );
        }
        Ok(())
    }

    /// InfoGAN's Q outputs: C category logits, K code estimates and, when the noise is
    /// reconstructed too (`info_noise_weight` > 0), one estimate per noise value.
    pub fn info_q_outputs(&self) -> usize {
        let noise = if self.info_noise_weight > 0.0 {
            self.latent_dim.saturating_sub(self.continuous_codes)
        } else {
            0
        };
        self.num_classes + self.continuous_codes + noise
    }

    /// Whether a layer followed by a norm of `kind` gets a bias.
    pub fn bias_before(&self, kind: NormKind) -> bool {
        kind == NormKind::None || self.bias_before_norm
    }

    /// Rows prepended to every generator batch (the virtual batch norm reference).
    pub fn reference_rows(&self) -> usize {
        if self.generator_norm == NormKind::Virtual {
            self.reference_batch
        } else {
            0
        }
    }

    pub fn init_generator(&self, device: &Device) -> Generator {
        super::with_backend_rng(|| super::materialise(self.build_generator(device)))
    }

    /// The discriminator; an error for a family fitted without one (PCA).
    pub fn init_discriminator(&self, device: &Device) -> anyhow::Result<Discriminator> {
        super::with_backend_rng(|| self.build_discriminator(device).map(super::materialise))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} is fitted in closed form and has no discriminator",
                    self.model.name()
                )
            })
    }

    fn build_generator(&self, device: &Device) -> Generator {
        self.model.family().generator(self, device)
    }

    fn build_discriminator(&self, device: &Device) -> Option<Discriminator> {
        self.model.family().discriminator(self, device)
    }

    /// Width of the discriminator's output: 1 logit, or more for families with a class head.
    pub fn discriminator_outputs(&self) -> usize {
        self.model.family().discriminator_outputs(self)
    }
}
