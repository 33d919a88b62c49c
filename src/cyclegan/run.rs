//! A trained CycleGAN run: finding it, loading the generators translations come from, and
//! translating pictures with them (the slides' grid, whole folders).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::prelude::*;

use super::config::CycleGanConfig;
use super::networks::{Direction, Generators};
use crate::data::Split;
use crate::export::grid::{GridLayout, save_grid_png};
use crate::train::RunDir;
use crate::train::checkpoint;

/// A CycleGAN run's configuration file (latent-GAN runs have `config.json`).
pub const CONFIG_FILE: &str = "cyclegan.json";
/// Held-out pictures per domain in the training tab's and the checkpoints' grids.
pub const GRID_ROWS: usize = 6;
/// Columns of the slides' grid: real A, fake B, reconstructed A, real B, fake A, reconstructed B.
pub const GRID_COLUMNS: [&str; 6] = ["Real A", "Fake B", "Rec. A", "Real B", "Fake A", "Rec. B"];
/// Pictures translated per forward pass.
const CHUNK: usize = 32;

/// The CycleGAN run named `run` (a name under `runs_dir` or a folder), if it is one.
pub fn find(runs_dir: &Path, run: &str) -> Option<RunDir> {
    [PathBuf::from(run), runs_dir.join(run)]
        .into_iter()
        .find(|root| root.join(CONFIG_FILE).is_file())
        .map(|root| RunDir { root })
}

/// A trained run, loaded for translating.
pub struct TrainedCycleGan {
    pub run: RunDir,
    pub config: CycleGanConfig,
    pub checkpoint: PathBuf,
    pub generators: Generators,
}

/// Loads the generators of a run's latest checkpoint (their weight average when kept).
pub fn open(run: RunDir, device: &Device) -> Result<TrainedCycleGan> {
    let config = CycleGanConfig::load_run(&run.root.join(CONFIG_FILE))?;
    let checkpoint = checkpoint::latest(&run)?.with_context(|| {
        format!(
            "run {} has no checkpoint yet; train it first",
            run.root.display()
        )
    })?;
    let generators = checkpoint::load_module(
        config.init_generators(device, config.seed),
        &super::trainer::sampling_record(&checkpoint),
    )?;
    Ok(TrainedCycleGan {
        run,
        config,
        checkpoint,
        generators,
    })
}

/// Reads a run's two domains again as it recorded them, from `data` or else the data folder
/// it trained with.
pub fn load_domains(
    config: &CycleGanConfig,
    data: Option<&Path>,
) -> Result<(super::Domain, super::Domain)> {
    super::load_pair(
        &config.domain_a.spec,
        &config.domain_b.spec,
        data.or(config.data_root.as_deref()),
        config.image_size,
    )
}

/// Translates `pixels` (`n` pictures of `channels` x `side` x `side` in [-1, 1]) the given way.
pub fn translate_pixels(
    generators: &Generators,
    direction: Direction,
    pixels: &[f32],
    [channels, side]: [usize; 2],
    device: &Device,
) -> Result<Vec<f32>> {
    let per = channels * side * side;
    if per == 0 || !pixels.len().is_multiple_of(per) {
        bail!(
            "{} values are not whole pictures of {channels}x{side}x{side}",
            pixels.len()
        );
    }
    let generator = generators.toward(direction);
    let mut out = Vec::with_capacity(pixels.len());
    for chunk in pixels.chunks(CHUNK * per) {
        let n = chunk.len() / per;
        let x = Tensor::<4>::from_data(
            TensorData::new(chunk.to_vec(), [n, channels, side, side]),
            device,
        );
        out.extend(
            generator
                .forward(x)
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| anyhow::anyhow!("cannot read the translated pictures: {e:?}"))?,
        );
    }
    Ok(out)
}

/// A decoded picture (three planes of RGB bytes) as the model's input in [-1, 1]: three
/// planes, or for a grey model one plane of luma.
pub fn model_input(rgb: &[u8], channels: usize, plane: usize) -> Vec<f32> {
    if channels == 3 {
        return rgb
            .iter()
            .map(|&p| crate::data::dataset::scale_pixel(p))
            .collect();
    }
    (0..plane)
        .map(|i| {
            let luma = 0.299 * f32::from(rgb[i])
                + 0.587 * f32::from(rgb[plane + i])
                + 0.114 * f32::from(rgb[2 * plane + i]);
            luma / 127.5 - 1.0
        })
        .collect()
}

/// The slides' grid for the first `rows` held-out pictures of each domain: per row, real A,
/// G(a), F(G(a)), real B, F(b), G(F(b)). Returns the tiles and the row count.
pub fn slides_grid(
    generators: &Generators,
    a: &Split,
    b: &Split,
    rows: usize,
    device: &Device,
) -> Result<(Vec<f32>, usize)> {
    let rows = rows.min(a.len()).min(b.len());
    if rows == 0 {
        bail!("no held-out pictures to show");
    }
    let shape = [a.channels, a.rows];
    let indices: Vec<usize> = (0..rows).collect();
    let real_a = a.batch_pixels(&indices, None);
    let real_b = b.batch_pixels(&indices, None);
    let fake_b = translate_pixels(generators, Direction::A2b, &real_a, shape, device)?;
    let rec_a = translate_pixels(generators, Direction::B2a, &fake_b, shape, device)?;
    let fake_a = translate_pixels(generators, Direction::B2a, &real_b, shape, device)?;
    let rec_b = translate_pixels(generators, Direction::A2b, &fake_a, shape, device)?;
    let per = a.pixels_per_image();
    let mut tiles = Vec::with_capacity(rows * 6 * per);
    for i in 0..rows {
        for column in [&real_a, &fake_b, &rec_a, &real_b, &fake_a, &rec_b] {
            tiles.extend_from_slice(&column[i * per..(i + 1) * per]);
        }
    }
    Ok((tiles, rows))
}

/// Writes the tiles of [`slides_grid`] as a PNG, six columns, scaled up for slides.
pub fn save_slides_grid(path: &Path, tiles: &[f32], rows: usize, side: usize) -> Result<()> {
    let layout = GridLayout {
        cols: GRID_COLUMNS.len(),
        padding: 2,
        scale: 2,
        background: 255,
        block: 0,
    };
    save_grid_png(path, tiles, rows * GRID_COLUMNS.len(), side, side, &layout)
}
