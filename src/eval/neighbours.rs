//! Nearest-neighbour distances between sets of vectors, the work behind precision/recall and
//! the memorisation check. Distances come from one matmul per chunk on the compute device
//! (|q|^2 + |r|^2 - 2 q.r), so 10k x 60k comparisons take a second, not minutes.

use anyhow::{Result, anyhow};
use burn::prelude::*;
use burn::tensor::TensorData;
use rayon::prelude::*;

/// Rows of queries per matmul: a 1000 x 60000 distance block is 240 MB.
const CHUNK: usize = 1000;

/// `row(query_index, squared_distances_to_all_refs)` for every query row, the results in
/// query order. The products q.r come from one matmul per chunk on `device`; the rest of the
/// expanded form, |q|^2 + |r|^2 - 2 q.r, is added on the host row by row, in parallel with
/// `row`, in the order burn's ops would add it (the same values bit for bit). As burn ops
/// it was four more passes over each 240 MB block, and the rows were visited on one core
/// while the other idled: MNIST's 60,000 x 60,000 for InfoGAN's neighbour pairing took about
/// 55 s at 140% CPU.
fn distance_rows<R: Send>(
    queries: &[f32],
    refs: &[f32],
    dim: usize,
    device: &Device,
    row: impl Fn(usize, &[f32]) -> R + Sync,
) -> Result<Vec<R>> {
    let m = refs.len() / dim;
    let n = queries.len() / dim;
    if m == 0 {
        return Ok((0..n).map(|i| row(i, &[])).collect());
    }
    let host = |t: Tensor<2>| {
        t.into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow!("cannot read distances: {e:?}"))
    };
    let r = Tensor::<2>::from_data(TensorData::new(refs.to_vec(), [m, dim]), device);
    let r_sq = host(r.clone().square().sum_dim(1))?; // (M, 1)
    let r_t = r.transpose(); // (D, M)
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        let q = Tensor::<2>::from_data(
            TensorData::new(queries[start * dim..end * dim].to_vec(), [end - start, dim]),
            device,
        );
        let q_sq = host(q.clone().square().sum_dim(1))?; // (C, 1)
        let mut block = host(q.matmul(r_t.clone()))?; // (C, M): q.r
        let rows: Vec<R> = block
            .par_chunks_mut(m)
            .zip(q_sq)
            .enumerate()
            .map(|(i, (d, q_sq))| {
                for (d, &r_sq) in d.iter_mut().zip(&r_sq) {
                    // burn's `mul_scalar(-2) + q_sq + r_sq` then `clamp_min(0)`, NaN kept.
                    let v = *d * -2.0 + q_sq + r_sq;
                    *d = if v.is_nan() || v > 0.0 { v } else { 0.0 };
                }
                row(start + i, d)
            })
            .collect();
        out.extend(rows);
    }
    Ok(out)
}

/// Distance from each query to its `k`-th nearest reference. With `skip_self`, queries are the
/// references themselves and the zero distance to itself is not counted.
pub fn kth_neighbour_distance(
    queries: &[f32],
    refs: &[f32],
    dim: usize,
    k: usize,
    skip_self: bool,
    device: &Device,
) -> Result<Vec<f32>> {
    let take = k + usize::from(skip_self);
    distance_rows(queries, refs, dim, device, |_, row| {
        kth_smallest(row, take).sqrt()
    })
}

/// Each query's nearest reference: its index, the distance to it and the distance to the
/// second nearest (infinite with one reference), both computed directly rather than from the
/// expanded form, which loses digits to cancellation (an exact copy comes out ~0.02 away in
/// MNIST's 784 dimensions).
pub fn nearest_two(
    queries: &[f32],
    refs: &[f32],
    dim: usize,
    device: &Device,
) -> Result<Vec<(usize, f32, f32)>> {
    let exact = |i: usize, j: usize| -> f32 {
        let q = &queries[i * dim..(i + 1) * dim];
        let r = &refs[j * dim..(j + 1) * dim];
        let d2: f64 = q.iter().zip(r).map(|(a, b)| f64::from(a - b).powi(2)).sum();
        d2.sqrt() as f32
    };
    distance_rows(queries, refs, dim, device, |i, row| {
        let (mut first, mut second) = (None::<usize>, None::<usize>);
        for (j, &d) in row.iter().enumerate() {
            if first.is_none_or(|f| d < row[f]) {
                second = first;
                first = Some(j);
            } else if second.is_none_or(|s| d < row[s]) {
                second = Some(j);
            }
        }
        let Some(j) = first else {
            return (0, 0.0, f32::INFINITY);
        };
        let d1 = exact(i, j);
        match second {
            // The expanded form may rank two near-equal neighbours the wrong way round.
            Some(k) => match exact(i, k) {
                d2 if d2 < d1 => (k, d2, d1),
                d2 => (j, d1, d2),
            },
            None => (j, d1, f32::INFINITY),
        }
    })
}

/// Indices of each point's `k` nearest other points of the same set, nearest first, as
/// `k` values per point.
pub fn k_nearest_others(
    points: &[f32],
    dim: usize,
    k: usize,
    device: &Device,
) -> Result<Vec<usize>> {
    let n = points.len() / dim;
    let k = k.min(n.saturating_sub(1));
    let rows = distance_rows(points, points, dim, device, |i, row| {
        let mut order: Vec<usize> = (0..row.len()).filter(|&j| j != i).collect();
        if k < order.len() {
            order.select_nth_unstable_by(k, |&a, &b| row[a].total_cmp(&row[b]));
        }
        let nearest = &mut order[..k];
        nearest.sort_by(|&a, &b| row[a].total_cmp(&row[b]));
        // A copy of the k kept: the whole row's list would stay allocated behind them.
        nearest.to_vec()
    })?;
    debug_assert_eq!(rows.len(), n);
    Ok(rows.concat())
}

