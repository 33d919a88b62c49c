//! Building blocks shared by the generators and discriminators.

use std::cell::RefCell;

use burn::module::Param;
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, Embedding, EmbeddingConfig, Linear, LinearConfig,
};
use burn::prelude::*;
use burn::tensor::TensorData;
use burn::tensor::activation::relu;
use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, RngCore, SeedableRng};
use rayon::prelude::*;

use super::config::NormKind;

/// Leaky ReLU written as `slope * x + (1 - slope) * relu(x)`: the same values as burn's
/// `leaky_relu`, but its backward pass is a single relu mask instead of compare + mul +
/// mask_where, which measured ~3x faster per step on the flex backend (PLATFORM.md).
/// On flex it is one fused op instead (`crate::fused::leaky_relu`).
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    if crate::fused::enabled() && crate::fused::on_flex(&x.device()) {
        return crate::fused::fused_leaky_relu(x, slope);
    }
    x.clone().mul_scalar(slope) + relu(x).mul_scalar(1.0 - slope)
}

/// tanh (the generators' output): on flex one fused op (`crate::fused::tanh`), whose backward
/// reads the saved output instead of computing tanh again.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if crate::fused::enabled() && crate::fused::on_flex(&x.device()) {
        return crate::fused::fused_tanh(x);
    }
    burn::tensor::activation::tanh(x)
}

/// Values per dropout-mask chunk: one generator each.
const DROPOUT_CHUNK: usize = 1 << 16;

thread_local! {
    /// Where [`dropout`] draws its masks: one generator per thread, seeded by [`seed_dropout`].
    static DROPOUT_RNG: RefCell<StdRng> = RefCell::new(StdRng::seed_from_u64(0));
}

/// Seeds this thread's dropout masks (the trainer does so at every step from the run's seed
/// and the step number).
pub fn seed_dropout(seed: u64) {
    DROPOUT_RNG.with(|rng| *rng.borrow_mut() = StdRng::seed_from_u64(seed));
}

/// `layer`'s dropout with masks from this thread's generator. burn's own `Dropout::forward`
/// draws from the backend's single global generator, which every thread shares, so a run's
/// masks (and a resumed run's agreement with an uninterrupted one) would depend on whatever
/// else computes at the same time. Same semantics: active only on an autodiff device while the
/// layer trains; kept values are scaled by 1 / (1 - p).
pub fn dropout<const D: usize>(layer: &Dropout, x: Tensor<D>) -> Tensor<D> {
    if !layer.training.is_enabled() || !x.device().is_autodiff() || layer.prob == 0.0 {
        return x;
    }
    let keep = 1.0 - layer.prob;
    let scale = (1.0 / keep) as f32;
    let dims = x.dims();
    let n: usize = dims.iter().product();
    // One seed from this thread's generator, then chunks drawn in parallel by a fast generator
    // each (seeded by the chunk's index): the same mask for the same seed on any core count.
    // Drawn one by one from StdRng the masks cost ~8 ms per (64, 64, 14, 14) layer, a tenth of
    // the TF-tutorial DCGAN's step.
    let seed: u64 = DROPOUT_RNG.with(|rng| rng.borrow_mut().random());
    let threshold = (keep * 4_294_967_296.0) as u64;
    let mut mask = vec![0.0f32; n];
    mask.par_chunks_mut(DROPOUT_CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| {
            let mut rng = SmallRng::seed_from_u64(seed.wrapping_add(chunk as u64));
            for v in values {
                *v = if u64::from(rng.next_u32()) < threshold {
                    scale
                } else {
                    0.0
                };
            }
        });
    let device = x.device();
    x * Tensor::from_data(TensorData::new(mask, dims), &device)
}

/// Virtual batch normalisation (Salimans et al. 2016): the reference batch is normalised with
/// its own statistics, and every other example with the statistics of the reference batch plus
/// itself, so an output no longer depends on the other examples of its batch. The reference
/// rows travel at the front of every batch.
#[derive(Module, Debug)]
pub struct VirtualBatchNorm {
    pub gamma: Param<Tensor<1>>,
    pub beta: Param<Tensor<1>>,
    pub epsilon: f64,
}

