//! The rayon pool every entry point runs on.

/// Builds rayon's global pool with 16 MiB stacks, as deep as the main thread's 8 MiB and then
/// some, where rayon's default is 2 MiB: every subcommand runs on one of its workers
/// (`cli::run`), and the studio's generators draw there. Call it first thing, before anything
/// touches rayon; a pool already built is left as it is (the error says so).
pub fn build_global_pool() -> Result<(), rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .build_global()
}

/// Stack of every worker thread the project starts (the studio's job pools too).
pub const STACK_BYTES: usize = 16 << 20;
