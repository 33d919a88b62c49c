//! The history of generated pictures a discriminator learns from (Shrivastava et al. 2017, as
//! CycleGAN uses it): once full, each new fake is, half the time, swapped for a stored one, so
//! D keeps seeing what G made earlier and cannot chase only its latest trick.
//!
//! Pictures are kept on the host: the pool is saved in checkpoints so that a resumed run sees
//! the same history an uninterrupted one would.

use anyhow::{Result, bail};
use rand::Rng;

#[derive(Clone, Debug, PartialEq)]
pub struct ImagePool {
    capacity: usize,
    /// Values per picture.
    picture_len: usize,
    pictures: Vec<Vec<f32>>,
}

impl ImagePool {
    pub fn new(capacity: usize, picture_len: usize) -> Self {
        Self {
            capacity,
            picture_len,
            pictures: Vec::with_capacity(capacity),
        }
    }

    pub fn len(&self) -> usize {
        self.pictures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pictures.is_empty()
    }

    /// The batch D sees for `fresh` (pictures of `picture_len` values, one after another):
    /// while the pool fills, the fresh pictures (each also stored); then each picture is, with
    /// probability one half, a stored one that the fresh picture replaces.
    pub fn query(&mut self, fresh: &[f32], rng: &mut impl Rng) -> Vec<f32> {
        if self.capacity == 0 {
            return fresh.to_vec();
        }
        let mut out = Vec::with_capacity(fresh.len());
        for picture in fresh.chunks_exact(self.picture_len) {
            if self.pictures.len() < self.capacity {
                self.pictures.push(picture.to_vec());
                out.extend_from_slice(picture);
            } else if rng.random_bool(0.5) {
                let slot = rng.random_range(0..self.pictures.len());
                out.extend_from_slice(&self.pictures[slot]);
                self.pictures[slot] = picture.to_vec();
            } else {
                out.extend_from_slice(picture);
            }
        }
        out
    }

    /// The stored pictures as little-endian f32 bytes, for a checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pictures
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    /// A pool holding the pictures of [`Self::to_bytes`].
    pub fn from_bytes(capacity: usize, picture_len: usize, bytes: &[u8]) -> Result<Self> {
        let values = picture_len * 4;
        if values == 0 || !bytes.len().is_multiple_of(values) || bytes.len() / values > capacity {
            bail!(
                "a saved image pool of {} bytes does not hold whole pictures of {picture_len} \
                 values (at most {capacity})",
                bytes.len()
            );
        }
        let pictures = bytes
            .chunks_exact(values)
            .map(|picture| {
                picture
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            })
            .collect();
        Ok(Self {
            capacity,
            picture_len,
            pictures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn the_pool_fills_then_swaps_about_half_and_survives_a_round_trip() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut pool = ImagePool::new(4, 2);
        // Filling: the fresh pictures come back as they are.
        let fresh = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0];
        assert_eq!(pool.query(&fresh, &mut rng), fresh);
        assert_eq!(pool.len(), 3);
        let mut swapped = 0;
        for i in 0..400 {
            let value = 10.0 + i as f32;
            let out = pool.query(&[value, value], &mut rng);
            assert_eq!(pool.len(), 4);
            if out[0] != value {
                swapped += 1;
            }
        }
        assert!((150..250).contains(&swapped), "{swapped} of 400 swapped");
        let back = ImagePool::from_bytes(4, 2, &pool.to_bytes()).unwrap();
        assert_eq!(back, pool);
        assert!(ImagePool::from_bytes(4, 2, &[0; 12]).is_err());
        // A pool of 0 is no pool.
        let mut none = ImagePool::new(0, 2);
        assert_eq!(none.query(&fresh, &mut rng), fresh);
        assert!(none.is_empty());
    }
}