impl VirtualBatchNorm {
    pub fn new(features: usize, device: &Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::ones([features], device)),
            beta: Param::from_tensor(Tensor::zeros([features], device)),
            epsilon: 1e-5,
        }
    }

    /// `x`: (N, C, ...) whose first `reference_rows` rows are the reference batch.
    pub fn forward<const D: usize>(&self, x: Tensor<D>, reference_rows: usize) -> Tensor<D> {
        let dims = x.dims();
        let (n, c) = (dims[0], dims[1]);
        let spatial: usize = dims[2..].iter().product();
        let r = reference_rows.max(1).min(n);
        // (N, C, S): statistics are per channel over the spatial positions.
        let flat: Tensor<3> = x.reshape([n, c, spatial]);
        let reference = flat.clone().narrow(0, 0, r);
        let ref_mean = reference.clone().mean_dims(&[0, 2]); // (1, C, 1)
        let ref_sq = reference.square().mean_dims(&[0, 2]); // (1, C, 1)
        let mut mean = ref_mean.clone().repeat_dim(0, r); // (r, C, 1)
        let mut sq = ref_sq.clone().repeat_dim(0, r); // (r, C, 1)
        if n > r {
            // Each later example joins the reference with weight 1 / (r + 1).
            let own = flat.clone().narrow(0, r, n - r);
            let own_mean = own.clone().mean_dim(2); // (N-r, C, 1)
            let own_sq = own.square().mean_dim(2); // (N-r, C, 1)
            let w_ref = r as f64 / (r as f64 + 1.0);
            let w_own = 1.0 / (r as f64 + 1.0);
            mean = Tensor::cat(
                vec![
                    mean,
                    ref_mean.mul_scalar(w_ref) + own_mean.mul_scalar(w_own),
                ],
                0,
            ); // (N, C, 1)
            sq = Tensor::cat(
                vec![sq, ref_sq.mul_scalar(w_ref) + own_sq.mul_scalar(w_own)],
                0,
            ); // (N, C, 1)
        }
        let var = (sq - mean.clone().square()).clamp_min(0.0);
        let normed = (flat - mean) / var.add_scalar(self.epsilon).sqrt();
        let gamma = self.gamma.val().reshape([1, c, 1]);
        let beta = self.beta.val().reshape([1, c, 1]);
        (normed * gamma + beta).reshape(dims)
    }
}

/// A normalisation layer chosen by configuration: batch norm, virtual batch norm or none.
#[derive(Module, Debug)]
pub struct Norm {
    pub batch: Option<BatchNorm>,
    pub virtual_batch: Option<VirtualBatchNorm>,
}

impl Norm {
    pub fn new(kind: NormKind, features: usize, device: &Device) -> Self {
        Self {
            batch: (kind == NormKind::Batch).then(|| BatchNormConfig::new(features).init(device)),
            virtual_batch: (kind == NormKind::Virtual)
                .then(|| VirtualBatchNorm::new(features, device)),
        }
    }

    /// `reference_rows` is only read by virtual batch norm.
    pub fn forward<const D: usize>(&self, x: Tensor<D>, reference_rows: usize) -> Tensor<D> {
        if let Some(batch) = &self.batch {
            batch.forward(x)
        } else if let Some(virtual_batch) = &self.virtual_batch {
            virtual_batch.forward(x, reference_rows)
        } else {
            x
        }
    }

    /// `act(norm(x))`, ReLU for `slope` 0 and leaky ReLU otherwise; a batch norm is fused with
    /// its activation while training on the CPU (see `crate::fused`).
    pub fn forward_act<const D: usize>(
        &self,
        x: Tensor<D>,
        reference_rows: usize,
        slope: f64,
    ) -> Tensor<D> {
        match &self.batch {
            Some(batch) => crate::fused::batch_norm_act(batch, x, slope),
            None => crate::fused::activation(self.forward(x, reference_rows), slope),
        }
    }
}

