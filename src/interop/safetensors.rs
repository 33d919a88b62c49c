//! Weights as safetensors that a PyTorch module of the same architecture loads with
//! `load_state_dict` (definitions in `bench/torch_models.py`), plus a config JSON, and back.
//!
//! burn-store does the work: enum variant names leave the paths (`Conv.up1.weight` becomes
//! `up1.weight`), linear weights are transposed to PyTorch's (out, in), and batch-norm
//! gamma/beta become weight/bias. Everything else already has PyTorch's layout (conv and
//! transposed-conv weights, embeddings, running statistics).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use burn::prelude::*;
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use serde::{Deserialize, Serialize};

use crate::eval::classifier::{Classifier, ClassifierConfig};
use crate::fsutil::write_atomic;
use crate::model::{Generator, NormKind};
use crate::train::checkpoint;
use crate::train::{RunDir, TrainConfig, TrainedRun};

pub const GENERATOR_FILE: &str = "generator.safetensors";
pub const CLASSIFIER_FILE: &str = "classifier.safetensors";
pub const CONFIG_FILE: &str = "config.json";

/// What an export's `config.json` holds: enough to rebuild the network in PyTorch or here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExportConfig {
    /// The class in `bench/torch_models.py` that loads the weights.
    pub pytorch_class: String,
    /// The run the weights came from, its step and the SHA-256 of its weights file.
    pub source_run: String,
    pub step: usize,
    /// Generators: the run's training configuration (its `gan` part shapes the network).
    pub train: Option<TrainConfig>,
    /// Classifiers: the classifier's configuration.
    pub classifier: Option<ClassifierConfig>,
    /// Virtual batch norm: the fixed reference batch every forward pass puts first, as
    /// latents (rows of `latent_dim`) and labels, so PyTorch can repeat it exactly.
    pub vbn_reference_latents: Option<Vec<f32>>,
    pub vbn_reference_labels: Option<Vec<u8>>,
}

/// The PyTorch class for `generator`: the network, whichever family trained it.
fn generator_class(generator: &Generator) -> &'static str {
    match generator {
        Generator::Conv(_) => "ConvGenerator",
        Generator::Dense(_) => "DenseGenerator",
        Generator::Info(_) => "InfoGenerator",
        Generator::Tf(_) => "TfGenerator",
        Generator::Pca(_) => "PcaGenerator",
    }
}

fn store_for_export(path: &Path) -> SafetensorsStore {
    SafetensorsStore::from_file(path)
        .skip_enum_variants(true)
        .with_to_adapter(BurnToPyTorchAdapter)
        .overwrite(true)
        .metadata("producer", "gan-studio")
}

/// Moves a finished export into place, readable by everyone like any other file the tool
/// writes (the store creates its file private to the user).
fn publish(tmp: &Path, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set the permissions of {}", tmp.display()))?;
    }
    std::fs::rename(tmp, path)
        .with_context(|| format!("cannot move the export into {}", path.display()))
}

fn store_for_import(path: &Path) -> SafetensorsStore {
    SafetensorsStore::from_file(path)
        .skip_enum_variants(true)
        .with_from_adapter(PyTorchToBurnAdapter)
}

/// Writes a trained run's sampling generator (the weight average when the run keeps one) as
/// `generator.safetensors` and `config.json` in `out`; returns the files written.
pub fn export_generator(trained: &TrainedRun, out: &Path) -> Result<Vec<PathBuf>> {
    let step = checkpoint::load_state(&trained.checkpoint)?.step;
    export_generator_from(
        &trained.config,
        &trained.generator,
        &trained.run.name(),
        step,
        out,
    )
}

/// As [`export_generator`], for a generator built from `config` (the run's name and step go
/// into config.json).
pub fn export_generator_from(
    config: &TrainConfig,
    generator: &Generator,
    source_run: &str,
    step: usize,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let gan = &config.gan;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let weights = out.join(GENERATOR_FILE);
    // Written under a temporary name and moved into place: a failed export leaves no half file.
    let tmp = out.join(format!(".{GENERATOR_FILE}.tmp"));
    generator
        .valid()
        .save_into(&mut store_for_export(&tmp))
        .map_err(|e| anyhow!("cannot write {}: {e}", weights.display()))?;
    publish(&tmp, &weights)?;
    let (vbn_reference_latents, vbn_reference_labels) = if gan.generator_norm == NormKind::Virtual {
        let (latents, labels) = crate::model::networks::reference_batch(gan);
        (Some(latents), Some(labels))
    } else {
        (None, None)
    };
    let export = ExportConfig {
        pytorch_class: generator_class(generator).to_owned(),
        source_run: source_run.to_owned(),
        step,
        train: Some(config.clone()),
        classifier: None,
        vbn_reference_latents,
        vbn_reference_labels,
    };
    let config_path = out.join(CONFIG_FILE);
    write_atomic(
        &config_path,
        serde_json::to_string_pretty(&export)?.as_bytes(),
    )?;
    Ok(vec![weights, config_path])
}

