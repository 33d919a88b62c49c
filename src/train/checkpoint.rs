//! Checkpoints: both networks, both optimisers and the step, written atomically.
//!
//! Each checkpoint is a folder `checkpoints/step-NNNNNNNN/` written under a temporary name and
//! renamed into place; `checkpoints/latest` then names it (itself replaced atomically). A crash
//! at any point leaves the previous checkpoint intact and `latest` pointing at a whole one.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::run_dir::RunDir;
use crate::fsutil::write_atomic;
use crate::model::{Discriminator, GanConfig, Generator};

const GENERATOR: &str = "generator.bpk";
const GENERATOR_EMA: &str = "generator_ema.bpk";
const DISCRIMINATOR: &str = "discriminator.bpk";
const OPTIM_G: &str = "optim_g.bpk";
const OPTIM_D: &str = "optim_d.bpk";
const STATE: &str = "state.json";
const LATEST: &str = "latest";
/// Checkpoints kept besides the newest.
const KEEP_OLDER: usize = 1;

/// Where training stands, saved in every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    pub step: usize,
    pub total_steps: usize,
    pub elapsed_secs: f64,
}

/// A module's record as burnpack bytes, as checkpoints store it.
pub fn record_bytes<M: Module>(module: &M, what: &str) -> Result<Bytes> {
    // `valid()` first: it folds batch norm's pending running-statistics update into the value
    // the record reads (burn's RunningState syncs in `valid`, not in `into_record`), which a
    // plain `into_record` would miss by one step.
    module
        .valid()
        .into_record()
        .into_bytes()
        .map_err(|e| anyhow!("cannot serialise the {what}: {e}"))
}

/// Saves a module's record as a burnpack file, atomically.
pub fn save_module<M: Module>(module: &M, path: &Path) -> Result<()> {
    write_atomic(path, &record_bytes(module, "model")?)
}

/// A checkpoint file's bytes, as burn's records and optimisers read them.
pub fn read_bytes(path: &Path) -> Result<Bytes> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read checkpoint file {}", path.display()))?;
    Ok(Bytes::from_bytes_vec(bytes))
}

/// Loads a module record from a burnpack file into `module`.
pub fn load_module<M: Module>(module: M, path: &Path) -> Result<M> {
    load_module_bytes(module, read_bytes(path)?, &path.display().to_string())
}

/// Loads a module record held in memory (e.g. a bundled model); `what` names it in errors.
pub fn load_module_bytes<M: Module>(module: M, bytes: Bytes, what: &str) -> Result<M> {
    let record = ModuleRecord::from_bytes(bytes)
        .map_err(|e| anyhow!("{what}: not a valid checkpoint file: {e}"))?;
    module
        .try_load_record(record)
        .map_err(|e| anyhow!("{what}: does not match the run's configuration: {e}"))
}

/// Writes a checkpoint and returns its folder. On failure (a full disk, say) the partial
/// checkpoint is removed, freeing its space, and the previous one stays the latest.
pub fn save(
    run: &RunDir,
    state: &TrainState,
    generator: &Generator,
    discriminator: &Discriminator,
    optim_g: &ModuleOptimizer,
    optim_d: &ModuleOptimizer,
    ema: Option<&Generator>,
) -> Result<PathBuf> {
    save_files(run, state, || {
        let mut files = vec![
            (GENERATOR, record_bytes(generator, "generator")?),
            (DISCRIMINATOR, record_bytes(discriminator, "discriminator")?),
            (OPTIM_G, optimizer_bytes(optim_g, "G")?),
            (OPTIM_D, optimizer_bytes(optim_d, "D")?),
        ];
        if let Some(ema) = ema {
            files.push((GENERATOR_EMA, record_bytes(ema, "averaged generator")?));
        }
        Ok(files)
    })
}

/// An optimiser's state as checkpoints store it; `which` names it in errors.
pub fn optimizer_bytes(optim: &ModuleOptimizer, which: &str) -> Result<Bytes> {
    optim
        .into_bytes()
        .map_err(|e| anyhow!("cannot serialise the {which} optimiser: {e}"))
}

