//! Conv2d and transposed conv2d for burn's flex CPU backend, forward and hand-written backward
//! (input, weight and bias gradients), each one im2col / col2im and one `gemm` product per
//! block of images, images split across the cores with a weight-gradient accumulator per
//! share. Stride-1 layers go by kernel rows instead (`kernel_rows.rs`), which skips the
//! padding's rows. Passes with no sum across images (outputs, input gradients) claim blocks
//! of images one at a time, so a core that runs slower takes fewer ([`by_block`],
//! [`parts_then_blocks`]); the weight gradient keeps fixed parts and summation order.
//!
//! Written by hand because flex overrides no convolution backward: burn's defaults run the
//! input gradient as a transposed conv and the weight gradient as a conv over swapped axes with
//! one skinny product per image, ~3x slower than PyTorch on the models' layers (PLATFORM.md).
//! Groups other than 1 are left to burn (no model here uses them).
//!
//! Layouts: images (N, C, H, W) contiguous; a conv's weight (C_out, C_in, kh, kw) is read as the
//! matrix (C_out, C_in kh kw); a transposed conv's weight (C_in, C_out, kh, kw) as
//! (C_in, C_out kh kw).

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops};
use burn::backend::ops::{ConvOptions, ConvTransposeOptions};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use std::ops::Range;
use std::sync::Mutex;

use super::batch_norm::lane_sum;
use super::im2col::{Geometry, View, col2im, im2col, matmul, transposed};
use super::kernel_rows::{self, Orientation, by_kernel_row};
use super::{Grads, contiguous, slice, tensor};

/// One convolution's sizes: the batch, the channels on the side the kernel windows read
/// (`geometry.channels`) and on the other side (`channels`).
#[derive(Clone, Copy, Debug)]
pub struct Layer {
    pub batch: usize,
    /// The windowed side: a conv's input, a transposed conv's output.
    pub geometry: Geometry,
    /// The other side's channels: a conv's output, a transposed conv's input.
    pub channels: usize,
}

impl Layer {
    /// Length of one image on the other side: channels x positions.
    fn other_len(&self) -> usize {
        self.channels * self.geometry.positions()
    }
}

/// Columns a block of images aims at: enough that each product is a wide one (a 7x7 output has
/// only 49 positions per image, too few for gemm's kernels), few enough to stay in cache.
const BLOCK_COLUMNS: usize = 384;

/// Shares a batch is split into, whatever the core count: the weight gradient is summed share
/// by share in a fixed order, so a run gives the same numbers on 2 cores as on 16 (a GAN's
/// training amplifies a last-bit difference into visibly different losses within steps).
const PARTS: usize = 8;

/// How many images each share takes.
fn images_per_part(batch: usize) -> usize {
    batch.div_ceil(PARTS).max(1)
}

/// Threads for one product: all of them when there are fewer images than cores.
pub(super) fn inner_threads(batch: usize) -> usize {
    let threads = rayon::current_num_threads();
    if batch < threads { threads } else { 1 }
}

/// Runs `work` on each core's share of the batch, in parallel: the share's image range and its
/// slice of `out` (`len` values per image), when there is an `out`. Results in share order.
pub(super) fn by_part<R: Send>(
    batch: usize,
    out: Option<&mut [f32]>,
    len: usize,
    work: impl Fn(Range<usize>, Option<&mut [f32]>) -> R + Sync,
) -> Vec<R> {
    let per = images_per_part(batch);
    let parts = batch.div_ceil(per);
    let outs: Vec<Mutex<Option<&mut [f32]>>> = match out {
        Some(out) => out
            .chunks_mut(per * len)
            .map(|o| Mutex::new(Some(o)))
            .collect(),
        None => (0..parts).map(|_| Mutex::new(None)).collect(),
    };
    super::shares::map_collect(parts, |part| {
        // Each part takes its own slice once; the lock is never contended.
        let out = outs[part].lock().unwrap_or_else(|p| p.into_inner()).take();
        work(part * per..((part + 1) * per).min(batch), out)
    })
}

/// Runs `work` on each block of the batch (see [`blocks`]; `positions` output positions an
/// image) with its slice of `out`, `len` values an image, the cores claiming one block at a
/// time. Only for passes with no sum across images (a forward pass, an input gradient): each
/// output image is computed alone, so any split gives the same values, and the core that ends
/// first takes the next block instead of waiting on the other's last fixed part.
pub(super) fn by_block(
    batch: usize,
    positions: usize,
    out: &mut [f32],
    len: usize,
    work: impl Fn(Range<usize>, &mut [f32]) + Sync,
) {
    use super::shares::{Claim, for_each_chunk_mut_claimed};
    let size = block_images(positions);
    for_each_chunk_mut_claimed(&mut out[..batch * len], size * len, Claim::One, |i, out| {
        work(i * size..((i + 1) * size).min(batch), out)
    });
}

