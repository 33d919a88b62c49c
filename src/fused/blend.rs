//! The weight average's update, `average * decay + current * (1 - decay)`, for burn's flex CPU
//! backend: one parallel pass, in place in the average.
//!
//! Written by hand for the same reason as [`super::adam`]: burn runs it as three element-wise
//! ops, each on one core below flex's 4M-element threshold (~5 ms a step for InfoGAN's
//! generator, `bench --phases`, 100% CPU).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use rayon::prelude::*;

use super::{FlexTensor, contiguous, owned, slice};

/// Values per parallel task: large enough that scheduling is noise.
const CHUNK: usize = 1 << 15;

#[backend_extension(Flex)]
pub trait FusedBlend: Backend {
    /// `average * decay + current * (1 - decay)`, the average's values reused when they are
    /// its own.
    fn blend_fused(
        average: FloatTensor<Self>,
        current: FloatTensor<Self>,
        decay: f64,
    ) -> FloatTensor<Self>;
}

/// The blend on plain slices, in place; the same products as burn's ops (1 - decay taken in
/// f64, as burn's `mul_scalar(1.0 - decay)` is, then rounded).
pub fn blend_into(average: &mut [f32], current: &[f32], decay: f64) {
    let (keep, decay) = ((1.0 - decay) as f32, decay as f32);
    average
        .par_chunks_mut(CHUNK)
        .zip(current.par_chunks(CHUNK))
        .for_each(|(average, current)| {
            for (a, &c) in average.iter_mut().zip(current) {
                *a = *a * decay + c * keep;
            }
        });
}

impl FusedBlend for Flex {
    fn blend_fused(average: FlexTensor, current: FlexTensor, decay: f64) -> FlexTensor {
        let current = contiguous(&current);
        let mut average = owned(average);
        // Copy-on-write: in place when nothing else holds the average's values.
        blend_into(average.storage_mut::<f32>(), slice(&current), decay);
        average
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::fused::blend;
    use crate::fused::testing::values;

    #[test]
    fn fused_blend_equals_burns_ops_and_leaves_shared_values_alone() {
        let device = Device::flex();
        // Odd sizes, one over several parallel chunks.
        for shape in [[3, 5, 7], [129, 37, 11], [1, 1, 1]] {
            let average = Tensor::<3>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            let current = Tensor::<3>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            let burn = average.clone().mul_scalar(0.999) + current.clone().mul_scalar(0.001);
            let before = values(average.clone());
            // `average` is shared with `before`'s source here, so the fused op must copy.
            let fused = blend(average.clone(), current, 0.999);
            assert_eq!(values(fused), values(burn), "{shape:?}");
            assert_eq!(
                values(average),
                before,
                "{shape:?}: the shared average changed"
            );
        }
    }
}
