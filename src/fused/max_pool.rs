//! The classifier's 2x2, stride-2 max-pool for burn's flex CPU backend: one parallel pass each
//! way, the winner of each window kept as one byte.
//!
//! Written by hand because flex runs every max-pool through its general 3-D kernel, keeps an
//! i64 index per output, and scatters the gradient into a fresh zeroed buffer; in a profile of
//! `bench --model guided --depth shallow` the pools and their backward ran with the other
//! core idle for ~5% of the step (the guiding LeNet's two pools, forward and backward).

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use rayon::prelude::*;

use super::{FlexTensor, contiguous, slice, tensor};

#[backend_extension(Flex, Autodiff)]
pub trait FusedMaxPool: Backend {
    /// (N, C, H, W) -> (N, C, H/2, W/2): the largest of each 2x2 window (an odd last row or
    /// column is left out, as burn's pool leaves it).
    fn max_pool2x2_fused(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// One (N, C) plane's sizes.
#[derive(Clone, Copy, Debug)]
struct Plane {
    rows: usize,
    cols: usize,
}

impl Plane {
    fn of(shape: &[usize]) -> (usize, Self) {
        assert_eq!(
            shape.len(),
            4,
            "max-pool: x must be (N, C, H, W), is {shape:?}"
        );
        (
            shape[0] * shape[1],
            Self {
                rows: shape[2],
                cols: shape[3],
            },
        )
    }

    fn len(self) -> usize {
        self.rows * self.cols
    }

    fn out_len(self) -> usize {
        (self.rows / 2) * (self.cols / 2)
    }
}

/// The pooled values and, per output, which of its window's four values won (0-3, row by
/// row): the first largest in that order, a NaN over any number, as flex's pool picks.
fn forward(x: &[f32], planes: usize, p: Plane) -> (Vec<f32>, Vec<u8>) {
    let n = planes * p.out_len();
    let (mut out, mut won) = (vec![0.0f32; n], vec![0u8; n]);
    if n == 0 {
        return (out, won);
    }
    let (out_rows, out_cols) = (p.rows / 2, p.cols / 2);
    out.par_chunks_mut(p.out_len())
        .zip(won.par_chunks_mut(p.out_len()))
        .zip(x.par_chunks(p.len()))
        .for_each(|((out, won), x)| {
            for i in 0..out_rows {
                let (top, bottom) = (&x[2 * i * p.cols..], &x[(2 * i + 1) * p.cols..]);
                for j in 0..out_cols {
                    let window = [top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1]];
                    let (mut best, mut at) = (window[0], 0u8);
                    for (k, &v) in window.iter().enumerate().skip(1) {
                        if v > best || v.is_nan() {
                            (best, at) = (v, k as u8);
                        }
                    }
                    out[i * out_cols + j] = best;
                    won[i * out_cols + j] = at;
                }
            }
        });
    (out, won)
}

/// x's gradient: each output's gradient at the value that won its window, zero elsewhere.
fn backward(grad: &[f32], won: &[u8], planes: usize, p: Plane) -> Vec<f32> {
    let mut dx = super::zeros(planes * p.len());
    if p.out_len() == 0 {
        return dx;
    }
    let out_cols = p.cols / 2;
    dx.par_chunks_mut(p.len())
        .zip(
            grad.par_chunks(p.out_len())
                .zip(won.par_chunks(p.out_len())),
        )
        .for_each(|(dx, (grad, won))| {
            for (o, (&g, &k)) in grad.iter().zip(won).enumerate() {
                let (i, j) = (o / out_cols, o % out_cols);
                let (row, col) = (2 * i + usize::from(k / 2), 2 * j + usize::from(k % 2));
                dx[row * p.cols + col] = g;
            }
        });
    dx
}

fn pooled_shape(shape: &[usize]) -> Vec<usize> {
    vec![shape[0], shape[1], shape[2] / 2, shape[3] / 2]
}

impl FusedMaxPool for Flex {
    fn max_pool2x2_fused(x: FlexTensor) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let (planes, plane) = Plane::of(&shape);
        let x = contiguous(&x);
        tensor(forward(slice(&x), planes, plane).0, pooled_shape(&shape))
    }
}

#[derive(Debug)]
struct MaxPoolBackward;

impl Backward<Flex, 1> for MaxPoolBackward {
    /// x's shape and the window winners.
    type State = (Vec<usize>, Vec<u8>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [parent] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let (shape, won) = ops.state;
        if let Some(node) = parent {
            let (planes, plane) = Plane::of(&shape);
            let dx = backward(slice(&grad), &won, planes, plane);
            grads.register::<Flex>(node.id, tensor(dx, shape));
        }
    }
}

impl<C: CheckpointStrategy> FusedMaxPool for Autodiff<Flex, C> {
    fn max_pool2x2_fused(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let prepared = MaxPoolBackward
            .prepare::<C>([x.node()])
            // Saved, not recomputed: burn's checkpointing is off here.
            .compute_bound()
            .stateful();
        let input = contiguous(x.primitive());
        let shape = input.layout().shape().to_vec();
        let (planes, plane) = Plane::of(&shape);
        let (values, won) = forward(slice(&input), planes, plane);
        let output = tensor(values, pooled_shape(&shape));
        match prepared {
            OpsKind::Tracked(prep) => prep.finish((shape, won), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::pool::MaxPool2dConfig;
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::fused::fused_max_pool2x2;
    use crate::fused::testing::same_forward_and_gradient;

    #[test]
    fn fused_max_pool_equals_burns_forward_and_gradient() {
        let device = Device::flex().autodiff();
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        // LeNet's two pools, odd sides (a row and a column left out), a batch of one.
        for shape in [[64, 32, 28, 28], [5, 3, 10, 10], [2, 3, 7, 9], [1, 1, 2, 2]] {
            let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            // Ties too (ReLU's zeros), where the first largest in the window must win.
            let x = x.mask_fill(
                Tensor::<4>::random(shape, Distribution::Bernoulli(0.3), &device).bool(),
                0.0,
            );
            let [n, c, h, w] = shape;
            let weights = Tensor::<4>::random(
                [n, c, h / 2, w / 2],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            same_forward_and_gradient(
                x,
                weights,
                fused_max_pool2x2,
                |x| pool.forward(x),
                &format!("{shape:?}"),
            );
        }
    }

    #[test]
    fn fused_max_pool_of_a_non_contiguous_input_equals_burns() {
        let device = Device::flex().autodiff();
        let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
        let x = Tensor::<4>::random([3, 4, 6, 8], Distribution::Normal(0.0, 1.0), &device)
            .swap_dims(2, 3); // (3, 4, 8, 6), strided
        let weights = Tensor::<4>::random([3, 4, 4, 3], Distribution::Normal(0.0, 1.0), &device);
        same_forward_and_gradient(
            x,
            weights,
            fused_max_pool2x2,
            |x| pool.forward(x),
            "strided",
        );
    }
}
