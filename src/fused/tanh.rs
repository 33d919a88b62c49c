//! tanh for burn's flex CPU backend: one parallel pass forward, and a backward that reads the
//! saved output (1 - y²) instead of computing tanh again.
//!
//! Written by hand because flex runs element-wise ops on one core below 4M elements (every
//! generator's output is far below), and burn's autodiff recomputes tanh from the input in the
//! backward pass: `perf` put libm's tanhf at ~3% of a cDCGAN training step, all of it on one
//! core while the other waited (BENCHMARKS.md, "CPU use"). The forward is a rational
//! approximation, not libm's `tanhf`: see [`tanh`].

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};

use super::{FlexTensor, contiguous, slice, tensor};

/// Values per parallel task: [`tanh`] costs ~1.7 ns a value, so 16,384 are ~28 µs of work a task.
const CHUNK: usize = 1 << 14;

#[backend_extension(Flex, Autodiff)]
pub trait FusedTanh: Backend {
    /// tanh of every value.
    fn tanh_fused(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// The forward on plain slices.
pub fn forward(x: &[f32]) -> Vec<f32> {
    super::map(x, CHUNK, tanh)
}

/// Past this |x| tanh rounds to ±1 in f32, and the rational form below is fitted up to it.
const SATURATION: f32 = 7.905_311;

/// Below this |x| tanh(x) rounds to x.
const LINEAR: f32 = 4e-4;

/// tanh as the ratio of an odd degree-13 and an even degree-6 polynomial (Eigen's
/// `ptanh_float`, which TensorFlow and XLA use on CPUs). libm's `tanhf` is a call per value
/// with branches that does not vectorise: `perf` found it at ~20 ns a value, 1.2 ms of CPU in
/// a 7 ms dense CGAN step (64 x 784 outputs) and more for colour generators. This form has no
/// branch, so the loop over a slice vectorises: 1.7 ns a value on one core
/// (`examples/fused_ops`). Against f64 tanh over 2.4 M values in [-10, 10] it is at most 7
/// ulps (3.9e-7 relative) from the true value, where libm is within 1-2; the fused-op tests
/// hold it to burn's within 1e-6 relative.
#[inline]
pub fn tanh(x: f32) -> f32 {
    const ALPHA: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const BETA: [f32; 4] = [
        4.893_525_2e-3,
        2.268_434_6e-3,
        1.185_347_1e-4,
        1.198_258_4e-6,
    ];
    let c = x.clamp(-SATURATION, SATURATION);
    let c2 = c * c;
    let mut p = ALPHA[6];
    for &a in ALPHA[..6].iter().rev() {
        p = p * c2 + a;
    }
    let mut q = BETA[3];
    for &b in BETA[..3].iter().rev() {
        q = q * c2 + b;
    }
    let ratio = c * p / q;
    // A select, not a branch; NaN falls through to the ratio, which stays NaN.
    if x.abs() < LINEAR { x } else { ratio }
}

/// The input's gradient from the output `y`: `grad * (1 - y²)`, the products burn's backward
/// forms (`grad * (-(y²) + 1)`), so the same values.
pub fn backward(y: &[f32], grad: &[f32]) -> Vec<f32> {
    super::map2(y, grad, CHUNK, |v, g| g * (-(v * v) + 1.0))
}

impl FusedTanh for Flex {
    fn tanh_fused(x: FlexTensor) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let x = contiguous(&x);
        tensor(forward(slice(&x)), shape)
    }
}

#[derive(Debug)]
struct TanhBackward;

impl Backward<Flex, 1> for TanhBackward {
    /// The output.
    type State = FlexTensor;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let y = ops.state;
        if let Some(node) = parent {
            let shape = y.layout().shape().to_vec();
            let dx = backward(slice(&y), slice(&grad));
            grads.register::<Flex>(node.id, tensor(dx, shape));
        }
    }
}

