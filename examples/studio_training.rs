//! Step times of a run trained the way the studio trains it: its Training tab's default form
//! (the conditional DCGAN's recipe, a sample grid every 50 steps) on the studio's training job,
//! with no window, on the CPU. Reads MNIST from `GAN_STUDIO_DATA`.
//! `cargo run --release --example studio_training [STEPS]` (BENCHMARKS.md, "Studio").

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use gan_studio::device::ComputeDevice;
use gan_studio::studio::jobs::training::{Message, Request, TrainingJob};
use gan_studio::studio::tabs::training::TrainingForm;

// The binary's allocator and pool, so the job runs as it does in the studio.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Steps left out at the start (first batches, page faults).
const WARMUP: usize = 20;

fn main() -> Result<()> {
    gan_studio::threads::build_global_pool()?;
    let steps: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().context("STEPS must be a number")?,
        None => 300,
    };
    let data_dir = PathBuf::from(
        std::env::var_os("GAN_STUDIO_DATA").ok_or_else(|| anyhow!("set GAN_STUDIO_DATA"))?,
    );
    let runs = tempfile::tempdir()?;
    let mut config = TrainingForm::default().config;
    config.max_steps = Some(steps);
    let job = TrainingJob::spawn(
        Request {
            config,
            runs_dir: runs.path().to_owned(),
            run: "studio-bench".into(),
            resume: false,
            data_dir,
            device: ComputeDevice::cpu().device,
            display: None,
        },
        Arc::new(|| {}),
        Arc::new(|| {}),
    );
    let mut stamps = Vec::with_capacity(steps);
    let mut cpu_at_warmup = 0.0;
    for message in job.messages.iter() {
        match message {
            Message::Step(_) => {
                stamps.push(Instant::now());
                if stamps.len() == WARMUP {
                    cpu_at_warmup = process_cpu_secs();
                }
            }
            Message::Finished { .. } => break,
            Message::Failed(error) => bail!(error),
            _ => {}
        }
    }
    if stamps.len() <= WARMUP + 1 {
        bail!("only {} steps ran", stamps.len());
    }
    let cpu = process_cpu_secs() - cpu_at_warmup;
    let timed = &stamps[WARMUP - 1..];
    let wall = (timed[timed.len() - 1] - timed[0]).as_secs_f64();
    let mut ms: Vec<f64> = timed
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "{} steps after {WARMUP}: median {:.2} ms, mean {:.2} ms, CPU {:.0}%",
        ms.len(),
        ms[ms.len() / 2],
        wall * 1e3 / ms.len() as f64,
        100.0 * cpu / wall
    );
    Ok(())
}

/// CPU seconds of the whole process (every thread); std has no process CPU clock.
fn process_cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } == 0 {
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    } else {
        0.0
    }
}
