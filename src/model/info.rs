//! InfoGAN's own networks, after Chen et al. (2016), appendix C (MNIST): DCGAN's convolutions
//! with a fully connected hidden layer in front of G's projection and behind D's convolutions,
//! and a Q head with a hidden layer of its own on D's trunk. On DCGAN's networks (a linear
//! projection in G, a linear head on D's conv features) the category code settled on stroke
//! style rather than digit identity (BENCHMARKS.md, "Families"); the hidden layers let one code
//! value select a whole different digit.
//!
//! Shapes are written for MNIST (s = 28, q = s/4 = 7, k = 1 channel); `w` is the depth's conv
//! width (64 at medium, the paper's), `h` the hidden width (`info_hidden`, the paper's 1024),
//! C the category count and K the continuous codes.

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::prelude::*;

use super::config::GanConfig;
use super::conv::{conv, dcgan_init, dcgan_norm, up};
use super::layers::{Condition, Norm, dropout, leaky_relu, tanh};
use super::summary::{Column, NetworkSummary};

/// Width of the Q head's hidden layer (the paper's 128).
pub const Q_HIDDEN: usize = 128;

fn linear(input: usize, output: usize, bias: bool, device: &Device) -> Linear {
    LinearConfig::new(input, output)
        .with_bias(bias)
        .with_initializer(dcgan_init())
        .init(device)
}

#[derive(Module, Debug)]
pub struct InfoGenerator {
    /// [z, one_hot(c)] (B, L + C) -> (B, h)
    pub hidden: Linear,
    pub norm_hidden: Norm,
    /// (B, h) -> (B, 2w*7*7)
    pub project: Linear,
    /// over (B, 2w, 7, 7)
    pub norm0: Norm,
    /// (B, 2w, 7, 7) -> (B, w, 14, 14)
    pub up1: ConvTranspose2d,
    pub norm1: Norm,
    /// (B, w, 14, 14) -> (B, k, 28, 28)
    pub up2: ConvTranspose2d,
    pub channels: usize,
    pub side: usize,
}

impl InfoGenerator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let w = config.depth.conv_width();
        let q = config.image_size / 4;
        let h = config.info_hidden;
        let norm = config.generator_norm;
        let bias = config.bias_before(norm);
        Self {
            hidden: linear(config.latent_dim + config.num_classes, h, bias, device),
            norm_hidden: dcgan_norm(norm, h, device),
            project: linear(h, 2 * w * q * q, bias, device),
            norm0: dcgan_norm(norm, 2 * w, device),
            up1: up(2 * w, w, bias, device),
            norm1: dcgan_norm(norm, w, device),
            up2: up(w, config.channels, true, device),
            channels: 2 * w,
            side: q,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let w = config.depth.conv_width();
        let q = config.image_size / 4;
        let norm = config.generator_norm;
        let bias = config.bias_before(norm);
        let mut column = Column::new(vec![config.latent_dim]);
        column.concat("join", "one-hot category", config.num_classes);
        column.linear("hidden", config.info_hidden, bias);
        column.norm("norm_hidden", norm, "ReLU");
        column.linear("project", 2 * w * q * q, bias);
        column.view(vec![2 * w, q, q]);
        column.norm("norm0", norm, "ReLU");
        column.conv_transpose("up1", w, 4, 2, 1, 0, bias);
        column.norm("norm1", norm, "ReLU");
        column.conv_transpose("up2", config.channels, 4, 2, 1, 0, true);
        column.activation("tanh");
        column.finish()
    }

    /// z (B, L), category codes (B) -> images (B, k, 28, 28) in [-1, 1]
    pub fn forward(
        &self,
        z: Tensor<2>,
        condition: Option<Condition>,
        reference_rows: usize,
    ) -> Tensor<4> {
        let [b, l] = z.dims();
        let [input, _] = self.hidden.weight.dims();
        let x = match condition {
            Some(condition) => Tensor::cat(vec![z, condition.one_hot(input - l)], 1), // (B, L + C)
            // Without a code (never in training) the one-hot is all zeros.
            None => {
                let device = z.device();
                Tensor::cat(vec![z, Tensor::zeros([b, input - l], &device)], 1)
            }
        };
        let x = crate::fused::linear(&self.hidden, x); // (B, h)
        let x = self.norm_hidden.forward_act(x, reference_rows, 0.0);
        let x = crate::fused::linear(&self.project, x); // (B, 2w*7*7)
        let x = x.reshape([b, self.channels, self.side, self.side]); // (B, 2w, 7, 7)
        let x = self.norm0.forward_act(x, reference_rows, 0.0);
        let x = self.norm1.forward_act(
            crate::fused::conv_transpose2d(&self.up1, x),
            reference_rows,
            0.0,
        ); // (B, w, 14, 14)
        tanh(crate::fused::conv_transpose2d(&self.up2, x)) // (B, k, 28, 28)
    }
}