impl<C: CheckpointStrategy> FusedTanh for Autodiff<Flex, C> {
    fn tanh_fused(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let prepared = TanhBackward
            .prepare::<C>([x.node()])
            // Saved, not recomputed: burn's checkpointing is off here.
            .compute_bound()
            .stateful();
        let output = Flex::tanh_fused(x.primitive().clone());
        match prepared {
            OpsKind::Tracked(prep) => prep.finish(output.clone(), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::tanh;
    use crate::fused::fused_tanh;
    use crate::fused::testing::values;

    /// The values the accuracy test checks: a dense grid over both tails and a log grid from
    /// 1e-8 to 10 of both signs, where a relative error shows most.
    fn grid() -> Vec<f32> {
        let even = (0..=400_000).map(|i| -10.0 + i as f64 * 5e-5);
        let log = (0..=160_000).map(|i| 10f64.powf(-8.0 + i as f64 * 9.0 / 160_000.0));
        even.chain(log.clone())
            .chain(log.map(|v| -v))
            .map(|v| v as f32)
            .collect()
    }

    #[test]
    fn tanh_is_within_half_a_millionth_of_the_true_value_and_never_leaves_minus_one_to_one() {
        let mut worst = 0f64;
        for x in grid() {
            let (y, truth) = (tanh(x), f64::from(x).tanh());
            assert!(y.abs() <= 1.0, "tanh({x}) = {y}");
            assert_eq!(tanh(-x), -y, "tanh is odd at {x}");
            worst = worst.max((f64::from(y) - truth).abs() / truth.abs().max(1e-30));
        }
        // Measured 3.9e-7 (7 ulps near |x| = 5.8); libm's tanhf is within ~1.2e-7.
        assert!(worst < 5e-7, "worst relative error {worst:e}");
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(1e-30), 1e-30);
        assert_eq!((tanh(f32::INFINITY), tanh(f32::NEG_INFINITY)), (1.0, -1.0));
        assert_eq!((tanh(20.0), tanh(-9.0)), (1.0, -1.0));
        assert!(tanh(f32::NAN).is_nan());
    }

    /// |a - b| <= tolerance * (|b| + floor) for every pair.
    fn close(a: &[f32], b: &[f32], tolerance: f32, floor: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for i in 0..a.len() {
            let bound = tolerance * (b[i].abs() + floor[i].abs());
            assert!(
                (a[i] - b[i]).abs() <= bound,
                "{what}[{i}]: fused {} vs burn {}",
                a[i],
                b[i]
            );
        }
    }

    #[test]
    fn fused_tanh_is_within_a_millionth_of_burns_forward_and_gradient() {
        let device = Device::flex().autodiff();
        // A generator's output, an odd shape, a single value; values far into both tails.
        for shape in [[64, 1, 28, 28], [3, 5, 7, 9], [1, 1, 1, 1]] {
            let what = format!("{shape:?}");
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 3.0), &device);
            let w = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            let (x1, x2) = (x.clone().detach().require_grad(), x.detach().require_grad());
            let (y1, y2) = (
                fused_tanh(x1.clone()),
                burn::tensor::activation::tanh(x2.clone()),
            );
            let zeros = vec![0.0; shape.iter().product()];
            let (v1, v2) = (values(y1.clone()), values(y2.clone()));
            close(&v1, &v2, 1e-6, &zeros, &format!("{what} output"));
            let g1 = (y1 * w.clone()).sum().backward();
            let g2 = (y2 * w.clone()).sum().backward();
            // The gradient w (1 - y²) moves by ~2 |w| |y| times y's error, which is absolute
            // near saturation, so the bound counts |w| as well as the gradient itself.
            close(
                &values(x1.grad(&g1).expect("grad")),
                &values(x2.grad(&g2).expect("grad")),
                1e-6,
                &values(w.inner()),
                &format!("{what} gradient"),
            );
        }
    }

    #[test]
    fn fused_tanh_of_a_non_contiguous_input_equals_the_same_values_made_contiguous() {
        let device = Device::flex();
        let x = Tensor::<2>::random([37, 23], Distribution::Normal(0.0, 2.0), &device);
        let t = x.transpose(); // (23, 37), strided
        let expected: Vec<f32> = values(t.clone()).into_iter().map(tanh).collect();
        assert_eq!(values(fused_tanh(t)), expected);
    }
}
