//! Fused CPU ops for the training hot path. On burn's flex device they replace chains of
//! burn ops with one pass each way; on any other device (wgpu) and with the switch off, burn's
//! own ops run, so results can be compared (`GAN_STUDIO_REFERENCE_OPS=1`).

pub mod adam;
pub mod awake;
pub mod batch_norm;
pub mod blend;
pub mod conv;
pub mod im2col;
pub mod kernel_rows;
pub mod leaky_relu;
pub mod linear;
pub mod max_pool;
pub mod resample;
pub mod shares;
pub mod square_sum;
pub mod tanh;

use std::sync::OnceLock;

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::ops::{Backward, NodeGuard, OpsKind};
use burn::backend::ops::{ConvOptions, ConvTransposeOptions};
use burn::backend::tensor::FloatTensor;
use burn::backend::{DispatchDevice, Flex};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::pool::MaxPool2d;
use burn::nn::{BatchNorm, Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use batch_norm::FusedBatchNorm;
use blend::FusedBlend;
use conv::FusedConv;
use leaky_relu::FusedLeakyRelu;
use linear::FusedLinear;
use max_pool::FusedMaxPool;
use resample::FusedResample;
use square_sum::FusedSquareSum;
use tanh::FusedTanh;

/// flex's tensor (burn-flex is not a direct dependency; its type is reached through burn).
type FlexTensor = FloatTensor<Flex>;

/// The tensor in contiguous layout: itself (an `Arc` clone) when it already is.
fn contiguous(t: &FlexTensor) -> FlexTensor {
    t.to_contiguous()
}

/// The values of a contiguous f32 tensor, without a copy.
fn slice(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("fused ops run on contiguous f32 tensors")
}

/// A contiguous tensor that owns its values from the first, so they can change in place
/// (a copy only when they are shared or laid out otherwise).
fn owned(t: FlexTensor) -> FlexTensor {
    let n = t.layout().num_elements();
    if t.layout().contiguous_offsets() == Some((0, n)) && t.bytes().len() == n * 4 {
        t
    } else {
        let shape = t.layout().shape().to_vec();
        tensor(slice(&contiguous(&t)).to_vec(), shape)
    }
}

/// The tensor's values to change in place, when it alone holds them, contiguous from the
/// first; `None` where changing them would need a copy.
fn own_values(t: &mut FlexTensor) -> Option<&mut [f32]> {
    let n = t.layout().num_elements();
    if t.layout().contiguous_offsets() == Some((0, n)) && t.bytes().len() == n * 4 {
        t.try_storage_mut::<f32>()
    } else {
        None
    }
}

/// A buffer of `len` zeros, cleared by all cores: a step's outputs and gradients are
/// megabytes that one core would otherwise clear while the other waits (`vec![0.0; len]`).
/// In shares of [`ZERO_CHUNK`] values, not rayon's `par_extend`, whose waiting core sleeps
/// (see `shares`).
fn zeros(len: usize) -> Vec<f32> {
    // SAFETY: each task writes every value of its slice.
    unsafe {
        filled(len, ZERO_CHUNK, |_, out| {
            out.fill(std::mem::MaybeUninit::new(0.0))
        })
    }
}

/// Values a task of [`zeros`] clears: 256 KB, tens of µs.
const ZERO_CHUNK: usize = 1 << 16;

/// The gradients a layer's backward pass was asked for (conv, dense).
#[derive(Debug, Default)]
pub struct Grads {
    /// Of the input.
    pub x: Option<Vec<f32>>,
    pub weight: Option<Vec<f32>>,
    pub bias: Option<Vec<f32>>,
}

/// A buffer of `len` values written by `fill` in one parallel pass, `chunk` values a task
/// (the last fewer), each task given the index of its first value. Not cleared first: an
/// output every value of which the op writes anyway would otherwise take one more pass over
/// memory, and one more parallel region whose end a core waits at.
///
/// # Safety
/// `fill` must write every value of the slice it is given.
unsafe fn filled(
    len: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [std::mem::MaybeUninit<f32>]) + Sync,
) -> Vec<f32> {
    let chunk = chunk.max(1);
    let mut out: Vec<f32> = Vec::with_capacity(len);
    shares::for_each_chunk_mut(
        &mut out.spare_capacity_mut()[..len],
        chunk,
        |task, values| fill(task * chunk, values),
    );
    // SAFETY: the tasks cover 0..len, and the caller's `fill` wrote each of their values.
    unsafe { out.set_len(len) };
    out
}

