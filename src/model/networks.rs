//! The generator and discriminator of any family behind one type each.

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::config::GanConfig;
use super::conv::{ConvDiscriminator, ConvGenerator};
use super::dense::{DenseDiscriminator, DenseGenerator};
use super::info::{InfoDiscriminator, InfoGenerator};
use super::layers::Condition;
use super::pca::PcaGenerator;
use super::tf_dcgan::{TfDiscriminator, TfGenerator};
use crate::sampling::{labels_tensor, normal_latents_host};

#[derive(Module, Debug)]
pub enum Generator {
    Conv(ConvGenerator),
    Dense(DenseGenerator),
    Info(InfoGenerator),
    Tf(TfGenerator),
    Pca(PcaGenerator),
}

#[derive(Module, Debug)]
pub enum Discriminator {
    Conv(ConvDiscriminator),
    Dense(DenseDiscriminator),
    Info(InfoDiscriminator),
    Tf(TfDiscriminator),
}

/// The virtual batch norm reference batch comes from this fixed seed, so it is part of the
/// architecture rather than of the run: any checkpoint of the model rebuilds it exactly.
const REFERENCE_SEED: u64 = 0x7e4e_0ba7;

impl Generator {
    /// z (B, L), labels (B) for conditional models -> images (B, 1, 28, 28) in [-1, 1].
    pub fn forward(
        &self,
        config: &GanConfig,
        z: Tensor<2>,
        labels: Option<Tensor<1, Int>>,
    ) -> Tensor<4> {
        self.forward_condition(config, z, labels.map(Condition::Labels))
    }

    /// As [`Self::forward`], conditioned on labels or on a blend of two labels' embeddings.
    pub fn forward_condition(
        &self,
        config: &GanConfig,
        z: Tensor<2>,
        condition: Option<Condition>,
    ) -> Tensor<4> {
        self.forward_latent(config, z, condition, true)
    }

    /// As [`Self::forward_condition`], with the network's input given as is rather than drawn
    /// from N(0, 1): InfoGAN's continuous codes set directly, even beyond their training range.
    pub fn forward_prepared(
        &self,
        config: &GanConfig,
        input: Tensor<2>,
        condition: Option<Condition>,
    ) -> Tensor<4> {
        self.forward_latent(config, input, condition, false)
    }

    fn forward_latent(
        &self,
        config: &GanConfig,
        z: Tensor<2>,
        condition: Option<Condition>,
        prepare: bool,
    ) -> Tensor<4> {
        let family = config.model.family();
        let z = if prepare {
            family.prepare_latent(config, z)
        } else {
            z
        };
        let reference_rows = config.reference_rows();
        if reference_rows == 0 {
            return self.forward_rows(z, condition, 0);
        }
        // Virtual batch norm: the reference rows go first and are cut off again afterwards.
        let [b, _] = z.dims();
        let device = z.device();
        let (reference_z, reference_labels) = reference_batch(config);
        let reference_z = family.prepare_latent(
            config,
            Tensor::from_data(
                burn::tensor::TensorData::new(reference_z, [reference_rows, config.latent_dim]),
                &device,
            ),
        );
        let z = Tensor::cat(vec![reference_z, z], 0);
        let condition =
            condition.map(|condition| condition.prepend(labels_tensor(reference_labels, &device)));
        self.forward_rows(z, condition, reference_rows)
            .narrow(0, reference_rows, b)
    }

    fn forward_rows(
        &self,
        z: Tensor<2>,
        condition: Option<Condition>,
        reference_rows: usize,
    ) -> Tensor<4> {
        match self {
            Generator::Conv(g) => g.forward(z, condition, reference_rows),
            Generator::Dense(g) => g.forward(z, condition, reference_rows),
            Generator::Info(g) => g.forward(z, condition, reference_rows),
            Generator::Tf(g) => g.forward(z, reference_rows),
            Generator::Pca(g) => g.forward_condition(z, condition),
        }
    }
}

/// Virtual batch norm's fixed reference batch for `config`: latents (rows of `latent_dim`)
/// and labels (0, 1, ..., cycling), on the host. Exports carry it so other frameworks can
/// repeat a generator's output exactly.
pub fn reference_batch(config: &GanConfig) -> (Vec<f32>, Vec<u8>) {
    let rows = config.reference_rows();
    let mut rng = StdRng::seed_from_u64(REFERENCE_SEED);
    let latents = normal_latents_host(&mut rng, rows, config.latent_dim);
    let labels = (0..rows)
        .map(|i| (i % config.num_classes.max(1)) as u8)
        .collect();
    (latents, labels)
}

impl Discriminator {
    /// images (B, 1, 28, 28), labels (B) -> logits (B, 1)
    pub fn forward(&self, images: Tensor<4>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        match self {
            Discriminator::Conv(d) => d.forward(images, labels),
            Discriminator::Dense(d) => d.forward(images, labels),
            Discriminator::Info(d) => d.forward(images),
            Discriminator::Tf(d) => d.forward(images),
        }
    }

    /// [`Self::forward`] of several passes, in order: equal to one call a pass (within float
    /// rounding), the dense D running its first layer over all the passes' rows at once (and
    /// drawing that layer's dropout masks for all of them at once).
    pub fn forward_passes(
        &self,
        passes: Vec<(Tensor<4>, Option<Tensor<1, Int>>)>,
    ) -> Vec<Tensor<2>> {
        match self {
            Discriminator::Dense(d) => d.forward_passes(passes),
            _ => passes
                .into_iter()
                .map(|(images, labels)| self.forward(images, labels))
                .collect(),
        }
    }
}
