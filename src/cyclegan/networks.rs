//! CycleGAN's networks, after the authors' reference implementation: a ResNet generator
//! (Johnson et al. 2016) and a PatchGAN discriminator (Isola et al. 2017), instance norm
//! without learned scale and shift, weights from N(0, 0.02).
//!
//! Shapes below: k channels, side s, base width w.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{InstanceNorm, InstanceNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu};
use burn::tensor::ops::PadMode;

use super::config::CycleGanConfig;
use crate::model::conv::dcgan_init;
use crate::model::layers::tanh;

fn conv(channels: [usize; 2], kernel: usize, stride: usize, pad: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_initializer(dcgan_init())
        .init(device)
}

fn instance_norm(channels: usize, device: &Device) -> InstanceNorm {
    InstanceNormConfig::new(channels)
        .with_affine(false)
        .init(device)
}

/// Reflection padding of `p` pixels on every side: the reference pads the 7x7 and 3x3
/// convolutions so, which keeps zero borders from showing in the pictures.
fn reflect(x: Tensor<4>, p: usize) -> Tensor<4> {
    x.pad((p, p, p, p), PadMode::Reflect)
}

/// Two reflection-padded 3x3 convolutions with instance norm, added to the input.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    /// (B, 4w, s/4, s/4) -> same
    pub conv1: Conv2d,
    pub norm1: InstanceNorm,
    /// (B, 4w, s/4, s/4) -> same
    pub conv2: Conv2d,
    pub norm2: InstanceNorm,
}

