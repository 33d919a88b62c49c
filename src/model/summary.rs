//! What a configuration builds, layer by layer: kind, output shape, parameters and
//! multiply-adds, computed from the config alone so the studio can redraw it on every click.
//! Each network file says its own layers beside its `forward` (one place to change both);
//! a test checks every count against the modules burn actually builds.

use serde::Serialize;

use super::config::{GanConfig, NormKind};

/// One row of a network's column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerSummary {
    /// The field name in the network (`up1`, `norm0`, ...).
    pub name: String,
    /// What it computes, with the activation that follows (`ConvT 4x4 s2 + ReLU`).
    pub kind: String,
    /// Output shape of one example: (C, H, W) or (features).
    pub output: Vec<usize>,
    /// Trained values.
    pub params: usize,
    /// Values kept but not trained: batch norm's running mean and variance.
    pub buffers: usize,
    /// Multiply-adds per example (linear and convolution layers; norms count none).
    pub macs: u64,
}

/// One network as a column of layers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct NetworkSummary {
    /// Shape of one example going in, e.g. (L) for the generator.
    pub input: Vec<usize>,
    pub layers: Vec<LayerSummary>,
}

impl NetworkSummary {
    pub fn params(&self) -> usize {
        self.layers.iter().map(|l| l.params).sum()
    }

    pub fn buffers(&self) -> usize {
        self.layers.iter().map(|l| l.buffers).sum()
    }

    pub fn macs(&self) -> u64 {
        self.layers.iter().map(|l| l.macs).sum()
    }

    /// Output values of every layer for one example: what a forward pass keeps for backward.
    pub fn activations(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.output.iter().product::<usize>())
            .sum()
    }

    pub fn output(&self) -> &[usize] {
        self.layers.last().map_or(&self.input, |l| &l.output)
    }
}

/// Both networks that a configuration builds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArchitectureSummary {
    pub generator: NetworkSummary,
    pub discriminator: NetworkSummary,
}

/// Bytes per value: every tensor is f32.
const F32: u64 = 4;

impl ArchitectureSummary {
    pub fn params(&self) -> usize {
        self.generator.params() + self.discriminator.params()
    }

    /// An estimate of the memory one training step of `batch` images holds at its peak:
    /// weights, gradients and Adam's two moments of both networks (4 values per parameter),
    /// plus the activations kept for backward of G on one batch and D on a real and a fake
    /// batch, counted twice since each layer's output and its activation's output are both
    /// kept. Allocator slack and the framework's own buffers come on top.
    pub fn training_bytes(&self, batch: usize) -> u64 {
        let buffers = self.generator.buffers() + self.discriminator.buffers();
        let weights = (4 * self.params() + buffers) as u64 * F32;
        let activations =
            self.generator.activations() as u64 + 2 * self.discriminator.activations() as u64;
        weights + 2 * batch as u64 * activations * F32
    }
}

impl GanConfig {
    /// The layers of both networks this configuration builds.
    pub fn summary(&self) -> ArchitectureSummary {
        let (generator, discriminator) = self.model.family().summary(self);
        ArchitectureSummary {
            generator,
            discriminator,
        }
    }
}

/// A count for people: 980, 12.3 k, 1.25 M, 3.4 G.
pub fn format_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1} k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2} M", n as f64 / 1e6),
        _ => format!("{:.2} G", n as f64 / 1e9),
    }
}

/// A shape of one example as PyTorch prints it: (64, 7, 7).
pub fn format_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("({})", parts.join(", "))
}

/// Bytes in binary units: 512 B, 3.2 MiB.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Appends layers to a column, tracking the current shape, so each network lists its layers
/// in the order of its `forward`.
pub(crate) struct Column {
    summary: NetworkSummary,
    shape: Vec<usize>,
}

impl Column {
    pub fn new(input: Vec<usize>) -> Self {
        Self {
            shape: input.clone(),
            summary: NetworkSummary {
                input,
                layers: Vec::new(),
            },
        }
    }

    pub fn finish(self) -> NetworkSummary {
        self.summary
    }

    fn push(&mut self, name: &str, kind: String, output: Vec<usize>, params: usize, macs: u64) {
        self.shape = output.clone();
        self.summary.layers.push(LayerSummary {
            name: name.to_owned(),
            kind,
            output,
            params,
            buffers: 0,
            macs,
        });
    }

    /// A branch that feeds the main path (a label embedding or map): shown as a row of its
    /// own, the main path's shape unchanged.
    pub fn side_input(
        &mut self,
        name: &str,
        kind: String,
        output: Vec<usize>,
        params: usize,
        macs: u64,
    ) {
        let shape = self.shape.clone();
        self.push(name, kind, output, params, macs);
        self.shape = shape;
    }

