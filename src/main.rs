use std::process::ExitCode;

use clap::Parser;
use gan_studio::cli::{Cli, run};

fn main() -> ExitCode {
    // SAFETY: first thing in main, before any thread exists.
    unsafe { gan_studio::device::quiet_headless_vulkan() };
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
