//! Convolutional networks: the DCGAN and, with a label map, the conditional DCGAN.
//!
//! Shapes are written for MNIST (image side s = 28, so the 7x7 stage is s/4, and k = 1 channel);
//! CIFAR-10 is s = 32 (an 8x8 stage), k = 3, in the style of its conditional GAN: strided
//! convolutions, no pooling, batch norm. `w` is the depth's base width (32 shallow, 64 medium
//! and deep).

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d,
};
use burn::prelude::*;

use super::config::{GanConfig, NormKind};
use super::layers::{Condition, LabelMap, Norm, dropout, leaky_relu, tanh};
use super::summary::{Column, NetworkSummary};

/// DCGAN weights start from N(0, 0.02), as in Radford et al. (2016).
pub(crate) fn dcgan_init() -> Initializer {
    Initializer::Normal {
        mean: 0.0,
        std: 0.02,
    }
}

/// A norm with DCGAN's initialisation: scale from N(1, 0.02), shift 0.
pub(crate) fn dcgan_norm(kind: NormKind, features: usize, device: &Device) -> Norm {
    let mut norm = Norm::new(kind, features, device);
    let gamma = || -> Param<Tensor<1>> {
        Initializer::Normal {
            mean: 1.0,
            std: 0.02,
        }
        .init([features], device)
    };
    if let Some(batch) = &mut norm.batch {
        batch.gamma = gamma();
    }
    if let Some(virtual_batch) = &mut norm.virtual_batch {
        virtual_batch.gamma = gamma();
    }
    norm
}

pub(crate) fn conv(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    pad: usize,
    bias: bool,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(bias)
        .with_initializer(dcgan_init())
        .init(device)
}

