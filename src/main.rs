use std::process::ExitCode;

use clap::Parser;
use gan_studio::cli::{Cli, run};

/// mimalloc keeps freed memory for reuse: under glibc's allocator every step's megabyte-sized
/// tensors came back from the kernel as fresh pages, page faults and zeroing included
/// (measured ~30% of a DCGAN step on flex; BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where mimalloc numbers its `purge_delay` option in `mi_option_e` (v2 and v3, the two that
/// libmimalloc-sys 0.1 builds); the crate names no constant for it, and the C functions are
/// declared here rather than through its `extended` feature, which needs one more crate.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Tells mimalloc to keep freed memory instead of handing it back to the kernel (a second
/// after it is freed in mimalloc v3, 10 ms in v2). A training step frees and allocates the
/// same megabyte-sized tensors every few ms; purged, they came back as fresh transparent huge
/// pages that the kernel zeroed on the first touch: 54,000-59,000 page faults and 1.3-2.3 s of
/// system time in 60 InfoGAN steps (19 s of CPU), against 1,600 and 0.2-0.5 s kept, for a peak
/// 5-14% higher (BENCHMARKS.md, "Freed memory kept"). A user's own MIMALLOC_PURGE_DELAY wins;
/// the option is set only where it holds one of mimalloc's documented defaults (1,000 ms in
/// v3, 10 in v2), so a mimalloc whose options are numbered otherwise is left alone.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: plain reads and writes of mimalloc's option table, before any other thread
    // exists (the C functions are not thread-safe).
    unsafe {
        if matches!(mi_option_get(MI_OPTION_PURGE_DELAY), 10 | 1000) {
            mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    // SAFETY: first thing in main, before any thread exists.
    unsafe { gan_studio::device::quiet_headless_vulkan() };
    if let Err(error) = gan_studio::threads::build_global_pool() {
        eprintln!("warning: rayon's thread pool: {error}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