/// A class label as a learned feature map: Embedding(classes, E) then Linear(E -> H*W), the
/// conditioning used by the coursework's conditional DCGANs.
#[derive(Module, Debug)]
pub struct LabelMap {
    pub embedding: Embedding,
    pub project: Linear,
    pub height: usize,
    pub width: usize,
}

impl LabelMap {
    pub fn new(classes: usize, embed: usize, height: usize, width: usize, device: &Device) -> Self {
        Self {
            embedding: EmbeddingConfig::new(classes, embed).init(device),
            project: LinearConfig::new(embed, height * width).init(device),
            height,
            width,
        }
    }

    /// labels (B) -> (B, 1, H, W)
    pub fn forward(&self, labels: Tensor<1, Int>) -> Tensor<4> {
        self.forward_condition(Condition::Labels(labels))
    }

    /// condition of B rows -> (B, 1, H, W)
    pub fn forward_condition(&self, condition: Condition) -> Tensor<4> {
        let b = condition.rows();
        let embedded = condition.embed(&self.embedding); // (B, E)
        crate::fused::linear(&self.project, embedded) // (B, H*W)
            .reshape([b, 1, self.height, self.width])
    }
}

/// What a conditional generator is conditioned on: class labels, or a blend of two classes'
/// label embeddings (the explorer's interpolation between labels).
#[derive(Clone, Debug)]
// One value per forward pass: boxing the larger variant would save nothing that matters.
#[allow(clippy::large_enum_variant)]
pub enum Condition {
    Labels(Tensor<1, Int>),
    /// (1 - t) * embed(from) + t * embed(to); from, to (B), t (B, 1)
    Blend {
        from: Tensor<1, Int>,
        to: Tensor<1, Int>,
        t: Tensor<2>,
    },
}

impl Condition {
    pub fn rows(&self) -> usize {
        match self {
            Condition::Labels(labels) | Condition::Blend { from: labels, .. } => labels.dims()[0],
        }
    }

    /// -> (B, classes): one-hot rows, or the blend of two one-hot rows.
    pub fn one_hot(self, classes: usize) -> Tensor<2> {
        let hot = |labels: Tensor<1, Int>| labels.one_hot::<2>(classes).float();
        match self {
            Condition::Labels(labels) => hot(labels),
            Condition::Blend { from, to, t } => {
                let a = hot(from);
                a.clone() + (hot(to) - a) * t
            }
        }
    }

    /// -> (B, E)
    pub fn embed(self, embedding: &Embedding) -> Tensor<2> {
        match self {
            Condition::Labels(labels) => embed_labels(embedding, labels),
            Condition::Blend { from, to, t } => {
                let a = embed_labels(embedding, from);
                let b = embed_labels(embedding, to);
                a.clone() + (b - a) * t
            }
        }
    }

    /// The same condition with `labels` rows in front (virtual batch norm's reference rows).
    pub fn prepend(self, labels: Tensor<1, Int>) -> Self {
        match self {
            Condition::Labels(rows) => Condition::Labels(Tensor::cat(vec![labels, rows], 0)),
            Condition::Blend { from, to, t } => {
                let [n] = labels.dims();
                let device = t.device();
                Condition::Blend {
                    from: Tensor::cat(vec![labels.clone(), from], 0),
                    to: Tensor::cat(vec![labels, to], 0),
                    t: Tensor::cat(vec![Tensor::zeros([n, 1], &device), t], 0),
                }
            }
        }
    }
}

