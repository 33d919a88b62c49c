//! `gan-studio translate`: a CycleGAN run translates a picture, a folder or a tarball into PNGs,
//! and `sample` on a CycleGAN run writes the slides' grid of held-out pictures.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use rayon::prelude::*;

use super::RunArgs;
use crate::cyclegan::Direction;
use crate::cyclegan::run::{self, TrainedCycleGan};
use crate::export::grid::{GridLayout, save_grid_png};
use crate::train::RunDir;

/// Pictures translated between progress-bar updates.
const CHUNK: usize = 64;

#[derive(Args, Debug)]
pub struct TranslateArgs {
    /// The CycleGAN run: a name under RUNS_DIR, or the path of a run folder.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// A picture, a folder of pictures (at any depth) or a .tar / .tar.gz of them.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Output folder: one PNG per input picture, under the same name (and sub-folder).
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    /// a2b: domain A's pictures to B (the run's --domain-a to --domain-b); b2a: back.
    #[arg(long, value_enum, default_value_t = Direction::A2b)]
    pub direction: Direction,
    #[command(flatten)]
    pub runs: RunArgs,
}

/// The CycleGAN run `name`, or an error saying what it is instead.
pub fn find_run(runs_dir: &Path, name: &str) -> Result<RunDir> {
    run::find(runs_dir, name).with_context(|| {
        let root = runs_dir.join(name);
        if root.join("config.json").is_file() || Path::new(name).join("config.json").is_file() {
            format!("{name} is a GAN run, not a CycleGAN run; `translate` needs one trained with --model cyclegan")
        } else {
            format!(
                "no CycleGAN run at {name} (looked for {}); train one with `gan-studio train \
                 --model cyclegan --domain-a .. --domain-b .. --run NAME`",
                root.join(run::CONFIG_FILE).display()
            )
        }
    })
}

pub fn run(args: TranslateArgs) -> Result<()> {
    let dir = find_run(&args.runs.runs_dir, &args.run)?;
    let files = crate::data::images::picture_files(&args.input)?;
    if files.is_empty() {
        bail!("{}: no PNG or JPEG pictures in it", args.input.display());
    }
    let targets = output_paths(&args.input, &files, &args.output)?;
    let device = args.runs.device()?;
    let TrainedCycleGan {
        config, generators, ..
    } = run::open(dir, &device.device)?;
    let (side, channels) = (config.image_size, config.channels);
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("translating {pos}/{len} pictures {bar:30} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut written = 0;
    let mut skipped = Vec::new();
    for chunk in files.chunks(CHUNK) {
        let decoded: Vec<(&str, Result<Vec<f32>, String>)> = chunk
            .par_iter()
            .map(|(name, bytes)| {
                let pixels = crate::data::images::decode_picture(bytes, side as u32)
                    .map(|(rgb, _)| run::model_input(&rgb, channels, side * side));
                (name.as_str(), pixels)
            })
            .collect();
        let mut names = Vec::new();
        let mut pixels = Vec::new();
        for (name, result) in decoded {
            match result {
                Ok(p) => {
                    names.push(name);
                    pixels.extend(p);
                }
                Err(e) => skipped.push(format!("{name}: {e}")),
            }
        }
        let out = run::translate_pixels(
            &generators,
            args.direction,
            &pixels,
            [channels, side],
            &device.device,
        )?;
        let per = channels * side * side;
        for (name, picture) in names.iter().zip(out.chunks_exact(per)) {
            let path = &targets[*name];
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let single = GridLayout {
                cols: 1,
                padding: 0,
                scale: 1,
                background: 0,
                block: 0,
            };
            save_grid_png(path, picture, 1, side, side, &single)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written += 1;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    if !skipped.is_empty() {
        eprintln!(
            "warning: skipped {} file(s) that do not decode, e.g. {}",
            skipped.len(),
            skipped[0]
        );
    }
    if written == 0 {
        bail!("{}: none of its pictures decode", args.input.display());
    }
    println!(
        "translated {written} picture(s) {} into {}",
        match args.direction {
            Direction::A2b => format!("{} -> {}", config.domain_a.spec, config.domain_b.spec),
            Direction::B2a => format!("{} -> {}", config.domain_b.spec, config.domain_a.spec),
        },
        args.output.display()
    );
    Ok(())
}

/// The PNG each input picture (by its name under `input`) is written to, refused before
/// anything is written when two pictures would share one file (`a.jpg` and `a.png`) or when the
/// output would overwrite the input: inside an input folder, the PNGs would also be read as
/// input by the next translation of it.
fn output_paths(
    input: &Path,
    files: &[(String, Vec<u8>)],
    output: &Path,
) -> Result<std::collections::HashMap<String, PathBuf>> {
    let output_at = crate::fsutil::resolved(output);
    let input_at = crate::fsutil::resolved(input);
    if input.is_dir() && output_at.starts_with(&input_at) {
        bail!(
            "the output folder {} is inside the input folder {}: its PNGs could overwrite the \
             pictures and would be read as input next time; choose a folder outside it",
            output.display(),
            input.display()
        );
    }
    let mut targets = std::collections::HashMap::new();
    let mut by_path: std::collections::HashMap<PathBuf, &str> = Default::default();
    for (name, _) in files {
        let path = output.join(Path::new(name).with_extension("png"));
        if crate::fsutil::resolved(&path) == input_at {
            bail!(
                "the translation of {} would be written over it; choose another output folder",
                input.display()
            );
        }
        if let Some(first) = by_path.insert(path.clone(), name) {
            bail!(
                "{first} and {name} would both be written as {}; rename one of them",
                path.display()
            );
        }
        targets.insert(name.clone(), path);
    }
    Ok(targets)
}

/// `sample --run R` on a CycleGAN run: `grid.png` in `out`, one row per held-out picture
/// pair: real A, fake B, reconstructed A, real B, fake A, reconstructed B.
pub fn sample_grid(dir: RunDir, rows: usize, out: &Path, runs: &RunArgs) -> Result<()> {
    let device = runs.device()?;
    let trained = run::open(dir, &device.device)?;
    let (a, b) = run::load_domains(&trained.config, None)?;
    let (tiles, rows) = run::slides_grid(
        &trained.generators,
        &a.held_out,
        &b.held_out,
        rows,
        &device.device,
    )?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("grid.png");
    run::save_slides_grid(&path, &tiles, rows, trained.config.image_size)?;
    println!(
        "wrote {} ({rows} held-out rows; columns {})",
        path.display(),
        run::GRID_COLUMNS.join(", ")
    );
    Ok(())
}
