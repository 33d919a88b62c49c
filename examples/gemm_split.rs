//! Times one dense layer's product on two cores split three ways: gemm's own split (the
//! product as `fused::im2col::matmul` ran it before), bands of output rows, and bands of
//! output columns (what `matmul` does now), against one core. The other worker is kept
//! awake as in a training step. Median ms of 200 runs after 10 warm-ups.
//!
//!     cargo run --release --example gemm_split

use gan_studio::fused::awake::while_awake;
use gan_studio::fused::im2col::{View, matmul};
use rayon::prelude::*;

#[path = "common/timing.rs"]
mod timing;

/// The output's pointer, shared by the band tasks.
#[derive(Clone, Copy)]
struct Out(*mut f32);
// SAFETY: each task writes its own columns.
unsafe impl Send for Out {}
unsafe impl Sync for Out {}

/// `out (m, n) = lhs (m, k) rhs (k, n)`, row-major, in `bands` bands of columns or with
/// gemm's own split over `threads`.
fn product(
    out: &mut [f32],
    (lhs, rhs): (&[f32], &[f32]),
    (m, k, n): (usize, usize, usize),
    split: Split,
) {
    let gemm = |out: *mut f32, first: usize, end: usize, parallelism| unsafe {
        gemm::gemm(
            m,
            end - first,
            k,
            out.add(first),
            1,
            n as isize,
            false,
            lhs.as_ptr(),
            1,
            k as isize,
            rhs.as_ptr().add(first),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        )
    };
    match split {
        Split::One => gemm(out.as_mut_ptr(), 0, n, gemm::Parallelism::None),
        Split::Gemm => gemm(out.as_mut_ptr(), 0, n, gemm::Parallelism::Rayon(2)),
        Split::Rows => out
            .par_chunks_mut(m.div_ceil(2) * n)
            .enumerate()
            .for_each(|(t, out)| {
                let rows = out.len() / n;
                let first = t * m.div_ceil(2);
                let lhs = View::new(&lhs[first * k..(first + rows) * k], rows, k);
                matmul(out, lhs, View::new(rhs, k, n), false, 1);
            }),
        Split::Columns => {
            let out = Out(out.as_mut_ptr());
            let width = n.div_ceil(2);
            (0..2).into_par_iter().for_each(|t| {
                let out = out;
                gemm(
                    out.0,
                    t * width,
                    ((t + 1) * width).min(n),
                    gemm::Parallelism::None,
                )
            });
        }
    }
}

#[derive(Clone, Copy)]
enum Split {
    One,
    Gemm,
    Rows,
    Columns,
}

fn main() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool of two");
    println!("| (m, k, n) | one core | gemm's split | row bands | column bands |");
    println!("|---|---:|---:|---:|---:|");
    pool.install(|| {
        while_awake(|| {
            // The dense CGAN's layers, forward and backward, and InfoGAN's two large ones.
            for (m, k, n) in [
                (64, 110, 256),
                (64, 256, 512),
                (64, 512, 784),
                (128, 794, 512),
                (512, 64, 784),
                (64, 1024, 6272),
                (64, 6272, 1024),
                (64, 6272, 11),
                (64, 6272, 1),
                (6272, 64, 11),
            ] {
                let lhs: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
                let rhs: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).sin()).collect();
                let mut out = vec![0.0f32; m * n];
                let mut time = |split| {
                    timing::median_ms(10, 200, || {
                        product(&mut out, (&lhs, &rhs), (m, k, n), split)
                    })
                };
                let [one, gemm, rows, columns] =
                    [Split::One, Split::Gemm, Split::Rows, Split::Columns].map(&mut time);
                println!("| ({m}, {k}, {n}) | {one:.3} | {gemm:.3} | {rows:.3} | {columns:.3} |");
            }
        })
    });
}
