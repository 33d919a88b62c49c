//! The warp's bilinear resampling (`crate::train::warp`) for burn's flex CPU backend: each
//! image read through its own turn, slant and size, in one parallel pass forward and one back.
//!
//! Written by hand because burn's way (an index and a weight tensor built on the host for every
//! pixel of every image, a gather, a product and a sum, and a scatter back) ran on one core and
//! left the other idle for a fifth of an InfoGAN step (BENCHMARKS.md, "CPU use"). Here the
//! source pixels are worked out inside the pass, image by image on every core, with the same
//! arithmetic as burn's path ([`SourceMap`]), so the values are the same.

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use rayon::prelude::*;

use super::{FlexTensor, contiguous, slice, tensor};
use crate::train::warp::{Distortion, SourceMap};

#[backend_extension(Flex, Autodiff)]
pub trait FusedResample: Backend {
    /// x (N, C, H, H) resampled, image n by `each[n]` (all its channels alike).
    fn resample_fused(x: FloatTensor<Self>, each: Vec<Distortion>) -> FloatTensor<Self>;
}

/// The four source pixels and weights of every pixel of an image, in pixel order.
fn corners(distortion: &Distortion, side: usize) -> Vec<[(usize, f32); 4]> {
    let map = SourceMap::new(distortion, side);
    (0..side * side).map(|p| map.corners(p)).collect()
}

/// The forward on plain slices: x (N, C, side²) -> (N, C, side²).
pub fn forward(x: &[f32], each: &[Distortion], side: usize) -> Vec<f32> {
    let image = x.len() / each.len().max(1);
    let mut out = super::zeros(x.len());
    out.par_chunks_mut(image)
        .zip(x.par_chunks(image))
        .zip(each.par_iter())
        .for_each(|((out, x), distortion)| {
            let corners = corners(distortion, side);
            for (out, x) in out.chunks_mut(side * side).zip(x.chunks(side * side)) {
                for (o, c) in out.iter_mut().zip(&corners) {
                    // Summed corner by corner, as burn sums the gathered corners.
                    *o = x[c[0].0] * c[0].1
                        + x[c[1].0] * c[1].1
                        + x[c[2].0] * c[2].1
                        + x[c[3].0] * c[3].1;
                }
            }
        });
    out
}

/// The input's gradient: each output pixel's gradient times each corner's weight, added to
/// that corner's source pixel, corner by corner as burn's scatter adds them.
pub fn backward(grad: &[f32], each: &[Distortion], side: usize) -> Vec<f32> {
    let image = grad.len() / each.len().max(1);
    let mut dx = super::zeros(grad.len());
    dx.par_chunks_mut(image)
        .zip(grad.par_chunks(image))
        .zip(each.par_iter())
        .for_each(|((dx, grad), distortion)| {
            let corners = corners(distortion, side);
            for (dx, grad) in dx.chunks_mut(side * side).zip(grad.chunks(side * side)) {
                for k in 0..4 {
                    for (&g, c) in grad.iter().zip(&corners) {
                        dx[c[k].0] += g * c[k].1;
                    }
                }
            }
        });
    dx
}

impl FusedResample for Flex {
    fn resample_fused(x: FlexTensor, each: Vec<Distortion>) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let x = contiguous(&x);
        tensor(forward(slice(&x), &each, shape[3]), shape)
    }
}

#[derive(Debug)]
struct ResampleBackward;

impl Backward<Flex, 1> for ResampleBackward {
    /// The distortions and the input's shape: the op is linear, so nothing else is needed.
    type State = (Vec<Distortion>, Vec<usize>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let (each, shape) = ops.state;
        if let Some(node) = parent {
            let dx = backward(slice(&grad), &each, shape[3]);
            grads.register::<Flex>(node.id, tensor(dx, shape));
        }
    }
}

impl<C: CheckpointStrategy> FusedResample for Autodiff<Flex, C> {
    fn resample_fused(x: FloatTensor<Self>, each: Vec<Distortion>) -> FloatTensor<Self> {
        let prepared = ResampleBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let shape = x.primitive().layout().shape().to_vec();
        let output = Flex::resample_fused(x.primitive().clone(), each.clone());
        match prepared {
            OpsKind::Tracked(prep) => prep.finish((each, shape), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use crate::fused::testing::same_forward_and_gradient;
    use crate::train::warp::{Distortion, Warp};

    /// The fused resampling and burn's gather give the same values and the same gradient, bit
    /// for bit, for turns, slants and sizes drawn per image, on grey and colour batches, a
    /// batch of one, and a strided input.
    #[test]
    fn fused_resampling_equals_burns_gather_forward_and_gradient() {
        let device = Device::flex().autodiff();
        let bound = Distortion {
            degrees: 30.0,
            shear: 0.4,
            stroke: 0.0,
            scale: 0.3,
        };
        let mut rng = StdRng::seed_from_u64(7);
        for (n, c, side, strided) in [(64, 1, 28, false), (3, 3, 9, true), (1, 2, 5, false)] {
            let warp = Warp::random(&mut rng, n, bound, &device);
            let x = Tensor::<4>::random([n, c, side, side], Distribution::Default, &device);
            let x = if strided {
                x.swap_dims(2, 3) // the same shape, laid out transposed
            } else {
                x
            };
            let weights =
                Tensor::<4>::random([n, c, side, side], Distribution::Normal(0.0, 1.0), &device);
            same_forward_and_gradient(
                x,
                weights,
                |x| crate::fused::fused_resample(x, warp.distortions()),
                |x| warp.resample(x),
                &format!("{n}x{c}x{side}"),
            );
        }
    }
}
