//! Adam's update for burn's flex CPU backend: both moments and the parameter in one parallel
//! pass per parameter, the moments updated in place.
//!
//! Written by hand because burn's Adam is about ten element-wise ops per parameter, each a
//! pass over memory, and flex runs element-wise ops on one core below 4M elements, which
//! every parameter here is: InfoGAN's two 3.2M-weight dense layers spent ~20 ms a step in
//! each network's Adam (`bench --model infogan --depth shallow --phases`, 100% CPU). burn
//! offers no fused optimizer step. [`FusedAdam`] keeps burn's [`AdamState`], so checkpoints
//! read the same with either, and runs burn's Adam off flex or with the switch off.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, ExtensionType, Flex, backend_extension};
use burn::optim::{
    Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::prelude::*;
use rayon::prelude::*;

use super::{FlexTensor, contiguous, enabled, on_flex, owned, slice, tensor};

/// Values per parallel task: large enough that scheduling is noise.
const CHUNK: usize = 1 << 14;

/// What one update returns: the new parameter and both moments.
#[derive(ExtensionType)]
pub struct AdamUpdate<B: Backend> {
    pub param: FloatTensor<B>,
    pub moment_1: FloatTensor<B>,
    pub moment_2: FloatTensor<B>,
}

/// The step's scalars, as burn's Adam works them out for step `time` (1 for the first).
#[derive(Clone, Copy, Debug)]
pub struct AdamScalars {
    pub lr: f32,
    pub beta_1: f32,
    pub beta_2: f32,
    /// sqrt(1 - beta_2^t) / (1 - beta_1^t)
    pub combined: f32,
    /// epsilon * sqrt(1 - beta_2^t)
    pub epsilon: f32,
}

impl AdamScalars {
    pub fn new(lr: LearningRate, beta_1: f32, beta_2: f32, epsilon: f32, time: usize) -> Self {
        let time = time as i32;
        let correction_2 = (1.0 - beta_2.powi(time)).sqrt();
        Self {
            lr: lr as f32,
            beta_1,
            beta_2,
            combined: correction_2 / (1.0 - beta_1.powi(time)),
            epsilon: epsilon * correction_2,
        }
    }
}

#[backend_extension(Flex)]
pub trait FusedAdamOps: Backend {
    /// m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; p <- p - lr (m c) / (sqrt(v) + e),
    /// with c and e the bias corrections folded in ([`AdamScalars`]).
    #[allow(clippy::too_many_arguments)]
    fn adam_update(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        lr: f64,
        beta_1: f64,
        beta_2: f64,
        combined: f64,
        epsilon: f64,
    ) -> AdamUpdate<Self>;
}

/// The update on plain slices: the moments in place, the new parameter returned. The same
/// products in the same order as burn's Adam, so the results are bit for bit burn's (tested;
/// InfoGAN's seed-42 run gave the same figures to the last digit).
pub fn update(
    param: &[f32],
    grad: &[f32],
    moment_1: &mut [f32],
    moment_2: &mut [f32],
    s: AdamScalars,
) -> Vec<f32> {
    let n = param.len();
    // The unsafe `set_len` below relies on every slice covering the same n values.
    assert!(
        grad.len() == n && moment_1.len() == n && moment_2.len() == n,
        "Adam's parameter, gradient and moments differ in size"
    );
    let (keep_1, keep_2) = (1.0 - s.beta_1, 1.0 - s.beta_2);
    let mut out: Vec<f32> = Vec::with_capacity(n);
    // Written straight into the new buffer's spare capacity: clearing it first would be one
    // more pass over megabytes.
    out.spare_capacity_mut()[..n]
        .par_chunks_mut(CHUNK)
        .zip(moment_1.par_chunks_mut(CHUNK))
        .zip(moment_2.par_chunks_mut(CHUNK))
        .zip(grad.par_chunks(CHUNK).zip(param.par_chunks(CHUNK)))
        .for_each(|(((out, m), v), (g, p))| {
            // Plain zipped slices, so the loop vectorises.
            for ((((o, m), v), &g), &p) in out.iter_mut().zip(m).zip(v).zip(g).zip(p) {
                *m = *m * s.beta_1 + g * keep_1;
                *v = *v * s.beta_2 + g * g * keep_2;
                o.write(p - (*m * s.combined) / (v.sqrt() + s.epsilon) * s.lr);
            }
        });
    // SAFETY: the chunks above cover 0..n and the loop wrote each of those values once.
    unsafe { out.set_len(n) };
    out
}

impl FusedAdamOps for Flex {
    fn adam_update(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        lr: f64,
        beta_1: f64,
        beta_2: f64,
        combined: f64,
        epsilon: f64,
    ) -> AdamUpdate<Flex> {
        let shape = param.layout().shape().to_vec();
        let (param, grad) = (contiguous(&param), contiguous(&grad));
        let (mut moment_1, mut moment_2) = (owned(moment_1), owned(moment_2));

        let scalars = AdamScalars {
            lr: lr as f32,
            beta_1: beta_1 as f32,
            beta_2: beta_2 as f32,
            combined: combined as f32,
            epsilon: epsilon as f32,
        };
        // Copy-on-write: in place when the moments are this step's alone, as they are after
        // the optimiser hands its state over.
        let updated = update(
            slice(&param),
            slice(&grad),
            moment_1.storage_mut::<f32>(),
            moment_2.storage_mut::<f32>(),
            scalars,
        );
        AdamUpdate {
            param: tensor(updated, shape),
            moment_1,
            moment_2,
        }
    }
}

/// Adam (no weight decay, no AMSGrad: what training here uses) whose step is [`update`] on
/// flex and burn's own Adam elsewhere. Its state is burn's [`AdamState`].
#[derive(Clone)]
pub struct FusedAdam {
    reference: Adam,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
}

impl FusedAdam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32) -> Self {
        Self {
            reference: AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .build(),
            beta_1,
            beta_2,
            epsilon,
        }
    }
}

