//! The Translate tab's jobs: loading a CycleGAN run with its held-out pictures, and
//! translating one picture there and back.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use anyhow::Context;
use burn::prelude::Device;

use super::{Outcome, Waker};
use crate::cyclegan::run::{self, GRID_ROWS};
use crate::cyclegan::{CycleGanConfig, Direction, Generators};
use crate::data::Split;

/// A CycleGAN run ready to translate.
#[derive(Clone)]
pub struct LoadedCycleGan {
    pub name: String,
    pub config: CycleGanConfig,
    pub generators: Generators,
    pub held_a: Split,
    pub held_b: Split,
    /// The slides' grid of the first held-out pictures (rows x 6 tiles) and its rows.
    pub grid: (Vec<f32>, usize),
    pub device: Device,
}

/// The CycleGAN runs under `runs_dir`, by name.
pub fn list(runs_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(runs_dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join(run::CONFIG_FILE).is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Loads run `name` and reads its domains' held-out pictures (from the data folder it
/// trained with, else `data_dir`).
pub fn load(
    runs_dir: PathBuf,
    name: String,
    data_dir: PathBuf,
    device: Device,
    waker: Waker,
) -> Receiver<Outcome<LoadedCycleGan>> {
    super::spawn_once("translate-load", waker, move || {
        let dir =
            run::find(&runs_dir, &name).with_context(|| format!("{name} is not a CycleGAN run"))?;
        let trained = run::open(dir, &device)?;
        let data = trained
            .config
            .data_root
            .is_none()
            .then_some(data_dir.as_path());
        let (a, b) = run::load_domains(&trained.config, data)?;
        let grid = run::slides_grid(
            &trained.generators,
            &a.held_out,
            &b.held_out,
            GRID_ROWS,
            &device,
        )?;
        Ok(LoadedCycleGan {
            name,
            config: trained.config,
            generators: trained.generators,
            held_a: a.held_out,
            held_b: b.held_out,
            grid,
            device,
        })
    })
}

/// One picture (pixels in [-1, 1]), translated the given way and back: [input, translated,
/// back], one after another.
pub fn there_and_back(
    loaded: &LoadedCycleGan,
    picture: Vec<f32>,
    direction: Direction,
    waker: Waker,
) -> Receiver<Outcome<Vec<f32>>> {
    let generators = loaded.generators.clone();
    let device = loaded.device.clone();
    let shape = [loaded.config.channels, loaded.config.image_size];
    super::spawn_once("translate", waker, move || {
        let back = match direction {
            Direction::A2b => Direction::B2a,
            Direction::B2a => Direction::A2b,
        };
        let there = run::translate_pixels(&generators, direction, &picture, shape, &device)?;
        let returned = run::translate_pixels(&generators, back, &there, shape, &device)?;
        let mut tiles = picture;
        tiles.extend(there);
        tiles.extend(returned);
        Ok(tiles)
    })
}

/// A picture file decoded for `config`'s networks: side, channels, [-1, 1].
pub fn read_picture(path: &Path, config: &CycleGanConfig) -> anyhow::Result<Vec<f32>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (rgb, _) = crate::data::images::decode_picture(&bytes, config.image_size as u32)
        .map_err(|e| anyhow::anyhow!("{}: not a picture this tool reads: {e}", path.display()))?;
    Ok(crate::cyclegan::run::model_input(
        &rgb,
        config.channels,
        config.image_size * config.image_size,
    ))
}