/// Share of queries inside at least one reference's ball (|q - r_i| <= radius_i).
pub fn share_inside_balls(
    queries: &[f32],
    refs: &[f32],
    radii: &[f32],
    dim: usize,
    device: &Device,
) -> Result<f64> {
    let squared: Vec<f32> = radii.iter().map(|r| r * r).collect();
    let inside = distance_rows(queries, refs, dim, device, |_, row| {
        row.iter().zip(&squared).any(|(d, r)| d <= r)
    })?
    .into_iter()
    .filter(|&inside| inside)
    .count();
    Ok(inside as f64 / (queries.len() / dim).max(1) as f64)
}

/// The `k`-th smallest value (1-based) without sorting the whole row.
fn kth_smallest(row: &[f32], k: usize) -> f32 {
    let mut best = vec![f32::INFINITY; k.max(1)];
    for &d in row {
        if d < best[best.len() - 1] {
            let pos = best.partition_point(|&b| b <= d);
            best.insert(pos, d);
            best.pop();
        }
    }
    best[best.len() - 1]
}

/// Improved precision and recall (Kynkäänniemi et al. 2019): precision is the share of
/// generated samples inside the real data's k-NN balls, recall the share of real samples
/// inside the generated data's balls.
pub fn precision_recall(
    real: &[f32],
    fake: &[f32],
    dim: usize,
    k: usize,
    device: &Device,
) -> Result<(f64, f64)> {
    let real_radii = kth_neighbour_distance(real, real, dim, k, true, device)?;
    let fake_radii = kth_neighbour_distance(fake, fake, dim, k, true, device)?;
    let precision = share_inside_balls(fake, real, &real_radii, dim, device)?;
    let recall = share_inside_balls(real, fake, &fake_radii, dim, device)?;
    Ok((precision, recall))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_other_skips_the_point_itself() {
        // Four points on a line at 0, 1, 5 and 7 (two values each, the second always 0).
        let points = [0.0, 0.0, 1.0, 0.0, 5.0, 0.0, 7.0, 0.0];
        let nearest = k_nearest_others(&points, 2, 1, &Device::flex()).unwrap();
        assert_eq!(nearest, vec![1, 0, 3, 2]);
    }

    #[test]
    fn k_nearest_others_lists_each_points_neighbours_nearest_first() {
        // Points on a line at 0, 1, 5 and 7.
        let points = [0.0, 0.0, 1.0, 0.0, 5.0, 0.0, 7.0, 0.0];
        let nearest = k_nearest_others(&points, 2, 2, &Device::flex()).unwrap();
        assert_eq!(nearest, vec![1, 2, 0, 2, 3, 1, 2, 1]);
        // More neighbours than other points: every other point.
        let all = k_nearest_others(&points, 2, 9, &Device::flex()).unwrap();
        assert_eq!(&all[..3], &[1, 2, 3]);
    }

    #[test]
    fn kth_smallest_counts_duplicates() {
        assert_eq!(kth_smallest(&[5.0, 1.0, 3.0, 1.0, 2.0], 1), 1.0);
        assert_eq!(kth_smallest(&[5.0, 1.0, 3.0, 1.0, 2.0], 2), 1.0);
        assert_eq!(kth_smallest(&[5.0, 1.0, 3.0, 1.0, 2.0], 3), 2.0);
    }

    #[test]
    fn nearest_two_finds_the_closest_rows() {
        let device = Device::flex();
        let refs = [0.0, 0.0, 10.0, 0.0, 0.0, 5.0];
        let got = nearest_two(&[9.0, 1.0, 0.0, 4.0], &refs, 2, &device).unwrap();
        assert_eq!(got[0].0, 1);
        assert!((got[0].1 - 2f32.sqrt()).abs() < 1e-4);
        // Second nearest of (9, 1): (0, 0) at sqrt(81 + 1).
        assert!((got[0].2 - 82f32.sqrt()).abs() < 1e-4);
        assert_eq!(got[1].0, 2);
        assert!((got[1].1 - 1.0).abs() < 1e-4 && (got[1].2 - 4.0).abs() < 1e-4);
        // A copy is at distance 0 exactly, however long the vectors; one reference has no
        // second.
        let long: Vec<f32> = (0..784)
            .map(|i| ((i * 37) % 255) as f32 / 127.5 - 1.0)
            .collect();
        let got = nearest_two(&long, &long, 784, &device).unwrap();
        assert_eq!(got[0], (0, 0.0, f32::INFINITY));
    }

    #[test]
    fn precision_and_recall_of_identical_sets_are_one() {
        let device = Device::flex();
        let points: Vec<f32> = (0..300).map(|i| ((i * 37) % 101) as f32 / 10.0).collect();
        let (p, r) = precision_recall(&points, &points, 3, 3, &device).unwrap();
        assert_eq!((p, r), (1.0, 1.0));
    }

    #[test]
    fn a_far_away_set_has_zero_precision() {
        let device = Device::flex();
        let real: Vec<f32> = (0..200).map(|i| (i % 17) as f32 / 17.0).collect();
        let fake: Vec<f32> = real.iter().map(|v| v + 100.0).collect();
        let (p, r) = precision_recall(&real, &fake, 2, 3, &device).unwrap();
        assert_eq!((p, r), (0.0, 0.0));
    }
}
