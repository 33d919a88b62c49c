//! A random distortion of everything D is shown, real and generated alike, that gradients
//! pass through (differentiable augmentation, Zhao et al. 2020, "DiffAugment"): a small turn,
//! a slant, thicker or thinner strokes and a larger or smaller size, drawn for each image. Because the generated images
//! are distorted inside G's loss too, G still learns to draw undistorted ones, while D and the
//! Q head on its trunk must read them at any small distortion. For InfoGAN this is the point:
//! Q can no longer tell category codes apart by slant or stroke width, which pushes the codes
//! onto the digits (the consistency idea of Elastic-InfoGAN, Ojha et al. 2020). On MNIST the
//! codes' match to the digits rose from 84.4-94.2% (mean 88.2%) to 90.8-94.8% (93.0%) over
//! the same 3 seeds (89.4-94.8%, mean 91.6%, over 6), at a cost in variety (recall 0.72 to
//! 0.39-0.57; BENCHMARKS.md, "Families"); it is InfoGAN's recipe and off for the other
//! families.
//!
//! Written by hand because burn's `grid_sample_2d` has no autodiff: each output pixel is a
//! bilinear blend of four source pixels, gathered by index, which autodiff differentiates.

use burn::prelude::*;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use rand::Rng;

/// A distortion for each image of a batch: the stroke blend, and the turn, slant and size that
/// decide where each output pixel reads from.
pub struct Warp {
    each: Vec<Distortion>,
    /// (N, 1, 1, 1) each: how far each image's strokes are thickened (a 3x3 dilation) and
    /// thinned (a 3x3 erosion), blended in from 0 to 1; None: strokes kept.
    strokes: Option<(Tensor<4>, Tensor<4>)>,
}

/// The largest value in the 3x3 neighbourhood of each pixel (inside the picture).
fn dilate(images: Tensor<4>) -> Tensor<4> {
    let options = MaxPoolOptions::new([3, 3])
        .with_stride([1, 1])
        .with_padding([1, 1]);
    max_pool2d(images, options)
}

/// How far one image is distorted; as a bound, how far any image may be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distortion {
    /// Rotation about the centre, in degrees.
    pub degrees: f64,
    /// Horizontal shear, the slant of handwriting: the top row moves this share of the height.
    pub shear: f64,
    /// Stroke width: above 0 that share of a 3x3 dilation is blended in, below 0 of an erosion.
    pub stroke: f64,
    /// Size about the centre: the picture is magnified by 1 + this (0.15: 15% larger, -0.15:
    /// 15% smaller).
    pub scale: f64,
}

impl Distortion {
    /// No warp at all.
    pub const NONE: Self = Self {
        degrees: 0.0,
        shear: 0.0,
        stroke: 0.0,
        scale: 0.0,
    };

    /// The largest bound an option may set (`TrainConfig::validate`, the studio's fields): a
    /// turn past 90° or a size past ±50% would no longer be a small distortion, and a picture
    /// shrunk further could lose most of itself.
    pub const LIMIT: Self = Self {
        degrees: 90.0,
        shear: 1.0,
        stroke: 1.0,
        scale: 0.5,
    };

    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }
}

/// Where the output pixels of one image (side x side) read from under a distortion: the size,
/// shear and rotation's inverse, for the fused op and burn's ops alike.
#[derive(Clone, Copy, Debug)]
pub struct SourceMap {
    sin: f64,
    cos: f64,
    shear: f64,
    magnify: f64,
    side: usize,
}

impl SourceMap {
    pub fn new(distortion: &Distortion, side: usize) -> Self {
        let (sin, cos) = distortion.degrees.to_radians().sin_cos();
        Self {
            sin,
            cos,
            shear: distortion.shear,
            magnify: 1.0 + distortion.scale,
            side,
        }
    }

    /// Output pixel `p`'s four source pixels (top-left, top-right, bottom-left, bottom-right)
    /// and their bilinear weights, which sum to 1. Sources outside the picture repeat its border.
    pub fn corners(&self, p: usize) -> [(usize, f32); 4] {
        let side = self.side;
        let centre = (side as f64 - 1.0) / 2.0;
        let last = (side - 1) as f64;
        // Its offset from the centre shrunk by the magnification, sheared along x, then rotated.
        let (x, y) = ((p % side) as f64 - centre, (p / side) as f64 - centre);
        let (x, y) = (x / self.magnify, y / self.magnify);
        let x = x + self.shear * y;
        let sx = (self.cos * x + self.sin * y + centre).clamp(0.0, last);
        let sy = (-self.sin * x + self.cos * y + centre).clamp(0.0, last);
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        std::array::from_fn(|corner| {
            let (dx, dy) = (corner % 2, corner / 2);
            let x = (x0 as usize + dx).min(side - 1);
            let y = (y0 as usize + dy).min(side - 1);
            let wx = if dx == 1 { fx } else { 1.0 - fx };
            let wy = if dy == 1 { fy } else { 1.0 - fy };
            (y * side + x, (wx * wy) as f32)
        })
    }
}