/// A backward pass's two kinds of work as one op: `part` on each of the batch's fixed parts
/// (see [`by_part`]; its results in part order), then `block` on each block with its slice of
/// `out`, `len` values an image (see [`by_block`]), claimed one at a time, the parts first. The
/// blocks, shorter and free of any sum across images, fill the end where one core would wait
/// for the other's last part.
pub(super) fn parts_then_blocks<R: Send>(
    batch: usize,
    positions: usize,
    out: Option<&mut [f32]>,
    len: usize,
    part: impl Fn(Range<usize>) -> R + Sync,
    block: impl Fn(Range<usize>, &mut [f32]) + Sync,
) -> Vec<R> {
    use super::shares::{Claim, for_each_share_claimed};
    let (per, size) = (images_per_part(batch), block_images(positions));
    let parts = batch.div_ceil(per);
    // Each block takes its own slice once and each part sets its own result: no lock is
    // ever contended.
    let outs: Vec<Mutex<Option<&mut [f32]>>> = out.map_or_else(Vec::new, |out| {
        out[..batch * len]
            .chunks_mut(size * len)
            .map(|o| Mutex::new(Some(o)))
            .collect()
    });
    let results: Vec<Mutex<Option<R>>> = (0..parts).map(|_| Mutex::new(None)).collect();
    for_each_share_claimed(parts + outs.len(), Claim::One, |i| {
        if i < parts {
            let r = part(i * per..((i + 1) * per).min(batch));
            *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        } else if let Some(out) = outs[i - parts]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let b = i - parts;
            block(b * size..((b + 1) * size).min(batch), out)
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("each part ran once")
        })
        .collect()
}

/// Images in a block of about [`BLOCK_COLUMNS`] columns, `positions` columns an image.
fn block_images(positions: usize) -> usize {
    BLOCK_COLUMNS.div_ceil(positions.max(1)).max(1)
}

/// The share's images in blocks of about [`BLOCK_COLUMNS`] columns.
fn blocks(images: Range<usize>, positions: usize) -> impl Iterator<Item = Range<usize>> {
    let size = block_images(positions);
    let end = images.end;
    images
        .step_by(size)
        .map(move |start| start..(start + size).min(end))
}

/// Copies an image (channels, positions) into columns `at..at + positions` of a block
/// (channels, `wide`).
fn gather(block: &mut [f32], image: &[f32], positions: usize, wide: usize, at: usize) {
    for (c, plane) in image.chunks(positions).enumerate() {
        block[c * wide + at..][..positions].copy_from_slice(plane);
    }
}

/// The reverse of [`gather`]: an image (channels, positions) from a block's columns, plus a
/// per-channel bias.
fn scatter(
    block: &[f32],
    image: &mut [f32],
    positions: usize,
    wide: usize,
    at: usize,
    bias: Option<&[f32]>,
) {
    for (c, plane) in image.chunks_mut(positions).enumerate() {
        plane.copy_from_slice(&block[c * wide + at..][..positions]);
        if let Some(bias) = bias {
            plane.iter_mut().for_each(|v| *v += bias[c]);
        }
    }
}

thread_local! {
    /// Each thread's two block buffers, kept from call to call: allocated per share and layer,
    /// a block of several megabytes (5 MB in TF DCGAN's 256->128 layer) came back from the
    /// allocator as fresh pages to fault in and zero. Each thread keeps its largest block.
    static SCRATCH: std::cell::Cell<[Vec<f32>; 2]> = const { std::cell::Cell::new([Vec::new(), Vec::new()]) };
}

/// Runs `work` on each block of a share's `images` (see [`blocks`]) with this thread's two
/// scratch buffers, sized for the block: (images, columns, cols (rows, columns), side
/// (the other side's channels, columns)). Their values are left over from earlier calls, so
/// `work` writes every value it reads.
fn each_block(
    l: &Layer,
    images: Range<usize>,
    mut work: impl FnMut(Range<usize>, usize, &mut [f32], &mut [f32]),
) {
    let (rows, positions) = (l.geometry.rows(), l.geometry.positions());
    let per_image = [rows * positions, l.channels * positions];
    each_block_sized(images, positions, per_image, |block, cols, side| {
        work(block.clone(), block.len() * positions, cols, side)
    });
}

/// Runs `work` on each block of `images` (of `positions` output positions each) with this
/// thread's two scratch buffers, `per_image` values an image each. Their values are left over
/// from earlier calls. Taken out of the thread-local while in use: a rayon job that runs on
/// this thread inside `work` gets fresh buffers instead of the ones in use.
pub(super) fn each_block_sized(
    images: Range<usize>,
    positions: usize,
    per_image: [usize; 2],
    mut work: impl FnMut(Range<usize>, &mut [f32], &mut [f32]),
) {
    let [mut first, mut second] = SCRATCH.take();
    for block in blocks(images, positions) {
        let n = block.len();
        work(
            block,
            grown(&mut first, per_image[0] * n),
            grown(&mut second, per_image[1] * n),
        );
    }
    SCRATCH.set([first, second]);
}

/// The first `len` values of `buffer`, grown to hold them.
fn grown(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buffer.len() < len {
        buffer.resize(len, 0.0);
    }
    &mut buffer[..len]
}

/// Adds `bias[c]` to every position of channel c of one image (channels, positions).
fn add_bias(image: &mut [f32], bias: Option<&[f32]>, positions: usize) {
    if let Some(bias) = bias {
        for (plane, &b) in image.chunks_mut(positions).zip(bias) {
            plane.iter_mut().for_each(|v| *v += b);
        }
    }
}

/// Per-channel sums of one image (channels, positions), added into `sums`.
pub(super) fn add_channel_sums(sums: &mut [f32], image: &[f32], positions: usize) {
    for (sum, plane) in sums.iter_mut().zip(image.chunks(positions)) {
        *sum += lane_sum(plane.len(), |i| plane[i]) as f32;
    }
}

