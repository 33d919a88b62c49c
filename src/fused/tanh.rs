//! tanh for burn's flex CPU backend: one parallel pass forward, and a backward that reads the
//! saved output (1 - y²) instead of computing tanh again.
//!
//! Written by hand because flex runs element-wise ops on one core below 4M elements (every
//! generator's output is far below), and burn's autodiff recomputes tanh from the input in the
//! backward pass: `perf` put libm's tanhf at ~3% of a cDCGAN training step, all of it on one
//! core while the other waited (BENCHMARKS.md, "CPU use").

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};

use super::{FlexTensor, contiguous, slice, tensor};

/// Values per parallel task: tanh costs ~20 ns a value, so 4,096 is ~80 µs of work a task.
const CHUNK: usize = 1 << 12;

#[backend_extension(Flex, Autodiff)]
pub trait FusedTanh: Backend {
    /// tanh of every value.
    fn tanh_fused(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// The forward on plain slices: the same `f32::tanh` flex calls, so the same values.
pub fn forward(x: &[f32]) -> Vec<f32> {
    super::map(x, CHUNK, f32::tanh)
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

    use crate::fused::fused_tanh;
    use crate::fused::testing::{same, same_forward_and_gradient, values};

    #[test]
    fn fused_tanh_equals_burns_forward_and_gradient() {
        let device = Device::flex().autodiff();
        // A generator's output, an odd shape, a single value; values far into both tails.
        for shape in [[64, 1, 28, 28], [3, 5, 7, 9], [1, 1, 1, 1]] {
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 3.0), &device);
            let weights = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            same_forward_and_gradient(
                x,
                weights,
                fused_tanh,
                burn::tensor::activation::tanh,
                &format!("{shape:?}"),
            );
        }
    }

    #[test]
    fn fused_tanh_of_a_non_contiguous_input_equals_burns() {
        let device = Device::flex();
        let x = Tensor::<2>::random([37, 23], Distribution::Normal(0.0, 2.0), &device);
        let t = x.transpose(); // (23, 37), strided
        same(
            values(fused_tanh(t.clone())),
            values(burn::tensor::activation::tanh(t)),
            "transposed",
        );
    }
}
