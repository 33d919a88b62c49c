//! Stride-1 convolutions by kernel row: for each kernel row ky, one product of the weight's row
//! ky (C_out, C_in kw) with a window of one shared matrix (C_in kw, H x images x W_out), the
//! kernel's columns copied out of every input row. A block's columns run (output row, image,
//! output column), so the output rows that kernel row ky reaches form one contiguous run of
//! columns, and so do the input rows they read: the products skip the rows of padding.
//!
//! Why not im2col: its product multiplies every padding zero a window reads. On the TF DCGAN's
//! 7x7 grid with a 5x5 kernel and padding 2, 31% of its multiply-adds are by zeros; kernel rows
//! drop the rows' part of that (17%, the columns' part stays) and copy each input value kw
//! times, not kh x kw. Every stride-1 conv and transposed conv with padding below its kernel
//! takes this path (their input gradients are such convs too); the others keep im2col (`conv.rs`).
//!
//! Layers are seen as convs: x (N, C_in, H, W) = the geometry's side, y (N, C_out, H_out, W_out)
//! with `Layer::channels` = C_out. Weights come in by kernel row, `(kh, C_out, C_in kw)`: see
//! [`by_kernel_row`] and [`Orientation`].

use std::ops::Range;

use super::conv::{
    Layer, add_channel_sums, by_block, by_part, each_block_sized, inner_threads, parts_then_blocks,
    sum_parts,
};
use super::im2col::{Geometry, View, by_width, matmul_strided};

/// Whether a conv of this geometry runs by kernel rows: stride 1, no dilation, and padding
/// below the kernel's size (so that the input gradient, a conv with padding k - 1 - p, is one).
pub fn applies(g: &Geometry) -> bool {
    g.stride == [1, 1]
        && g.dilation == [1, 1]
        && g.padding[0] < g.kernel[0]
        && g.padding[1] < g.kernel[1]
}

/// The conv that computes the input gradient of `l`'s conv: the output's gradient
/// (N, C_out, H_out, W_out) read by the kernel turned half a turn, padded by k - 1 - p, back to
/// (N, C_in, H, W). Also a stride-1 transposed conv's forward, seen from its input.
pub fn input_side(l: &Layer) -> Layer {
    let g = &l.geometry;
    Layer {
        batch: l.batch,
        channels: g.channels,
        geometry: Geometry {
            channels: l.channels,
            height: g.out[0],
            width: g.out[1],
            kernel: g.kernel,
            stride: [1, 1],
            padding: [
                g.kernel[0] - 1 - g.padding[0],
                g.kernel[1] - 1 - g.padding[1],
            ],
            dilation: [1, 1],
            out: [g.height, g.width],
        },
    }
}

/// How a stored weight `(a, b, kh, kw)` is read as the conv's: its output channel is a, or b
/// when `swap` (a transposed conv's weight, or the input gradient's conv), and its kernel is
/// turned half a turn when `flip`.
#[derive(Clone, Copy, Debug)]
pub struct Orientation {
    pub swap: bool,
    pub flip: bool,
}

impl Orientation {
    pub const AS_IS: Self = Self {
        swap: false,
        flip: false,
    };
    pub const TURNED: Self = Self {
        swap: true,
        flip: true,
    };

    /// The conv's (output, input) channel counts of a stored `(a, b, kh, kw)` weight.
    fn channels(self, [na, nb, _, _]: [usize; 4]) -> (usize, usize) {
        if self.swap { (nb, na) } else { (na, nb) }
    }

    /// A stored weight's (a, b, ky, kx) as the conv's (output, input, kernel row, kernel
    /// column), or the conv's back as the stored one's: swapping and turning undo themselves.
    fn map(self, [kh, kw]: [usize; 2], [a, b, ky, kx]: [usize; 4]) -> [usize; 4] {
        let (a, b) = if self.swap { (b, a) } else { (a, b) };
        let (ky, kx) = if self.flip {
            (kh - 1 - ky, kw - 1 - kx)
        } else {
            (ky, kx)
        };
        [a, b, ky, kx]
    }

    /// Where the conv's weight value (kernel row y, output o, input i, kernel column x) is
    /// stored in a `(a, b, kh, kw)` weight.
    fn stored(self, [_, nb, kh, kw]: [usize; 4], [y, o, i, x]: [usize; 4]) -> usize {
        let [a, b, ky, kx] = self.map([kh, kw], [o, i, y, x]);
        ((a * nb + b) * kh + ky) * kw + kx
    }
}