/// Sums the parts' weight and bias gradients, each element in part order (the same result on
/// every run and core count), the weight's elements in parallel.
pub(super) fn sum_parts(mut parts: Vec<(Vec<f32>, Vec<f32>)>) -> (Vec<f32>, Vec<f32>) {
    if parts.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let (mut weight, mut bias) = parts.remove(0);
    super::shares::for_each_chunk_mut(&mut weight, 1 << 14, |chunk, sums| {
        for (w, _) in &parts {
            let part = &w[chunk << 14..][..sums.len()];
            sums.iter_mut().zip(part).for_each(|(s, v)| *s += v);
        }
    });
    for (_, b) in &parts {
        bias.iter_mut().zip(b).for_each(|(s, v)| *s += v);
    }
    (weight, bias)
}

/// The weight's shape, (other side, windowed side, kh, kw): a conv's (C_out, C_in, kh, kw), a
/// transposed conv's (C_in, C_out, kh, kw).
fn weight_shape(l: &Layer) -> [usize; 4] {
    let g = &l.geometry;
    [l.channels, g.channels, g.kernel[0], g.kernel[1]]
}

/// A conv's output (N, C_out, positions): x (N, C_in, H, W), weight (C_out, rows).
pub fn conv_forward(l: &Layer, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let g = &l.geometry;
    if kernel_rows::applies(g) {
        let rows = by_kernel_row(weight, weight_shape(l), Orientation::AS_IS);
        return kernel_rows::forward(l, x, &rows, bias);
    }
    let (rows, positions, image) = (g.rows(), g.positions(), g.image_len());
    let (threads, other) = (inner_threads(l.batch), l.other_len());
    let mut y = super::zeros(l.batch * other);
    by_block(l.batch, positions, &mut y, other, |images, y| {
        each_block(l, images, |block, wide, cols, out| {
            let span = block.start * image..block.end * image;
            im2col(g, &x[span], cols, wide);
            // out (C_out, wide) = W (C_out, rows) x cols (rows, wide)
            let w = View::new(weight, l.channels, rows);
            matmul(out, w, View::new(cols, rows, wide), false, threads);
            for (j, y) in y.chunks_exact_mut(other).enumerate() {
                scatter(out, y, positions, wide, j * positions, bias);
            }
        });
    });
    y
}

/// A conv's gradients from the output's gradient `dy` (N, C_out, positions); `want` names the
/// ones to compute: [input, weight, bias].
pub fn conv_backward(l: &Layer, x: &[f32], weight: &[f32], dy: &[f32], want: [bool; 3]) -> Grads {
    let g = &l.geometry;
    if kernel_rows::applies(g) {
        let shape = weight_shape(l);
        // The input gradient is the conv of dy by the kernel turned half a turn.
        let rows = want[0].then(|| by_kernel_row(weight, shape, Orientation::TURNED));
        let side = kernel_rows::input_side(l);
        let (dx, dw, db) = kernel_rows::backward(
            l,
            x,
            dy,
            [want[1], want[2]],
            Orientation::AS_IS,
            rows.as_deref().map(|rows| (&side, rows)),
        );
        return Grads {
            x: dx,
            weight: want[1].then_some(dw),
            bias: want[2].then_some(db),
        };
    }
    let (rows, positions, image) = (g.rows(), g.positions(), g.image_len());
    let (threads, other) = (inner_threads(l.batch), l.other_len());
    let mut dx = want[0].then(|| super::zeros(x.len()));
    let weight_t = if want[0] {
        transposed(weight, l.channels, rows)
    } else {
        Vec::new()
    };
    let sums = parts_then_blocks(
        l.batch,
        positions,
        dx.as_deref_mut(),
        image,
        |images| {
            let mut dw = vec![0.0f32; if want[1] { l.channels * rows } else { 0 }];
            let mut db = vec![0.0f32; if want[2] { l.channels } else { 0 }];
            each_block(l, images, |block, wide, cols, dyb| {
                for (j, n) in block.clone().enumerate() {
                    let dy = &dy[n * other..][..other];
                    if want[1] {
                        gather(dyb, dy, positions, wide, j * positions);
                    }
                    if want[2] {
                        add_channel_sums(&mut db, dy, positions);
                    }
                }
                if want[1] {
                    let span = block.start * image..block.end * image;
                    im2col(g, &x[span], cols, wide);
                    // dW (C_out, rows) += dy (C_out, wide) x cols^T (wide, rows)
                    let cols_t = View::new(cols, rows, wide).t();
                    matmul(
                        &mut dw,
                        View::new(dyb, l.channels, wide),
                        cols_t,
                        true,
                        threads,
                    );
                }
            });
            (dw, db)
        },
        |images, dx| {
            each_block(l, images, |block, wide, cols, dyb| {
                for (j, n) in block.enumerate() {
                    gather(
                        dyb,
                        &dy[n * other..][..other],
                        positions,
                        wide,
                        j * positions,
                    );
                }
                // dcols (rows, wide) = W^T (rows, C_out) x dy (C_out, wide), added back as dx.
                let w_t = View::new(&weight_t, rows, l.channels);
                matmul(cols, w_t, View::new(dyb, l.channels, wide), false, threads);
                col2im(g, cols, wide, dx);
            });
        },
    );
    let (dw, db) = sum_parts(sums);
    Grads {
        x: dx,
        weight: want[1].then_some(dw),
        bias: want[2].then_some(db),
    }
}

