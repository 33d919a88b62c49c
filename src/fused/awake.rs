//! Keeps the pool's other workers awake through a training step.
//!
//! A step on flex is a few hundred ops, each split over the cores, with short single-threaded
//! stretches between them (autodiff's bookkeeping, small ops). rayon puts a worker to sleep
//! after about 32 idle rounds, so the other core fell asleep in most of those stretches (about
//! 25 times a step) and every next op paid for waking it: 34 µs median from the wake-up to the
//! worker running on this 2-core VM (`perf sched`), the op's first share run alone meanwhile.
//! OpenMP runtimes (PyTorch's) spin for a while before they sleep for the same reason; rayon
//! has no such setting, so for the length of a step each other worker runs a job that takes
//! the pool's pending work as it appears (`rayon::yield_now`) instead of sleeping. The shares
//! of every fused op are fixed, so which thread runs them changes no value.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::prelude::Device;

/// The time the kept-awake workers spent looking for work and finding none, all of them since
/// the process started (ns). The process's CPU time counts it as busy; `bench` subtracts it to
/// say how much of that CPU time did work.
static IDLE_NANOS: AtomicU64 = AtomicU64::new(0);

/// Work that can wait: a kept-awake worker that finds the pool empty runs one small piece of
/// it, and whoever needs the result finishes what is left. It fills the gaps a step leaves
/// between its ops (the weight average, `super::blend::Deferred`), which otherwise cost a
/// phase of their own with one core often idle.
pub trait Filler: Send + Sync {
    /// Runs one piece (a few microseconds, so pool work waits on it no longer than that);
    /// false when no piece is left.
    fn run_piece(&self) -> bool;
}

/// The fillers on offer, oldest first.
static FILLERS: Mutex<Vec<Arc<dyn Filler>>> = Mutex::new(Vec::new());

fn fillers() -> std::sync::MutexGuard<'static, Vec<Arc<dyn Filler>>> {
    // A panic while the list was held leaves it as it was: nothing to repair.
    FILLERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Offers `filler`'s pieces to the kept-awake workers until [`withdraw`] is called.
pub fn offer(filler: Arc<dyn Filler>) {
    fillers().push(filler);
}

/// Takes `filler` off offer; a piece already started still runs to its end.
pub fn withdraw(filler: &Arc<dyn Filler>) {
    let target = Arc::as_ptr(filler) as *const ();
    fillers().retain(|f| Arc::as_ptr(f) as *const () != target);
}

/// Runs one piece of the oldest filler on offer that has one left; false when none had (or
/// another worker holds the list this instant).
fn fill_piece() -> bool {
    let offered: Vec<Arc<dyn Filler>> = match FILLERS.try_lock() {
        Ok(list) => list.clone(),
        Err(_) => return false,
    };
    offered.iter().any(|filler| filler.run_piece())
}

/// Counts `waited` as time a core looked for work and found none ([`super::shares`]' waits).
pub(super) fn add_idle(waited: std::time::Duration) {
    IDLE_NANOS.fetch_add(waited.as_nanos() as u64, Ordering::Relaxed);
}

/// [`IDLE_NANOS`] so far, in ms.
pub fn idle_ms() -> f64 {
    IDLE_NANOS.load(Ordering::Relaxed) as f64 / 1e6
}

/// A training step's `work`: kept company by the awake workers on flex ([`while_awake`]); on
/// wgpu the CPU mostly waits on the GPU, so the workers sleep as usual there.
pub fn step_on<R: Send>(device: &Device, work: impl FnOnce() -> R + Send) -> R {
    if super::on_flex(device) {
        while_awake(work)
    } else {
        work()
    }
}

