//! `gan-studio curves`: a run's training curves as PNGs, drawn as the studio's tabs draw them,
//! for runs trained headless.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::export::curves::{self, Curves, DEFAULT_SMOOTHING, MAX_SMOOTHING};
use crate::train::RunDir;
use crate::train::metrics::read_lines;

#[derive(Args, Debug)]
pub struct CurvesArgs {
    /// The run: a GAN or a CycleGAN run (a name under RUNS_DIR or a path).
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Weight of the moving average drawn over the raw values, faint (TensorBoard's smoothing,
    /// as the studio's slider); 0 draws the raw values alone.
    #[arg(long, default_value_t = DEFAULT_SMOOTHING)]
    pub smoothing: f32,
    /// Output folder (created); default: the run's `figures/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Folder holding the runs.
    #[arg(long, value_name = "DIR", default_value = super::DEFAULT_RUNS_DIR)]
    pub runs_dir: PathBuf,
}

pub fn run(args: CurvesArgs) -> Result<()> {
    if !(0.0..=MAX_SMOOTHING).contains(&args.smoothing) {
        bail!(
            "--smoothing {} is outside 0 to {MAX_SMOOTHING} (0: raw values)",
            args.smoothing
        );
    }
    let (dir, plots): (RunDir, Vec<Curves>) =
        match crate::cyclegan::run::find(&args.runs_dir, &args.run) {
            Some(dir) => {
                let history = read_lines(&dir.metrics())?;
                let plots = (!history.is_empty())
                    .then(|| curves::cyclegan(&history, args.smoothing).into());
                (dir, plots.unwrap_or_default())
            }
            None => {
                let dir = RunDir::open(&args.runs_dir, &args.run)?;
                let history = read_lines(&dir.metrics())?;
                let plots = (!history.is_empty())
                    .then(|| curves::training(&history, args.smoothing).into());
                (dir, plots.unwrap_or_default())
            }
        };
    if plots.is_empty() {
        bail!(
            "run {} has logged no steps yet: {} is missing or empty",
            args.run,
            dir.metrics().display()
        );
    }
    let out = args.out.unwrap_or_else(|| dir.root.join("figures"));
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    for plot in &plots {
        let path = out.join(plot.file);
        plot.write_png(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