/// A transposed conv's output (N, C_out, H_out, W_out): x (N, C_in, positions), weight
/// (C_in, rows).
pub fn conv_transpose_forward(
    l: &Layer,
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
) -> Vec<f32> {
    let g = &l.geometry;
    if kernel_rows::applies(g) {
        // The conv of x by the kernel turned half a turn, with its channels' roles swapped.
        let rows = by_kernel_row(weight, weight_shape(l), Orientation::TURNED);
        return kernel_rows::forward(&kernel_rows::input_side(l), x, &rows, bias);
    }
    let (rows, positions, image) = (g.rows(), g.positions(), g.image_len());
    let (threads, other) = (inner_threads(l.batch), l.other_len());
    let weight_t = transposed(weight, l.channels, rows);
    let mut y = super::zeros(l.batch * image);
    by_block(l.batch, positions, &mut y, image, |images, y| {
        each_block(l, images, |block, wide, cols, xb| {
            for (j, n) in block.clone().enumerate() {
                gather(xb, &x[n * other..][..other], positions, wide, j * positions);
            }
            // cols (rows, wide) = W^T (rows, C_in) x x (C_in, wide), added into y's windows.
            let w_t = View::new(&weight_t, rows, l.channels);
            matmul(cols, w_t, View::new(xb, l.channels, wide), false, threads);
            col2im(g, cols, wide, y);
            for y in y.chunks_exact_mut(image) {
                add_bias(y, bias, g.height * g.width);
            }
        });
    });
    y
}

/// A transposed conv's gradients from the output's gradient `dy` (N, C_out, H_out, W_out).
pub fn conv_transpose_backward(
    l: &Layer,
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    want: [bool; 3],
) -> Grads {
    let g = &l.geometry;
    if kernel_rows::applies(g) {
        let shape = weight_shape(l);
        // The input gradient is the conv of dy by the weight as it is (C_in's side its output).
        let rows = want[0].then(|| by_kernel_row(weight, shape, Orientation::AS_IS));
        let forward = kernel_rows::input_side(l);
        let (dx, dw, db) = kernel_rows::backward(
            &forward,
            x,
            dy,
            [want[1], want[2]],
            Orientation::TURNED,
            rows.as_deref().map(|rows| (l, rows)),
        );
        return Grads {
            x: dx,
            weight: want[1].then_some(dw),
            bias: want[2].then_some(db),
        };
    }
    let (rows, positions, image) = (g.rows(), g.positions(), g.image_len());
    let (threads, other) = (inner_threads(l.batch), l.other_len());
    let mut dx = want[0].then(|| super::zeros(x.len()));
    // Input and weight gradients in the same fixed parts, unlike `conv_backward`: both read
    // each block's im2col of dy, which apart would be built twice (its blocks of 4x4 or 5x5
    // windows at stride 2 are 4-6x dy's size); that version ran DCGAN's step slower.
    let sums = by_part(l.batch, dx.as_deref_mut(), other, |images, mut dx| {
        let mut dw = vec![0.0f32; if want[1] { l.channels * rows } else { 0 }];
        let mut db = vec![0.0f32; if want[2] { g.channels } else { 0 }];
        let first = images.start;
        each_block(l, images, |block, wide, cols, side| {
            for n in block.clone() {
                if want[2] {
                    add_channel_sums(&mut db, &dy[n * image..][..image], g.height * g.width);
                }
            }
            if !(want[0] || want[1]) {
                return;
            }
            let span = block.start * image..block.end * image;
            im2col(g, &dy[span], cols, wide);
            let cols_view = View::new(cols, rows, wide);
            if want[1] {
                // dW (C_in, rows) += x (C_in, wide) x cols^T (wide, rows)
                for (j, n) in block.clone().enumerate() {
                    gather(
                        side,
                        &x[n * other..][..other],
                        positions,
                        wide,
                        j * positions,
                    );
                }
                let x_view = View::new(side, l.channels, wide);
                matmul(&mut dw, x_view, cols_view.t(), true, threads);
            }
            if let Some(dx) = dx.as_deref_mut() {
                // dx (C_in, wide) = W (C_in, rows) x cols (rows, wide)
                let w = View::new(weight, l.channels, rows);
                matmul(side, w, cols_view, false, threads);
                for (j, n) in block.enumerate() {
                    let dx = &mut dx[(n - first) * other..][..other];
                    scatter(side, dx, positions, wide, j * positions, None);
                }
            }
        });
        (dw, db)
    });
    let (dw, db) = sum_parts(sums);
    Grads {
        x: dx,
        weight: want[1].then_some(dw),
        bias: want[2].then_some(db),
    }
}

/// Which of the two ops, with its options.
#[derive(Clone, Debug)]
enum Kind {
    Conv(ConvOptions<2>),
    Transposed(ConvTransposeOptions<2>),
}