/// `f` of every value, in one parallel pass of `chunk` values a task (the element-wise ops).
fn map(x: &[f32], chunk: usize, f: impl Fn(f32) -> f32 + Sync) -> Vec<f32> {
    // SAFETY: `x[first..]` is at least as long as each task's slice, so the zip writes all.
    unsafe {
        filled(x.len(), chunk, |first, out| {
            for (o, &v) in out.iter_mut().zip(&x[first..]) {
                o.write(f(v));
            }
        })
    }
}

/// `f` of each value of `a` and the value of `b` beside it (their backward passes), as [`map`].
fn map2(a: &[f32], b: &[f32], chunk: usize, f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "an element-wise op of different sizes");
    // SAFETY: as in `map`, both inputs as long as the output.
    unsafe {
        filled(a.len(), chunk, |first, out| {
            for ((o, &u), &v) in out.iter_mut().zip(&a[first..]).zip(&b[first..]) {
                o.write(f(u, v));
            }
        })
    }
}

fn tensor(values: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(burn::tensor::TensorData::new(values, shape))
}

/// Records a fused op's output on autodiff's graph with its backward and the state that
/// backward reads, or only the output when none of `nodes` wants a gradient.
fn record<C, O, const N: usize>(
    op: O,
    nodes: [NodeGuard; N],
    state: O::State,
    output: FlexTensor,
) -> FloatTensor<Autodiff<Flex, C>>
where
    C: CheckpointStrategy,
    O: Backward<Flex, N>,
{
    // Compute-bound and saved, not recomputed: burn's checkpointing is off here.
    match op.prepare::<C>(nodes).compute_bound().stateful() {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}

/// The environment variable that turns fused ops off (any value but "0").
pub const REFERENCE_OPS_ENV: &str = "GAN_STUDIO_REFERENCE_OPS";

/// Whether fused ops may run: read once, so a run never mixes the two.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var(REFERENCE_OPS_ENV).map_or(true, |v| v == "0"))
}

/// Whether `device` (with or without autodiff) is burn's flex CPU device.
pub fn on_flex(device: &Device) -> bool {
    matches!(
        device.clone().inner().as_dispatch(),
        DispatchDevice::Flex(_)
    )
}

/// `act(batch_norm(x))` with `act` ReLU (`slope` 0) or leaky ReLU: fused while training on
/// flex, burn's BatchNorm and activation otherwise. The running statistics move exactly as
/// burn's BatchNorm moves them, so checkpoints read the same either way.
pub fn batch_norm_act<const D: usize>(norm: &BatchNorm, x: Tensor<D>, slope: f64) -> Tensor<D> {
    let device = x.device();
    let training = device.is_autodiff() && norm.training.is_enabled();
    if !(training && enabled() && on_flex(&device)) {
        return activation(norm.forward(x), slope);
    }
    fused_train(norm, x, slope)
}

/// ReLU for `slope` 0, else leaky ReLU.
pub fn activation<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    if slope == 0.0 {
        relu(x)
    } else {
        crate::model::layers::leaky_relu(x, slope)
    }
}

/// The fused path, whatever the switch says (tests compare it with [`activation`] of burn's).
pub fn fused_train<const D: usize>(norm: &BatchNorm, x: Tensor<D>, slope: f64) -> Tensor<D> {
    let device = x.device();
    let result = <burn::backend::Dispatch as FusedBatchNorm>::batch_norm_act_train(
        x.into_dispatch(),
        norm.gamma.val().into_dispatch(),
        norm.beta.val().into_dispatch(),
        norm.epsilon,
        slope,
    );
    let mean = Tensor::<1>::from_dispatch(result.mean);
    let variance = Tensor::<1>::from_dispatch(result.variance);
    // As burn's BatchNorm::forward_train does.
    let momentum = norm.momentum;
    let running_mean = norm
        .running_mean
        .value_sync()
        .to_device(&device)
        .mul_scalar(1.0 - momentum)
        .add(mean.detach().mul_scalar(momentum));
    let running_var = norm
        .running_var
        .value_sync()
        .to_device(&device)
        .mul_scalar(1.0 - momentum)
        .add(variance.detach().mul_scalar(momentum));
    norm.running_mean.update(running_mean.detach());
    norm.running_var.update(running_var.detach());
    Tensor::from_dispatch(result.output)
}