/// labels (B) -> (B, E)
pub fn embed_labels(embedding: &Embedding, labels: Tensor<1, Int>) -> Tensor<2> {
    let [b] = labels.dims();
    let [_, e] = embedding.weight.dims();
    embedding.forward(labels.reshape([b, 1])).reshape([b, e])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::DropoutConfig;
    use burn::tensor::Distribution;

    #[test]
    fn dropout_masks_follow_the_threads_seed_and_keep_the_expected_share() {
        let device = Device::flex().autodiff();
        let layer = DropoutConfig::new(0.25).init();
        let x = || Tensor::<2>::ones([100, 100], &device);
        let read = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
        seed_dropout(9);
        let a = read(dropout(&layer, x()));
        // Other threads drawing at the same time change nothing here.
        std::thread::spawn(|| {
            seed_dropout(1);
            let device = Device::flex().autodiff();
            dropout(
                &DropoutConfig::new(0.5).init(),
                Tensor::<2>::ones([50, 50], &device),
            );
        })
        .join()
        .unwrap();
        seed_dropout(9);
        let b = read(dropout(&layer, x()));
        assert_eq!(a, b);
        let kept = a.iter().filter(|&&v| v > 0.0).count() as f32 / a.len() as f32;
        assert!((kept - 0.75).abs() < 0.03, "{kept}");
        assert!(a.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
        // Outside training (no autodiff) it is the identity.
        let plain = Tensor::<2>::ones([10, 10], &Device::flex());
        assert!(read(dropout(&layer, plain)).iter().all(|&v| v == 1.0));
    }

    fn values(t: Tensor<3>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn virtual_batch_norm_normalises_the_reference_by_itself_and_others_by_reference_plus_self() {
        let device = Device::flex();
        device.seed(1);
        let (r, n, c, s) = (4, 7, 3, 5);
        let x = Tensor::<3>::random([n, c, s], Distribution::Normal(2.0, 3.0), &device);
        let vbn = VirtualBatchNorm::new(c, &device);
        let out = values(vbn.forward(x.clone(), r));
        let input = values(x.clone());
        let at = |v: &[f32], i: usize, ch: usize, k: usize| v[(i * c + ch) * s + k];
        for ch in 0..c {
            // The reference rows: mean 0 and variance 1 over (rows, positions), as batch norm.
            let reference: Vec<f32> = (0..r)
                .flat_map(|i| (0..s).map(move |k| (i, k)))
                .map(|(i, k)| at(&out, i, ch, k))
                .collect();
            let m = reference.iter().sum::<f32>() / reference.len() as f32;
            let v = reference.iter().map(|y| (y - m).powi(2)).sum::<f32>() / reference.len() as f32;
            assert!(
                m.abs() < 1e-4 && (v - 1.0).abs() < 1e-3,
                "channel {ch}: {m} {v}"
            );
            // A later row: statistics of the reference (weight r/(r+1)) and itself (1/(r+1)).
            let i = r + 1;
            let stats = |rows: &[usize]| {
                let all: Vec<f32> = rows
                    .iter()
                    .flat_map(|&j| (0..s).map(move |k| (j, k)))
                    .map(|(j, k)| at(&input, j, ch, k))
                    .collect();
                let mean = all.iter().sum::<f32>() / all.len() as f32;
                let sq = all.iter().map(|y| y * y).sum::<f32>() / all.len() as f32;
                (mean, sq)
            };
            let (rm, rs) = stats(&(0..r).collect::<Vec<_>>());
            let (om, os) = stats(&[i]);
            let w = r as f32 / (r as f32 + 1.0);
            let mean = w * rm + (1.0 - w) * om;
            let var = w * rs + (1.0 - w) * os - mean * mean;
            for k in 0..s {
                let expected = (at(&input, i, ch, k) - mean) / (var + 1e-5).sqrt();
                assert!((at(&out, i, ch, k) - expected).abs() < 1e-3);
            }
        }
        // A later row does not depend on the other later rows.
        let mut changed = values(x.clone());
        for v in &mut changed[(r + 2) * c * s..] {
            *v += 10.0;
        }
        let changed = Tensor::<3>::from_data(TensorData::new(changed, [n, c, s]), &device);
        let again = values(vbn.forward(changed, r));
        assert_eq!(out[..(r + 2) * c * s], again[..(r + 2) * c * s]);
    }
}
