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

    /// Visits every (row of the column matrix, output row) with the output columns whose
    /// window reads the image and, when there are any, the index in the image of the first
    /// value they read (None: this output row of the kernel tap is all padding).
    fn walk(&self, mut visit: impl FnMut(usize, usize, std::ops::Range<usize>, Option<usize>)) {
        let [kh, kw] = self.kernel;
        for c in 0..self.channels {
            for ky in 0..kh {
                let y_offset = ky * self.dilation[0];
                let rows = self.valid(0, y_offset, self.height);
                for kx in 0..kw {
                    let row = (c * kh + ky) * kw + kx;
                    let x_offset = kx * self.dilation[1];
                    let cols = self.valid(1, x_offset, self.width);
                    for oy in 0..self.out[0] {
                        if cols.is_empty() || !rows.contains(&oy) {
                            visit(row, oy, 0..0, None);
                            continue;
                        }
                        let iy = oy * self.stride[0] + y_offset - self.padding[0];
                        let ix0 = cols.start * self.stride[1] + x_offset - self.padding[1];
                        let first = (c * self.height + iy) * self.width + ix0;
                        visit(row, oy, cols.clone(), Some(first));
                    }
                }
            }
        }
    }
}

/// `cols` (rows x positions, row r starting at `r * stride`) = the kernel windows of `image`
/// (channels, height, width), zero where a window hangs over the padding. A `stride` wider than
/// the positions lays several images side by side in one column block (pass the slice from the
/// image's first column). Each value is written once: the padding's zeros around the copies,
/// not a fill of everything first (im2col is a tenth of a DCGAN step).
pub fn im2col(g: &Geometry, image: &[f32], cols: &mut [f32], stride: usize) {
    let (rows, positions, ow, sx) = (g.rows(), g.positions(), g.out[1], g.stride[1]);
    assert_eq!(image.len(), g.image_len(), "im2col: image size");
    assert!(
        stride >= positions && cols.len() >= (rows - 1) * stride + positions,
        "im2col: block size"
    );
    g.walk(|row, oy, valid, first| {
        let dst = &mut cols[row * stride + oy * ow..][..ow];
        let Some(first) = first else {
            dst.fill(0.0);
            return;
        };
        dst[..valid.start].fill(0.0);
        dst[valid.end..].fill(0.0);
        let (dst, src) = (&mut dst[valid], &image[first..]);
        if sx == 1 {
            dst.copy_from_slice(&src[..dst.len()]);
        } else {
            dst.iter_mut()
                .zip(src.iter().step_by(sx))
                .for_each(|(d, s)| *d = *s);
        }
    });
}

/// `image` (channels, height, width) += each column of `cols` (laid out as [`im2col`] writes
/// them) added back at its window: the adjoint of [`im2col`].
pub fn col2im(g: &Geometry, cols: &[f32], stride: usize, image: &mut [f32]) {
    let (rows, positions, ow, sx) = (g.rows(), g.positions(), g.out[1], g.stride[1]);
    assert_eq!(image.len(), g.image_len(), "col2im: image size");
    assert!(
        stride >= positions && cols.len() >= (rows - 1) * stride + positions,
        "col2im: block size"
    );
    g.walk(|row, oy, valid, first| {
        let Some(first) = first else { return };
        let src = &cols[row * stride + oy * ow..][..ow][valid];
        let dst = &mut image[first..];
        if sx == 1 {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += *s);
        } else {
            dst.iter_mut()
                .step_by(sx)
                .zip(src)
                .for_each(|(d, s)| *d += *s);
        }
    });
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

/// `out` (row-major, lhs.rows x rhs.cols) = lhs x rhs, or += when `accumulate`. `threads` > 1
/// lets gemm split the product over rayon's pool.
pub fn matmul(out: &mut [f32], lhs: View, rhs: View, accumulate: bool, threads: usize) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "matmul: inner dimensions differ");
    assert_eq!(out.len(), m * n, "matmul: output size");
    assert!(
        lhs.in_bounds() && rhs.in_bounds(),
        "matmul: view out of bounds"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out.fill(0.0);
        }
        return;
    }
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the asserts above keep every index gemm reads or writes inside the three slices
    // (views checked by `in_bounds`, `out` is exactly m x n row-major), and `out` is borrowed
    // mutably so it cannot alias the inputs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
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
}