/// A stored `(a, b, kh, kw)` weight by kernel row, `(kh, C_out, C_in kw)`, read as `o` says.
pub fn by_kernel_row(weight: &[f32], shape: [usize; 4], o: Orientation) -> Vec<f32> {
    let (no, ni) = o.channels(shape);
    let kw = shape[3];
    let mut rows = vec![0.0; weight.len()];
    super::shares::for_each_chunk_mut(&mut rows, ni * kw, |r, row| {
        let (y, out) = (r / no, r % no);
        for (at, v) in row.iter_mut().enumerate() {
            *v = weight[o.stored(shape, [y, out, at / kw, at % kw])];
        }
    });
    rows
}

/// A weight gradient by transposed kernel row, `(kh, C_in kw, C_out)` as [`backward`]
/// sums it, stored back as `(a, b, kh, kw)`, read as `o` says.
fn stored_from_rows_t(rows_t: &[f32], shape: [usize; 4], o: Orientation) -> Vec<f32> {
    let (no, ni) = o.channels(shape);
    let [_, nb, kh, kw] = shape;
    let mut weight = vec![0.0; rows_t.len()];
    super::shares::for_each_chunk_mut(&mut weight, nb * kh * kw, |a, part| {
        for (at, v) in part.iter_mut().enumerate() {
            let (b, ky, kx) = (at / (kh * kw), at / kw % kh, at % kw);
            let [out, inp, y, x] = o.map([kh, kw], [a, b, ky, kx]);
            *v = rows_t[((y * ni + inp) * kw + x) * no + out];
        }
    });
    weight
}

/// The output rows kernel row `ky` reaches: those whose input row `oy + ky - padding` exists.
fn reached(g: &Geometry, ky: usize) -> Range<usize> {
    let p = g.padding[0];
    let lo = p.saturating_sub(ky).min(g.out[0]);
    let hi = (g.height + p).saturating_sub(ky).min(g.out[0]).max(lo);
    lo..hi
}

/// The kernel rows that reach some output row, each with the output rows it reaches.
fn reaching(g: &Geometry) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
    (0..g.kernel[0])
        .map(|ky| (ky, reached(g, ky)))
        .filter(|(_, reach)| !reach.is_empty())
}

/// Kernel row ky's window of a block's kernel-columns matrix `cols` (C_in kw, H x span): the
/// im2col matrix (C_in kw, reach x span) of the output rows `reach` it reaches.
fn window<'a>(
    g: &Geometry,
    cols: &'a [f32],
    span: usize,
    ky: usize,
    reach: &Range<usize>,
) -> View<'a> {
    View {
        data: &cols[(reach.start + ky - g.padding[0]) * span..],
        rows: g.channels * g.kernel[1],
        cols: reach.len() * span,
        row_stride: g.height * span,
        col_stride: 1,
    }
}

/// `rows` (C_in kw, H x count x W_out): row (c, kx), column (iy, j, ox) holds image j's
/// x[c, iy, ox + kx - padding], 0 past the image's sides. Kernel row ky's window of it is the
/// im2col matrix of the output rows it reaches.
fn kernel_columns(g: &Geometry, images: &[f32], count: usize, rows: &mut [f32]) {
    by_width!(g.out[1], kernel_columns_runs(g, images, count, rows));
}

/// [`kernel_columns`] for output width `N` (0: `g.out[1]`), so each run's copy inlines as a few
/// vector moves (a call to `memcpy` per run of 7 values cost more than the copy). Each input
/// row is laid once into a zero-padded line, whose kw shifted runs are the kw rows' values.
fn kernel_columns_runs<const N: usize>(
    g: &Geometry,
    images: &[f32],
    count: usize,
    rows: &mut [f32],
) {
    let wo = if N == 0 { g.out[1] } else { N };
    let ([h, w], kw, pw) = ([g.height, g.width], g.kernel[1], g.padding[1]);
    let (plane, image, run) = (h * w, g.image_len(), h * count * wo);
    // line[t] = x[t - pw] inside the row, 0 outside; only 0..kw - 1 + wo is ever read.
    let mut line = vec![0.0f32; kw - 1 + wo];
    let inside = pw.min(line.len())..(pw + w).min(line.len());
    for c in 0..g.channels {
        for iy in 0..h {
            for j in 0..count {
                let src = &images[j * image + c * plane + iy * w..][..w];
                for (d, v) in line[inside.clone()].iter_mut().zip(src) {
                    *d = *v;
                }
                let at = (iy * count + j) * wo;
                for kx in 0..kw {
                    rows[(c * kw + kx) * run + at..][..wo].copy_from_slice(&line[kx..][..wo]);
                }
            }
        }
    }
}