/// Transposed conv 4x4, stride 2, padding 1: doubles the side.
pub(crate) fn up(in_ch: usize, out_ch: usize, bias: bool, device: &Device) -> ConvTranspose2d {
    ConvTranspose2dConfig::new([in_ch, out_ch], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_bias(bias)
        .with_initializer(dcgan_init())
        .init(device)
}

/// The label map's two layers as one row: Embedding(C, E) then Linear(E -> side²), bias
/// included, shown as (1, side, side); the column's shape is left as it was.
fn label_map_summary(column: &mut Column, config: &GanConfig, side: usize) {
    let (c, e) = (config.num_classes, config.label_embedding);
    column.side_input(
        "label_map",
        format!("Embedding({c}, {e}), Linear({e}, {})", side * side),
        vec![1, side, side],
        c * e + e * side * side + side * side,
        (e * side * side) as u64,
    );
}

/// A 3x3 stride-1 convolution followed by a norm: the deep models' extra block.
#[derive(Module, Debug)]
pub struct NormedConv {
    pub conv: Conv2d,
    pub norm: Norm,
}

#[derive(Module, Debug)]
pub struct ConvGenerator {
    /// z (B, L) -> (B, 2w*7*7); with one-hot labels, [z, one_hot(y)] (B, L + C) -> (B, 2w*7*7)
    pub project: Linear,
    /// labels (B) -> (B, 1, 7, 7), conditional models that take the label as a map
    pub label_map: Option<LabelMap>,
    /// over (B, c0, 7, 7), c0 = 2w (+1 when conditional)
    pub norm0: Norm,
    /// deep only: (B, c0, 7, 7) -> (B, 2w, 7, 7)
    pub extra: Option<NormedConv>,
    /// (B, c, 7, 7) -> (B, w, 14, 14)
    pub up1: ConvTranspose2d,
    pub norm1: Norm,
    /// (B, w, 14, 14) -> (B, k, 28, 28)
    pub up2: ConvTranspose2d,
    pub channels: usize,
    pub side: usize,
}

impl ConvGenerator {
    /// The DCGAN generator; conditional families get the label as an extra 7x7 feature map.
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        Self::build(config, false, device)
    }

    /// A conditional generator that takes the label one-hot beside z, into the projection
    /// (InfoGAN's way): the code reaches every feature of the first layer, not one map of it.
    /// Such a generator has no label map, and its projection is wider than z: that is how
    /// [`Self::forward`] knows to append the one-hot.
    pub fn with_one_hot_labels(config: &GanConfig, device: &Device) -> Self {
        Self::build(config, true, device)
    }

    fn build(config: &GanConfig, one_hot: bool, device: &Device) -> Self {
        let w = config.depth.conv_width();
        let side = config.image_size / 4;
        let one_hot = one_hot && config.model.is_conditional();
        let label_map = (config.model.is_conditional() && !one_hot).then(|| {
            LabelMap::new(
                config.num_classes,
                config.label_embedding,
                side,
                side,
                device,
            )
        });
        let c0 = 2 * w + usize::from(label_map.is_some());
        let g_norm = config.generator_norm;
        let bias = config.bias_before(g_norm);
        let extra = config.depth.conv_extra_block().then(|| NormedConv {
            conv: conv([c0, 2 * w], 3, 1, 1, bias, device),
            norm: dcgan_norm(g_norm, 2 * w, device),
        });
        let c1 = if extra.is_some() { 2 * w } else { c0 };
        let input = config.latent_dim + if one_hot { config.num_classes } else { 0 };
        Self {
            project: LinearConfig::new(input, 2 * w * side * side)
                .with_bias(bias)
                .with_initializer(dcgan_init())
                .init(device),
            label_map,
            norm0: dcgan_norm(g_norm, c0, device),
            extra,
            up1: up(c1, w, bias, device),
            norm1: dcgan_norm(g_norm, w, device),
            up2: up(w, config.channels, true, device),
            channels: 2 * w,
            side,
        }
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        Self::summary_of(config, false)
    }

    /// As [`Self::summary`], for [`Self::with_one_hot_labels`].
    pub fn summary_one_hot(config: &GanConfig) -> NetworkSummary {
        Self::summary_of(config, true)
    }

    fn summary_of(config: &GanConfig, one_hot: bool) -> NetworkSummary {
        let w = config.depth.conv_width();
        let q = config.image_size / 4;
        let g_norm = config.generator_norm;
        let bias = config.bias_before(g_norm);
        let one_hot = one_hot && config.model.is_conditional();
        let mut column = Column::new(vec![config.latent_dim]);
        if one_hot {
            column.concat("join", "one-hot label", config.num_classes);
        }
        column.linear("project", 2 * w * q * q, bias);
        column.view(vec![2 * w, q, q]);
        if config.model.is_conditional() && !one_hot {
            label_map_summary(&mut column, config, q);
            column.concat("join", "label map", 1);
        }
        column.norm("norm0", g_norm, "ReLU");
        if config.depth.conv_extra_block() {
            column.conv_with_bias("extra.conv", 2 * w, 3, 1, 1, bias);
            column.norm("extra.norm", g_norm, "ReLU");
        }
        column.conv_transpose("up1", w, 4, 2, 1, 0, bias);
        column.norm("norm1", g_norm, "ReLU");
        column.conv_transpose("up2", config.channels, 4, 2, 1, 0, true);
        column.activation("tanh");
        column.finish()
    }

    /// z (B, L), condition of B rows -> images (B, k, 28, 28) in [-1, 1]
    pub fn forward(
        &self,
        z: Tensor<2>,
        condition: Option<Condition>,
        reference_rows: usize,
    ) -> Tensor<4> {
        let [b, l] = z.dims();
        let [input, _] = self.project.weight.dims();
        let (z, condition) = match (input > l, condition) {
            (true, Some(condition)) => (
                Tensor::cat(vec![z, condition.one_hot(input - l)], 1), // (B, L + C)
                None,
            ),
            (_, condition) => (z, condition),
        };
        let x = crate::fused::linear(&self.project, z); // (B, 2w*7*7)
        let mut x = x.reshape([b, self.channels, self.side, self.side]); // (B, 2w, 7, 7)
        if let (Some(label_map), Some(condition)) = (&self.label_map, condition) {
            x = Tensor::cat(vec![x, label_map.forward_condition(condition)], 1); // (B, 2w+1, 7, 7)
        }
        x = self.norm0.forward_act(x, reference_rows, 0.0);
        if let Some(extra) = &self.extra {
            x = extra
                .norm
                .forward_act(crate::fused::conv2d(&extra.conv, x), reference_rows, 0.0); // (B, 2w, 7, 7)
        }
        let x = self.norm1.forward_act(
            crate::fused::conv_transpose2d(&self.up1, x),
            reference_rows,
            0.0,
        ); // (B, w, 14, 14)
        tanh(crate::fused::conv_transpose2d(&self.up2, x)) // (B, k, 28, 28)
    }
}

