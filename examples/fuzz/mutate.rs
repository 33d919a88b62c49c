//! Byte-level mutations in the manner of AFL's havoc stage, written here because the
//! coverage-guided fuzzers need a nightly toolchain (cargo-fuzz) or instrument every
//! dependency, burn included (cargo-afl), and proptest's strategies generate values rather
//! than mutate real files. Headers get extra attention: most readers fail or succeed on
//! their first bytes.

use rand::Rng;
use rand::rngs::StdRng;

/// 32-bit values that break size arithmetic: zero, one, sign bits, all ones, 4 billion.
const INTERESTING_U32: [u32; 10] = [
    0,
    1,
    2,
    0x7f,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0xffff,
    0xee6b_2800,
];
const INTERESTING_U8: [u8; 8] = [0, 1, 0x7f, 0x80, 0xff, b'0', b'9', b'-'];
/// Largest input the mutator grows to.
const MAX_LEN: usize = 4 << 20;

/// Returns a mutant of `input`: 1 to 8 stacked mutations, some splicing in `other` (another
/// corpus entry) or a word of `dictionary`.
pub fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8], dictionary: &[&str]) -> Vec<u8> {
    let mut data = input.to_vec();
    let rounds = 1 << rng.random_range(0..4);
    for _ in 0..rounds {
        mutate_once(rng, &mut data, other, dictionary);
        data.truncate(MAX_LEN);
    }
    data
}

fn position(rng: &mut StdRng, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    // Half the time inside the first 64 bytes, where headers live.
    if rng.random_bool(0.5) {
        rng.random_range(0..len.min(64))
    } else {
        rng.random_range(0..len)
    }
}

fn mutate_once(rng: &mut StdRng, data: &mut Vec<u8>, other: &[u8], dictionary: &[&str]) {
    let len = data.len();
    match rng.random_range(0..11) {
        0 if len > 0 => {
            let at = position(rng, len);
            data[at] ^= 1 << rng.random_range(0..8);
        }
        1 if len > 0 => {
            let at = position(rng, len);
            data[at] = INTERESTING_U8[rng.random_range(0..INTERESTING_U8.len())];
        }
        2 if len > 0 => {
            let at = position(rng, len);
            data[at] = rng.random();
        }
        3 if len >= 4 => {
            let at = position(rng, len - 3).min(len - 4);
            let value = INTERESTING_U32[rng.random_range(0..INTERESTING_U32.len())];
            let bytes = if rng.random_bool(0.7) {
                value.to_be_bytes()
            } else {
                value.to_le_bytes()
            };
            data[at..at + 4].copy_from_slice(&bytes);
        }
        4 if len > 0 => {
            // Add or subtract a little from a byte (a count off by a few).
            let at = position(rng, len);
            let delta = rng.random_range(1..=16u8);
            data[at] = if rng.random_bool(0.5) {
                data[at].wrapping_add(delta)
            } else {
                data[at].wrapping_sub(delta)
            };
        }
        5 if len > 0 => {
            // Truncate: the most common real damage (a copy or download cut short).
            let keep = rng.random_range(0..len);
            data.truncate(keep);
        }
        6 if len > 1 => {
            let start = rng.random_range(0..len);
            let end = (start + rng.random_range(1..=len.min(256))).min(len);
            data.drain(start..end);
        }
        7 if len > 0 => {
            let start = rng.random_range(0..len);
            let end = (start + rng.random_range(1..=len.min(256))).min(len);
            let chunk = data[start..end].to_vec();
            let at = rng.random_range(0..=len);
            data.splice(at..at, chunk);
        }
        8 => {
            let extra = rng.random_range(1..=64);
            data.extend((0..extra).map(|_| rng.random::<u8>()));
        }
        9 if !other.is_empty() => {
            // Splice: the head of one input onto the tail of another.
            let cut = rng.random_range(0..=len.min(other.len()));
            data.truncate(cut);
            data.extend_from_slice(&other[cut.min(other.len())..]);
        }
        10 if !dictionary.is_empty() => {
            let word = dictionary[rng.random_range(0..dictionary.len())].as_bytes();
            let at = rng.random_range(0..=len);
            if rng.random_bool(0.5) && at + word.len() <= len {
                data[at..at + word.len()].copy_from_slice(word);
            } else {
                data.splice(at..at, word.iter().copied());
            }
        }
        _ => {
            if len > 0 {
                let at = position(rng, len);
                data[at] = data[at].wrapping_add(1);
            }
        }
    }
}