/// Runs `work` on this thread while the other workers of the current rayon pool stay awake and
/// take its parallel work; they go back to rayon's own idling when `work` returns. Outside a
/// pool, or in a pool of one thread, `work` just runs.
pub fn while_awake<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    let Some(me) = rayon::current_thread_index() else {
        return work();
    };
    if rayon::current_num_threads() < 2 {
        return work();
    }
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    // A scope, so no keeper outlives the step. The calling thread's own copy of the broadcast
    // returns at once: it may run it while it waits inside an op, and spinning there would
    // wait on itself.
    rayon::scope(move |scope| {
        scope.spawn_broadcast(move |_, context| {
            if context.index() == me {
                return;
            }
            #[cfg(test)]
            tests::KEEPING.set(true);
            // From the first look that found nothing to the last, while no job ran between;
            // counted as each ends, so a phase of the step sees its own.
            let mut streak: Option<(Instant, Instant)> = None;
            let count = |(from, to): (Instant, Instant)| {
                IDLE_NANOS.fetch_add((to - from).as_nanos() as u64, Ordering::Relaxed);
            };
            while !flag.load(Ordering::Acquire) {
                let looked = Instant::now();
                match rayon::yield_now() {
                    Some(rayon::Yield::Executed) => streak.take().into_iter().for_each(count),
                    // Nothing pending: a piece of work that can wait, if any, counted as
                    // work.
                    Some(rayon::Yield::Idle) if fill_piece() => {
                        streak.take().into_iter().for_each(count)
                    }
                    // Nor that: let the OS run something else for a moment, if it has
                    // anything (a window's thread); no sleep, which is what costs.
                    Some(rayon::Yield::Idle) => {
                        std::thread::yield_now();
                        streak = Some((streak.map_or(looked, |(from, _)| from), Instant::now()));
                    }
                    None => break,
                }
            }
            streak.into_iter().for_each(count);
            #[cfg(test)]
            tests::KEEPING.set(false);
        });
        // Set on the way out however `work` leaves, a panic included: the scope waits for
        // every keeper before it passes the panic on, and a keeper never told to stop spun
        // for ever (a guided run given a guide for other picture sizes hung, not failed).
        let _release = Release(done);
        work()
    })
}

/// Tells the keepers to stop when dropped.
struct Release(Arc<AtomicBool>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::while_awake;
    use rayon::prelude::*;

    /// A pool of its own for a test, `threads` workers.
    pub(crate) fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a test pool")
    }

    #[test]
    fn work_runs_on_the_calling_worker_and_returns_its_value() {
        let (index, sum) = pool(2).install(|| {
            let me = rayon::current_thread_index();
            while_awake(|| {
                let sum: u64 = (0..100_000u64).into_par_iter().map(|i| i * i).sum();
                (rayon::current_thread_index() == me, sum)
            })
        });
        assert!(index, "the work ran on another thread");
        assert_eq!(sum, (0..100_000u64).map(|i| i * i).sum::<u64>());
    }

    thread_local! {
        /// Whether this thread is in a keeper's loop.
        pub(super) static KEEPING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Spawns a job on the current pool and says whether the thread that ran it was keeping
    /// awake. The caller blocks on a channel, not in rayon, so it cannot run the job itself.
    fn spawned_job_ran_in_a_keeper() -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        rayon::spawn(move || {
            let _ = tx.send(KEEPING.get());
        });
        rx.recv().expect("the spawned job ran")
    }

    #[test]
    fn the_other_worker_waits_for_work_in_the_keeper_and_then_lets_go() {
        let pool = pool(2);
        let (during, after) = pool.install(|| {
            let during = while_awake(|| {
                // A serial stretch longer than rayon's idling before sleep: without a keeper
                // the other worker would be asleep now and run the job outside it.
                std::thread::sleep(std::time::Duration::from_millis(20));
                spawned_job_ran_in_a_keeper()
            });
            (during, spawned_job_ran_in_a_keeper())
        });
        assert!(during, "the job should run on the worker kept awake");
        assert!(!after, "the keeper should have returned with the work");
        // Parallel work inside gives the same values, whoever runs the shares.
        let sum: u64 = pool.install(|| while_awake(|| (0..1000u64).into_par_iter().sum()));
        assert_eq!(sum, 499_500);
    }

    #[test]
    fn the_time_a_kept_worker_finds_no_work_is_counted() {
        let before = super::idle_ms();
        pool(2).install(|| {
            while_awake(|| std::thread::sleep(std::time::Duration::from_millis(50)));
        });
        // The other worker looked for work through most of the 50 ms and found none. The
        // streak is wall time, so a busy machine that runs the keeper less still counts it.
        let idle = super::idle_ms() - before;
        assert!(
            idle >= 25.0,
            "counted {idle:.1} ms idle of a 50 ms serial stretch"
        );
    }

    #[test]
    fn a_step_that_panics_lets_the_keepers_go_and_the_panic_through() {
        // On a thread of its own, so a regression (a hang) fails here instead of stalling.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                pool(2).install(|| while_awake(|| panic!("a shape the op refuses")))
            });
            let _ = tx.send(outcome.is_err());
        });
        let panicked = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("while_awake returned within 20 s of the panic");
        assert!(panicked, "the panic reached the caller");
    }

    #[test]
    fn outside_a_pool_or_on_one_thread_it_just_runs() {
        assert_eq!(while_awake(|| 3), 3);
        assert_eq!(pool(1).install(|| while_awake(|| 4)), 4);
    }
}