#[derive(Module, Debug)]
pub struct ConvDiscriminator {
    /// labels (B) -> (B, 1, 28, 28), conditional models only
    pub label_map: Option<LabelMap>,
    /// (B, k or k+1, 28, 28) -> (B, w, 14, 14)
    pub conv1: Conv2d,
    /// (B, w, 14, 14) -> (B, 2w, 7, 7)
    pub conv2: Conv2d,
    pub norm2: Norm,
    /// deep only: (B, 2w, 7, 7) -> (B, 2w, 7, 7)
    pub extra: Option<NormedConv>,
    /// (B, 2w*7*7) -> (B, outputs): a real/fake logit, plus class logits for some families
    pub head: Linear,
    /// Projection conditioning (in place of the label map): labels (B) -> (B, 2w), whose inner
    /// product with the last features summed over the picture joins the real/fake logit
    pub projection: Option<Embedding>,
    pub dropout: Dropout,
    pub slope: f64,
}

impl ConvDiscriminator {
    pub fn new(config: &GanConfig, device: &Device) -> Self {
        let w = config.depth.conv_width();
        let s = config.image_size;
        let (map, project) = Self::label_reading(config);
        let label_map =
            map.then(|| LabelMap::new(config.num_classes, config.label_embedding, s, s, device));
        let projection = project.then(|| {
            EmbeddingConfig::new(config.num_classes, 2 * w)
                .with_initializer(dcgan_init())
                .init(device)
        });
        let in_ch = config.channels + usize::from(label_map.is_some());
        let d_norm = config.discriminator_norm;
        let bias = config.bias_before(d_norm);
        Self {
            label_map,
            conv1: conv([in_ch, w], 4, 2, 1, true, device),
            conv2: conv([w, 2 * w], 4, 2, 1, bias, device),
            norm2: dcgan_norm(d_norm, 2 * w, device),
            extra: config.depth.conv_extra_block().then(|| NormedConv {
                conv: conv([2 * w, 2 * w], 3, 1, 1, bias, device),
                norm: dcgan_norm(d_norm, 2 * w, device),
            }),
            head: LinearConfig::new(2 * w * (s / 4) * (s / 4), config.discriminator_outputs())
                .with_initializer(dcgan_init())
                .init(device),
            projection,
            dropout: DropoutConfig::new(config.dropout).init(),
            slope: config.leaky_slope,
        }
    }

    /// How D reads the label: (as an input map, by projection); neither for families whose D
    /// does not take it.
    fn label_reading(config: &GanConfig) -> (bool, bool) {
        let family = config.model.family();
        // A family that can project reads the label, so projection replaces the map.
        let project = config.projection_discriminator && family.discriminator_projects_labels();
        (family.discriminator_reads_labels() && !project, project)
    }

    /// The layers [`Self::forward`] runs, for the architecture panel.
    pub fn summary(config: &GanConfig) -> NetworkSummary {
        let w = config.depth.conv_width();
        let s = config.image_size;
        let d_norm = config.discriminator_norm;
        let bias = config.bias_before(d_norm);
        let (map, project) = Self::label_reading(config);
        let mut column = Column::new(vec![config.channels, s, s]);
        if map {
            label_map_summary(&mut column, config, s);
            column.concat("join", "label map", 1);
        }
        column.conv("conv1", w, 4, 2, 1);
        column.activation("LeakyReLU");
        column.conv_with_bias("conv2", 2 * w, 4, 2, 1, bias);
        column.norm("norm2", d_norm, "LeakyReLU");
        if config.depth.conv_extra_block() {
            column.conv_with_bias("extra.conv", 2 * w, 3, 1, 1, bias);
            column.norm("extra.norm", d_norm, "LeakyReLU");
        }
        if project {
            let (c, features) = (config.num_classes, 2 * w);
            column.side_input(
                "projection",
                format!("Embedding({c}, {features}) · Σ over the picture, + head"),
                vec![1],
                c * features,
                (features * (s / 4) * (s / 4)) as u64,
            );
        }
        column.linear("head", config.discriminator_outputs(), true);
        column.finish()
    }

