//! The two data movements of a convolution done as matrix products: `im2col` copies each
//! kernel window of an image into a column, `col2im` adds the columns back into an image; and a
//! safe wrapper around the `gemm` crate's product of strided matrices.
//!
//! Written by hand because no crate offers im2col / col2im over plain slices for burn's flex
//! tensors (flex keeps its own private); the products themselves are the `gemm` crate's.

/// Where a kernel window sits: the image it reads (channels, height, width), the kernel, and
/// the grid of output positions it visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Padding before the first row and column (the end padding only sets `out`).
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    /// Output positions (rows, columns).
    pub out: [usize; 2],
}

impl Geometry {
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    pub fn rows(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of the column matrix: one per output position.
    pub fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The output positions `o` in 0..`out` whose input index `o * stride + offset - padding`
    /// falls inside 0..`size`, as a range, for one axis.
    fn valid(&self, axis: usize, offset: usize, size: usize) -> std::ops::Range<usize> {
        let (s, p, out) = (self.stride[axis], self.padding[axis], self.out[axis]);
        // o * s + offset >= p  <=>  o >= ceil((p - offset) / s)
        let lo = p.saturating_sub(offset).div_ceil(s);
        // o * s + offset - p < size  <=>  o < ceil((size + p - offset) / s)
        let hi = (size + p).saturating_sub(offset).div_ceil(s);
        lo.min(out)..hi.min(out).max(lo.min(out))
    }

    /// How one channel is copied: see [`Layout`].
    fn layout(&self) -> Layout {
        let [kh, kw] = self.kernel;
        let (sx, ow) = (self.stride[1], self.out[1]);
        // Padded columns the windows read, from the first padding column on.
        let span = (ow.max(1) - 1) * sx + (kw.max(1) - 1) * self.dilation[1] + 1;
        let phase_width = span.div_ceil(sx);
        // The phases side by side, then one slot for the columns no window reads.
        let row = sx * phase_width + 1;
        let mut segments = Vec::with_capacity(kh * kw * self.out[0]);
        for ky in 0..kh {
            let y_offset = ky * self.dilation[0];
            let rows = self.valid(0, y_offset, self.height);
            for kx in 0..kw {
                let x_offset = kx * self.dilation[1];
                let (phase, start) = (x_offset % sx, x_offset / sx);
                for oy in 0..self.out[0] {
                    let src = rows.contains(&oy).then(|| {
                        let iy = oy * self.stride[0] + y_offset - self.padding[0];
                        iy * row + phase * phase_width + start
                    });
                    segments.push(Segment {
                        tap: ky * kw + kx,
                        oy,
                        src,
                    });
                }
            }
        }
        Layout {
            segments,
            row,
            width: self.width,
            height: self.height,
            // Padded column j = ix + padding is phase j % stride, place j / stride; a column
            // past the span no window reads goes to the row's last slot.
            columns: (0..self.width)
                .map(|ix| {
                    let j = ix + self.padding[1];
                    if j < span {
                        (j % sx) * phase_width + j / sx
                    } else {
                        row - 1
                    }
                })
                .collect(),
        }
    }
}

/// One channel's image rows, each padded with the zeros its windows read past its ends and
/// split into `stride` phases (padded columns q, q + stride, q + 2 stride, ...), so that each
/// kernel tap's output row is one contiguous run of one output row's width of one phase: a plain
/// copy, where reading every `stride`-th value with bounds worked out per run cost 2-3 cycles a
/// value (im2col and col2im were a fifth of a conv GAN's step).
struct Layout {
    /// Every (kernel tap, output row), taps in (ky, kx) order and rows within a tap.
    segments: Vec<Segment>,
    /// Length of one image row's split values: the phases, then a slot for unread columns.
    row: usize,
    width: usize,
    height: usize,
    /// Where each image column goes in its row's split values (phase x width + m).
    columns: Vec<usize>,
}

/// One kernel tap's output row in one channel.
struct Segment {
    /// ky * kernel width + kx: the row of the column matrix within the channel's rows.
    tap: usize,
    oy: usize,
    /// Where its run starts in the split rows; None: the row is all padding.
    src: Option<usize>,
}

impl Layout {
    /// Length of one channel's split rows.
    fn len(&self) -> usize {
        self.height * self.row
    }