impl Kind {
    /// The layer's sizes from the input's and the weight's shapes.
    fn layer(&self, x: &[usize], weight: &[usize]) -> Layer {
        let (batch, [kh, kw]) = (x[0], [weight[2], weight[3]]);
        // A network fed pictures of another shape (a colour set to a grey model) must stop here
        // with the shapes named, as burn's own op does, not index past a buffer in a kernel.
        let reads = match self {
            Kind::Conv(_) => weight[1],
            Kind::Transposed(_) => weight[0],
        };
        assert_eq!(
            x[1],
            reads,
            "{}: the input {x:?} has {} channels, the weight {weight:?} reads {reads}",
            match self {
                Kind::Conv(_) => "conv2d",
                Kind::Transposed(_) => "conv_transpose2d",
            },
            x[1]
        );
        match self {
            Kind::Conv(o) => {
                let out = |axis: usize, size: usize, k: usize| {
                    let (begin, end) = o.padding[axis];
                    (size + begin + end - o.dilation[axis] * (k - 1) - 1) / o.stride[axis] + 1
                };
                Layer {
                    batch,
                    channels: weight[0],
                    geometry: Geometry {
                        channels: x[1],
                        height: x[2],
                        width: x[3],
                        kernel: [kh, kw],
                        stride: o.stride,
                        padding: [o.padding[0].0, o.padding[1].0],
                        dilation: o.dilation,
                        out: [out(0, x[2], kh), out(1, x[3], kw)],
                    },
                }
            }
            Kind::Transposed(o) => {
                let out = |axis: usize, size: usize, k: usize| {
                    (size - 1) * o.stride[axis]
                        + o.dilation[axis] * (k - 1)
                        + o.padding_out[axis]
                        + 1
                        - 2 * o.padding[axis]
                };
                Layer {
                    batch,
                    channels: x[1],
                    geometry: Geometry {
                        channels: weight[1],
                        height: out(0, x[2], kh),
                        width: out(1, x[3], kw),
                        kernel: [kh, kw],
                        stride: o.stride,
                        padding: o.padding,
                        dilation: o.dilation,
                        out: [x[2], x[3]],
                    },
                }
            }
        }
    }

    /// The output's shape.
    fn output_shape(&self, l: &Layer) -> Vec<usize> {
        let g = &l.geometry;
        match self {
            Kind::Conv(_) => vec![l.batch, l.channels, g.out[0], g.out[1]],
            Kind::Transposed(_) => vec![l.batch, g.channels, g.height, g.width],
        }
    }
}

// Four ops, not two with an optional bias: the extension macro does not route an
// `Option<FloatTensor>` argument through to the backends.
#[backend_extension(Flex, Autodiff)]
pub trait FusedConv: Backend {
    /// burn's `conv2d` with groups 1 and no bias.
    fn conv2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// burn's `conv2d` with groups 1 and a bias.
    fn conv2d_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// burn's `conv_transpose2d` with groups 1 and no bias.
    fn conv_transpose2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self>;

    /// burn's `conv_transpose2d` with groups 1 and a bias.
    fn conv_transpose2d_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self>;
}

type FlexTensor = FloatTensor<Flex>;

/// The forward on flex tensors.
fn forward(
    kind: &Kind,
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: Option<&FlexTensor>,
) -> FlexTensor {
    let l = kind.layer(x.layout().shape(), weight.layout().shape());
    let (x, weight) = (contiguous(x), contiguous(weight));
    let bias = bias.map(contiguous);
    let bias = bias.as_ref().map(slice);
    let y = match kind {
        Kind::Conv(_) => conv_forward(&l, slice(&x), slice(&weight), bias),
        Kind::Transposed(_) => conv_transpose_forward(&l, slice(&x), slice(&weight), bias),
    };
    tensor(y, kind.output_shape(&l))
}

impl FusedConv for Flex {
    fn conv2d_fused(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        forward(&Kind::Conv(options), &x, &weight, None)
    }

    fn conv2d_bias_fused(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        forward(&Kind::Conv(options), &x, &weight, Some(&bias))
    }

    fn conv_transpose2d_fused(
        x: FlexTensor,
        weight: FlexTensor,
        options: ConvTransposeOptions<2>,
    ) -> FlexTensor {
        forward(&Kind::Transposed(options), &x, &weight, None)
    }

    fn conv_transpose2d_bias_fused(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvTransposeOptions<2>,
    ) -> FlexTensor {
        forward(&Kind::Transposed(options), &x, &weight, Some(&bias))
    }
}

/// What the backward keeps from the forward: the input and the weight (shared, not copied).
#[derive(Clone, Debug)]
struct Saved {
    kind: Kind,
    x: FlexTensor,
    weight: FlexTensor,
}

/// The backward of either op; `N` is 2 without a bias, 3 with one.
#[derive(Debug)]
struct ConvBackward<const N: usize>;

impl<const N: usize> Backward<Flex, N> for ConvBackward<N> {
    type State = Saved;

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let Saved { kind, x, weight } = ops.state;
        let (x_shape, w_shape) = (
            x.layout().shape().to_vec(),
            weight.layout().shape().to_vec(),
        );
        let l = kind.layer(&x_shape, &w_shape);
        let parents = ops.parents;
        let want = [0, 1, 2].map(|i| parents.get(i).is_some_and(Option::is_some));
        let (x, w, dy) = (slice(&x), slice(&weight), slice(&grad));
        let result = match kind {
            Kind::Conv(_) => conv_backward(&l, x, w, dy, want),
            Kind::Transposed(_) => conv_transpose_backward(&l, x, w, dy, want),
        };
        let out_channels = w_shape[match kind {
            Kind::Conv(_) => 0,
            Kind::Transposed(_) => 1,
        }];
        let registered = [
            result.x.map(|g| tensor(g, x_shape)),
            result.weight.map(|g| tensor(g, w_shape)),
            result.bias.map(|g| tensor(g, vec![out_channels])),
        ];
        for (node, grad) in parents.iter().zip(registered) {
            if let (Some(node), Some(grad)) = (node, grad) {
                grads.register::<Flex>(node.id, grad);
            }
        }
    }
}

