//! Fixed shares of one op run on the pool's cores, the caller waiting for the last of them
//! awake.
//!
//! Written by hand because rayon's own waits sleep: a worker that finishes its half of a
//! `join` or a parallel loop first spins about 32 rounds and then sleeps on a condition
//! variable until the other half ends, and waking it costs more than the wait. In the dense
//! CGAN the training thread went to sleep about 15 times a step that way, in the band
//! products and the dense layers' backward pass (`perf record -e sched:sched_switch`, 2-core
//! Xeon), each time leaving the other core idle from the end of its share until the training
//! thread ran again (40 µs on average from the wake-up to running). OpenMP runtimes spin for a
//! while before they sleep for this reason; rayon has no such setting. Here the caller runs
//! shares until none is left unclaimed and then waits for the others' to end, running the
//! pool's pending jobs meanwhile (nested shares), and never sleeping. Its empty-handed wait
//! counts with the kept-awake workers' ([`super::awake::idle_ms`]), not as work.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What the caller and the helpers share: the next share to claim, how many have ended, and
/// the first panic.
struct Claims {
    count: usize,
    /// Shares taken at one claim: a few claims a thread, so many small shares (channels) do
    /// not each cost a contended atomic.
    grain: usize,
    next: AtomicUsize,
    ended: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// The caller's `share`, its lifetime erased (see [`for_each_share`]'s SAFETY note).
    task: *const (dyn Fn(usize) + Sync + 'static),
}

// SAFETY: `task` points to a `Sync` closure and is only called through a shared reference;
// the rest is atomics and a mutex.
unsafe impl Send for Claims {}
unsafe impl Sync for Claims {}

impl Claims {
    /// Runs shares until none is left to claim.
    fn run(&self) {
        loop {
            let first = self.next.fetch_add(self.grain, Ordering::AcqRel);
            if first >= self.count {
                return;
            }
            let shares = first..(first + self.grain).min(self.count);
            let claimed = shares.len();
            // SAFETY: shares below `count` were claimed, and the caller of `for_each_share`
            // does not return (so the closure stays alive) until every claimed share ended.
            let task = unsafe { &*self.task };
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| shares.for_each(task))) {
                let mut first = self.panic.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(panic);
            }
            self.ended.fetch_add(claimed, Ordering::Release);
        }
    }
}

/// Runs `share(0)`, ..., `share(count - 1)`, each once, on the pool's cores; returns when all
/// have. Which core runs a share changes nothing it computes. A panic in a share is passed on
/// once every share has ended. Outside a pool of two or more threads, rayon's parallel loop
/// runs them.
pub fn for_each_share(count: usize, share: impl Fn(usize) + Sync) {
    for_each_share_claimed(count, Claim::Few, share)
}

/// How many shares a core takes at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// A few claims a core: many small shares (channels) do not each cost a contended atomic.
    Few,
    /// One share a claim, for shares long enough (a conv's block of images, 0.1-1.5 ms) that
    /// the atomic costs nothing: the core that ends first takes the next, so the two end
    /// together even when one runs slower than the other (on the 2-core Xeon VM one core ran
    /// 10-25% slower than the other for whole runs, which of them varying from run to run).
    One,
}

/// [`for_each_share`], the cores claiming shares as `claim` says.
pub fn for_each_share_claimed(count: usize, claim: Claim, share: impl Fn(usize) + Sync) {
    let threads = rayon::current_num_threads();
    if count <= 1 || threads < 2 || rayon::current_thread_index().is_none() {
        use rayon::prelude::*;
        return (0..count).into_par_iter().for_each(|i| share(i));
    }
    let task: &(dyn Fn(usize) + Sync) = &share;
    // SAFETY: only the lifetime is erased. The pointer is used only by a thread that claimed
    // a share below `count` (`Claims::run`), and this function waits below until every such
    // share has ended, so `share` outlives each use; a helper that starts later claims
    // nothing and never reads it.
    let task: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(task) };
    let claims = Arc::new(Claims {
        count,
        grain: match claim {
            Claim::Few => count.div_ceil(4 * threads),
            Claim::One => 1,
        },
        next: AtomicUsize::new(0),
        ended: AtomicUsize::new(0),
        panic: Mutex::new(None),
        task,
    });
    for _ in 1..count.min(threads) {
        let claims = Arc::clone(&claims);
        rayon::spawn(move || claims.run());
    }
    claims.run();
    let mut idle_since: Option<Instant> = None;
    while claims.ended.load(Ordering::Acquire) < count {
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {
                if let Some(since) = idle_since.take() {
                    super::awake::add_idle(since.elapsed());
                }
            }
            _ => {
                idle_since.get_or_insert_with(Instant::now);
                std::hint::spin_loop();
            }
        }
    }
    if let Some(since) = idle_since {
        super::awake::add_idle(since.elapsed());
    }
    let panic = claims
        .panic
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if let Some(panic) = panic {
        resume_unwind(panic);
    }
}

/// `(a(), b())`, side by side as two shares ([`for_each_share`]).
pub fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    let (a, b) = (Mutex::new(Some(a)), Mutex::new(Some(b)));
    let (ra, rb) = (Mutex::new(None), Mutex::new(None));
    for_each_share(2, |share| {
        // Each share takes its closure once; the locks are never contended.
        if share == 0 {
            let f = a.lock().unwrap_or_else(|p| p.into_inner()).take();
            *ra.lock().unwrap_or_else(|p| p.into_inner()) = f.map(|f| f());
        } else {
            let f = b.lock().unwrap_or_else(|p| p.into_inner()).take();
            *rb.lock().unwrap_or_else(|p| p.into_inner()) = f.map(|f| f());
        }
    });
    (taken(ra), taken(rb))
}