/// `block` (channels, height, count, width) = `count` images (channels, height, width).
fn interleave(images: &[f32], count: usize, [c, h, w]: [usize; 3], block: &mut [f32]) {
    by_width!(w, interleave_runs(images, count, [c, h, w], block));
}

fn interleave_runs<const N: usize>(
    images: &[f32],
    count: usize,
    [c, h, w]: [usize; 3],
    block: &mut [f32],
) {
    let w = if N == 0 { w } else { N };
    for (line, out) in block.chunks_exact_mut(w).enumerate() {
        let (row, j) = (line / count, line % count);
        out.copy_from_slice(&images[j * c * h * w + row * w..][..w]);
    }
}

/// The reverse of [`interleave`], plus a per-channel bias.
fn deinterleave(
    block: &[f32],
    count: usize,
    shape: [usize; 3],
    bias: Option<&[f32]>,
    images: &mut [f32],
) {
    by_width!(
        shape[2],
        deinterleave_runs(block, count, shape, bias, images)
    );
}

fn deinterleave_runs<const N: usize>(
    block: &[f32],
    count: usize,
    [c, h, w]: [usize; 3],
    bias: Option<&[f32]>,
    images: &mut [f32],
) {
    let w = if N == 0 { w } else { N };
    for (line, run) in block.chunks_exact(w).enumerate() {
        let (row, j) = (line / count, line % count);
        let out = &mut images[j * c * h * w + row * w..][..w];
        out.copy_from_slice(run);
        if let Some(bias) = bias {
            let b = bias[row / h];
            out.iter_mut().for_each(|v| *v += b);
        }
    }
}

/// The conv's output (N, C_out, H_out, W_out) of x (N, C_in, H, W), `weight` by kernel row.
pub fn forward(l: &Layer, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
    let [ho, wo] = l.geometry.out;
    let other = l.channels * ho * wo;
    let mut y = super::zeros(l.batch * other);
    by_block(
        l.batch,
        ho * wo,
        &mut y,
        other,
        forward_blocks(l, x, weight, bias),
    );
    y
}

/// [`forward`]'s work on a run of images: their outputs into `y`, their slice of the output.
fn forward_blocks<'a>(
    l: &'a Layer,
    x: &'a [f32],
    weight: &'a [f32],
    bias: Option<&'a [f32]>,
) -> impl Fn(Range<usize>, &mut [f32]) + Sync + 'a {
    let g = &l.geometry;
    let (kw, [ho, wo], image) = (g.kernel[1], g.out, g.image_len());
    let (inner, other) = (g.channels * kw, l.channels * ho * wo);
    let threads = inner_threads(l.batch);
    let per_image = [inner * g.height * wo, other];
    move |images, y| {
        let first = images.start;
        each_block_sized(images, ho * wo, per_image, |block, cols, out| {
            let count = block.len();
            kernel_columns(g, &x[block.start * image..block.end * image], count, cols);
            out.fill(0.0);
            let span = count * wo;
            for (ky, reach) in reaching(g) {
                // out rows (C_out, reach) += W row ky (C_out, C_in kw) x window (C_in kw, reach)
                let w = View::new(
                    &weight[ky * l.channels * inner..][..l.channels * inner],
                    l.channels,
                    inner,
                );
                let window = window(g, cols, span, ky, &reach);
                let out = &mut out[reach.start * span..];
                matmul_strided(out, ho * span, w, window, true, threads);
            }
            let y = &mut y[(block.start - first) * other..(block.end - first) * other];
            deinterleave(out, count, [l.channels, ho, wo], bias, y);
        });
    }
}

