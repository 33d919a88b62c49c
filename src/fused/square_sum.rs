//! The sum of a tensor's squares (each layer's gradient norm in the training tab and
//! `metrics.jsonl`) for burn's flex CPU backend: one parallel pass, nothing allocated.
//!
//! Written by hand because burn runs it as two ops, `square` (a new tensor) then `sum`, each on
//! one core below flex's 4M-element threshold. Every step does it for every parameter of both
//! networks, and a profile of `bench --model cdcgan --depth shallow` found the other core idle
//! through it: 1.2% of the step, the largest single stretch it ran alone.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use rayon::prelude::*;

use super::{FlexTensor, contiguous, slice, tensor};

/// Values per parallel task. Fixed, so the sum's order, and so its value, does not depend on
/// the number of cores.
const CHUNK: usize = 1 << 14;

/// Accumulators per chunk: independent sums the compiler keeps in one vector register.
const LANES: usize = 16;

#[backend_extension(Flex)]
pub trait FusedSquareSum: Backend {
    /// `sum(x²)` as a one-value tensor.
    fn square_sum_fused(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// `sum(x²)`: each chunk in [`LANES`] interleaved partial sums, the chunks' sums added in order.
pub fn square_sum(x: &[f32]) -> f32 {
    let chunk_sum = |chunk: &[f32]| {
        let mut lanes = [0.0f32; LANES];
        let mut blocks = chunk.chunks_exact(LANES);
        for block in &mut blocks {
            for (lane, &v) in lanes.iter_mut().zip(block) {
                *lane += v * v;
            }
        }
        for (lane, &v) in lanes.iter_mut().zip(blocks.remainder()) {
            *lane += v * v;
        }
        lanes.iter().sum::<f32>()
    };
    if x.len() <= CHUNK {
        return chunk_sum(x);
    }
    let sums: Vec<f32> = x.par_chunks(CHUNK).map(chunk_sum).collect();
    sums.iter().sum()
}

impl FusedSquareSum for Flex {
    fn square_sum_fused(x: FlexTensor) -> FlexTensor {
        let x = contiguous(&x);
        tensor(vec![square_sum(slice(&x))], vec![1])
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use super::{CHUNK, square_sum};
    use crate::fused::testing::values;

    /// The sum in f64, one value after another: the exact answer to within f64's rounding.
    fn exact(x: &[f32]) -> f64 {
        x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
    }

    #[test]
    fn square_sum_equals_the_exact_sum_on_odd_sizes() {
        let device = Device::flex();
        // Empty, one value, a lane's remainder, one chunk exactly, several chunks and a rest.
        for len in [0, 1, 17, CHUNK, 3 * CHUNK + 5, 345_217] {
            let x = Tensor::<1>::random([len], Distribution::Normal(0.0, 1.0), &device);
            let x = values(x);
            let got = f64::from(square_sum(&x));
            let want = exact(&x);
            assert!(
                (got - want).abs() <= 1e-5 * want.max(1e-30),
                "{len} values: {got} against {want}"
            );
        }
    }

    #[test]
    fn square_sum_does_not_depend_on_the_thread_count() {
        let x = values(Tensor::<1>::random(
            [5 * CHUNK + 123],
            Distribution::Normal(0.0, 1.0),
            &Device::flex(),
        ));
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a test pool")
                .install(|| square_sum(&x))
        };
        assert_eq!(on(1).to_bits(), on(3).to_bits());
    }

    #[test]
    fn fused_square_sum_of_a_non_contiguous_tensor_equals_burns() {
        let device = Device::flex();
        let x = Tensor::<2>::random([301, 67], Distribution::Normal(0.0, 1.0), &device).transpose();
        let fused = values(crate::fused::square_sum(x.clone()))[0];
        let burn = values(x.square().sum())[0];
        assert!(
            (fused - burn).abs() <= 1e-5 * burn,
            "fused {fused} against burn {burn}"
        );
    }
}
