//! Times each fused CPU op against burn's own ops on the shapes the models use: forward plus
//! backward, median of 40 runs after 5 warm-ups, both in one process on the flex device.
//!
//!     cargo run --release --example fused_ops

use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::{BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::Distribution;
use gan_studio::fused::{activation, fused_conv_transpose2d, fused_conv2d, fused_train};

#[path = "common/timing.rs"]
mod timing;

/// Milliseconds a call of `run` takes: the median of 40 runs after 5 warm-ups.
fn median_ms(run: impl FnMut()) -> f64 {
    timing::median_ms(5, 40, run)
}

fn main() {
    convs();
    tanhs();
    let device = Device::flex().autodiff();
    println!("| batch norm + activation, forward + backward | burn ms | fused ms | speed-up |");
    println!("|---|---:|---:|---:|");
    for (shape, slope, what) in [
        ([64, 128, 7, 7], 0.0, "G (64, 128, 7, 7), ReLU"),
        ([64, 64, 14, 14], 0.0, "G (64, 64, 14, 14), ReLU"),
        ([64, 128, 7, 7], 0.2, "D (64, 128, 7, 7), leaky ReLU"),
        ([64, 256, 7, 7], 0.3, "TF DCGAN (64, 256, 7, 7), leaky ReLU"),
    ] {
        let norm = BatchNormConfig::new(shape[1]).init(&device);
        let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let time = |fused: bool| {
            median_ms(|| {
                let x = x.clone().detach().require_grad();
                let y = if fused {
                    fused_train(&norm, x.clone(), slope)
                } else {
                    activation(norm.forward(x.clone()), slope)
                };
                let grads = y.sum().backward();
                let _ = x.grad(&grads).map(|g| g.into_data());
            })
        };
        let (reference, fused) = (time(false), time(true));
        // The kernels alone, on plain slices: what the op costs without the tensors around it.
        let values: Vec<f32> = x.clone().into_data().try_to_vec().unwrap_or_default();
        let c = shape[1];
        let (gamma, beta) = (vec![1.0f32; c], vec![0.0f32; c]);
        let kernels = median_ms(|| {
            let (y, mean, var) =
                gan_studio::fused::batch_norm::forward(&values, &shape, &gamma, &beta, 1e-5, slope);
            let _ = gan_studio::fused::batch_norm::backward(
                &values, &shape, &gamma, &beta, &mean, &var, 1e-5, slope, &y,
            );
        });
        eprintln!("{what}: kernels alone {kernels:.2} ms");
        println!(
            "| {what} | {reference:.2} | {fused:.2} | {:.1}x |",
            reference / fused
        );
    }
}

/// Forward alone and forward + backward (input and weight gradients) of DCGAN medium's convs.
fn convs() {
    let device = Device::flex().autodiff();
    println!(
        "| conv layer (batch 64) | burn fwd ms | fused fwd ms | burn fwd+bwd ms | fused fwd+bwd ms | speed-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let pad1 = || PaddingConfig2d::Explicit(1, 1, 1, 1);
    type Layer = Box<dyn Fn(Tensor<4>, bool) -> Tensor<4>>;
    let layers: Vec<(&str, [usize; 4], bool, Layer)> = vec![
        ("D conv1 1->64, 28->14", [64, 1, 28, 28], false, {
            let c = Conv2dConfig::new([1, 64], [4, 4])
                .with_stride([2, 2])
                .with_padding(pad1())
                .init(&device);
            Box::new(move |x, f| if f { fused_conv2d(&c, x) } else { c.forward(x) })
        }),
        ("D conv2 64->128, 14->7", [64, 64, 14, 14], true, {
            let c = Conv2dConfig::new([64, 128], [4, 4])
                .with_stride([2, 2])
                .with_padding(pad1())
                .with_bias(false)
                .init(&device);
            Box::new(move |x, f| if f { fused_conv2d(&c, x) } else { c.forward(x) })
        }),
        ("G up1 128->64, 7->14", [64, 128, 7, 7], true, {
            let c = ConvTranspose2dConfig::new([128, 64], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_bias(false)
                .init(&device);
            Box::new(move |x, f| {
                if f {
                    fused_conv_transpose2d(&c, x)
                } else {
                    c.forward(x)
                }
            })
        }),
        ("G up2 64->1, 14->28", [64, 64, 14, 14], true, {
            let c = ConvTranspose2dConfig::new([64, 1], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(&device);
            Box::new(move |x, f| {
                if f {
                    fused_conv_transpose2d(&c, x)
                } else {
                    c.forward(x)
                }
            })
        }),
    ];
    for (what, shape, x_grad, layer) in layers {
        let x = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
        let forward = |fused: bool| {
            median_ms(|| {
                let _ = layer(x.clone().detach(), fused).into_data();
            })
        };
        let both = |fused: bool| {
            median_ms(|| {
                let x = if x_grad {
                    x.clone().detach().require_grad()
                } else {
                    x.clone().detach()
                };
                let grads = layer(x.clone(), fused).sum().backward();
                let _ = x.grad(&grads).map(|g| g.into_data());
            })
        };
        let (bf, ff, bb, fb) = (forward(false), forward(true), both(false), both(true));
        println!(
            "| {what} | {bf:.2} | {ff:.2} | {bb:.2} | {fb:.2} | {:.1}x |",
            bb / fb
        );
    }
}

/// The generators' output tanh on one core, per value: libm's `tanhf` (what flex calls)
/// against the rational form the fused op uses, on a grey and a colour batch of outputs.
fn tanhs() {
    println!("| tanh on one core | values | libm ms | rational ms | speed-up |");
    println!("|---|---:|---:|---:|---:|");
    for (what, len) in [
        ("(64, 1, 28, 28)", 64 * 784),
        ("(64, 3, 32, 32)", 64 * 3 * 1024),
    ] {
        // Pre-activations as a generator's last layer makes them: mostly within +-3.
        let x: Vec<f32> = (0..len)
            .map(|i| ((i * 7_919) % 6_001) as f32 / 1_000.0 - 3.0)
            .collect();
        let (libm, rational) = (
            map_ms(&x, |v| v.tanh()),
            map_ms(&x, gan_studio::fused::tanh::tanh),
        );
        println!(
            "| {what} | {len} | {libm:.3} | {rational:.3} | {:.1}x |",
            libm / rational
        );
    }
}

/// Milliseconds one pass of `f` over `x` takes on one core (`f` inlined, as the fused op's
/// loop inlines it).
fn map_ms(x: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut out = vec![0f32; x.len()];
    median_ms(|| {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = f(v);
        }
        std::hint::black_box(&mut out);
    })
}
