//! Timing shared by the examples that time kernels (included with `#[path]`, not an example).

use std::time::Instant;

/// Median wall time of `run` in ms over `runs` calls, after `warmups` untimed ones.
pub fn median_ms(warmups: usize, runs: usize, mut run: impl FnMut()) -> f64 {
    for _ in 0..warmups {
        run();
    }
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
