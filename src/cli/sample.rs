//! `gan-studio sample`

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{RunArgs, TrainedRun};
use crate::data::idx::{IdxImages, write_colour_images, write_images, write_labels};
use crate::export::grid::{GridLayout, save_grid_png, to_u8_pixels};
use crate::sampling::{FixedBatch, generate_pixels};

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Run name under RUNS_DIR, or the path of a run folder.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// Samples per class (conditional models): the grid has one row per class.
    #[arg(long)]
    pub per_class: Option<usize>,
    /// Number of samples (unconditional models); CycleGAN runs: rows of held-out pictures
    /// (default 8).
    #[arg(long)]
    pub count: Option<usize>,
    /// Output folder: grid.png, images-idx3-ubyte and (conditional) labels-idx1-ubyte.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the latents: the same seed draws the same samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Grid columns (default 10 unconditional, at most 20 per class): a class's samples wrap
    /// onto as many rows as they need, each class starting a new row block.
    #[arg(long)]
    pub cols: Option<usize>,
    /// Also write the exact inputs and outputs as little-endian f32: `latents.f32` (one row of
    /// latent_dim per image) and `images.f32` (values in [-1, 1]), for checking an export
    /// elsewhere (bench/check_torch_export.py).
    #[arg(long)]
    pub floats: bool,
    /// InfoGAN: instead of samples, write the paper's figure `sweep-cK.png`: one row per
    /// category code, 10 columns moving continuous code K (1, 2, ...) from -2 to 2.
    #[arg(long, value_name = "K")]
    pub sweep_code: Option<usize>,
    #[command(flatten)]
    pub runs: RunArgs,
}

pub fn run(args: SampleArgs) -> Result<()> {
    if let Some(dir) = crate::cyclegan::run::find(&args.runs.runs_dir, &args.run) {
        let rows = args.count.unwrap_or(8);
        return super::translate::sample_grid(dir, rows, &args.out, &args.runs);
    }
    // A missing run is reported before any device (and its driver chatter) is touched.
    crate::train::RunDir::open(&args.runs.runs_dir, &args.run)?;
    let device = args.runs.device()?;
    let TrainedRun {
        run,
        config,
        checkpoint,
        generator,
    } = super::open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
    let gan = &config.gan;
    if let Some(code) = args.sweep_code {
        let columns = args.cols.unwrap_or(10);
        let pixels = crate::sampling::host_pixels(crate::explore::codes::code_sweep(
            &generator,
            gan,
            code.checked_sub(1)
                .context("--sweep-code counts from 1 (c1, c2, ...)")?,
            columns,
            crate::explore::codes::SWEEP_RANGE,
            &crate::explore::codes::sweep_noise(gan, args.seed),
            &device.device,
        )?)?;
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let path = args.out.join(format!("sweep-c{code}.png"));
        let side = gan.image_size;
        let layout = GridLayout {
            cols: columns,
            ..GridLayout::default()
        };
        save_grid_png(
            &path,
            &pixels,
            pixels.len() / (gan.channels * side * side),
            side,
            side,
            &layout,
        )?;
        println!(
            "c{code} from -2 to 2, one row per category code, from {} -> {}",
            run.name(),
            path.display()
        );
        return Ok(());
    }
    let conditional = gan.model.is_conditional();
    let (per_row, rows) = if conditional {
        if args.count.is_some() {
            bail!(
                "--count is for unconditional models; {} is conditional, use --per-class",
                gan.model.name()
            );
        }
        (args.per_class.unwrap_or(10), gan.num_classes)
    } else {
        if args.per_class.is_some() {
            bail!(
                "--per-class is for conditional models; use --count for {}",
                gan.model.name()
            );
        }
        let count = args.count.unwrap_or(100);
        let cols = args.cols.unwrap_or(10).clamp(1, count.max(1));
        (cols, count.div_ceil(cols))
    };
    let mut batch = FixedBatch::new(
        args.seed,
        gan.latent_dim,
        conditional,
        gan.num_classes,
        per_row,
        rows,
    );
    if !conditional {
        let count = args.count.unwrap_or(100);
        batch.latents.truncate(count * gan.latent_dim);
        batch.count = count;
    }
    if batch.count == 0 {
        bail!("nothing to sample: --per-class/--count must be at least 1");
    }
    let pixels = generate_pixels(
        &generator,
        gan,
        &batch.latents,
        batch.labels.as_deref(),
        &device.device,
    )?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let side = gan.image_size;
    let layout = if conditional {
        GridLayout {
            cols: args.cols.unwrap_or(20).max(1),
            block: per_row,
            ..GridLayout::default()
        }
    } else {
        GridLayout {
            cols: per_row,
            ..GridLayout::default()
        }
    };
    save_grid_png(
        &args.out.join("grid.png"),
        &pixels,
        batch.count,
        side,
        side,
        &layout,
    )?;
    if gan.channels == 1 {
        let images = IdxImages {
            count: batch.count,
            rows: side,
            cols: side,
            pixels: to_u8_pixels(&pixels),
        };
        write_images(&args.out.join("images-idx3-ubyte"), &images)?;
    } else {
        // Planar (C, H, W) per image, as the model makes them, to (H, W, C) as files hold them.
        let c = gan.channels;
        let interleaved = crate::export::grid::interleave(&to_u8_pixels(&pixels), c, side * side);
        write_colour_images(
            &args.out.join("images-idx4-ubyte"),
            [batch.count, side, side, c],
            &interleaved,
        )?;
    }
    if let Some(labels) = &batch.labels {
        write_labels(&args.out.join("labels-idx1-ubyte"), labels)?;
    }
    if args.floats {
        let bytes =
            |values: &[f32]| -> Vec<u8> { values.iter().flat_map(|v| v.to_le_bytes()).collect() };
        crate::fsutil::write_atomic(&args.out.join("latents.f32"), &bytes(&batch.latents))?;
        crate::fsutil::write_atomic(&args.out.join("images.f32"), &bytes(&pixels))?;
    }
    println!(
        "{} samples from {} ({}) -> {}",
        batch.count,
        run.name(),
        checkpoint
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        args.out.display()
    );
    Ok(())
}
