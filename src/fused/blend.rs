//! The weight average's update, `average * decay + current * (1 - decay)`, for burn's flex CPU
//! backend: one parallel pass, in place in the average.
//!
//! Written by hand for the same reason as [`super::adam`]: burn runs it as three element-wise
//! ops, each on one core below flex's 4M-element threshold (~5 ms a step for InfoGAN's
//! generator, `bench --phases`, 100% CPU).

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use rayon::prelude::*;

use super::{FlexTensor, contiguous, own_values, slice, tensor};

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

/// One value of the blend: the same products as burn's ops (1 - decay taken in f64, as burn's
/// `mul_scalar(1.0 - decay)` is, then rounded).
fn mix(decay: f64) -> impl Fn(f32, f32) -> f32 + Sync {
    let (keep, decay) = ((1.0 - decay) as f32, decay as f32);
    move |average, current| average * decay + current * keep
}

/// The blend on plain slices, in place.
pub fn blend_into(average: &mut [f32], current: &[f32], decay: f64) {
    let mix = mix(decay);
    average
        .par_chunks_mut(CHUNK)
        .zip(current.par_chunks(CHUNK))
        .for_each(|(average, current)| {
            for (a, &c) in average.iter_mut().zip(current) {
                *a = mix(*a, c);
            }
        });
}

impl FusedBlend for Flex {
    fn blend_fused(mut average: FlexTensor, current: FlexTensor, decay: f64) -> FlexTensor {
        let current = contiguous(&current);
        if let Some(values) = own_values(&mut average) {
            blend_into(values, slice(&current), decay);
            return average;
        }
        // Shared (the module still holds the values): into a new buffer in the same parallel
        // pass. flex's copy-on-write would first copy them on one core, a profile's second
        // longest stretch with the other core idle.
        let shape = average.layout().shape().to_vec();
        let average = contiguous(&average);
        let values = super::map2(slice(&average), slice(&current), CHUNK, mix(decay));
        tensor(values, shape)
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

    #[test]
    fn fused_blend_in_place_equals_burns_ops() {
        let device = Device::flex();
        let shape = [129, 37, 11];
        let current = Tensor::<3>::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let start = values(Tensor::<3>::random(
            shape,
            Distribution::Normal(0.0, 1.0),
            &device,
        ));
        // Two tensors with the same values, one of them held only by the blend.
        let make = || Tensor::<3>::from_data(TensorData::new(start.clone(), shape), &device);
        let (average, copy) = (make(), make());
        let burn = copy.mul_scalar(0.999) + current.clone().mul_scalar(0.001);
        assert_eq!(values(blend(average, current, 0.999)), values(burn));
    }
}