/// `f(0)`, ..., `f(count - 1)` in order, computed as shares ([`for_each_share`]).
pub fn map_collect<R: Send>(count: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let slots: Vec<Mutex<Option<R>>> = (0..count).map(|_| Mutex::new(None)).collect();
    for_each_share(count, |i| {
        *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(f(i));
    });
    slots.into_iter().map(taken).collect()
}

/// `f(i, chunk)` for each `chunk`-long piece of `data` (the last shorter), as shares
/// ([`for_each_share`]): rayon's `par_chunks_mut(chunk).enumerate().for_each(f)`.
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    for_each_chunk_mut_claimed(data, chunk, Claim::Few, f)
}

/// [`for_each_chunk_mut`], the cores claiming pieces as `claim` says.
pub fn for_each_chunk_mut_claimed<T: Send>(
    data: &mut [T],
    chunk: usize,
    claim: Claim,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let chunk = chunk.max(1);
    let len = data.len();
    let base = SharedPtr(data.as_mut_ptr());
    for_each_share_claimed(len.div_ceil(chunk), claim, |i| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: the pieces are disjoint ranges inside `data`, each handed to one share, and
        // `data` stays borrowed mutably until every share has ended.
        let piece = unsafe { std::slice::from_raw_parts_mut(base.get().add(start), end - start) };
        f(i, piece)
    });
}

/// A pointer into the buffer [`for_each_chunk_mut`] splits (raw pointers are not `Sync`).
struct SharedPtr<T>(*mut T);

// SAFETY: each share reaches a disjoint piece through it (see `for_each_chunk_mut`).
unsafe impl<T: Send> Sync for SharedPtr<T> {}

impl<T> SharedPtr<T> {
    fn get(&self) -> *mut T {
        self.0
    }
}

/// A share's result, which [`for_each_share`] guarantees was set.
fn taken<T>(slot: Mutex<Option<T>>) -> T {
    slot.into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .expect("each share ran once")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{for_each_share, join};
    use crate::fused::awake::tests::pool;

    #[test]
    fn every_share_runs_once_on_any_pool_and_outside_one() {
        for threads in [1, 2, 3] {
            for count in [0, 1, 2, 5, 64] {
                let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
                pool(threads).install(|| {
                    for_each_share(count, |i| {
                        runs[i].fetch_add(1, Ordering::Relaxed);
                    })
                });
                assert!(
                    runs.iter().all(|r| r.load(Ordering::Relaxed) == 1),
                    "{threads} {count}"
                );
            }
        }
        for threads in [1, 2] {
            let runs: Vec<AtomicUsize> = (0..9).map(|_| AtomicUsize::new(0)).collect();
            pool(threads).install(|| {
                super::for_each_share_claimed(9, super::Claim::One, |i| {
                    runs[i].fetch_add(1, Ordering::Relaxed);
                })
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
        }
        let runs = AtomicUsize::new(0);
        for_each_share(7, |_| {
            runs.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(runs.load(Ordering::Relaxed), 7);
    }

    #[test]
    fn shares_run_on_both_cores_and_nested_shares_end() {
        // Each outer share waits for work long enough that a second core takes the other;
        // the inner shares need whoever waits to run pending jobs, or they run one by one.
        let threads: Vec<std::sync::Mutex<Vec<usize>>> =
            (0..2).map(|_| std::sync::Mutex::new(Vec::new())).collect();
        let total = AtomicUsize::new(0);
        pool(2).install(|| {
            for_each_share(2, |i| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                threads[i]
                    .lock()
                    .expect("lock")
                    .push(rayon::current_thread_index().expect("a worker"));
                for_each_share(8, |j| {
                    total.fetch_add(j, Ordering::Relaxed);
                });
            })
        });
        assert_eq!(total.load(Ordering::Relaxed), 2 * (0..8).sum::<usize>());
        let (a, b) = (
            threads[0].lock().expect("lock")[0],
            threads[1].lock().expect("lock")[0],
        );
        assert_ne!(a, b, "both shares ran on one worker");
    }

    #[test]
    fn chunks_and_collected_values_match_rayons() {
        use rayon::prelude::*;
        for (len, chunk) in [(0, 4), (1, 4), (10, 3), (1000, 7), (4096, 4096)] {
            let mut ours = vec![0usize; len];
            let mut theirs = vec![0usize; len];
            pool(2).install(|| {
                super::for_each_chunk_mut(&mut ours, chunk, |i, c| {
                    c.iter_mut()
                        .enumerate()
                        .for_each(|(j, v)| *v = i * 10_000 + j)
                });
                theirs.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| {
                    c.iter_mut()
                        .enumerate()
                        .for_each(|(j, v)| *v = i * 10_000 + j)
                });
            });
            assert_eq!(ours, theirs, "{len} {chunk}");
        }
        let squares = pool(2).install(|| super::map_collect(300, |i| i * i));
        assert_eq!(squares, (0..300).map(|i| i * i).collect::<Vec<_>>());
    }

    #[test]
    fn join_returns_both_values_and_passes_a_panic_on() {
        let (a, b) = pool(2).install(|| join(|| 6 * 7, || "b".to_string()));
        assert_eq!((a, b.as_str()), (42, "b"));
        let caught = std::panic::catch_unwind(|| {
            pool(2).install(|| join(|| 1, || -> i32 { panic!("share b failed") }))
        });
        let message = caught
            .expect_err("the panic should reach the caller")
            .downcast::<&str>()
            .map(|m| m.to_string())
            .unwrap_or_default();
        assert_eq!(message, "share b failed");
    }
}