/// Writes a classifier (the folder holding `classifier.bpk` and its config) as
/// `classifier.safetensors` and `config.json` in `out`.
pub fn export_classifier(classifier_dir: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let device = Device::flex();
    let classifier = crate::eval::classifier::load(classifier_dir, &device)?;
    let config_text = std::fs::read_to_string(classifier_dir.join("config.json"))
        .with_context(|| format!("cannot read {}/config.json", classifier_dir.display()))?;
    let classifier_config = ClassifierConfig::from_json(&config_text)
        .with_context(|| format!("{}/config.json", classifier_dir.display()))?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let weights = out.join(CLASSIFIER_FILE);
    let tmp = out.join(format!(".{CLASSIFIER_FILE}.tmp"));
    classifier
        .save_into(&mut store_for_export(&tmp))
        .map_err(|e| anyhow!("cannot write {}: {e}", weights.display()))?;
    publish(&tmp, &weights)?;
    let config = ExportConfig {
        pytorch_class: "LeNet".to_owned(),
        source_run: classifier_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        step: 0,
        train: None,
        classifier: Some(classifier_config),
        vbn_reference_latents: None,
        vbn_reference_labels: None,
    };
    let config_path = out.join(CONFIG_FILE);
    write_atomic(
        &config_path,
        serde_json::to_string_pretty(&config)?.as_bytes(),
    )?;
    Ok(vec![weights, config_path])
}

fn read_config(dir: &Path) -> Result<ExportConfig> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not an export config", path.display()))
}

/// Fails naming what did not match when a safetensors file does not fit the network.
fn check_applied(result: burn::store::ApplyResult, file: &Path) -> Result<()> {
    if !result.errors.is_empty() {
        bail!(
            "{}: does not fit the configured network: {:?}",
            file.display(),
            result.errors
        );
    }
    if !result.missing.is_empty() {
        let names: Vec<&str> = result.missing.iter().map(|(n, _)| n.as_str()).collect();
        bail!("{}: missing tensors {}", file.display(), names.join(", "));
    }
    Ok(())
}

/// Reads an exported generator (a folder with `generator.safetensors` and `config.json`,
/// from this tool or written by PyTorch in the same layout).
pub fn load_generator(dir: &Path, device: &Device) -> Result<(TrainConfig, Generator)> {
    let config = read_config(dir)?;
    let train = config.train.with_context(|| {
        format!(
            "{}: describes a {}, not a generator",
            dir.join(CONFIG_FILE).display(),
            config.pytorch_class
        )
    })?;
    train.gan.validate()?;
    let weights = dir.join(GENERATOR_FILE);
    if !weights.is_file() {
        bail!("{}: not found", weights.display());
    }
    let mut generator = train.gan.init_generator(device);
    let result = generator
        .load_from(&mut store_for_import(&weights))
        .map_err(|e| anyhow!("{}: {e}", weights.display()))?;
    check_applied(result, &weights)?;
    Ok((train, generator))
}

/// Reads an exported classifier.
pub fn load_classifier(dir: &Path, device: &Device) -> Result<(ClassifierConfig, Classifier)> {
    let config = read_config(dir)?;
    let classifier_config = config.classifier.with_context(|| {
        format!(
            "{}: describes a {}, not a classifier",
            dir.join(CONFIG_FILE).display(),
            config.pytorch_class
        )
    })?;
    classifier_config.validate()?;
    let weights = dir.join(CLASSIFIER_FILE);
    let mut classifier = classifier_config.init(device);
    let result = classifier
        .load_from(&mut store_for_import(&weights))
        .map_err(|e| anyhow!("{}: {e}", weights.display()))?;
    check_applied(result, &weights)?;
    Ok((classifier_config, classifier))
}

/// Makes an exported generator a run in `runs_dir/name` (its config and a sampling-only
/// checkpoint), so sample, eval, embed, augment and the studio use it like any other run.
pub fn import_generator(dir: &Path, runs_dir: &Path, name: &str) -> Result<RunDir> {
    let run = RunDir::new(runs_dir, name)?;
    if run.config().exists() {
        bail!(
            "run {} already exists; import under another --run name",
            run.root.display()
        );
    }
    let device = Device::flex();
    let (config, generator) = load_generator(dir, &device)?;
    let step = read_config(dir)?.step;
    let record = checkpoint::record_bytes(&generator, "imported generator")?;
    checkpoint::write_sampling_run(&run, &config, step, &record)?;
    Ok(run)
}

/// Makes an exported classifier a classifier run in `runs_dir/name`.
pub fn import_classifier(dir: &Path, runs_dir: &Path, name: &str) -> Result<PathBuf> {
    let root = RunDir::new(runs_dir, name)?.root;
    if root.join("classifier.bpk").exists() {
        bail!(
            "{} already holds a classifier; import under another --run name",
            root.display()
        );
    }
    let (config, classifier) = load_classifier(dir, &Device::flex())?;
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    checkpoint::save_module(&classifier, &root.join("classifier.bpk"))?;
    config
        .save(root.join("config.json"))
        .with_context(|| format!("cannot write {}/config.json", root.display()))?;
    Ok(root)
}