impl Warp {
    /// One distortion per image (all channels of an image alike), each value drawn uniformly
    /// within ± the bound's.
    pub fn random(rng: &mut impl Rng, images: usize, bound: Distortion, device: &Device) -> Self {
        let mut each: Vec<Distortion> = (0..images)
            .map(|_| {
                let stroke = rng.random_range(-bound.stroke..=bound.stroke);
                let degrees = rng.random_range(-bound.degrees..=bound.degrees);
                let shear = rng.random_range(-bound.shear..=bound.shear);
                Distortion {
                    degrees,
                    shear,
                    stroke,
                    scale: 0.0,
                }
            })
            .collect();
        // Sizes are drawn after the rest and only when asked for, so that a run without them
        // draws exactly what it drew before they existed.
        if bound.scale > 0.0 {
            for distortion in &mut each {
                distortion.scale = rng.random_range(-bound.scale..=bound.scale);
            }
        }
        Self::new(&each, device)
    }

    /// The given distortion of each image. Pixels that would come from outside the picture
    /// repeat its border, which is background for digits and close to it for photos.
    pub fn new(each: &[Distortion], device: &Device) -> Self {
        let grow: Vec<f32> = each.iter().map(|d| d.stroke.max(0.0) as f32).collect();
        let shrink: Vec<f32> = each.iter().map(|d| (-d.stroke).max(0.0) as f32).collect();
        let per_image = |values: Vec<f32>| {
            Tensor::from_data(TensorData::new(values, [each.len(), 1, 1, 1]), device)
        };
        Self {
            each: each.to_vec(),
            strokes: each
                .iter()
                .any(|d| d.stroke != 0.0)
                .then(|| (per_image(grow), per_image(shrink))),
        }
    }

    /// Each image's distortion, in batch order.
    pub fn distortions(&self) -> &[Distortion] {
        &self.each
    }

    /// (N, C, H, W) -> (N, C, H, W), each image distorted by its own draw: strokes first,
    /// then the size, shear and rotation.
    pub fn apply(&self, images: Tensor<4>) -> Tensor<4> {
        let images = match &self.strokes {
            None => images,
            Some((grow, shrink)) => {
                // Strokes are bright on dark in [-1, 1]: dilation widens them, erosion (the
                // dilation of the negative) narrows them.
                let thick = dilate(images.clone());
                let thin = dilate(images.clone().neg()).neg();
                images.clone()
                    + (thick - images.clone()) * grow.clone()
                    + (thin - images) * shrink.clone()
            }
        };
        if crate::fused::enabled() && crate::fused::on_flex(&images.device()) {
            return crate::fused::fused_resample(images, &self.each);
        }
        self.resample(images)
    }