/// The optimiser the trainers use: [`FusedAdam`] over a whole module.
pub fn module_adam(beta_1: f32, beta_2: f32, epsilon: f32) -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdam::new(beta_1, beta_2, epsilon))
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        if !(enabled() && on_flex(&tensor.device())) {
            return self.reference.step(lr, tensor, grad, state);
        }
        // Zero moments make the first step burn's exactly: b * 0 + (1 - b) g = (1 - b) g.
        let (time, moment_1, moment_2) = match state {
            Some(AdamState { momentum }) => (momentum.time, momentum.moment_1, momentum.moment_2),
            None => (0, grad.zeros_like(), grad.zeros_like()),
        };
        let time = time + 1;
        let s = AdamScalars::new(lr, self.beta_1, self.beta_2, self.epsilon, time);
        let out = <burn::backend::Dispatch as FusedAdamOps>::adam_update(
            tensor.into_dispatch(),
            grad.into_dispatch(),
            moment_1.into_dispatch(),
            moment_2.into_dispatch(),
            f64::from(s.lr),
            f64::from(s.beta_1),
            f64::from(s.beta_2),
            f64::from(s.combined),
            f64::from(s.epsilon),
        );
        let momentum = AdaptiveMomentumState::new(
            time,
            Tensor::from_dispatch(out.moment_1),
            Tensor::from_dispatch(out.moment_2),
        );
        (
            Tensor::from_dispatch(out.param),
            Some(AdamState::new(momentum)),
        )
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        Adam::to_device(state, device)
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use burn::prelude::*;

    use super::module_adam;

    fn weights(linear: &Linear) -> Vec<f32> {
        let mut values = linear
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32 weights");
        if let Some(bias) = &linear.bias {
            values.extend(bias.val().into_data().try_to_vec::<f32>().expect("f32"));
        }
        values
    }

    /// Values that differ per position and per step, without an RNG.
    fn wave(shape: [usize; 2], step: usize, phase: f32) -> Tensor<2> {
        let n = shape[0] * shape[1];
        let values: Vec<f32> = (0..n)
            .map(|i| (i as f32 * phase + step as f32).sin())
            .collect();
        Tensor::from_data(TensorData::new(values, shape), &Device::flex().autodiff())
    }

    /// `steps` Adam steps of `optim` on `linear` for the loss sum(linear(x) * w), x and w
    /// changing each step, the rate alternating.
    fn train(mut linear: Linear, mut optim: ModuleOptimizer, steps: usize) -> Linear {
        for step in 0..steps {
            let (x, w) = (wave([5, 301], step, 0.37), wave([5, 129], step, 0.11));
            let loss = (linear.forward(x) * w).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &linear);
            linear = optim.step(if step % 2 == 0 { 2e-3 } else { 1e-3 }, linear, grads);
        }
        linear
    }

    /// Bit for bit: the fused update computes the same products in the same order.
    fn same(fused: &[f32], burn: &[f32], what: &str) {
        assert_eq!(fused.len(), burn.len());
        if let Some(i) = (0..fused.len()).find(|&i| fused[i] != burn[i]) {
            panic!("{what}[{i}]: fused {} vs burn {}", fused[i], burn[i]);
        }
    }

    #[test]
    fn fused_adam_moves_weights_as_burns_adam_does() {
        let device = Device::flex().autodiff();
        // 301 x 129 weights (three parallel chunks and a part) and 129 biases.
        let linear = LinearConfig::new(301, 129).init(&device);
        let burn = AdamConfig::new()
            .with_beta_1(0.5)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .init();
        let before = weights(&linear);
        let fused = weights(&train(linear.clone(), module_adam(0.5, 0.999, 1e-8), 4));
        let reference = weights(&train(linear, burn, 4));
        same(&fused, &reference, "after 4 steps");
        // And the weights did move (Adam's first steps move each by about the rate).
        let moved = fused.iter().zip(&before).filter(|(a, b)| a != b).count();
        assert!(
            moved > fused.len() * 9 / 10,
            "{moved} of {} moved",
            fused.len()
        );
    }

    #[test]
    fn fused_adam_state_is_burns_so_checkpoints_cross_over() {
        let device = Device::flex().autodiff();
        let linear = LinearConfig::new(301, 129).init(&device);
        let burn = || AdamConfig::new().with_beta_1(0.5).with_epsilon(1e-8).init();
        let mut fused = module_adam(0.5, 0.999, 1e-8);
        let half = {
            let x = Tensor::<2>::ones([2, 301], &device);
            let loss = linear.forward(x).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &linear);
            fused.step(1e-3, linear.clone(), grads)
        };
        // The fused optimiser's state, saved and read back by burn's Adam (and the other way),
        // continues the same run.
        let bytes = fused.into_bytes().expect("serialise");
        let by_burn = burn()
            .from_bytes(bytes.clone())
            .expect("burn's Adam reads it");
        let by_fused = module_adam(0.5, 0.999, 1e-8)
            .from_bytes(by_burn.into_bytes().expect("serialise"))
            .expect("the fused Adam reads burn's");
        let a = weights(&train(
            half.clone(),
            burn().from_bytes(bytes).expect("read"),
            3,
        ));
        let b = weights(&train(half, by_fused, 3));
        same(&b, &a, "resumed");
    }

    #[test]
    fn a_shared_moment_is_copied_not_changed() {
        // The update writes the moments in place only when they are its own.
        let shared = Tensor::<1>::from_floats([1.0f32, 2.0, 3.0], &Device::flex());
        let kept = shared.clone();
        let linear_like = Tensor::<1>::from_floats([0.5f32, 0.5, 0.5], &Device::flex());
        let grad = Tensor::<1>::from_floats([1.0f32, -1.0, 0.0], &Device::flex());
        let out = <burn::backend::Dispatch as super::FusedAdamOps>::adam_update(
            linear_like.into_dispatch(),
            grad.into_dispatch(),
            shared.into_dispatch(),
            Tensor::<1>::ones([3], &Device::flex()).into_dispatch(),
            1e-3,
            0.5,
            0.999,
            1.0,
            1e-8,
        );
        let m: Vec<f32> = Tensor::<1>::from_dispatch(out.moment_1)
            .into_data()
            .try_to_vec()
            .expect("f32");
        assert_eq!(m, [1.0, 0.5, 1.5]);
        let untouched: Vec<f32> = kept.into_data().try_to_vec().expect("f32");
        assert_eq!(untouched, [1.0, 2.0, 3.0]);
    }
}