/// The autodiff op: the flex forward, recorded with the backward above.
fn tracked<C: CheckpointStrategy>(
    kind: Kind,
    x: FloatTensor<Autodiff<Flex, C>>,
    weight: FloatTensor<Autodiff<Flex, C>>,
    bias: Option<FloatTensor<Autodiff<Flex, C>>>,
) -> FloatTensor<Autodiff<Flex, C>> {
    let inner = |x: &FloatTensor<Autodiff<Flex, C>>| contiguous(x.primitive());
    let (xp, wp) = (inner(&x), inner(&weight));
    let bp = bias.as_ref().map(inner);
    let output = forward(&kind, &xp, &wp, bp.as_ref());
    let saved = Saved {
        kind,
        x: xp,
        weight: wp,
    };
    match bias {
        Some(bias) => super::record::<C, _, 3>(
            ConvBackward::<3>,
            [x.node(), weight.node(), bias.node()],
            saved,
            output,
        ),
        None => {
            super::record::<C, _, 2>(ConvBackward::<2>, [x.node(), weight.node()], saved, output)
        }
    }
}

impl<C: CheckpointStrategy> FusedConv for Autodiff<Flex, C> {
    fn conv2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        tracked::<C>(Kind::Conv(options), x, weight, None)
    }

    fn conv2d_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        tracked::<C>(Kind::Conv(options), x, weight, Some(bias))
    }

    fn conv_transpose2d_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        tracked::<C>(Kind::Transposed(options), x, weight, None)
    }

    fn conv_transpose2d_bias_fused(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        tracked::<C>(Kind::Transposed(options), x, weight, Some(bias))
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::PaddingConfig2d;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::prelude::*;
    use burn::tensor::Distribution;

    use crate::fused::testing::values;
    use crate::fused::{fused_conv_transpose2d, fused_conv2d};

    /// Equal within 1e-5 of the largest magnitude (the sums run in a different order).
    fn close(a: Vec<f32>, b: Vec<f32>, what: &str) {
        close_above(a, b, what, 1e-3);
    }

    /// As [`close`], with the scale at least `floor`: a bias gradient is a sum of many terms
    /// that may cancel to near 0 (one channel's, 1 run in ~60 of the transposed test before
    /// this floor), where its rounding error is still the size of the terms' random walk.
    fn close_above(a: Vec<f32>, b: Vec<f32>, what: &str, floor: f32) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(floor);
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 * scale,
                "{what}[{i}]: fused {x} vs burn {y} (scale {scale})"
            );
        }
    }

    /// A random input of `shape`, stored with its last two axes swapped when `strided`.
    fn input(shape: [usize; 4], strided: bool, device: &Device) -> Tensor<4> {
        let normal = Distribution::Normal(0.0, 1.0);
        if strided {
            let [n, c, h, w] = shape;
            Tensor::<4>::random([n, c, w, h], normal, device).swap_dims(2, 3)
        } else {
            Tensor::<4>::random(shape, normal, device)
        }
    }

    /// The fused op against burn's: the output, then the input's, weight's and bias's gradients
    /// of a random weighting of the output. `x_grad` false leaves the input a constant (real
    /// images), so only the parameters' gradients are asked for.
    fn compare(
        x: Tensor<4>,
        x_grad: bool,
        fused: impl Fn(Tensor<4>) -> Tensor<4>,
        reference: impl Fn(Tensor<4>) -> Tensor<4>,
        params: impl Fn(&burn::tensor::Gradients) -> Vec<Option<Vec<f32>>>,
    ) {
        let lift = |x: Tensor<4>| {
            if x_grad { x.require_grad() } else { x }
        };
        let (x1, x2) = (lift(x.clone().detach()), lift(x.detach()));
        let (y1, y2) = (fused(x1.clone()), reference(x2.clone()));
        assert_eq!(y1.dims(), y2.dims(), "output shape");
        let weights = Tensor::<4>::random(y1.dims(), Distribution::Normal(0.0, 1.0), &y1.device());
        close(values(y1.clone()), values(y2.clone()), "output");
        // The bias gradient of a channel sums the output gradient (`weights`) over the batch
        // and positions: the size of that sum's random walk, sqrt(Σ w² / channels).
        let channels = weights.dims()[1] as f32;
        let squares: f32 = weights.clone().square().sum().into_scalar();
        let walk = (squares / channels).sqrt();
        let g1 = (y1 * weights.clone()).sum().backward();
        let g2 = (y2 * weights).sum().backward();
        if x_grad {
            close(
                values(x1.grad(&g1).expect("x grad")),
                values(x2.grad(&g2).expect("x grad")),
                "x grad",
            );
        }
        for (i, (a, b)) in params(&g1).into_iter().zip(params(&g2)).enumerate() {
            assert_eq!(
                a.is_some(),
                b.is_some(),
                "parameter {i} has a gradient on one side only"
            );
            if let (Some(a), Some(b)) = (a, b) {
                // Parameter 1 is the bias.
                let floor = if i == 1 { walk } else { 1e-3 };
                close_above(a, b, &format!("parameter {i} grad"), floor);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn conv_case(
        shape: [usize; 4],
        out: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: PaddingConfig2d,
        dilation: [usize; 2],
        bias: bool,
        strided: bool,
        x_grad: bool,
    ) {
        let device = Device::flex().autodiff();
        let conv = Conv2dConfig::new([shape[1], out], kernel)
            .with_stride(stride)
            .with_padding(padding)
            .with_dilation(dilation)
            .with_bias(bias)
            .init(&device);
        let params = |g: &burn::tensor::Gradients| {
            vec![
                conv.weight.grad(g).map(values),
                conv.bias.as_ref().and_then(|b| b.grad(g)).map(values),
            ]
        };
        compare(
            input(shape, strided, &device),
            x_grad,
            |x| fused_conv2d(&conv, x),
            |x| conv.forward(x),
            params,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn transposed_case(
        shape: [usize; 4],
        out: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        padding_out: [usize; 2],
        dilation: [usize; 2],
        bias: bool,
        strided: bool,
    ) {
        let device = Device::flex().autodiff();
        let conv = ConvTranspose2dConfig::new([shape[1], out], kernel)
            .with_stride(stride)
            .with_padding(padding)
            .with_padding_out(padding_out)
            .with_dilation(dilation)
            .with_bias(bias)
            .init(&device);
        let params = |g: &burn::tensor::Gradients| {
            vec![
                conv.weight.grad(g).map(values),
                conv.bias.as_ref().and_then(|b| b.grad(g)).map(values),
            ]
        };
        compare(
            input(shape, strided, &device),
            true,
            |x| fused_conv_transpose2d(&conv, x),
            |x| conv.forward(x),
            params,
        );
    }

    #[test]
    fn fused_conv_equals_burns_forward_and_every_gradient() {
        let pad1 = || PaddingConfig2d::Explicit(1, 1, 1, 1);
        // The DCGAN discriminator's two convs (batch 1 for the first), the PatchGAN head.
        conv_case(
            [1, 1, 28, 28],
            64,
            [4, 4],
            [2, 2],
            pad1(),
            [1, 1],
            true,
            false,
            true,
        );
        conv_case(
            [4, 64, 14, 14],
            128,
            [4, 4],
            [2, 2],
            pad1(),
            [1, 1],
            false,
            false,
            true,
        );
        conv_case(
            [2, 4, 8, 8],
            1,
            [4, 4],
            [1, 1],
            pad1(),
            [1, 1],
            true,
            false,
            true,
        );
        // Odd sizes, "same" padding with a stride, a non-square kernel on a strided input,
        // dilation, asymmetric padding, and real images (no input gradient).
        conv_case(
            [3, 2, 9, 7],
            5,
            [3, 3],
            [1, 1],
            pad1(),
            [1, 1],
            true,
            false,
            true,
        );
        conv_case(
            [2, 3, 11, 13],
            4,
            [5, 5],
            [2, 2],
            PaddingConfig2d::Same,
            [1, 1],
            true,
            false,
            true,
        );
        conv_case(
            [2, 3, 10, 10],
            4,
            [3, 2],
            [2, 1],
            PaddingConfig2d::Valid,
            [1, 1],
            true,
            true,
            true,
        );
        conv_case(
            [2, 3, 12, 12],
            4,
            [3, 3],
            [1, 1],
            pad1(),
            [2, 2],
            false,
            true,
            true,
        );
        conv_case(
            [2, 2, 9, 8],
            3,
            [3, 3],
            [2, 2],
            PaddingConfig2d::Explicit(0, 1, 2, 1),
            [1, 1],
            true,
            false,
            true,
        );
        conv_case(
            [5, 3, 32, 32],
            8,
            [4, 4],
            [2, 2],
            pad1(),
            [1, 1],
            true,
            false,
            false,
        );
        // Stride 1 runs by kernel rows (`kernel_rows.rs`): no padding, asymmetric and
        // non-square padding and kernels, a 1x1 kernel, a strided input, batch 1, and a batch
        // of 21 7x7 images that spans several shares and blocks.
        let same5 = || PaddingConfig2d::Explicit(2, 2, 2, 2);
        let stride_one = [
            ([2, 3, 9, 8], 4, [3, 3], PaddingConfig2d::Valid, true, false),
            (
                [2, 3, 9, 8],
                4,
                [3, 5],
                PaddingConfig2d::Explicit(2, 1, 0, 3),
                true,
                true,
            ),
            ([3, 5, 6, 7], 3, [1, 1], PaddingConfig2d::Valid, true, false),
            ([1, 9, 7, 7], 6, [5, 5], same5(), false, false),
            ([21, 4, 7, 7], 5, [5, 5], same5(), true, false),
            // Padding as large as the kernel: the input gradient is no stride-1 conv, so
            // im2col.
            (
                [2, 2, 5, 5],
                3,
                [3, 3],
                PaddingConfig2d::Explicit(3, 3, 3, 3),
                true,
                false,
            ),
        ];
        for (shape, out, kernel, padding, bias, strided) in stride_one {
            conv_case(
                shape,
                out,
                kernel,
                [1, 1],
                padding,
                [1, 1],
                bias,
                strided,
                true,
            );
        }
    }

    #[test]
    fn fused_transposed_conv_equals_burns_forward_and_every_gradient() {
        // The DCGAN generator's two upsamplings (batch 1 for the last), CycleGAN's with output
        // padding, the TF tutorial's 5x5 stride 1 and 2.
        transposed_case(
            [3, 129, 7, 7],
            64,
            [4, 4],
            [2, 2],
            [1, 1],
            [0, 0],
            [1, 1],
            false,
            false,
        );
        transposed_case(
            [1, 64, 14, 14],
            1,
            [4, 4],
            [2, 2],
            [1, 1],
            [0, 0],
            [1, 1],
            true,
            false,
        );
        transposed_case(
            [2, 8, 4, 4],
            4,
            [3, 3],
            [2, 2],
            [1, 1],
            [1, 1],
            [1, 1],
            true,
            false,
        );
        transposed_case(
            [2, 16, 7, 7],
            8,
            [5, 5],
            [1, 1],
            [2, 2],
            [0, 0],
            [1, 1],
            false,
            false,
        );
        transposed_case(
            [2, 8, 7, 7],
            4,
            [5, 5],
            [2, 2],
            [2, 2],
            [1, 1],
            [1, 1],
            false,
            true,
        );
        // Odd sizes, no padding, a non-square kernel, dilation, a strided input.
        transposed_case(
            [3, 3, 5, 6],
            2,
            [3, 2],
            [2, 3],
            [0, 0],
            [1, 0],
            [1, 1],
            true,
            true,
        );
        transposed_case(
            [2, 3, 4, 5],
            2,
            [3, 3],
            [1, 1],
            [1, 1],
            [0, 0],
            [2, 2],
            true,
            false,
        );
        // Stride 1 by kernel rows: no padding, a non-square kernel with uneven padding on a
        // strided input, batch 1, and a batch that spans several shares and blocks.
        // (shape, out channels, kernel, padding, bias, strided)
        let stride_one = [
            ([2, 4, 5, 6], 3, [3, 3], [0, 0], true, false),
            ([3, 5, 6, 4], 2, [4, 3], [3, 1], true, true),
            ([1, 16, 7, 7], 8, [5, 5], [2, 2], true, false),
            ([19, 6, 7, 7], 4, [5, 5], [2, 2], false, false),
        ];
        for (shape, out, kernel, padding, bias, strided) in stride_one {
            let (stride, padding_out, dilation) = ([1, 1], [0, 0], [1, 1]);
            transposed_case(
                shape,
                out,
                kernel,
                stride,
                padding,
                padding_out,
                dilation,
                bias,
                strided,
            );
        }
    }

    /// The gradients bit for bit on 1 and 3 threads: the shares are fixed, not one per core (a
    /// strided conv, a stride-1 one by kernel rows and a transposed one).
    #[test]
    fn fused_conv_gradients_do_not_depend_on_the_thread_count() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                let device = Device::flex().autodiff();
                let conv = Conv2dConfig::new([8, 16], [4, 4])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_initializer(burn::nn::Initializer::Constant { value: 0.01 })
                    .init(&device);
                let up = ConvTranspose2dConfig::new([16, 4], [4, 4])
                    .with_stride([2, 2])
                    .with_padding([1, 1])
                    .with_initializer(burn::nn::Initializer::Constant { value: 0.02 })
                    .init(&device);
                let inputs: Vec<f32> = (0..13 * 8 * 14 * 14)
                    .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
                    .collect();
                let x = Tensor::<4>::from_data(
                    burn::tensor::TensorData::new(inputs, [13, 8, 14, 14]),
                    &device,
                )
                .require_grad();
                let same = Conv2dConfig::new([16, 16], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_initializer(burn::nn::Initializer::Constant { value: 0.03 })
                    .init(&device);
                let y = fused_conv2d(&same, fused_conv2d(&conv, x.clone()));
                let y = fused_conv_transpose2d(&up, y);
                let g = (y.clone() * y).sum().backward();
                [
                    values(x.grad(&g).expect("x grad")),
                    values(conv.weight.grad(&g).expect("conv grad")),
                    values(up.weight.grad(&g).expect("up grad")),
                    values(same.weight.grad(&g).expect("stride-1 conv grad")),
                ]
            })
        };
        assert!(run(1) == run(3), "gradients differ between 1 and 3 threads");
    }

    /// Every image's slice reaches one block once, and the parts' results come back in part
    /// order, on one core and two (a batch that fills neither its last part nor its last block).
    #[test]
    fn parts_and_blocks_cover_the_batch_once_and_keep_part_order() {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            // 30 positions an image: blocks of 13 images, parts of 5 (batch 37).
            let (batch, positions, len) = (37, 30, 3);
            let mut out = vec![0.0f32; batch * len];
            let parts = pool.install(|| {
                super::parts_then_blocks(
                    batch,
                    positions,
                    Some(&mut out),
                    len,
                    |images| images,
                    |images, out| {
                        assert_eq!(out.len(), images.len() * len);
                        for (n, image) in images.zip(out.chunks_exact_mut(len)) {
                            image.iter_mut().for_each(|v| *v += n as f32 + 1.0);
                        }
                    },
                )
            });
            let expected: Vec<f32> = (0..batch).flat_map(|n| [n as f32 + 1.0; 3]).collect();
            assert_eq!(out, expected, "{threads} threads");
            let starts: Vec<usize> = parts.iter().map(|p| p.start).collect();
            assert_eq!(starts, [0, 5, 10, 15, 20, 25, 30, 35], "{threads} threads");
            assert_eq!(parts.last().map(|p| p.end), Some(batch));
        }
    }

    #[test]
    fn fused_convs_without_autodiff_equal_burns() {
        let device = Device::flex();
        let conv = Conv2dConfig::new([3, 6], [4, 4])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device);
        let up = ConvTranspose2dConfig::new([6, 3], [4, 4])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .init(&device);
        let x = input([1, 3, 16, 16], false, &device);
        let fused = fused_conv_transpose2d(&up, fused_conv2d(&conv, x.clone()));
        let reference = up.forward(conv.forward(x));
        close(
            values(fused),
            values(reference),
            "conv then transposed conv",
        );
    }

    #[test]
    #[should_panic(expected = "conv2d: the input [2, 3, 28, 28] has 3 channels, the weight")]
    fn pictures_of_another_shape_are_named_not_indexed_past() {
        let device = Device::flex();
        let grey = Conv2dConfig::new([1, 6], [5, 5]).init(&device);
        fused_conv2d(&grey, input([2, 3, 28, 28], false, &device));
    }
}
