use std::process::ExitCode;

use clap::Parser;

/// mimalloc keeps freed memory for reuse: under glibc's allocator every step's megabyte-sized
/// tensors came back from the kernel as fresh pages, page faults and zeroing included
/// (measured ~30% of a DCGAN step on flex; BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use gan_studio::cli::{Cli, run};

fn main() -> ExitCode {
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