    /// The bilinear resampling by burn's ops: the four source pixels of every output pixel
    /// gathered by index, weighted and summed (autodiff differentiates the gather).
    pub fn resample(&self, images: Tensor<4>) -> Tensor<4> {
        let [n, c, h, w] = images.dims();
        let device = images.device();
        let pixels = h * w;
        let rows = n * c;
        let mut index = Vec::with_capacity(rows * 4 * pixels);
        let mut weight = Vec::with_capacity(rows * 4 * pixels);
        for distortion in &self.each {
            let map = SourceMap::new(distortion, h);
            let corners: Vec<[(usize, f32); 4]> = (0..pixels).map(|p| map.corners(p)).collect();
            let image_index: Vec<i64> = (0..4)
                .flat_map(|k| corners.iter().map(move |c| c[k].0 as i64))
                .collect();
            let image_weight: Vec<f32> = (0..4)
                .flat_map(|k| corners.iter().map(move |c| c[k].1))
                .collect();
            for _ in 0..c {
                index.extend_from_slice(&image_index);
                weight.extend_from_slice(&image_weight);
            }
        }
        let index =
            Tensor::<2, Int>::from_data(TensorData::new(index, [rows, 4 * pixels]), &device);
        let weight = Tensor::<3>::from_data(TensorData::new(weight, [rows, 4, pixels]), &device);
        let rows = images.reshape([n * c, h * w]); // (N·C, H·W)
        let corners = rows.gather(1, index).reshape([n * c, 4, h * w]); // (N·C, 4, H·W)
        (corners * weight)
            .sum_dim(1) // (N·C, 1, H·W)
            .reshape([n, c, h, w])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn device() -> Device {
        Device::flex()
    }

    fn image(values: Vec<f32>, side: usize) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values, [1, 1, side, side]), &device())
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 tensor")
    }

    fn only(degrees: f64, shear: f64, stroke: f64) -> Distortion {
        Distortion {
            degrees,
            shear,
            stroke,
            scale: 0.0,
        }
    }

    #[test]
    fn a_size_change_moves_a_spot_away_from_the_centre_or_towards_it() {
        let side = 7;
        // One bright pixel two to the right of the centre (3, 3).
        let mut spot = vec![-1f32; side * side];
        spot[3 * side + 5] = 1.0;
        let sized = |scale: f64| {
            let distortion = Distortion {
                scale,
                ..Distortion::NONE
            };
            values(Warp::new(&[distortion], &device()).apply(image(spot.clone(), side)))
        };
        // 1.5x larger: three pixels out reads two pixels out; two out reads 4/3 out, a third
        // of the spot.
        let larger = sized(0.5);
        assert!((larger[3 * side + 6] - 1.0).abs() < 1e-6, "{larger:?}");
        assert!(
            (larger[3 * side + 5] + 1.0 / 3.0).abs() < 1e-6,
            "{larger:?}"
        );
        // Half the size: one pixel out reads two out, exactly, and nothing else reads the spot.
        let smaller = sized(-0.5);
        assert!((smaller[3 * side + 4] - 1.0).abs() < 1e-6, "{smaller:?}");
        assert_eq!(smaller.iter().filter(|&&v| v > -1.0).count(), 1);
    }

    #[test]
    fn no_distortion_leaves_images_as_they_are() {
        let mut rng = StdRng::seed_from_u64(1);
        let pixels: Vec<f32> = (0..2 * 3 * 25).map(|v| v as f32 * 0.1 - 3.0).collect();
        let images =
            Tensor::<4>::from_data(TensorData::new(pixels.clone(), [2, 3, 5, 5]), &device());
        let warp = Warp::random(&mut rng, 2, only(0.0, 0.0, 0.0), &device());
        let out = values(warp.apply(images));
        for (a, b) in out.iter().zip(&pixels) {
            assert!((a - b).abs() < 1e-5, "{a} != {b}");
        }
    }

    #[test]
    fn a_quarter_turn_carries_the_top_middle_to_the_side() {
        let side = 5;
        let mut spot = vec![-1f32; side * side];
        spot[2] = 1.0; // top middle: (x 2, y 0)
        let out = values(Warp::new(&[only(90.0, 0.0, 0.0)], &device()).apply(image(spot, side)));
        // The middle of the left or right edge, depending on the sense of the turn.
        let (left, right) = (out[2 * side], out[2 * side + side - 1]);
        assert!(left.max(right) > 0.999, "left {left} right {right}");
        assert!(left.min(right) < -0.999, "left {left} right {right}");
        assert_eq!(out.iter().filter(|&&v| v > 0.0).count(), 1);
    }

    #[test]
    fn a_shear_slants_a_vertical_stroke() {
        let side = 5;
        // A vertical line down the middle column.
        let line: Vec<f32> = (0..side * side)
            .map(|p| if p % side == 2 { 1.0 } else { -1.0 })
            .collect();
        let out = values(Warp::new(&[only(0.0, 0.5, 0.0)], &device()).apply(image(line, side)));
        // Two rows from the centre, the source moves by a whole pixel: column 2 reads from
        // column 1 or 3, so the line leaves column 2 at the top and bottom rows and stays put
        // on the middle row.
        let brightest = |row: usize| {
            (0..side)
                .max_by(|&a, &b| out[row * side + a].total_cmp(&out[row * side + b]))
                .unwrap()
        };
        assert_eq!(brightest(2), 2);
        let (top, bottom) = (brightest(0), brightest(4));
        assert!(
            top != 2 && bottom != 2 && top != bottom,
            "top {top} bottom {bottom}"
        );
    }

    #[test]
    fn strokes_thicken_and_thin() {
        let side = 5;
        let mut line = vec![-1f32; side * side];
        for y in 0..side {
            line[y * side + 2] = 1.0;
        }
        let thick =
            values(Warp::new(&[only(0.0, 0.0, 1.0)], &device()).apply(image(line.clone(), side)));
        // A full dilation makes the one-pixel line three pixels wide.
        assert!((0..side).all(|y| (1..=3).all(|x| thick[y * side + x] > 0.999)));
        assert!((0..side).all(|y| thick[y * side] < -0.999));
        // A full erosion removes it; half of one leaves it at half strength (0 here).
        let thin =
            values(Warp::new(&[only(0.0, 0.0, -1.0)], &device()).apply(image(line.clone(), side)));
        assert!(thin.iter().all(|&v| v < -0.999));
        let half = values(Warp::new(&[only(0.0, 0.0, -0.5)], &device()).apply(image(line, side)));
        assert!((half[2 * side + 2]).abs() < 1e-5);
    }

    #[test]
    fn gradients_reach_the_input() {
        let device = Device::flex().autodiff();
        let mut rng = StdRng::seed_from_u64(3);
        let pixels: Vec<f32> = (0..49).map(|v| v as f32).collect();
        let images =
            Tensor::<4>::from_data(TensorData::new(pixels, [1, 1, 7, 7]), &device).require_grad();
        let warp = Warp::random(&mut rng, 1, only(20.0, 0.3, 0.0), &device);
        let grads = warp.apply(images.clone()).sum().backward();
        let grad = images.grad(&grads).expect("a gradient for the input");
        // Every output pixel's weights sum to 1, so the gradients of the sum add up to the
        // pixel count.
        let total: f32 = grad.sum().into_scalar();
        assert!((total - 49.0).abs() < 1e-3, "{total}");
    }
}