#[derive(Module, Debug)]
pub struct InfoDiscriminator {
    /// (B, k, 28, 28) -> (B, w, 14, 14)
    pub conv1: Conv2d,
    /// (B, w, 14, 14) -> (B, 2w, 7, 7)
    pub conv2: Conv2d,
    pub norm2: Norm,
    /// (B, 2w*7*7) -> (B, h): the trunk D and Q share
    pub hidden: Linear,
    pub norm_hidden: Norm,
    /// (B, h) -> (B, 1): the real/fake logit
    pub head: Linear,
    /// (B, h) -> (B, 128): Q's own layer
    pub q_hidden: Linear,
    pub q_norm: Norm,
    /// (B, 128) -> (B, C + K [+ N]): category logits, continuous code estimates [and noise
    /// estimates]
    pub q_head: Linear,
    pub dropout: Dropout,
    pub slope: f64,
}

impl InfoDiscriminator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let w = config.depth.conv_width();
        let q = config.image_size / 4;
        let h = config.info_hidden;
        let norm = config.discriminator_norm;
        let bias = config.bias_before(norm);
        Self {
            conv1: conv([config.channels, w], 4, 2, 1, true, device),
            conv2: conv([w, 2 * w], 4, 2, 1, bias, device),
            norm2: dcgan_norm(norm, 2 * w, device),
            hidden: linear(2 * w * q * q, h, bias, device),
            norm_hidden: dcgan_norm(norm, h, device),
            head: linear(h, 1, true, device),
            q_hidden: linear(h, Q_HIDDEN, bias, device),
            q_norm: dcgan_norm(norm, Q_HIDDEN, device),
            q_head: linear(Q_HIDDEN, config.info_q_outputs(), true, device),
            dropout: DropoutConfig::new(config.dropout).init(),
            slope: config.leaky_slope,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel: the trunk, then the
    /// real/fake head and Q's two layers (shown in sequence; both read the trunk).
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let w = config.depth.conv_width();
        let s = config.image_size;
        let h = config.info_hidden;
        let norm = config.discriminator_norm;
        let bias = config.bias_before(norm);
        let mut column = Column::new(vec![config.channels, s, s]);
        column.conv("conv1", w, 4, 2, 1);
        column.activation("LeakyReLU");
        column.conv_with_bias("conv2", 2 * w, 4, 2, 1, bias);
        column.norm("norm2", norm, "LeakyReLU");
        column.linear("hidden", h, bias);
        column.norm("norm_hidden", norm, "LeakyReLU");
        column.side_input("head", format!("Linear({h}, 1)"), vec![1], h + 1, h as u64);
        column.linear("q_hidden", Q_HIDDEN, bias);
        column.norm("q_norm", norm, "LeakyReLU");
        column.linear("q_head", config.info_q_outputs(), true);
        column.concat("join", "real/fake logit", 1);
        column.finish()
    }

    /// images (B, k, 28, 28) -> (B, 1 + C + K [+ N]): the real/fake logit, category logits, code
    /// [and noise] estimates (the layout of DCGAN's discriminator with 1 + C + K outputs)
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = dropout(
            &self.dropout,
            leaky_relu(crate::fused::conv2d(&self.conv1, images), self.slope),
        ); // (B, w, 14, 14)
        let x = crate::fused::conv2d(&self.conv2, x); // (B, 2w, 7, 7)
        let x = dropout(&self.dropout, self.norm2.forward_act(x, 0, self.slope));
        let x: Tensor<2> = x.flatten(1, 3); // (B, 2w*7*7)
        let trunk = dropout(
            &self.dropout,
            self.norm_hidden
                .forward_act(crate::fused::linear(&self.hidden, x), 0, self.slope),
        ); // (B, h)
        let source = crate::fused::linear(&self.head, trunk.clone()); // (B, 1)
        let q = self
            .q_norm
            .forward_act(crate::fused::linear(&self.q_hidden, trunk), 0, self.slope); // (B, 128)
        Tensor::cat(vec![source, crate::fused::linear(&self.q_head, q)], 1) // (B, 1 + C + K [+ N])
    }
}
