//! The DCGAN of the TensorFlow tutorial, kept as a fixed yardstick for speed comparisons
//! (its depth option is ignored). Dropout is the tutorial's 0.3 unless --dropout sets another.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::config::GanConfig;
use super::conv::dcgan_init;
use super::layers::{Norm, dropout, leaky_relu, tanh};
use super::summary::{Column, NetworkSummary};

/// Keras's `LeakyReLU()` default, which the tutorial uses throughout.
const SLOPE: f64 = 0.3;
const TUTORIAL_DROPOUT: f64 = 0.3;

/// 5x5 transposed conv without bias; stride 2 doubles the side (padding 2, output padding 1).
fn up5(in_ch: usize, out_ch: usize, stride: usize, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([in_ch, out_ch], [5, 5])
        .with_stride([stride, stride])
        .with_padding([2, 2])
        .with_padding_out([stride - 1, stride - 1])
        .with_bias(false)
        .with_initializer(dcgan_init())
        .init(device)
}

fn down5(in_ch: usize, out_ch: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([in_ch, out_ch], [5, 5])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
        .with_initializer(dcgan_init())
        .init(device)
}

#[derive(Module, Debug)]
pub struct TfGenerator {
    /// z (B, 100) -> (B, 7*7*256), no bias
    pub dense: Linear,
    pub norm0: Norm,
    /// (B, 256, 7, 7) -> (B, 128, 7, 7)
    pub up1: ConvTranspose2d,
    pub norm1: Norm,
    /// (B, 128, 7, 7) -> (B, 64, 14, 14)
    pub up2: ConvTranspose2d,
    pub norm2: Norm,
    /// (B, 64, 14, 14) -> (B, 1, 28, 28)
    pub up3: ConvTranspose2d,
}

impl TfGenerator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let norm = config.generator_norm;
        Self {
            dense: LinearConfig::new(config.latent_dim, 7 * 7 * 256)
                .with_bias(false)
                .with_initializer(dcgan_init())
                .init(device),
            norm0: Norm::new(norm, 7 * 7 * 256, device),
            up1: up5(256, 128, 1, device),
            norm1: Norm::new(norm, 128, device),
            up2: up5(128, 64, 2, device),
            norm2: Norm::new(norm, 64, device),
            up3: up5(64, 1, 2, device),
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let norm = config.generator_norm;
        let mut column = Column::new(vec![config.latent_dim]);
        column.linear("dense", 7 * 7 * 256, false);
        column.norm("norm0", norm, "LeakyReLU");
        column.reshape("reshape", "reshape", vec![256, 7, 7]);
        column.conv_transpose("up1", 128, 5, 1, 2, 0, false);
        column.norm("norm1", norm, "LeakyReLU");
        column.conv_transpose("up2", 64, 5, 2, 2, 1, false);
        column.norm("norm2", norm, "LeakyReLU");
        column.conv_transpose("up3", 1, 5, 2, 2, 1, false);
        column.activation("tanh");
        column.finish()
    }

    pub fn forward(&self, z: Tensor<2>, reference_rows: usize) -> Tensor<4> {
        let [b, _] = z.dims();
        let x = self
            .norm0
            .forward_act(crate::fused::linear(&self.dense, z), reference_rows, SLOPE); // (B, 12544)
        let x: Tensor<4> = x.reshape([b, 256, 7, 7]); // (B, 256, 7, 7)
        let x = self.norm1.forward_act(
            crate::fused::conv_transpose2d(&self.up1, x),
            reference_rows,
            SLOPE,
        ); // (B, 128, 7, 7)
        let x = self.norm2.forward_act(
            crate::fused::conv_transpose2d(&self.up2, x),
            reference_rows,
            SLOPE,
        ); // (B, 64, 14, 14)
        tanh(crate::fused::conv_transpose2d(&self.up3, x)) // (B, 1, 28, 28)
    }
}

#[derive(Module, Debug)]
pub struct TfDiscriminator {
    /// (B, 1, 28, 28) -> (B, 64, 14, 14)
    pub conv1: Conv2d,
    /// (B, 64, 14, 14) -> (B, 128, 7, 7)
    pub conv2: Conv2d,
    /// (B, 128*7*7) -> (B, 1)
    pub head: Linear,
    pub dropout: Dropout,
}

impl TfDiscriminator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let prob = if config.dropout > 0.0 {
            config.dropout
        } else {
            TUTORIAL_DROPOUT
        };
        Self {
            conv1: down5(1, 64, device),
            conv2: down5(64, 128, device),
            head: LinearConfig::new(128 * 7 * 7, 1)
                .with_initializer(dcgan_init())
                .init(device),
            dropout: DropoutConfig::new(prob).init(),
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(_config: &GanConfig) -> NetworkSummary {
        let mut column = Column::new(vec![1, 28, 28]);
        column.conv("conv1", 64, 5, 2, 2);
        column.activation("LeakyReLU");
        column.conv("conv2", 128, 5, 2, 2);
        column.activation("LeakyReLU");
        column.linear("head", 1, true);
        column.finish()
    }

    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = dropout(
            &self.dropout,
            leaky_relu(crate::fused::conv2d(&self.conv1, images), SLOPE),
        ); // (B, 64, 14, 14)
        let x = dropout(
            &self.dropout,
            leaky_relu(crate::fused::conv2d(&self.conv2, x), SLOPE),
        ); // (B, 128, 7, 7)
        let x: Tensor<2> = x.flatten(1, 3); // (B, 6272)
        crate::fused::linear(&self.head, x) // (B, 1)
    }
}
