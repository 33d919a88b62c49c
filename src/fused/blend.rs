//! The weight average's update, `average * decay + current * (1 - decay)`, for burn's flex CPU
//! backend: one parallel pass, in place in the average.
//!
//! Written by hand for the same reason as [`super::adam`]: burn runs it as three element-wise
//! ops, each on one core below flex's 4M-element threshold (~5 ms a step for InfoGAN's
//! generator, `bench --phases`, 100% CPU).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, DispatchTensorKind, Flex, backend_extension};
use burn::prelude::*;
use rayon::prelude::*;

use super::awake::{self, Filler};
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

/// Blends of whole tensors to be done by the time their results are read: offered in
/// pieces to the kept-awake workers ([`awake::Filler`]), which run them in the gaps of the
/// next training step, and finished by [`Deferred::finish`]. The values are
/// [`blend_into`]'s, piece by piece.
pub struct Deferred {
    blend: Option<Arc<PendingBlend>>,
    device: Device,
}

/// Values per piece: ~3 µs of blending, so pool work that arrives meanwhile barely waits.
const PIECE: usize = 1 << 12;

struct PendingBlend {
    parts: Vec<Part>,
    /// (part, first value) of each piece.
    pieces: Vec<(usize, usize)>,
    /// The next piece to hand out, and how many have ended.
    next: AtomicUsize,
    done: AtomicUsize,
    decay: f64,
}

/// One tensor's blend: its inputs (contiguous) and the new buffer its pieces fill.
struct Part {
    average: FlexTensor,
    current: FlexTensor,
    out: *mut f32,
    len: usize,
    capacity: usize,
}

// SAFETY: `out` is a buffer this struct alone owns, written only through `run_piece`, which
// hands each piece (a disjoint range) to one thread; it is read only after every piece has
// ended. The tensors are read-only values shared by reference count.
unsafe impl Send for PendingBlend {}
unsafe impl Sync for PendingBlend {}

impl Deferred {
    /// `average * decay + current * (1 - decay)` for each pair, on offer from now. Both of a
    /// pair hold the same number of values.
    pub fn new(pairs: Vec<(Tensor<1>, Tensor<1>)>, decay: f64) -> Self {
        let device = pairs
            .first()
            .map_or_else(Device::flex, |(average, _)| average.device());
        let mut parts = Vec::with_capacity(pairs.len());
        let mut pieces = Vec::new();
        for (average, current) in pairs {
            let (average, current) = (flex_values(average), flex_values(current));
            let len = slice(&average).len();
            assert_eq!(len, slice(&current).len(), "a blend of different sizes");
            // Filled piece by piece before it is read, so never cleared first.
            let mut out = std::mem::ManuallyDrop::new(Vec::<f32>::with_capacity(len));
            pieces.extend((0..len).step_by(PIECE).map(|first| (parts.len(), first)));
            parts.push(Part {
                average,
                current,
                out: out.as_mut_ptr(),
                len,
                capacity: out.capacity(),
            });
        }
        let blend = Arc::new(PendingBlend {
            parts,
            pieces,
            next: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            decay,
        });
        awake::offer(blend.clone());
        Self {
            blend: Some(blend),
            device,
        }
    }

    /// The blended tensors, in the order given: the pieces left run on every core now.
    pub fn finish(mut self) -> Vec<Tensor<1>> {
        let Some(blend) = self.blend.take() else {
            return Vec::new();
        };
        awake::withdraw(&(blend.clone() as Arc<dyn Filler>));
        (0..rayon::current_num_threads())
            .into_par_iter()
            .for_each(|_| while blend.run_piece() {});
        // A piece a keeper started may still be running; it ends within microseconds and
        // then drops the keeper's handle.
        let mut blend = blend;
        let mut owned = loop {
            match Arc::try_unwrap(blend) {
                Ok(owned) => break owned,
                Err(shared) => {
                    blend = shared;
                    std::thread::yield_now();
                }
            }
        };
        debug_assert_eq!(owned.done.load(Ordering::Acquire), owned.pieces.len());
        std::mem::take(&mut owned.parts)
            .into_iter()
            .map(|part| {
                // SAFETY: every piece of this buffer has been written (all ended, and this is
                // the only handle left), and `parts` no longer owns it.
                let values = unsafe { Vec::from_raw_parts(part.out, part.len, part.capacity) };
                let len = values.len();
                Tensor::from_data(TensorData::new(values, [len]), &self.device)
            })
            .collect()
    }
}

