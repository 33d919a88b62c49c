//! Dense (fully connected) conditional GAN: the label embedding is joined to z in the
//! generator and to the flattened image in the discriminator.

use burn::nn::{Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;

use super::config::GanConfig;
use super::conv::dcgan_init;
use super::layers::{Condition, Norm, dropout, embed_labels, leaky_relu, tanh};
use super::summary::{Column, NetworkSummary};

fn linear(input: usize, output: usize, device: &Device) -> Linear {
    LinearConfig::new(input, output)
        .with_initializer(dcgan_init())
        .init(device)
}

/// Slope of the generator's leaky ReLUs: dense GANs train poorly with plain ReLU.
const GENERATOR_SLOPE: f64 = 0.2;

#[derive(Module, Debug)]
pub struct DenseGenerator {
    /// labels (B) -> (B, E)
    pub embedding: Embedding,
    /// (B, L+E) -> (B, h1) -> ... -> (B, hk); widths by depth: [256], [256, 512], [256, 512, 1024]
    pub hidden: Vec<Linear>,
    pub norms: Vec<Norm>,
    /// (B, hk) -> (B, k*28*28), k channels
    pub output: Linear,
    pub side: usize,
    pub image_channels: usize,
}

impl DenseGenerator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let widths = config.depth.dense_widths();
        let mut input = config.latent_dim + config.label_embedding;
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        for &width in widths {
            hidden.push(linear(input, width, device));
            norms.push(Norm::new(config.generator_norm, width, device));
            input = width;
        }
        let side = config.image_size;
        Self {
            embedding: EmbeddingConfig::new(config.num_classes, config.label_embedding)
                .init(device),
            hidden,
            norms,
            output: linear(input, config.channels * side * side, device),
            side,
            image_channels: config.channels,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let mut column = Column::new(vec![config.latent_dim]);
        column.label_embedding(config.num_classes, config.label_embedding);
        for (i, &width) in config.depth.dense_widths().iter().enumerate() {
            column.linear(&format!("hidden.{i}"), width, true);
            column.norm(&format!("norms.{i}"), config.generator_norm, "LeakyReLU");
        }
        let side = config.image_size;
        column.linear("output", config.channels * side * side, true);
        column.activation("tanh");
        column.view(vec![config.channels, side, side]);
        column.finish()
    }

    /// z (B, L), condition of B rows -> images (B, k, 28, 28) in [-1, 1]
    pub fn forward(
        &self,
        z: Tensor<2>,
        condition: Option<Condition>,
        reference_rows: usize,
    ) -> Tensor<4> {
        let [b, _] = z.dims();
        let (mut x, mut condition) = (z, condition);
        for (layer, norm) in self.hidden.iter().zip(&self.norms) {
            // The first layer reads the condition beside z.
            let h = match condition.take() {
                // (B, L+E) -> (B, h): z's input gradient is never needed
                Some(condition) => {
                    crate::fused::linear_joined(layer, x, condition.embed(&self.embedding))
                }
                None => crate::fused::linear(layer, x), // (B, h)
            };
            x = norm.forward_act(h, reference_rows, GENERATOR_SLOPE);
        }
        let x = tanh(crate::fused::linear(&self.output, x)); // (B, k*784)
        x.reshape([b, self.image_channels, self.side, self.side]) // (B, k, 28, 28)
    }
}

#[derive(Module, Debug)]
pub struct DenseDiscriminator {
    /// labels (B) -> (B, E)
    pub embedding: Embedding,
    /// (B, k*28*28+E) -> (B, hk) -> ... -> (B, h1): the generator's widths reversed
    pub hidden: Vec<Linear>,
    /// norms for every hidden layer but the first (as in DCGAN's discriminator)
    pub norms: Vec<Norm>,
    /// (B, h1) -> (B, 1) logit
    pub head: Linear,
    pub dropout: Dropout,
    pub slope: f64,
}

impl DenseDiscriminator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let mut input =
            config.channels * config.image_size * config.image_size + config.label_embedding;
        let mut hidden = Vec::new();
        let mut norms = Vec::new();
        for (i, &width) in config.depth.dense_widths().iter().rev().enumerate() {
            hidden.push(linear(input, width, device));
            if i > 0 {
                norms.push(Norm::new(config.discriminator_norm, width, device));
            }
            input = width;
        }
        Self {
            embedding: EmbeddingConfig::new(config.num_classes, config.label_embedding)
                .init(device),
            hidden,
            norms,
            head: linear(input, 1, device),
            dropout: DropoutConfig::new(config.dropout).init(),
            slope: config.leaky_slope,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let s = config.image_size;
        let k = config.channels;
        let mut column = Column::new(vec![k, s, s]);
        column.reshape("flatten", "flatten", vec![k * s * s]);
        column.label_embedding(config.num_classes, config.label_embedding);
        for (i, &width) in config.depth.dense_widths().iter().rev().enumerate() {
            column.linear(&format!("hidden.{i}"), width, true);
            if i > 0 {
                column.norm(
                    &format!("norms.{}", i - 1),
                    config.discriminator_norm,
                    "LeakyReLU",
                );
            } else {
                column.activation("LeakyReLU");
            }
        }
        column.linear("head", 1, true);
        column.finish()
    }

    /// images (B, k, 28, 28), labels (B) -> logits (B, 1)
    pub fn forward(&self, images: Tensor<4>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        let flat: Tensor<2> = images.flatten(1, 3); // (B, k*784)
        let (mut x, mut labels) = (flat, labels);
        for (i, layer) in self.hidden.iter().enumerate() {
            // The first layer reads the labels beside the pixels.
            x = match labels.take() {
                // (B, k*784+E) -> (B, h): D's update wants the embedding's input gradient
                // only, not the pixels'
                Some(labels) => {
                    crate::fused::linear_joined(layer, x, embed_labels(&self.embedding, labels))
                }
                None => crate::fused::linear(layer, x), // (B, h)
            };
            x = match i {
                0 => leaky_relu(x, self.slope),
                _ => self.norms[i - 1].forward_act(x, 0, self.slope),
            };
            x = dropout(&self.dropout, x);
        }
        crate::fused::linear(&self.head, x) // (B, 1)
    }
}