    /// images (B, k, 28, 28), labels (B) -> logits (B, outputs): 1, or 1 + C (ACGAN), 2C (2N)
    pub fn forward(&self, images: Tensor<4>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        let mut x = images;
        if let (Some(label_map), Some(labels)) = (&self.label_map, &labels) {
            x = Tensor::cat(vec![x, label_map.forward(labels.clone())], 1); // (B, k+1, 28, 28)
        }
        let x = dropout(
            &self.dropout,
            leaky_relu(crate::fused::conv2d(&self.conv1, x), self.slope),
        ); // (B, w, 14, 14)
        let mut x = crate::fused::conv2d(&self.conv2, x); // (B, 2w, 7, 7)
        x = dropout(&self.dropout, self.norm2.forward_act(x, 0, self.slope));
        if let Some(extra) = &self.extra {
            let y = extra
                .norm
                .forward_act(crate::fused::conv2d(&extra.conv, x), 0, self.slope); // (B, 2w, 7, 7)
            x = dropout(&self.dropout, y);
        }
        let logits = crate::fused::linear(&self.head, x.clone().flatten(1, 3)); // (B, outputs)
        match (&self.projection, labels) {
            (Some(embedding), Some(labels)) => {
                let [b, c, _, _] = x.dims();
                let pooled = x.sum_dim(3).sum_dim(2).reshape([b, c]); // (B, 2w)
                let class = embedding.forward(labels.unsqueeze_dim(1)).reshape([b, c]); // (B, 2w)
                logits + (pooled * class).sum_dim(1) // (B, 1)
            }
            _ => logits,
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Param;
    use burn::prelude::*;

    use super::ConvDiscriminator;
    use crate::model::{GanConfig, ModelKind};

    /// With projection, D has no input label map; its logit is the head's plus the label's
    /// embedding row times the pooled features: the same images with a zero row score alike
    /// for every label, and the score moves linearly with the row.
    #[test]
    fn a_projection_discriminator_adds_the_labels_embedding_times_its_features() {
        let device = Device::flex();
        let config = GanConfig::new(ModelKind::Cdcgan)
            .with_image_size(32)
            .with_channels(3)
            .with_projection_discriminator(true);
        let mut d = ConvDiscriminator::new(&config, &device);
        assert!(d.label_map.is_none());
        let embedding = d.projection.as_mut().expect("a projection");
        let [classes, features] = embedding.weight.dims();
        assert_eq!((classes, features), (10, 2 * config.depth.conv_width()));
        // Rows: label 0 zero, label 1 v, label 2 2v, the rest v.
        let v = Tensor::<1>::random(
            [features],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        let rows: Vec<Tensor<2>> = (0..classes)
            .map(|c| {
                let scale = match c {
                    0 => 0.0,
                    2 => 2.0,
                    _ => 1.0,
                };
                v.clone().mul_scalar(scale).unsqueeze_dim(0)
            })
            .collect();
        embedding.weight = Param::from_tensor(Tensor::cat(rows, 0));
        let images = Tensor::<4>::random(
            [4, 3, 32, 32],
            burn::tensor::Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        let read = |label: i32| -> Vec<f32> {
            let labels = Tensor::<1, Int>::from_ints([label; 4], &device);
            let logits = d.forward(images.clone(), Some(labels));
            assert_eq!(logits.dims(), [4, 1]);
            logits.into_data().try_to_vec::<f32>().expect("f32")
        };
        let (zero, one, two) = (read(0), read(1), read(2));
        let plain: Vec<f32> = d
            .forward(images.clone(), None)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        for i in 0..4 {
            assert!((zero[i] - plain[i]).abs() < 1e-5, "{zero:?} {plain:?}");
            let step = one[i] - zero[i];
            assert!(
                step.abs() > 1e-3,
                "the label changed nothing: {one:?} {zero:?}"
            );
            assert!(
                ((two[i] - zero[i]) - 2.0 * step).abs() < 1e-3 * step.abs().max(1.0),
                "not linear in the row: {zero:?} {one:?} {two:?}"
            );
        }
        // Families whose D predicts the label, and runs saved before the option, keep the map.
        let plain_config = GanConfig::new(ModelKind::Cdcgan)
            .with_image_size(32)
            .with_channels(3);
        let d = ConvDiscriminator::new(&plain_config, &device);
        assert!(d.label_map.is_some() && d.projection.is_none());
        let two_n = ConvDiscriminator::new(
            &GanConfig::new(ModelKind::TwoN)
                .with_image_size(32)
                .with_channels(3)
                .with_projection_discriminator(true),
            &device,
        );
        assert!(two_n.label_map.is_none() && two_n.projection.is_none());
    }
}