impl ResidualBlock {
    fn new(channels: usize, device: &Device) -> Self {
        Self {
            conv1: conv([channels, channels], 3, 1, 0, device),
            norm1: instance_norm(channels, device),
            conv2: conv([channels, channels], 3, 1, 0, device),
            norm2: instance_norm(channels, device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = relu(
            self.norm1
                .forward(crate::fused::conv2d(&self.conv1, reflect(x.clone(), 1))),
        );
        let h = self
            .norm2
            .forward(crate::fused::conv2d(&self.conv2, reflect(h, 1)));
        x + h
    }
}

/// A convolution (or transposed convolution) with instance norm and ReLU.
#[derive(Module, Debug)]
pub struct DownBlock {
    pub conv: Conv2d,
    pub norm: InstanceNorm,
}

#[derive(Module, Debug)]
pub struct UpBlock {
    pub conv: ConvTranspose2d,
    pub norm: InstanceNorm,
}

/// Maps pictures of one domain to the other's: (B, k, s, s) in [-1, 1] -> (B, k, s, s).
#[derive(Module, Debug)]
pub struct ResnetGenerator {
    /// reflect-pad 3, 7x7: (B, k, s, s) -> (B, w, s, s), IN, ReLU
    pub stem: DownBlock,
    /// 3x3 stride 2: (B, w, s, s) -> (B, 2w, s/2, s/2) -> (B, 4w, s/4, s/4), IN, ReLU
    pub down: Vec<DownBlock>,
    /// (B, 4w, s/4, s/4) -> same, `residual_blocks` of them
    pub blocks: Vec<ResidualBlock>,
    /// 3x3 stride-2 transposed: (B, 4w, s/4, s/4) -> (B, 2w, s/2, s/2) -> (B, w, s, s), IN, ReLU
    pub up: Vec<UpBlock>,
    /// reflect-pad 3, 7x7: (B, w, s, s) -> (B, k, s, s), tanh
    pub head: Conv2d,
    /// Add the head's output to the input before the tanh ([`CycleGanConfig::residual_output`]);
    /// rebuilt from the config, not stored with the weights.
    #[module(skip)]
    pub residual: bool,
}

impl ResnetGenerator {
    pub fn new(config: &CycleGanConfig, device: &Device) -> Self {
        let (k, w) = (config.channels, config.width);
        let down = [(w, 2 * w), (2 * w, 4 * w)]
            .into_iter()
            .map(|(i, o)| DownBlock {
                conv: conv([i, o], 3, 2, 1, device),
                norm: instance_norm(o, device),
            })
            .collect();
        let up = [(4 * w, 2 * w), (2 * w, w)]
            .into_iter()
            .map(|(i, o)| UpBlock {
                conv: ConvTranspose2dConfig::new([i, o], [3, 3])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_padding_out([1, 1])
                    .with_initializer(dcgan_init())
                    .init(device),
                norm: instance_norm(o, device),
            })
            .collect();
        Self {
            stem: DownBlock {
                conv: conv([k, w], 7, 1, 0, device),
                norm: instance_norm(w, device),
            },
            down,
            blocks: (0..config.residual_blocks)
                .map(|_| ResidualBlock::new(4 * w, device))
                .collect(),
            up,
            // A residual generator's head starts at zero, so that it starts as the identity
            // (its weights still receive gradients: the input to the head is not zero).
            head: if config.residual_output {
                Conv2dConfig::new([w, k], [7, 7])
                    .with_initializer(burn::nn::Initializer::Zeros)
                    .init(device)
            } else {
                conv([w, k], 7, 1, 0, device)
            },
            residual: config.residual_output,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let skip = self.residual.then(|| inverse_tanh(x.clone()));
        let mut h = relu(
            self.stem
                .norm
                .forward(crate::fused::conv2d(&self.stem.conv, reflect(x, 3))),
        );
        for block in &self.down {
            h = relu(block.norm.forward(crate::fused::conv2d(&block.conv, h)));
        }
        for block in &self.blocks {
            h = block.forward(h);
        }
        for block in &self.up {
            h = relu(
                block
                    .norm
                    .forward(crate::fused::conv_transpose2d(&block.conv, h)),
            );
        }
        let out = crate::fused::conv2d(&self.head, reflect(h, 3));
        match skip {
            Some(skip) => tanh(out + skip),
            None => tanh(out),
        }
    }
}

/// atanh of pictures in [-1, 1], pulled in to ±(1 - 1e-3) first so that saturated pixels map
/// to ±3.8 rather than infinity: `tanh(inverse_tanh(x))` gives `x` back within 1e-3.
fn inverse_tanh(x: Tensor<4>) -> Tensor<4> {
    x.clamp(-0.999, 0.999).atanh()
}

/// Judges each patch of a picture real or generated: (B, k, s, s) -> (B, 1, p, p) logits of a
/// least-squares loss (p = 6 at s = 32 with two stride-2 layers).
#[derive(Module, Debug)]
pub struct PatchDiscriminator {
    /// 4x4 stride 2: (B, k, s, s) -> (B, w, s/2, s/2), leaky ReLU, no norm
    pub first: Conv2d,
    /// 4x4 stride 2, then one 4x4 stride 1: width doubling up to 8w, IN, leaky ReLU;
    /// (B, w, s/2, s/2) -> (B, c, s/2^n - 1, s/2^n - 1)
    pub layers: Vec<DownBlock>,
    /// 4x4 stride 1: (B, c, q, q) -> (B, 1, q - 1, q - 1)
    pub head: Conv2d,
}

impl PatchDiscriminator {
    pub fn new(config: &CycleGanConfig, device: &Device) -> Self {
        let (k, w, n) = (config.channels, config.width, config.discriminator_layers);
        let widths: Vec<usize> = (0..=n).map(|i| w * (1 << i.min(3))).collect();
        let mut layers: Vec<DownBlock> = (1..n)
            .map(|i| DownBlock {
                conv: conv([widths[i - 1], widths[i]], 4, 2, 1, device),
                norm: instance_norm(widths[i], device),
            })
            .collect();
        layers.push(DownBlock {
            conv: conv([widths[n - 1], widths[n]], 4, 1, 1, device),
            norm: instance_norm(widths[n], device),
        });
        Self {
            first: conv([k, w], 4, 2, 1, device),
            layers,
            head: conv([widths[n], 1], 4, 1, 1, device),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut h = leaky_relu(crate::fused::conv2d(&self.first, x), 0.2);
        for layer in &self.layers {
            h = leaky_relu(
                layer.norm.forward(crate::fused::conv2d(&layer.conv, h)),
                0.2,
            );
        }
        crate::fused::conv2d(&self.head, h)
    }
}

/// G: A -> B and F: B -> A, stepped by one optimiser as in the paper.
#[derive(Module, Debug)]
pub struct Generators {
    pub a2b: ResnetGenerator,
    pub b2a: ResnetGenerator,
}

/// D_A judges domain A's pictures (real A against F's), D_B domain B's.
#[derive(Module, Debug)]
pub struct Discriminators {
    pub a: PatchDiscriminator,
    pub b: PatchDiscriminator,
}

/// Which way to translate.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    A2b,
    B2a,
}

impl Generators {
    pub fn new(config: &CycleGanConfig, device: &Device) -> Self {
        Self {
            a2b: ResnetGenerator::new(config, device),
            b2a: ResnetGenerator::new(config, device),
        }
    }

    /// The generator for `direction`.
    pub fn toward(&self, direction: Direction) -> &ResnetGenerator {
        match direction {
            Direction::A2b => &self.a2b,
            Direction::B2a => &self.b2a,
        }
    }
}

impl Discriminators {
    pub fn new(config: &CycleGanConfig, device: &Device) -> Self {
        Self {
            a: PatchDiscriminator::new(config, device),
            b: PatchDiscriminator::new(config, device),
        }
    }
}

impl CycleGanConfig {
    /// Both generators, initialised from `seed` and materialised (see [`crate::model::init_seeded`]).
    pub fn init_generators(&self, device: &Device, seed: u64) -> Generators {
        crate::model::init_seeded(device, seed, || {
            crate::model::materialise(Generators::new(self, device))
        })
    }

    /// Both discriminators, initialised from a seed of their own.
    pub fn init_discriminators(&self, device: &Device, seed: u64) -> Discriminators {
        crate::model::init_seeded(device, seed ^ 0xD15C, || {
            crate::model::materialise(Discriminators::new(self, device))
        })
    }
}
