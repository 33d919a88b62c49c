//! Leaky ReLU for burn's flex CPU backend: one parallel pass forward, one backward.
//!
//! Written by hand because burn composes it from several ops (here `slope x + (1 - slope)
//! relu(x)`: four passes forward, three backward), and flex runs element-wise ops on one core
//! below 4M elements, which every activation of these models is.

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};

use super::{FlexTensor, contiguous, slice, tensor};

/// Values per parallel task: large enough that scheduling is noise.
const CHUNK: usize = 1 << 15;

#[backend_extension(Flex, Autodiff)]
pub trait FusedLeakyRelu: Backend {
    /// `x` where x > 0, `slope * x` elsewhere.
    fn leaky_relu_fused(x: FloatTensor<Self>, slope: f64) -> FloatTensor<Self>;
}

/// `v` for v > 0, `slope * v` otherwise, without a branch.
#[inline]
fn leaky(v: f32, slope: f32) -> f32 {
    v.max(0.0) + slope * v.min(0.0)
}

/// The forward on plain slices.
pub fn forward(x: &[f32], slope: f64) -> Vec<f32> {
    let slope = slope as f32;
    super::map(x, CHUNK, |v| leaky(v, slope))
}

/// The input's gradient: `grad` where x >= 0, `slope * grad` elsewhere (burn's `leaky_relu`
/// takes 1 at 0 too).
pub fn backward(x: &[f32], grad: &[f32], slope: f64) -> Vec<f32> {
    let slope = slope as f32;
    super::map2(x, grad, CHUNK, |v, g| {
        let mask = f32::from(u8::from(v >= 0.0));
        g * (mask + (1.0 - mask) * slope)
    })
}

impl FusedLeakyRelu for Flex {
    fn leaky_relu_fused(x: FlexTensor, slope: f64) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let x = contiguous(&x);
        tensor(forward(slice(&x), slope), shape)
    }
}

#[derive(Debug)]
struct LeakyReluBackward;

impl Backward<Flex, 1> for LeakyReluBackward {
    /// The input and the slope.
    type State = (FlexTensor, f64);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let (x, slope) = ops.state;
        if let Some(node) = parent {
            let shape = x.layout().shape().to_vec();
            let dx = backward(slice(&x), slice(&grad), slope);
            grads.register::<Flex>(node.id, tensor(dx, shape));
        }
    }
}

impl<C: CheckpointStrategy> FusedLeakyRelu for Autodiff<Flex, C> {
    fn leaky_relu_fused(x: FloatTensor<Self>, slope: f64) -> FloatTensor<Self> {
        let prepared = LeakyReluBackward
            .prepare::<C>([x.node()])
            // Saved, not recomputed: burn's checkpointing is off here.
            .compute_bound()
            .stateful();
        let input = contiguous(x.primitive());
        let output = Flex::leaky_relu_fused(input.clone(), slope);
        match prepared {
            OpsKind::Tracked(prep) => prep.finish((input, slope), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::fused::fused_leaky_relu;
    use crate::fused::testing::same_forward_and_gradient;

    #[test]
    fn fused_leaky_relu_equals_burns_forward_and_gradient() {
        let device = Device::flex().autodiff();
        for (shape, slope) in [
            ([3, 5, 7, 9], 0.2),
            ([64, 64, 14, 14], 0.3),
            ([1, 1, 1, 2], 0.0),
        ] {
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            // Exact zeros too, where the gradient is 1 on both sides.
            let x = x.mask_fill(
                Tensor::<4>::random(shape, Distribution::Bernoulli(0.1), &device).bool(),
                0.0,
            );
            let weights = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            same_forward_and_gradient(
                x,
                weights,
                |x| fused_leaky_relu(x, slope),
                |x| burn::tensor::activation::leaky_relu(x, slope),
                &format!("{shape:?}"),
            );
        }
    }
}