/// A plain flex tensor's values, contiguous (no copy when they already are).
fn flex_values(t: Tensor<1>) -> FlexTensor {
    match t.into_dispatch().kind {
        DispatchTensorKind::Flex(inner) => contiguous(&inner.float()),
        _ => panic!("a deferred blend takes plain tensors on the flex device"),
    }
}

impl Drop for Deferred {
    /// Never finished (a run stopped): off offer; `PendingBlend`'s own drop frees the buffers
    /// once no piece is running.
    fn drop(&mut self) {
        if let Some(blend) = self.blend.take() {
            awake::withdraw(&(blend as Arc<dyn Filler>));
        }
    }
}

impl Filler for PendingBlend {
    fn run_piece(&self) -> bool {
        let index = self.next.fetch_add(1, Ordering::AcqRel);
        let Some(&(part, first)) = self.pieces.get(index) else {
            return false;
        };
        let part = &self.parts[part];
        let end = (first + PIECE).min(part.len);
        let (average, current) = (
            &slice(&part.average)[first..end],
            &slice(&part.current)[first..end],
        );
        // SAFETY: `first..end` lies inside the buffer (pieces cover 0..len), and this piece's
        // index was handed to this thread alone.
        let out = unsafe { std::slice::from_raw_parts_mut(part.out.add(first), end - first) };
        let mix = mix(self.decay);
        for ((o, &a), &c) in out.iter_mut().zip(average).zip(current) {
            *o = mix(a, c);
        }
        self.done.fetch_add(1, Ordering::Release);
        true
    }
}

impl Drop for PendingBlend {
    fn drop(&mut self) {
        for part in &self.parts {
            // SAFETY: no handle is left, so no piece runs; the buffer is freed without reading
            // its values (length 0).
            drop(unsafe { Vec::from_raw_parts(part.out, 0, part.capacity) });
        }
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

    #[test]
    fn deferred_blends_run_in_a_keepers_gaps_and_equal_the_blend() {
        use super::{Deferred, PIECE};
        use crate::fused::awake::while_awake;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a test pool");
        let device = Device::flex();
        // Several pieces, a short last piece, a single value.
        let sizes = [3 * PIECE + 17, PIECE, 1];
        let random = |n| Tensor::<1>::random([n], Distribution::Normal(0.0, 1.0), &device);
        let pairs: Vec<(Tensor<1>, Tensor<1>)> =
            sizes.iter().map(|&n| (random(n), random(n))).collect();
        let expected: Vec<Vec<f32>> = pairs
            .iter()
            .map(|(a, c)| values(blend(a.clone(), c.clone(), 0.993)))
            .collect();
        let (done_before_finish, blended) = pool.install(|| {
            while_awake(|| {
                let deferred = Deferred::new(pairs, 0.993);
                // A serial stretch, as between a step's ops: the other worker fills it.
                std::thread::sleep(std::time::Duration::from_millis(30));
                let pending = deferred.blend.as_ref().expect("on offer");
                let done = pending.done.load(std::sync::atomic::Ordering::Acquire);
                (done, deferred.finish())
            })
        });
        assert_eq!(done_before_finish, 6, "every piece ran in the keeper's gap");
        let blended: Vec<Vec<f32>> = blended.into_iter().map(values).collect();
        assert_eq!(blended, expected);
    }

    #[test]
    fn a_deferred_blend_finishes_without_a_keeper_and_can_be_dropped_unfinished() {
        use super::Deferred;
        let device = Device::flex();
        let (a, c) = (
            Tensor::<1>::from_floats([1.0f32, 2.0, 3.0], &device),
            Tensor::<1>::from_floats([3.0f32, 2.0, 1.0], &device),
        );
        let finished = Deferred::new(vec![(a.clone(), c.clone())], 0.5).finish();
        assert_eq!(values(finished[0].clone()), [2.0, 2.0, 2.0]);
        // Dropped on offer: withdrawn and freed, nothing else to see.
        drop(Deferred::new(vec![(a, c)], 0.5));
    }
}
