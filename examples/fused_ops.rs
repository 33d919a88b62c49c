//! Times each fused CPU op against burn's own ops on the shapes the models use: forward plus
//! backward, median of 40 runs after 5 warm-ups, both in one process on the flex device.
//!
//!     cargo run --release --example fused_ops

use std::time::Instant;

use burn::nn::BatchNormConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use gan_studio::fused::{activation, fused_train};

fn median_ms(mut run: impl FnMut()) -> f64 {
    for _ in 0..5 {
        run();
    }
    let mut times: Vec<f64> = (0..40)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
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