    /// A learned embedding of `classes` labels into `features` values, joined to the current
    /// (flat) shape: the dense networks' conditioning.
    pub fn label_embedding(&mut self, classes: usize, features: usize) {
        self.side_input(
            "embedding",
            format!("Embedding({classes}, {features})"),
            vec![features],
            classes * features,
            0,
        );
        self.concat("join", "label embedding", features);
    }

    /// A row of a kind no other helper describes.
    pub fn layer(
        &mut self,
        name: &str,
        kind: String,
        output: Vec<usize>,
        params: usize,
        macs: u64,
    ) {
        self.push(name, kind, output, params, macs);
    }

    /// A row that computes nothing learned: a reshape, a concatenation.
    pub fn reshape(&mut self, name: &str, kind: &str, output: Vec<usize>) {
        self.push(name, kind.to_owned(), output, 0, 0);
    }

    /// A dense layer from the current (flattened) shape to `out` features.
    pub fn linear(&mut self, name: &str, out: usize, bias: bool) {
        let input: usize = self.shape.iter().product();
        let params = input * out + if bias { out } else { 0 };
        self.push(
            name,
            format!("Linear({input}, {out})"),
            vec![out],
            params,
            (input * out) as u64,
        );
    }

    /// A convolution of the current (C, H, W) to `out` channels.
    pub fn conv(&mut self, name: &str, out: usize, kernel: usize, stride: usize, pad: usize) {
        self.conv_with_bias(name, out, kernel, stride, pad, true);
    }

    pub fn conv_with_bias(
        &mut self,
        name: &str,
        out: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
        bias: bool,
    ) {
        let (c, h, w) = self.chw();
        let oh = (h + 2 * pad - kernel) / stride + 1;
        let ow = (w + 2 * pad - kernel) / stride + 1;
        let weights = c * out * kernel * kernel;
        self.push(
            name,
            format!("Conv {kernel}x{kernel} s{stride}"),
            vec![out, oh, ow],
            weights + if bias { out } else { 0 },
            (weights * oh * ow) as u64,
        );
    }

    /// A transposed convolution of the current (C, H, W) to `out` channels.
    #[allow(clippy::too_many_arguments)]
    pub fn conv_transpose(
        &mut self,
        name: &str,
        out: usize,
        kernel: usize,
        stride: usize,
        pad: usize,
        pad_out: usize,
        bias: bool,
    ) {
        let (c, h, w) = self.chw();
        let oh = (h - 1) * stride + kernel + pad_out - 2 * pad;
        let ow = (w - 1) * stride + kernel + pad_out - 2 * pad;
        let weights = c * out * kernel * kernel;
        self.push(
            name,
            format!("ConvT {kernel}x{kernel} s{stride}"),
            vec![out, oh, ow],
            weights + if bias { out } else { 0 },
            // Every input position scatters into a kernel-sized patch of every output channel.
            (weights * h * w) as u64,
        );
    }

    /// A norm over the current shape's channels followed by `activation`. Without a norm the
    /// activation joins the previous row.
    pub fn norm(&mut self, name: &str, kind: NormKind, activation: &str) {
        let features = self.shape[0];
        let label = match kind {
            NormKind::Batch => "BatchNorm",
            NormKind::Virtual => "VirtualBN",
            NormKind::None => {
                self.activation(activation);
                return;
            }
        };
        let kind = if activation.is_empty() {
            label.to_owned()
        } else {
            format!("{label} + {activation}")
        };
        self.push(name, kind, self.shape.clone(), 2 * features, 0);
        if label == "BatchNorm"
            && let Some(last) = self.summary.layers.last_mut()
        {
            last.buffers = 2 * features;
        }
    }

    /// An activation folded into the last row's kind.
    pub fn activation(&mut self, activation: &str) {
        if let Some(last) = self.summary.layers.last_mut()
            && !activation.is_empty()
        {
            last.kind = format!("{} + {activation}", last.kind);
        }
    }

    /// Channels (or features) added by a concatenation along the first axis.
    pub fn concat(&mut self, name: &str, what: &str, extra: usize) {
        let mut output = self.shape.clone();
        output[0] += extra;
        self.push(name, format!("concatenate {what}"), output, 0, 0);
    }

    /// A (features) shape seen as (C, H, W).
    pub fn view(&mut self, shape: Vec<usize>) {
        debug_assert_eq!(
            shape.iter().product::<usize>(),
            self.shape.iter().product::<usize>()
        );
        self.shape = shape.clone();
        if let Some(last) = self.summary.layers.last_mut() {
            last.output = shape;
        }
    }

