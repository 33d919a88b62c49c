//! Fused CPU ops for the training hot path. On burn's flex device they replace chains of
//! burn ops with one pass each way; on any other device (wgpu) and with the switch off, burn's
//! own ops run, so results can be compared (`GAN_STUDIO_REFERENCE_OPS=1`).

pub mod batch_norm;

use std::sync::OnceLock;

use burn::backend::DispatchDevice;
use burn::nn::BatchNorm;
use burn::prelude::*;
use burn::tensor::activation::relu;

use batch_norm::FusedBatchNorm;

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