/// `conv.forward(x)`: on flex by the fused op (forward and backward), else burn's.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    if !(enabled() && on_flex(&x.device()) && conv.groups == 1) {
        return conv.forward(x);
    }
    fused_conv2d(conv, x)
}

/// The fused conv, whatever the switch says (tests compare it with burn's).
pub fn fused_conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    let options = ConvOptions::new_with_padding(
        conv.stride,
        padding_pairs(
            &conv.padding,
            [height, width],
            conv.kernel_size,
            conv.stride,
        ),
        conv.dilation,
        conv.groups,
    );
    let (x, weight) = (x.into_dispatch(), conv.weight.val().into_dispatch());
    type Ops = burn::backend::Dispatch;
    Tensor::from_dispatch(match &conv.bias {
        Some(bias) => {
            let bias = bias.val().into_dispatch();
            <Ops as FusedConv>::conv2d_bias_fused(x, weight, bias, options)
        }
        None => <Ops as FusedConv>::conv2d_fused(x, weight, options),
    })
}

/// `conv.forward(x)` for a transposed conv: on flex by the fused op, else burn's.
pub fn conv_transpose2d(conv: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    if !(enabled() && on_flex(&x.device()) && conv.groups == 1) {
        return conv.forward(x);
    }
    fused_conv_transpose2d(conv, x)
}

/// The fused transposed conv, whatever the switch says.
pub fn fused_conv_transpose2d(conv: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let options = ConvTransposeOptions::new(
        conv.stride,
        conv.padding,
        conv.padding_out,
        conv.dilation,
        conv.groups,
    );
    let (x, weight) = (x.into_dispatch(), conv.weight.val().into_dispatch());
    type Ops = burn::backend::Dispatch;
    Tensor::from_dispatch(match &conv.bias {
        Some(bias) => {
            let bias = bias.val().into_dispatch();
            <Ops as FusedConv>::conv_transpose2d_bias_fused(x, weight, bias, options)
        }
        None => <Ops as FusedConv>::conv_transpose2d_fused(x, weight, options),
    })
}

/// `layer.forward(x)` for a (rows, inputs) x: on flex by the fused op (forward and backward),
/// else burn's.
pub fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    if !(enabled() && on_flex(&x.device())) {
        return layer.forward(x);
    }
    fused_linear(layer, x)
}

/// The fused dense layer, whatever the switch says (tests compare it with burn's).
pub fn fused_linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    let (x, weight) = (x.into_dispatch(), layer.weight.val().into_dispatch());
    type Ops = burn::backend::Dispatch;
    Tensor::from_dispatch(match &layer.bias {
        Some(bias) => {
            <Ops as FusedLinear>::linear_bias_fused(x, weight, bias.val().into_dispatch())
        }
        None => <Ops as FusedLinear>::linear_fused(x, weight),
    })
}

/// `layer.forward(cat([a, b], 1))`: on flex by one fused op whose backward forms the input
/// gradient only for the part that wants one (a discriminator's label embedding, not the
/// pixels beside it), else burn's.
pub fn linear_joined(layer: &Linear, a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    if enabled() && on_flex(&a.device()) && layer.bias.is_some() {
        return fused_linear_joined(layer, a, b);
    }
    linear(layer, Tensor::cat(vec![a, b], 1))
}

/// The fused joined layer, whatever the switch says (tests compare it with burn's); a layer
/// without a bias joins the parts first.
pub fn fused_linear_joined(layer: &Linear, a: Tensor<2>, b: Tensor<2>) -> Tensor<2> {
    let Some(bias) = &layer.bias else {
        return fused_linear(layer, Tensor::cat(vec![a, b], 1));
    };
    type Ops = burn::backend::Dispatch;
    Tensor::from_dispatch(<Ops as FusedLinear>::linear_joined_fused(
        a.into_dispatch(),
        b.into_dispatch(),
        layer.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
    ))
}

/// ((top, bottom), (left, right)) as burn's Conv2d works them out (its own helper is private).
fn padding_pairs(
    padding: &PaddingConfig2d,
    size: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
) -> [(usize, usize); 2] {
    // "Same": the output is ceil(size / stride), the padding split with the odd one at the end.
    let same = |axis: usize| {
        let out = size[axis].div_ceil(stride[axis]);
        let total =
            (out.saturating_sub(1) * stride[axis] + kernel[axis]).saturating_sub(size[axis]);
        (total / 2, total - total / 2)
    };
    match padding {
        PaddingConfig2d::Valid => [(0, 0), (0, 0)],
        PaddingConfig2d::Same => [same(0), same(1)],
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(*top, *bottom), (*left, *right)],
    }
}