    /// `rows` = `plane` (height, width) padded and split. The padding's slots are the same for
    /// every channel and are never written here, so `rows` must come zeroed once (not per
    /// channel: a fill per row was a fifth of `im2col`'s profile samples).
    fn split(&self, plane: &[f32], rows: &mut [f32]) {
        let row = self.row;
        for (line, out) in plane
            .chunks_exact(self.width)
            .zip(rows.chunks_exact_mut(row))
        {
            for (v, &at) in line.iter().zip(&self.columns) {
                out[at] = *v;
            }
        }
    }

    /// `plane` += `rows` put back in place, the padding dropped: the adjoint of [`Self::split`].
    fn merge(&self, rows: &[f32], plane: &mut [f32]) {
        let row = self.row;
        for (line, run) in plane
            .chunks_exact_mut(self.width)
            .zip(rows.chunks_exact(row))
        {
            for (v, &at) in line.iter_mut().zip(&self.columns) {
                *v += run[at];
            }
        }
    }
}

/// `im2col` and `col2im` instantiated for the output widths the models use (7, 14, 28 for
/// MNIST, 4, 8, 16, 32 for CIFAR-10), so that each run's copy inlines as a few vector moves,
/// where a call to `memcpy` cost more than the copy; `0` is any other width, read at run time.
macro_rules! by_width {
    ($width:expr, $f:ident ($($arg:expr),*)) => {
        match $width {
            4 => $f::<4>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            14 => $f::<14>($($arg),*),
            16 => $f::<16>($($arg),*),
            28 => $f::<28>($($arg),*),
            32 => $f::<32>($($arg),*),
            _ => $f::<0>($($arg),*),
        }
    };
}
pub(super) use by_width;

/// `cols` (rows x positions, row r starting at `r * stride`) = the kernel windows of `images`
/// (one or more images (channels, height, width) back to back), zero where a window hangs over
/// the padding; image j fills columns `j * positions..`. A `stride` wider than the images'
/// positions lays them in a wider column block (pass the slice from their first column).
pub fn im2col(g: &Geometry, images: &[f32], cols: &mut [f32], stride: usize) {
    let count = image_count(g, images.len(), "im2col");
    let (rows, positions, ow) = (g.rows(), g.positions(), g.out[1]);
    assert!(
        stride >= count * positions && cols.len() >= (rows - 1) * stride + count * positions,
        "im2col: block size"
    );
    if count == 0 || g.height * g.width == 0 || ow == 0 {
        return;
    }
    by_width!(ow, im2col_runs(g, images, cols, stride));
}

/// How many images `len` values hold (a whole number of them).
fn image_count(g: &Geometry, len: usize, what: &str) -> usize {
    let image = g.image_len().max(1);
    assert_eq!(len % image, 0, "{what}: image size");
    len / image
}

/// [`im2col`]'s copies, `N` the output width (0: `g.out[1]`). Channel by channel, every image
/// of the block at once, so each row of `cols` is written in one stretch: image by image, the
/// writes jumped across every row of a block several megabytes wide.
fn im2col_runs<const N: usize>(g: &Geometry, images: &[f32], cols: &mut [f32], stride: usize) {
    let n = if N == 0 { g.out[1] } else { N };
    let (taps, plane, positions) = (g.kernel[0] * g.kernel[1], g.height * g.width, g.positions());
    let layout = g.layout();
    let len = layout.len();
    let mut split = vec![0.0; images.len() / g.image_len() * len];
    for c in 0..g.channels {
        for (image, split) in images
            .chunks_exact(g.image_len())
            .zip(split.chunks_exact_mut(len))
        {
            layout.split(&image[c * plane..][..plane], split);
        }
        let channel = &mut cols[c * taps * stride..];
        for s in &layout.segments {
            let row = &mut channel[s.tap * stride + s.oy * n..];
            for (j, split) in split.chunks_exact(len).enumerate() {
                let dst = &mut row[j * positions..][..n];
                match s.src {
                    Some(at) => dst.copy_from_slice(&split[at..][..n]),
                    None => dst.fill(0.0),
                }
            }
        }
    }
}

/// `images` (one or more (channels, height, width) back to back) += each column of `cols` (laid
/// out as [`im2col`] writes them) added back at its window: the adjoint of [`im2col`]. A
/// channel's terms are summed first, tap by tap and row by row, and the sum then added to the
/// image: on zeroed images (as every caller passes) the same numbers as adding them one by one
/// in that order.
pub fn col2im(g: &Geometry, cols: &[f32], stride: usize, images: &mut [f32]) {
    let count = image_count(g, images.len(), "col2im");
    let (rows, positions, ow) = (g.rows(), g.positions(), g.out[1]);
    assert!(
        stride >= count * positions && cols.len() >= (rows - 1) * stride + count * positions,
        "col2im: block size"
    );
    if count == 0 || g.height * g.width == 0 || ow == 0 {
        return;
    }
    by_width!(ow, col2im_runs(g, cols, stride, images));
}

/// [`col2im`]'s sums, `N` the output width (0: `g.out[1]`); every image of the block at once,
/// as [`im2col_runs`] does, so each row of `cols` is read in one stretch (read image by image,
/// a quarter of a TF DCGAN transposed conv went to waiting on those reads).
fn col2im_runs<const N: usize>(g: &Geometry, cols: &[f32], stride: usize, images: &mut [f32]) {
    let n = if N == 0 { g.out[1] } else { N };
    let (taps, plane, positions) = (g.kernel[0] * g.kernel[1], g.height * g.width, g.positions());
    let layout = g.layout();
    let len = layout.len();
    let image_len = g.image_len();
    let mut split = vec![0.0; images.len() / image_len * len];
    for c in 0..g.channels {
        split.fill(0.0);
        let channel = &cols[c * taps * stride..];
        for s in &layout.segments {
            if let Some(at) = s.src {
                let row = &channel[s.tap * stride + s.oy * n..];
                for (j, split) in split.chunks_exact_mut(len).enumerate() {
                    let src = &row[j * positions..][..n];
                    let dst = &mut split[at..][..n];
                    dst.iter_mut().zip(src).for_each(|(d, v)| *d += *v);
                }
            }
        }
        for (image, split) in images
            .chunks_exact_mut(image_len)
            .zip(split.chunks_exact(len))
        {
            layout.merge(split, &mut image[c * plane..][..plane]);
        }
    }
}

/// A read-only matrix view: element (i, j) is `data[i * row_stride + j * col_stride]`, so a
/// row-major matrix and its transpose are views of the same slice.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> View<'a> {
    /// A row-major (rows, cols) matrix.
    pub fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, without a copy.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element the view names lies inside `data`.
    fn in_bounds(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// The transpose of a row-major (rows, cols) matrix, as a row-major (cols, rows) copy. gemm
/// packs a transposed view's rows from strided reads in every share's product; through the
/// copy, one core's product for TF DCGAN's 256->128 layer took 3-25% less time depending on the
/// sitting (`examples/conv_kernels.rs`, first line), and one copy serves every share.
pub fn transposed(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(m.len(), rows * cols, "transposed: matrix size");
    // Output rows in bands of 64: each band reads its 64 values of every input row in one run.
    const BAND: usize = 64;
    let mut out = vec![0.0; m.len()];
    if rows == 0 {
        return out;
    }
    super::shares::for_each_chunk_mut(&mut out, BAND * rows, |band, out| {
        let first = band * BAND;
        let width = out.len() / rows;
        for (i, row) in m.chunks_exact(cols).enumerate() {
            for (j, &v) in row[first..first + width].iter().enumerate() {
                out[j * rows + i] = v;
            }
        }
    });
    out
}

/// `out` (row-major, lhs.rows x rhs.cols) = lhs x rhs, or += when `accumulate`. `threads` > 1
/// splits the product over rayon's pool.
pub fn matmul(out: &mut [f32], lhs: View, rhs: View, accumulate: bool, threads: usize) {
    assert_eq!(out.len(), lhs.rows * rhs.cols, "matmul: output size");
    matmul_strided(out, rhs.cols, lhs, rhs, accumulate, threads);
}

/// `out` = lhs x rhs in column-major order: element (i, j) at `out[j * lhs.rows + i]`. gemm
/// works in this orientation; given a row-major output it turns the whole problem round,
/// which can put a large operand where it must be gathered value by value
/// (`super::linear`'s input gradient).
pub fn matmul_column_major(out: &mut [f32], lhs: View, rhs: View, threads: usize) {
    assert_eq!(out.len(), lhs.rows * rhs.cols, "matmul: output size");
    gemm_into(out, (1, lhs.rows), lhs, rhs, false, threads);
}

/// As [`matmul`], into rows `out_stride` apart: `out` holds rows `i * out_stride..` of
/// `rhs.cols` values each (the values between rows are left alone).
pub fn matmul_strided(
    out: &mut [f32],
    out_stride: usize,
    lhs: View,
    rhs: View,
    accumulate: bool,
    threads: usize,
) {
    assert!(out_stride >= rhs.cols, "matmul: rows overlap");
    gemm_into(out, (out_stride, 1), lhs, rhs, accumulate, threads);
}

/// `out` = lhs x rhs (+= when `accumulate`), element (i, j) at `out[i * strides.0 + j *
/// strides.1]`; the callers choose strides under which no two elements share a place.
fn gemm_into(
    out: &mut [f32],
    (row_stride, col_stride): (usize, usize),
    lhs: View,
    rhs: View,
    accumulate: bool,
    threads: usize,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "matmul: inner dimensions differ");
    assert!(
        m == 0 || n == 0 || (m - 1) * row_stride + (n - 1) * col_stride < out.len(),
        "matmul: output size"
    );
    assert!(
        lhs.in_bounds() && rhs.in_bounds(),
        "matmul: view out of bounds"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                for j in 0..n {
                    out[i * row_stride + j * col_stride] = 0.0;
                }
            }
        }
        return;
    }
    // Bands of columns, one gemm each on one core, when each core gets a band wide enough
    // to fill gemm's kernel; bands of rows for a product too narrow for that (a
    // discriminator's heads); gemm's own split otherwise. gemm's split of a dense layer's
    // product (64 rows) packs and synchronises per block of k, and a profile of the dense
    // CGAN found the other core idle through a quarter of it; bands took 64 x 6,272 x 1,024
    // from 7.1-9.5 to 5.7 ms and 64 x 512 x 784 from 0.34 to 0.30 ms on two cores, and row
    // bands ACGAN's heads, 64 x 6,272 x 11, from 0.144 ms (gemm ran it on one core) to 0.085
    // (`examples/gemm_split.rs`). Each output is still one gemm's sum over the same k values
    // in the same blocks: the values are the same bit for bit (tested).
    let split = if threads < 2 {
        None
    } else if n >= threads * MIN_BAND {
        Some((Axis::Columns, bands(n, threads)))
    } else if n > 1 && m >= threads * BAND_ALIGN && (n > 64 || m <= 64 || m / threads >= MIN_BAND) {
        // n = 1 is gemm's matrix-vector path, whose sums may follow the rows it is given.
        // Bands of a product of more than 64 rows and at most 64 columns keep more than 64
        // rows each, for the reason in MIN_BAND.
        Some((Axis::Rows, bands(m, threads)))
    } else {
        None
    };
    let Some((axis, (count, size))) = split else {
        let parallelism = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: the asserts above keep every index gemm reads or writes inside the three
        // slices (views checked by `in_bounds`, the output's last element inside `out`), and
        // `out` is borrowed mutably so it cannot alias the inputs.
        unsafe {
            gemm_raw(
                out.as_mut_ptr(),
                (row_stride, col_stride),
                (lhs, rhs),
                (0..m, 0..n),
                accumulate,
                parallelism,
            )
        };
        return;
    };
    let dst = SharedOut(out.as_mut_ptr());
    let total = if axis == Axis::Columns { n } else { m };
    super::shares::for_each_share(count, |band| {
        // The last band takes what is left over.
        let end = if band + 1 == count {
            total
        } else {
            (band + 1) * size
        };
        let part = band * size..end;
        let block = match axis {
            Axis::Columns => (0..m, part),
            Axis::Rows => (part, 0..n),
        };
        // SAFETY: as above for the whole product; the bands are disjoint, so no two tasks
        // write the same output element, and `out` stays borrowed until every task ends.
        unsafe {
            gemm_raw(
                dst.get(),
                (row_stride, col_stride),
                (lhs, rhs),
                block,
                accumulate,
                gemm::Parallelism::None,
            )
        };
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Axis {
    Rows,
    Columns,
}

/// `threads` bands of `len`: their count and size, whole multiples of [`BAND_ALIGN`] so that
/// every band but the last fills gemm's kernel (the last takes the rest).
fn bands(len: usize, threads: usize) -> (usize, usize) {
    (threads, (len / threads) / BAND_ALIGN * BAND_ALIGN)
}

/// Columns from which a band of its own is worth a core, and at which every band sums over k
/// in the blocks the whole product would: gemm takes blocks of up to 512 for a product of at
/// most 64 x 64 and works them out from k and the caches for a larger one, so a band of 64
/// columns or fewer would change a long sum's rounding. Whole multiples of [`BAND_ALIGN`]
/// from here on are all above 64.
const MIN_BAND: usize = 80;

/// Band sizes are whole multiples of this, so every band but the last fills gemm's kernel
/// (at most 16 rows or columns for f32 on AVX-512, fewer on AVX2).
const BAND_ALIGN: usize = 16;

/// The output's pointer, handed to the band tasks (raw pointers are not `Send`).
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);

// SAFETY: each task writes a disjoint set of output columns (see `gemm_into`).
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// gemm on one block of `lhs x rhs`: output rows `rows` and columns `columns`.
///
/// # Safety
/// `out` must hold every element (i, j) of that block at `i * strides.0 + j * strides.1`,
/// no other thread may touch them meanwhile, and the views must be in bounds. The block must
/// not be empty.
unsafe fn gemm_raw(
    out: *mut f32,
    (row_stride, col_stride): (usize, usize),
    (lhs, rhs): (View, View),
    (rows, columns): (std::ops::Range<usize>, std::ops::Range<usize>),
    accumulate: bool,
    parallelism: gemm::Parallelism,
) {
    // SAFETY: the caller's promise; the offsets name the block's first row and column, inside
    // `out`, `lhs.data` and `rhs.data` because the block is not empty.
    unsafe {
        gemm::gemm(
            rows.len(),
            columns.len(),
            lhs.cols,
            out.add(rows.start * row_stride + columns.start * col_stride),
            col_stride as isize,
            row_stride as isize,
            accumulate,
            lhs.data.as_ptr().add(rows.start * lhs.row_stride),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr().add(columns.start * rhs.col_stride),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// im2col by its definition, one element at a time.
    fn naive_im2col(g: &Geometry, image: &[f32]) -> Vec<f32> {
        let mut cols = vec![0.0; g.rows() * g.positions()];
        for c in 0..g.channels {
            for ky in 0..g.kernel[0] {
                for kx in 0..g.kernel[1] {
                    let row = (c * g.kernel[0] + ky) * g.kernel[1] + kx;
                    for oy in 0..g.out[0] {
                        for ox in 0..g.out[1] {
                            let iy = (oy * g.stride[0] + ky * g.dilation[0]) as isize
                                - g.padding[0] as isize;
                            let ix = (ox * g.stride[1] + kx * g.dilation[1]) as isize
                                - g.padding[1] as isize;
                            if (0..g.height as isize).contains(&iy)
                                && (0..g.width as isize).contains(&ix)
                            {
                                cols[row * g.positions() + oy * g.out[1] + ox] =
                                    image[(c * g.height + iy as usize) * g.width + ix as usize];
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    fn geometries() -> Vec<Geometry> {
        let g = |channels, height, width, kernel, stride, padding, dilation, out| Geometry {
            channels,
            height,
            width,
            kernel,
            stride,
            padding,
            dilation,
            out,
        };
        vec![
            g(1, 28, 28, [4, 4], [2, 2], [1, 1], [1, 1], [14, 14]),
            g(3, 7, 9, [3, 3], [1, 1], [1, 1], [1, 1], [7, 9]),
            g(2, 8, 8, [5, 5], [1, 1], [2, 2], [1, 1], [8, 8]),
            g(2, 9, 7, [3, 2], [2, 3], [0, 1], [2, 1], [3, 3]),
            // End padding beyond the image, as a transposed conv's output padding makes.
            g(1, 15, 15, [4, 4], [2, 2], [1, 1], [1, 1], [8, 8]),
            // A last column that no window reads (8 wide, windows 3 wide every 2 from 0).
            g(2, 8, 8, [3, 3], [2, 2], [0, 0], [1, 1], [3, 3]),
        ]
    }

    #[test]
    fn im2col_matches_its_definition_and_col2im_is_its_adjoint() {
        for g in geometries() {
            let image: Vec<f32> = (0..g.image_len())
                .map(|i| (i as f32 * 0.37).sin())
                .collect();
            let mut cols = vec![1.0; g.rows() * g.positions()];
            im2col(&g, &image, &mut cols, g.positions());
            assert_eq!(cols, naive_im2col(&g, &image), "{g:?}");
            // The same as the second of two images side by side in one block.
            let wide = 2 * g.positions();
            let mut block = vec![7.0; g.rows() * wide];
            im2col(&g, &image, &mut block[g.positions()..], wide);
            for (row, expected) in cols.chunks(g.positions()).enumerate() {
                assert_eq!(
                    &block[row * wide + g.positions()..][..g.positions()],
                    expected
                );
                assert!(
                    block[row * wide..][..g.positions()]
                        .iter()
                        .all(|&v| v == 7.0)
                );
            }
            // <im2col(a), b> = <a, col2im(b)> for every a and b.
            let b: Vec<f32> = (0..cols.len()).map(|i| (i as f32 * 0.11).cos()).collect();
            let mut back = vec![0.0; g.image_len()];
            col2im(&g, &b, g.positions(), &mut back);
            let lhs: f64 = cols.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            let rhs: f64 = image.iter().zip(&back).map(|(x, y)| f64::from(x * y)).sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn a_block_of_images_at_once_equals_one_image_at_a_time() {
        for g in geometries() {
            let (count, positions, len) = (3, g.positions(), g.image_len());
            let images: Vec<f32> = (0..count * len).map(|i| (i as f32 * 0.29).sin()).collect();
            // One column more than the images fill, which neither call may touch.
            let wide = count * positions + 1;
            let mut at_once = vec![5.0; g.rows() * wide];
            im2col(&g, &images, &mut at_once, wide);
            let mut one_by_one = vec![5.0; g.rows() * wide];
            for (j, image) in images.chunks(len).enumerate() {
                im2col(&g, image, &mut one_by_one[j * positions..], wide);
            }
            assert_eq!(at_once, one_by_one, "im2col {g:?}");
            assert!(at_once.chunks(wide).all(|row| row[wide - 1] == 5.0));
            let cols: Vec<f32> = (0..at_once.len())
                .map(|i| (i as f32 * 0.13).cos())
                .collect();
            let mut sums = vec![0.0; count * len];
            col2im(&g, &cols, wide, &mut sums);
            let mut each = vec![0.0; count * len];
            for (j, image) in each.chunks_mut(len).enumerate() {
                col2im(&g, &cols[j * positions..], wide, image);
            }
            // Bit for bit: the same sums in the same order.
            assert_eq!(sums, each, "col2im {g:?}");
        }
    }

    #[test]
    fn transposed_copies_every_value_across() {
        for (rows, cols) in [(3, 130), (130, 3), (1, 1), (0, 4), (65, 67)] {
            let m: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let t = transposed(&m, rows, cols);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        t[j * rows + i],
                        m[i * cols + j],
                        "({rows}, {cols}) at ({i}, {j})"
                    );
                }
            }
        }
    }

    #[test]
    fn matmul_of_transposed_views_and_accumulation() {
        // a (2x3), b (3x2) stored transposed as (2x3).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = [1.0, 0.0, -1.0, 2.0, 1.0, 0.5];
        let mut out = vec![10.0; 4];
        matmul(
            &mut out,
            View::new(&a, 2, 3),
            View::new(&bt, 2, 3).t(),
            false,
            1,
        );
        assert_eq!(out, vec![-2.0, 5.5, -2.0, 16.0]);
        matmul(
            &mut out,
            View::new(&a, 2, 3),
            View::new(&bt, 2, 3).t(),
            true,
            2,
        );
        assert_eq!(out, vec![-4.0, 11.0, -4.0, 32.0]);
    }

    /// Products split in bands of columns or rows give one core's values bit for bit: row-major,
    /// column-major and strided outputs, transposed inputs, accumulating, widths that leave a
    /// short last band.
    #[test]
    fn banded_products_equal_one_cores_bit_for_bit() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .expect("a test pool");
        let wave = |n: usize, phase: f32| -> Vec<f32> {
            (0..n).map(|i| (i as f32 * phase).sin()).collect()
        };
        for (m, k, n) in [
            (64, 110, 256),
            (5, 600, 290),
            (1, 33, 200),
            (64, 1024, 331),
            (70, 530, 250),
            // Too narrow for column bands: bands of rows, or gemm's own split.
            (64, 700, 11),
            (300, 64, 11),
            (400, 600, 11),
            (200, 530, 40),
            (64, 600, 1),
        ] {
            let (a, b) = (wave(m * k, 0.37), wave(k * n, 0.11));
            let a_t = transposed(&a, m, k); // (k, m)
            let start = wave(m * n, 0.53);
            for (accumulate, lhs_t) in [(false, false), (true, false), (false, true)] {
                let lhs = if lhs_t {
                    View::new(&a_t, k, m).t()
                } else {
                    View::new(&a, m, k)
                };
                let rhs = View::new(&b, k, n);
                let run = |threads: usize| {
                    let mut row_major = start.clone();
                    let mut column_major = vec![0.0; m * n];
                    let mut strided = vec![7.0; m * (n + 3)];
                    pool.install(|| {
                        matmul(&mut row_major, lhs, rhs, accumulate, threads);
                        matmul_column_major(&mut column_major, lhs, rhs, threads);
                        matmul_strided(&mut strided, n + 3, lhs, rhs, accumulate, threads);
                    });
                    (row_major, column_major, strided)
                };
                let (one, banded) = (run(1), run(3));
                let what = format!("{m}x{k}x{n}, accumulate {accumulate}, lhs transposed {lhs_t}");
                let bad: Vec<usize> = (0..m * n).filter(|&i| one.0[i] != banded.0[i]).collect();
                assert!(
                    bad.is_empty(),
                    "row-major, {what}: {} differ, first {:?}",
                    bad.len(),
                    &bad[..bad.len().min(12)]
                );
                assert!(one.1 == banded.1, "column-major, {what}");
                assert!(one.2 == banded.2, "strided, {what}");
                // And the product is right: one value by its definition.
                let (i, j) = (m - 1, n / 2);
                let sum: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
                let base = if accumulate { start[i * n + j] } else { 0.0 };
                let got = one.0[i * n + j];
                assert!(
                    (got - base - sum).abs() <= 1e-4 * (1.0 + sum.abs()),
                    "{what}: {got} vs {}",
                    base + sum
                );
                assert_eq!(
                    one.2[i * (n + 3) + n],
                    7.0,
                    "{what}: the gap between rows was written"
                );
            }
        }
    }
}