/// The conv's weight gradient, stored as a `(a, b, kh, kw)` weight read as `o` says (see
/// [`by_kernel_row`]), and its bias gradient, from x (N, C_in, H, W) and the output's gradient
/// `dy`; `want` names which ([weight, bias]), the other comes back empty. With `dx`, a layer
/// and its weight by kernel row, also the input gradient: that layer's [`forward`] of `dy`,
/// its blocks run in the same op after the weight gradient's fixed parts
/// ([`parts_then_blocks`]), so they fill the end where one core would wait for the other's
/// last part.
pub fn backward(
    l: &Layer,
    x: &[f32],
    dy: &[f32],
    want: [bool; 2],
    o: Orientation,
    dx: Option<(&Layer, &[f32])>,
) -> (Option<Vec<f32>>, Vec<f32>, Vec<f32>) {
    let part = weight_grad_part(l, x, dy, want);
    let (parts, dx) = match dx {
        Some((side, rows)) => {
            let [ho, wo] = side.geometry.out;
            let other = side.channels * ho * wo;
            let mut out = super::zeros(side.batch * other);
            let blocks = forward_blocks(side, dy, rows, None);
            let parts = parts_then_blocks(l.batch, ho * wo, Some(&mut out), other, part, blocks);
            (parts, Some(out))
        }
        None => (by_part(l.batch, None, 0, |images, _| part(images)), None),
    };
    let [weight, _] = want;
    let g = &l.geometry;
    let (dw_t, db) = sum_parts(parts);
    let [kh, kw] = g.kernel;
    let shape = if o.swap {
        [g.channels, l.channels, kh, kw]
    } else {
        [l.channels, g.channels, kh, kw]
    };
    let dw = if weight {
        stored_from_rows_t(&dw_t, shape, o)
    } else {
        dw_t
    };
    (dx, dw, db)
}

/// [`backward`]'s weight and bias gradients over a fixed part of the batch, rows transposed.
fn weight_grad_part<'a>(
    l: &'a Layer,
    x: &'a [f32],
    dy: &'a [f32],
    want: [bool; 2],
) -> impl Fn(Range<usize>) -> (Vec<f32>, Vec<f32>) + Sync + 'a {
    let [weight, bias] = want;
    let g = &l.geometry;
    let ([kh, kw], [ho, wo], image) = (g.kernel, g.out, g.image_len());
    let (inner, other) = (g.channels * kw, l.channels * ho * wo);
    let threads = inner_threads(l.batch);
    let per_image = [inner * g.height * wo, other];
    move |images| {
        let mut dw = vec![0.0f32; if weight { kh * l.channels * inner } else { 0 }];
        let mut db = vec![0.0f32; if bias { l.channels } else { 0 }];
        each_block_sized(images, ho * wo, per_image, |block, cols, dyb| {
            let count = block.len();
            let dy = &dy[block.start * other..block.end * other];
            if bias {
                dy.chunks_exact(other)
                    .for_each(|dy| add_channel_sums(&mut db, dy, ho * wo));
            }
            if !weight {
                return;
            }
            kernel_columns(g, &x[block.start * image..block.end * image], count, cols);
            interleave(dy, count, [l.channels, ho, wo], dyb);
            let span = count * wo;
            for (ky, reach) in reaching(g) {
                // dW^T row ky (C_in kw, C_out) += window (C_in kw, reach) x dy rows^T (reach, C_out)
                let window = window(g, cols, span, ky, &reach);
                let dy_rows = View {
                    data: &dyb[reach.start * span..],
                    rows: l.channels,
                    cols: window.cols,
                    row_stride: ho * span,
                    col_stride: 1,
                };
                let dw = &mut dw[ky * l.channels * inner..][..l.channels * inner];
                matmul_strided(dw, l.channels, window, dy_rows.t(), true, threads);
            }
        });
        (dw, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every orientation: by kernel row, each row transposed (as `backward` sums them), and
    /// stored back gives the weight itself; and the turned kernel is the stored one's
    /// (a, b) swapped and (ky, kx) mirrored.
    #[test]
    fn a_weight_by_kernel_row_and_back_is_itself() {
        let shape = [3, 4, 2, 5];
        let weight: Vec<f32> = (0..3 * 4 * 2 * 5).map(|i| i as f32).collect();
        for swap in [false, true] {
            for flip in [false, true] {
                let o = Orientation { swap, flip };
                let (no, ni) = o.channels(shape);
                let rows = by_kernel_row(&weight, shape, o);
                let per = no * ni * shape[3];
                let rows_t: Vec<f32> = rows
                    .chunks_exact(per)
                    .flat_map(|row| super::super::im2col::transposed(row, no, ni * shape[3]))
                    .collect();
                assert_eq!(stored_from_rows_t(&rows_t, shape, o), weight, "{o:?}");
            }
        }
        // (y 0, o 1, i 2, x 3) of the turned weight is stored (a 2, b 1, ky 1, kx 1).
        let turned = by_kernel_row(&weight, shape, Orientation::TURNED);
        let at = ((1 * 3 + 2) * 5) + 3;
        assert_eq!(turned[at], weight[((2 * 4 + 1) * 2 + 1) * 5 + 1]);
    }
}