    fn chw(&self) -> (usize, usize, usize) {
        match self.shape[..] {
            [c, h, w] => (c, h, w),
            _ => panic!(
                "a convolution needs a (C, H, W) input, got {:?}",
                self.shape
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::prelude::*;

    use crate::model::{Depth, GanConfig, ModelKind, NormKind};

    /// Every family, depth and norm the studio offers: the counted parameters equal those of
    /// the modules burn builds, and the last row's shape is the shape forward returns.
    #[test]
    fn the_summary_counts_what_burn_builds() {
        let device = Device::flex();
        let mut checked = 0;
        for model in <ModelKind as clap::ValueEnum>::value_variants()
            .iter()
            .copied()
        {
            for depth in [Depth::Shallow, Depth::Medium, Depth::Deep] {
                // Projection is asked of every family; those whose D cannot project ignore it.
                for (g_norm, d_norm, bias, one_hot, projection) in [
                    (NormKind::Batch, NormKind::Batch, false, false, false),
                    (NormKind::Virtual, NormKind::None, false, true, true),
                    (NormKind::None, NormKind::Batch, true, false, true),
                ] {
                    let config = GanConfig::new(model)
                        .with_depth(depth)
                        .with_latent_dim(37)
                        .with_generator_norm(g_norm)
                        .with_discriminator_norm(d_norm)
                        .with_bias_before_norm(bias)
                        .with_one_hot_labels(one_hot)
                        .with_projection_discriminator(projection);
                    let summary = config.summary();
                    let generator = config.init_generator(&device);
                    let what = format!(
                        "{model:?} {depth:?} {g_norm:?}/{d_norm:?} bias {bias} projection \
                         {projection}"
                    );
                    // burn counts batch norm's running statistics as parameters too.
                    assert_eq!(
                        summary.generator.params() + summary.generator.buffers(),
                        generator.num_params(),
                        "G of {what}"
                    );
                    let z = Tensor::<2>::zeros([2, 37], &device);
                    let labels = model
                        .is_conditional()
                        .then(|| Tensor::<1, Int>::from_ints([1, 2], &device));
                    let images = generator.forward(&config, z, labels.clone());
                    assert_eq!(images.dims()[1..], summary.generator.output()[..], "{what}");
                    checked += 1;
                    // A family fitted in closed form has no discriminator, and shows none.
                    let Ok(discriminator) = config.init_discriminator(&device) else {
                        assert!(!model.family().adversarial(), "{what}");
                        assert!(summary.discriminator.layers.is_empty());
                        continue;
                    };
                    assert_eq!(
                        summary.discriminator.params() + summary.discriminator.buffers(),
                        discriminator.num_params(),
                        "D of {what}"
                    );
                    let logits = discriminator.forward(images, labels);
                    assert_eq!(
                        logits.dims()[1..],
                        summary.discriminator.output()[..],
                        "{what}"
                    );
                }
            }
        }
        assert_eq!(checked, 81);
    }

    #[test]
    fn counts_shapes_and_bytes_read_as_people_write_them() {
        use super::{format_bytes, format_count, format_shape};
        assert_eq!(format_count(980), "980");
        assert_eq!(format_count(149_505), "149.5 k");
        assert_eq!(format_count(2_500_000), "2.50 M");
        assert_eq!(format_shape(&[64, 7, 7]), "(64, 7, 7)");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(45 << 20), "45.0 MiB");
    }

    #[test]
    fn depth_changes_the_shapes_and_the_totals() {
        let shallow = GanConfig::new(ModelKind::Cdcgan)
            .with_depth(Depth::Shallow)
            .summary();
        let deep = GanConfig::new(ModelKind::Cdcgan)
            .with_depth(Depth::Deep)
            .summary();
        // shallow: base width 32, so the projection makes (64, 7, 7); deep: (128, 7, 7).
        let project = |s: &super::ArchitectureSummary| {
            s.generator
                .layers
                .iter()
                .find(|l| l.name == "project")
                .map(|l| l.output.clone())
        };
        assert_eq!(project(&shallow), Some(vec![64, 7, 7]));
        assert_eq!(project(&deep), Some(vec![128, 7, 7]));
        assert!(deep.generator.layers.iter().any(|l| l.name == "extra.conv"));
        assert!(
            deep.params() > 2 * shallow.params(),
            "{} vs {}",
            deep.params(),
            shallow.params()
        );
        assert!(deep.generator.macs() > shallow.generator.macs());
        // One medium step at batch 64 needs tens of megabytes, not bytes or gigabytes.
        let bytes = GanConfig::new(ModelKind::Dcgan)
            .summary()
            .training_bytes(64);
        assert!((10 << 20..1 << 30).contains(&bytes), "{bytes}");
    }
}