/// `pool.forward(x)`: on flex by the fused op when the pool is a 2x2 window moved by 2 with
/// no padding (the classifier's), else burn's.
pub fn max_pool2d(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let plain = pool.kernel_size == [2, 2]
        && pool.stride == [2, 2]
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && matches!(pool.padding, PaddingConfig2d::Valid);
    if !(plain && enabled() && on_flex(&x.device())) {
        return pool.forward(x);
    }
    fused_max_pool2x2(x)
}

/// The fused 2x2 max-pool, whatever the switch says (on flex only; callers check).
pub fn fused_max_pool2x2(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(
        <burn::backend::Dispatch as FusedMaxPool>::max_pool2x2_fused(x.into_dispatch()),
    )
}

/// Leaky ReLU in one pass each way, whatever the switch says (on flex only; callers check).
pub fn fused_leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    Tensor::from_dispatch(
        <burn::backend::Dispatch as FusedLeakyRelu>::leaky_relu_fused(x.into_dispatch(), slope),
    )
}

/// Each image resampled through its own turn, slant and size (`crate::train::warp`), in one
/// parallel pass each way, whatever the switch says (on flex only; callers check).
pub fn fused_resample<const D: usize>(
    x: Tensor<D>,
    each: &[crate::train::warp::Distortion],
) -> Tensor<D> {
    Tensor::from_dispatch(<burn::backend::Dispatch as FusedResample>::resample_fused(
        x.into_dispatch(),
        each.to_vec(),
    ))
}

/// tanh in one parallel pass each way, whatever the switch says (on flex only; callers check).
pub fn fused_tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(<burn::backend::Dispatch as FusedTanh>::tanh_fused(
        x.into_dispatch(),
    ))
}

/// `average * decay + current * (1 - decay)`: one parallel pass on flex (in place when the
/// average's values are its own), burn's ops elsewhere or with the switch off.
pub fn blend<const D: usize>(average: Tensor<D>, current: Tensor<D>, decay: f64) -> Tensor<D> {
    if !(enabled() && on_flex(&average.device()) && !average.device().is_autodiff()) {
        return average.mul_scalar(decay) + current.mul_scalar(1.0 - decay);
    }
    Tensor::from_dispatch(<burn::backend::Dispatch as FusedBlend>::blend_fused(
        average.into_dispatch(),
        current.into_dispatch(),
        decay,
    ))
}

/// `sum(x²)` as a one-value tensor: one parallel pass on flex, burn's ops elsewhere or with the
/// switch off.
pub fn square_sum<const D: usize>(x: Tensor<D>) -> Tensor<1> {
    if !(enabled() && on_flex(&x.device()) && !x.device().is_autodiff()) {
        return x.square().sum();
    }
    Tensor::from_dispatch(
        <burn::backend::Dispatch as FusedSquareSum>::square_sum_fused(x.into_dispatch()),
    )
}

/// What the fused ops' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use burn::prelude::*;

    pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 values")
    }

    /// Bit for bit: a fused op that computes the same products as burn's gives the same values.
    pub fn same(a: Vec<f32>, b: Vec<f32>, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
            panic!("{what}[{i}]: fused {} vs burn {}", a[i], b[i]);
        }
    }

    /// An element-wise op and burn's own give the same values, and the same gradient of
    /// `sum(op(x) * weights)`, bit for bit.
    pub fn same_forward_and_gradient(
        x: Tensor<4>,
        weights: Tensor<4>,
        fused: impl Fn(Tensor<4>) -> Tensor<4>,
        reference: impl Fn(Tensor<4>) -> Tensor<4>,
        what: &str,
    ) {
        let (x1, x2) = (x.clone().detach().require_grad(), x.detach().require_grad());
        let (y1, y2) = (fused(x1.clone()), reference(x2.clone()));
        same(
            values(y1.clone()),
            values(y2.clone()),
            &format!("{what} output"),
        );
        let g1 = (y1 * weights.clone()).sum().backward();
        let g2 = (y2 * weights).sum().backward();
        same(
            values(x1.grad(&g1).expect("grad")),
            values(x2.grad(&g2).expect("grad")),
            &format!("{what} gradient"),
        );
    }
}
