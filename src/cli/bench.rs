//! `gan-studio bench`

use anyhow::Result;
use clap::Args;

use super::{DataArgs, RunArgs};
use crate::bench::{synthetic_split, train_throughput};
use crate::model::{Depth, GanConfig, ModelKind};
use crate::train::TrainConfig;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Models to time (repeatable).
    #[arg(long = "model", value_enum, default_values_t = [ModelKind::Dcgan, ModelKind::Cdcgan, ModelKind::TfDcgan])]
    pub models: Vec<ModelKind>,
    /// Network depth of every model timed.
    #[arg(long, value_enum, default_value_t = Depth::Medium)]
    pub depth: Depth,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Untimed steps first (memory pools and caches fill, kernels compile on wgpu).
    #[arg(long, default_value_t = 5)]
    pub warmup: usize,
    /// Timed steps; the table gives their median.
    #[arg(long, default_value_t = 30)]
    pub steps: usize,
    /// Warm-up and timed steps again this many times, pooled into one median.
    #[arg(long, default_value_t = 1)]
    pub repeats: usize,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also print the median time of each phase of a step.
    #[arg(long)]
    pub phases: bool,
    /// Time the latent explorer's 10x10 grid regeneration instead of training steps.
    #[arg(long)]
    pub explorer: bool,
    /// Time on real data from this folder instead of random bytes.
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let device = args.runs.device()?;
    if args.explorer {
        let mut times = crate::bench::explorer_grid(&device.device, args.warmup, args.steps)?;
        times.sort_by(f64::total_cmp);
        println!(
            "explorer 10x10 grid on {device}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            times.len()
        );
        return Ok(());
    }
    let data = match &args.data {
        Some(dir) => {
            DataArgs::of(crate::data::DatasetKind::Mnist, Some(dir.clone()))
                .load()?
                .train
        }
        None => synthetic_split(4096),
    };
    if !args.json {
        println!("| model | device | batch | median ms/step | min-max ms | images/s |");
        println!("|---|---|---:|---:|---:|---:|");
    }
    let mut results = Vec::new();
    for &model in &args.models {
        let config = TrainConfig::new(GanConfig::new(model).with_depth(args.depth))
            .with_batch_size(args.batch_size);
        let result = train_throughput(
            config,
            data.clone(),
            &device.device,
            &device.description,
            args.warmup,
            args.steps,
            args.repeats,
        )?;
        if args.json {
            println!("{}", serde_json::to_string(&result)?);
        } else {
            println!(
                "| {} | {} | {} | {:.1} | {:.1}-{:.1} | {:.0} |",
                result.model,
                result.device,
                result.batch_size,
                result.median_ms,
                result.min_ms,
                result.max_ms,
                result.images_per_sec
            );
        }
        results.push(result);
    }
    if args.phases && !args.json {
        for result in &results {
            println!(
                "\n{} on {}: median ms per phase, the cores it kept busy, and how much of that \
                 was work (less the workers kept awake finding none)",
                result.model, result.device
            );
            for phase in &result.phases_ms {
                println!(
                    "  {:<24} {:>8.1}  {:>4.0}% CPU  {:>4.0}% at work",
                    phase.name,
                    phase.median_ms,
                    phase.cpu_percent,
                    phase.cpu_percent - phase.idle_percent
                );
            }
            println!(
                "  all timed steps: {:.0}% CPU, of which {:.0}% workers kept awake finding no \
                 work: {:.0}% at work",
                result.cpu_percent,
                result.idle_percent,
                result.cpu_percent - result.idle_percent
            );
        }
    }
    Ok(())
}
