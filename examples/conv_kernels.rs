//! The fused conv kernels alone on plain slices, in GFLOP/s, on the TF tutorial DCGAN's layers
//! (the architecture furthest from PyTorch): forward, and backward's input and weight gradients.
//!
//!     cargo run --release --example conv_kernels
//!
//! PyTorch's oneDNN on the same layers, for comparison:
//! `F.conv_transpose2d(x (64, 256, 7, 7), w (256, 128, 5, 5), padding=2)` and so on.

use gan_studio::fused::conv::{
    Layer, conv_backward, conv_forward, conv_transpose_backward, conv_transpose_forward,
};
use gan_studio::fused::im2col::Geometry;

#[path = "common/timing.rs"]
mod timing;

/// The binary's allocator (`src/main.rs`): under glibc's, each call's megabyte-sized weight
/// gradients come back as fresh pages to fault in, which the training never pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Milliseconds a call of `run` takes: the median of 15 runs after 3 warm-ups.
fn median_ms(run: impl FnMut()) -> f64 {
    timing::median_ms(3, 15, run)
}

fn values(len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919 % 1000) as f32) / 500.0 - 1.0)
        .collect()
}

fn main() {
    gemm_probe();
    let batch = 64;
    // (name, transposed, windowed side (C, H, W), other channels, stride, output padding)
    let layers = [
        ("G convT 256->128 7x7 s1", true, (128, 7, 7), 256, 1, 0),
        ("G convT 128->64 ->14x14 s2", true, (64, 14, 14), 128, 2, 1),
        ("G convT 64->1 ->28x28 s2", true, (1, 28, 28), 64, 2, 1),
        ("D conv 1->64 28->14 s2", false, (1, 28, 28), 64, 2, 0),
        ("D conv 64->128 14->7 s2", false, (64, 14, 14), 128, 2, 0),
    ];
    println!(
        "| layer | fwd ms | GFLOP/s | dx ms | GFLOP/s | dw ms | GFLOP/s | dx + dw ms | GFLOP/s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, transposed, (c, h, w), other, stride, _) in layers {
        // Stride 2 halves the windowed side; a transposed conv's input is that smaller grid.
        let out = [h / stride, w / stride];
        let g = Geometry {
            channels: c,
            height: h,
            width: w,
            kernel: [5, 5],
            stride: [stride, stride],
            padding: [2, 2],
            dilation: [1, 1],
            out,
        };
        let l = Layer {
            batch,
            geometry: g,
            channels: other,
        };
        let windowed = values(batch * g.image_len());
        let others = values(batch * other * g.positions());
        let weight = values(other * g.rows());
        let flop = 2.0 * (batch * other * g.rows() * g.positions()) as f64;
        let gf = |ms: f64| flop / ms / 1e6;
        let backward = |want: [bool; 3]| {
            median_ms(|| {
                drop(if transposed {
                    conv_transpose_backward(&l, &others, &weight, &windowed, want)
                } else {
                    conv_backward(&l, &windowed, &weight, &others, want)
                })
            })
        };
        let fwd = median_ms(|| {
            drop(if transposed {
                conv_transpose_forward(&l, &others, &weight, None)
            } else {
                conv_forward(&l, &windowed, &weight, None)
            })
        });
        let (dx, dw) = (
            backward([true, false, false]),
            backward([false, true, false]),
        );
        let both = backward([true, true, false]);
        println!(
            "| {name} | {fwd:.2} | {:.0} | {dx:.2} | {:.0} | {dw:.2} | {:.0} | {both:.2} | {:.0} |",
            gf(fwd),
            gf(dx),
            gf(dw),
            2.0 * gf(both)
        );
    }
}

/// One core's product for the 256->128 layer's forward, its weight read as a transposed view
/// and as a transposed copy (what `conv_transpose_forward` passes), and the backward products.
fn gemm_probe() {
    use gan_studio::fused::im2col::{View, matmul};
    let (m, k, n) = (3200usize, 256usize, 392usize);
    let w = values(k * m); // (256, 3200) row-major: W; its transpose is W^T
    let wt: Vec<f32> = (0..m * k).map(|i| w[(i % k) * m + i / k]).collect(); // (3200, 256)
    let x = values(k * n);
    let mut out = vec![0.0f32; m * n];
    let flop = 2.0 * (m * k * n) as f64;
    let mut time = |lhs: View, rhs: View| median_ms(|| matmul(&mut out, lhs, rhs, false, 1));
    let a = time(View::new(&w, k, m).t(), View::new(&x, k, n));
    let b = time(View::new(&wt, m, k), View::new(&x, k, n));
    // the transposed product: out^T (n, m) = x^T (n, k) x W (k, m)
    let c = time(View::new(&x, k, n).t(), View::new(&w, k, m));
    println!(
        "1 thread fwd gemm: W^T view {a:.2} ms ({:.0} GF/s), W^T copied {b:.2} ms ({:.0}), transposed product {c:.2} ms ({:.0})",
        flop / a / 1e6,
        flop / b / 1e6,
        flop / c / 1e6
    );
    // dx: (256, 392) = W (256, 3200) x cols (3200, 392)
    let cols = values(m * n);
    let mut side = vec![0.0f32; k * n];
    let d = median_ms(|| {
        matmul(
            &mut side,
            View::new(&w, k, m),
            View::new(&cols, m, n),
            false,
            1,
        )
    });
    // dw: (256, 3200) += x (256, 392) x cols^T
    let mut dw = vec![0.0f32; k * m];
    let e = median_ms(|| {
        matmul(
            &mut dw,
            View::new(&x, k, n),
            View::new(&cols, m, n).t(),
            true,
            1,
        )
    });
    println!(
        "1 thread dx gemm {d:.2} ms ({:.0}), dw gemm {e:.2} ms ({:.0})",
        flop / d / 1e6,
        flop / e / 1e6
    );
}