/// Writes a checkpoint of the named files `files()` makes, beside the state, as
/// `checkpoints/step-N/` (any family's: CycleGAN's has four networks). On failure the partial
/// checkpoint is removed and the previous one stays the latest.
pub fn save_files(
    run: &RunDir,
    state: &TrainState,
    files: impl FnOnce() -> Result<Vec<(&'static str, Bytes)>>,
) -> Result<PathBuf> {
    let tmp = run
        .checkpoints()
        .join(format!(".step-{:08}.tmp", state.step));
    files()
        .and_then(|files| write_checkpoint(run, state, &files))
        .map_err(|e| {
            let _ = std::fs::remove_dir_all(&tmp);
            let kept = match latest(run) {
                Ok(Some(dir)) => format!("the latest checkpoint, {}, is intact", dir.display()),
                _ => "there is no earlier checkpoint".to_string(),
            };
            e.context(format!(
                "cannot write the checkpoint of step {} ({kept})",
                state.step
            ))
        })
}

fn write_checkpoint(
    run: &RunDir,
    state: &TrainState,
    files: &[(&'static str, Bytes)],
) -> Result<PathBuf> {
    let dir = run.checkpoints();
    let name = format!("step-{:08}", state.step);
    let tmp = dir.join(format!(".{name}.tmp"));
    let done = dir.join(&name);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot clear {}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    for (file, bytes) in files {
        write_atomic(&tmp.join(file), bytes)?;
    }
    write_atomic(
        &tmp.join(STATE),
        serde_json::to_string_pretty(state)?.as_bytes(),
    )?;
    if done.exists() {
        std::fs::remove_dir_all(&done)
            .with_context(|| format!("cannot replace {}", done.display()))?;
    }
    std::fs::rename(&tmp, &done)
        .with_context(|| format!("cannot move checkpoint into {}", done.display()))?;
    write_atomic(&dir.join(LATEST), name.as_bytes())?;
    prune(&dir, &name);
    Ok(done)
}

/// Writes a checkpoint holding only the generator samples come from (e.g. the bundled model
/// unpacked into a run): it samples and evaluates like any other, and cannot be continued.
pub fn save_sampling_only(
    run: &RunDir,
    state: &TrainState,
    generator_record: &[u8],
) -> Result<PathBuf> {
    let dir = run.checkpoints();
    let name = format!("step-{:08}", state.step);
    let done = dir.join(&name);
    std::fs::create_dir_all(&done).with_context(|| format!("cannot create {}", done.display()))?;
    write_atomic(&done.join(GENERATOR), generator_record)?;
    write_atomic(
        &done.join(STATE),
        serde_json::to_string_pretty(state)?.as_bytes(),
    )?;
    write_atomic(&dir.join(LATEST), name.as_bytes())?;
    Ok(done)
}

/// Writes a whole run that can only be sampled, at `step`: its folders, a generator-only
/// checkpoint, an empty metrics log and, last, `config` (a folder counts as a run only once
/// it is whole). The bundled model and imported generators become runs this way.
pub fn write_sampling_run(
    run: &RunDir,
    config: &crate::train::TrainConfig,
    step: usize,
    generator_record: &[u8],
) -> Result<()> {
    run.create()?;
    let state = TrainState {
        step,
        total_steps: step,
        elapsed_secs: 0.0,
    };
    save_sampling_only(run, &state, generator_record)?;
    std::fs::File::create(run.metrics())
        .with_context(|| format!("cannot create {}", run.metrics().display()))?;
    crate::fsutil::save_config(config, &run.config())
}

/// Whether a checkpoint has what continuing training needs (a sampling-only one has not).
pub fn is_resumable(checkpoint: &Path) -> bool {
    [DISCRIMINATOR, OPTIM_G, OPTIM_D]
        .iter()
        .all(|file| checkpoint.join(file).is_file())
}

/// Removes all but the newest checkpoints; failures only cost disk space, so they are ignored.
fn prune(dir: &Path, newest: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // Checkpoints a killed process left half-written.
    for stale in names
        .iter()
        .filter(|n| n.starts_with(".step-") && n.ends_with(".tmp"))
    {
        let _ = std::fs::remove_dir_all(dir.join(stale));
    }
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with("step-") && n.as_str() < newest)
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(KEEP_OLDER);
    for old in &names[..excess] {
        let _ = std::fs::remove_dir_all(dir.join(old));
    }
}

/// The newest complete checkpoint of a run, if any.
pub fn latest(run: &RunDir) -> Result<Option<PathBuf>> {
    let pointer = run.checkpoints().join(LATEST);
    if !pointer.exists() {
        return Ok(None);
    }
    let name = std::fs::read_to_string(&pointer)
        .with_context(|| format!("cannot read {}", pointer.display()))?;
    let dir = run.checkpoints().join(name.trim());
    if !dir.join(STATE).is_file() {
        bail!(
            "{} names {}, which is not a complete checkpoint",
            pointer.display(),
            dir.display()
        );
    }
    Ok(Some(dir))
}

pub fn load_state(checkpoint: &Path) -> Result<TrainState> {
    let path = checkpoint.join(STATE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not a valid training state", path.display()))
}

pub fn load_generator(config: &GanConfig, checkpoint: &Path, device: &Device) -> Result<Generator> {
    load_module(config.init_generator(device), &checkpoint.join(GENERATOR))
}

/// The averaged generator of a checkpoint, if the run keeps one.
pub fn load_generator_ema(
    config: &GanConfig,
    checkpoint: &Path,
    device: &Device,
) -> Result<Option<Generator>> {
    let path = checkpoint.join(GENERATOR_EMA);
    if !path.is_file() {
        return Ok(None);
    }
    load_module(config.init_generator(device), &path).map(Some)
}

/// SHA-256 (hex) of the weights samples come from: the averaged generator's file when the
/// checkpoint has one, else the generator's. Evaluations record it to name what they measured.
pub fn sampling_generator_sha256(checkpoint: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let ema = checkpoint.join(GENERATOR_EMA);
    let path = if ema.is_file() {
        ema
    } else {
        checkpoint.join(GENERATOR)
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The generator to sample from: the weight average when the run keeps one, else the last weights.
pub fn load_sampling_generator(
    config: &GanConfig,
    checkpoint: &Path,
    device: &Device,
) -> Result<Generator> {
    match load_generator_ema(config, checkpoint, device)? {
        Some(ema) => Ok(ema),
        None => load_generator(config, checkpoint, device),
    }
}

pub fn load_discriminator(
    config: &GanConfig,
    checkpoint: &Path,
    device: &Device,
) -> Result<Discriminator> {
    load_module(
        config.init_discriminator(device)?,
        &checkpoint.join(DISCRIMINATOR),
    )
}

pub fn load_optimizer(
    optim: ModuleOptimizer,
    checkpoint: &Path,
    generator: bool,
) -> Result<ModuleOptimizer> {
    let path = checkpoint.join(if generator { OPTIM_G } else { OPTIM_D });
    optim
        .from_bytes(read_bytes(&path)?)
        .map_err(|e| anyhow!("{}: not a valid optimiser state: {e}", path.display()))
}
