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
        self.rest(self.first(images.flatten(1, 3), labels))
    }

    /// Several passes at once, each (images (B_i, k, 28, 28), labels) -> logits (B_i, 1),
    /// every pass with labels or every pass without. The first layer reads each row alone, so
    /// it runs once over all the passes' rows: one product of each kind instead of one per
    /// pass, and its weight gradient formed once instead of summed from each pass's. The
    /// layers after it run pass by pass, so each pass's batch norm sees its own batch alone.
    /// With dropout on (`--dropout`), the first layer's masks are drawn for all rows at once.
    pub fn forward_passes(
        &self,
        passes: Vec<(Tensor<4>, Option<Tensor<1, Int>>)>,
    ) -> Vec<Tensor<2>> {
        let labelled = passes.iter().filter(|(_, labels)| labels.is_some()).count();
        if passes.len() < 2 || (labelled != 0 && labelled != passes.len()) {
            return passes
                .into_iter()
                .map(|(x, l)| self.forward(x, l))
                .collect();
        }
        let rows: Vec<usize> = passes.iter().map(|(x, _)| x.dims()[0]).collect();
        let (images, labels): (Vec<_>, Vec<_>) = passes
            .into_iter()
            .map(|(x, l)| (x.flatten(1, 3), l))
            .unzip();
        let labels = (labelled > 0).then(|| Tensor::cat(labels.into_iter().flatten().collect(), 0));
        let joined = self.first(Tensor::cat(images, 0), labels); // (ΣB_i, h)
        let mut start = 0;
        rows.into_iter()
            .map(|n| {
                let x = joined.clone().slice(start..start + n); // (B_i, h)
                start += n;
                self.rest(x)
            })
            .collect()
    }

    /// flat images (B, k*784), labels -> the first hidden layer's output (B, h)
    fn first(&self, flat: Tensor<2>, labels: Option<Tensor<1, Int>>) -> Tensor<2> {
        let layer = &self.hidden[0];
        let x = match labels {
            // (B, k*784+E) -> (B, h): D's update wants the embedding's input gradient only,
            // not the pixels'
            Some(labels) => {
                crate::fused::linear_joined(layer, flat, embed_labels(&self.embedding, labels))
            }
            None => crate::fused::linear(layer, flat), // (B, h)
        };
        dropout(&self.dropout, leaky_relu(x, self.slope))
    }

    /// The first hidden layer's output (B, h) -> logits (B, 1)
    fn rest(&self, mut x: Tensor<2>) -> Tensor<2> {
        // Every hidden layer after the first has a norm.
        for (layer, norm) in self.hidden.iter().skip(1).zip(&self.norms) {
            x = crate::fused::linear(layer, x); // (B, h)
            x = dropout(&self.dropout, norm.forward_act(x, 0, self.slope));
        }
        crate::fused::linear(&self.head, x) // (B, 1)
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::DenseDiscriminator;
    use crate::fused::testing::values;
    use crate::model::{GanConfig, ModelKind};

    /// Within 1e-5 of the larger side's largest value: the passes' weight gradients are
    /// summed in another order when the first layer runs them together.
    fn close(a: Vec<f32>, b: Vec<f32>, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = b.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!((x - y).abs() <= 1e-5 * scale, "{what}[{i}]: {x} vs {y}");
        }
    }

    #[test]
    fn passes_run_together_equal_passes_run_one_by_one() {
        let device = Device::flex().autodiff();
        let config = GanConfig::new(ModelKind::Cgan);
        let d = DenseDiscriminator::new(&config, &device);
        // Three passes of different sizes and spreads: a batch norm over their rows together
        // would give other values than each pass's own.
        let passes: Vec<(Tensor<4>, Option<Tensor<1, Int>>)> = [(16, 1.0), (9, 0.3), (5, 2.0)]
            .into_iter()
            .enumerate()
            .map(|(i, (rows, spread))| {
                let images = Tensor::random(
                    [rows, 1, 28, 28],
                    Distribution::Normal(0.0, spread),
                    &device,
                );
                let labels = Tensor::<1, Int>::from_data(
                    TensorData::new(
                        (0..rows as i64).map(|r| (r + i as i64) % 10).collect(),
                        [rows],
                    ),
                    &device,
                );
                (images, Some(labels))
            })
            .collect();
        let weights: Vec<Tensor<2>> = passes
            .iter()
            .map(|(x, _)| Tensor::random([x.dims()[0], 1], Distribution::Normal(0.0, 1.0), &device))
            .collect();
        let run = |d: &DenseDiscriminator, logits: Vec<Tensor<2>>| {
            let loss = logits
                .iter()
                .zip(&weights)
                .map(|(l, w)| (l.clone() * w.clone()).sum())
                .reduce(|a, b| a + b)
                .expect("passes");
            let grads = loss.backward();
            let mut out: Vec<Vec<f32>> = logits.into_iter().map(values).collect();
            out.push(values(
                d.hidden[0]
                    .weight
                    .grad(&grads)
                    .expect("first layer's gradient"),
            ));
            out.push(values(
                d.embedding
                    .weight
                    .grad(&grads)
                    .expect("embedding's gradient"),
            ));
            out.push(values(
                d.hidden[1]
                    .weight
                    .grad(&grads)
                    .expect("second layer's gradient"),
            ));
            out
        };
        // Two copies that share nothing: a clone would share the running statistics.
        let copy =
            || DenseDiscriminator::new(&config, &device).load_record(d.clone().into_record());
        let (together, apart) = (copy(), copy());
        let joint = run(&together, together.forward_passes(passes.clone()));
        let alone = run(
            &apart,
            passes
                .into_iter()
                .map(|(x, l)| apart.forward(x, l))
                .collect(),
        );
        let parts = [
            "logits 1",
            "logits 2",
            "logits 3",
            "hidden.0",
            "embedding",
            "hidden.1",
        ];
        for ((a, b), what) in joint.into_iter().zip(alone).zip(parts) {
            close(a, b, what);
        }
        // Each pass's batch norm updated the running statistics, in the same order.
        let running = |d: &DenseDiscriminator| {
            let norm = d.norms[0].batch.as_ref().expect("a batch norm");
            values(norm.running_mean.value())
                .into_iter()
                .chain(values(norm.running_var.value()))
        };
        close(
            running(&together).collect(),
            running(&apart).collect(),
            "running statistics",
        );
    }
}
