//! Training options: data, saved as `config.json` in the run beside the checkpoints.

use burn::prelude::*;

use crate::data::DatasetKind;
use crate::model::GanConfig;
use crate::train::warp::Distortion;

#[derive(Config, Debug)]
pub struct TrainConfig {
    pub gan: GanConfig,
    #[config(default = "DatasetKind::Mnist")]
    pub dataset: DatasetKind,
    /// Where a picture folder's images came from (the folder or tarball), so that a resume
    /// reads the same set; None for the named data sets, found under the data folder.
    #[config(default = "None")]
    pub data_path: Option<std::path::PathBuf>,
    /// The classes' names in label order, from the data (empty: the labels are digits).
    #[config(default = "Vec::new()")]
    pub class_names: Vec<String>,
    #[config(default = 64)]
    pub batch_size: usize,
    #[config(default = 1)]
    pub epochs: usize,
    /// Stop after this many steps even if epochs remain.
    pub max_steps: Option<usize>,
    /// Train on the first N training images only (quick experiments, tests).
    pub train_limit: Option<usize>,
    #[config(default = 2e-4)]
    pub lr_generator: f64,
    #[config(default = 2e-4)]
    pub lr_discriminator: f64,
    /// Adam's beta1; 0.5 is the DCGAN choice (0.9 makes GANs oscillate).
    #[config(default = 0.5)]
    pub beta1: f32,
    #[config(default = 0.999)]
    pub beta2: f32,
    /// The discriminator's target for real images: 1.0, or e.g. 0.9 for one-sided label smoothing.
    #[config(default = 1.0)]
    pub real_target: f32,
    /// Classifier-guided runs: the guiding classifier's folder (holding classifier.bpk); None:
    /// the classifier bundled for the data set. Training copies it into the run's `guide/`,
    /// which is what resumes and `eval` read.
    #[config(default = "None")]
    pub guide_classifier: Option<std::path::PathBuf>,
    /// Soft labels: when set, each real image's target is drawn uniformly from
    /// [`real_target`, this] every step (the CIFAR-10 slides used [0.7, 1.2]).
    #[config(default = "None")]
    pub real_target_max: Option<f32>,
    /// Discriminator updates per step (G:D ratio together with `g_updates`).
    #[config(default = 1)]
    pub d_updates: usize,
    /// Generator updates per step.
    #[config(default = 1)]
    pub g_updates: usize,
    #[config(default = 42)]
    pub seed: u64,
    /// Shift real images by up to 2 pixels.
    #[config(default = false)]
    pub augment: bool,
    /// Rotate every image D is shown, real and generated, by a random angle within ±this many
    /// degrees, differentiably, so G still learns upright images (`super::warp`); 0: off, as
    /// in runs from before the option (InfoGAN's recipe sets 15, `Family::recipe`).
    #[config(default = 0.0)]
    pub warp_degrees: f64,
    /// Also slant every image D is shown by a random horizontal shear within ±this (0.3 moves
    /// the top row 30% of the height sideways); 0: no slant.
    #[config(default = 0.0)]
    pub warp_shear: f64,
    /// Also thicken or thin the strokes of every image D is shown by a random share, within
    /// ±this, of a 3x3 dilation or erosion; 0: strokes kept.
    #[config(default = 0.0)]
    pub warp_stroke: f64,
    /// Also magnify or shrink every image D is shown about its centre by a random share
    /// within ±this (0.15: from 85% to 115% of its size); 0: size kept.
    #[config(default = 0.0)]
    pub warp_scale: f64,
    /// Write a sample grid every N steps (0: only at the end).
    #[config(default = 200)]
    pub sample_every: usize,
    /// Write a checkpoint every N steps (0: only at the end).
    #[config(default = 500)]
    pub checkpoint_every: usize,
    /// Conditional models: also show D real images with wrong labels as fakes (matching-aware
    /// discriminator), which makes the generator obey its labels.
    #[config(default = false)]
    pub mismatch: bool,
    /// Decay of the moving average of generator weights used for samples (None: last weights).
    #[config(default = "Some(0.999)")]
    pub ema_decay: Option<f64>,
    /// A loss above this (or NaN) stops the run as diverged.
    #[config(default = 100.0)]
    pub loss_limit: f32,
}

/// Where a run's data set is found: a picture folder's own recorded path, else the data folder
/// `data_dir` that holds the named sets.
pub fn data_root(
    dataset: DatasetKind,
    data_path: Option<&std::path::Path>,
    data_dir: &std::path::Path,
) -> std::path::PathBuf {
    match data_path {
        Some(path) if dataset == DatasetKind::Folder => path.to_path_buf(),
        _ => data_dir.to_path_buf(),
    }
}

impl TrainConfig {
    /// [`data_root`] of this run.
    pub fn data_root(&self, data_dir: &std::path::Path) -> std::path::PathBuf {
        data_root(self.dataset, self.data_path.as_deref(), data_dir)
    }

    /// Takes the image shape, the classes and (for a picture folder) the source from the data
    /// the run trains on, so every family builds networks for it.
    pub fn fit_to(&mut self, dataset: &crate::data::Dataset) {
        self.dataset = dataset.kind;
        self.gan.image_size = dataset.train.rows;
        self.gan.channels = dataset.train.channels;
        self.gan.num_classes = dataset.class_names.len().max(1);
        self.class_names = dataset.class_names.clone();
        // Absolute, so that `eval`, `sample` and resuming find the pictures from any folder.
        self.data_path = (dataset.kind == crate::data::DatasetKind::Folder)
            .then(|| std::path::absolute(&dataset.dir).unwrap_or_else(|_| dataset.dir.clone()));
    }

    /// Reads a run's `config.json`, also one written before later options existed: a missing
    /// option takes the value that reproduces the old behaviour (no weight average, no
    /// matching-aware D, a bias before each norm), else its default.
    pub fn load_run(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the run's config {}", path.display()))?;
        Self::from_run_json(&text, &path.display().to_string())
    }

    /// As [`Self::load_run`], from the text of a `config.json`; `name` says where it came from.
    pub fn from_run_json(text: &str, name: &str) -> anyhow::Result<Self> {
        use anyhow::Context;
        let stored: serde_json::Value = serde_json::from_str(text)
            .with_context(|| format!("{name}: not a JSON run configuration"))?;
        let mut merged =
            serde_json::to_value(Self::new(GanConfig::new(crate::model::ModelKind::Dcgan)))?;
        // Options added after the first runs, with the value older runs actually trained with.
        merged["ema_decay"] = serde_json::Value::Null;
        merged["mismatch"] = serde_json::Value::Bool(false);
        merged["gan"]["bias_before_norm"] = serde_json::Value::Bool(true);
        merged["gan"]["one_hot_labels"] = serde_json::Value::Bool(false);
        merged["gan"]["info_hidden"] = serde_json::Value::from(0);
        overlay(&mut merged, stored);
        let config: Self = serde_json::from_value(merged)
            .with_context(|| format!("{name}: cannot read the run's config"))?;
        // Every reader goes on to build the networks: refuse impossible ones here, naming the file.
        config
            .gan
            .validate()
            .with_context(|| format!("{name}: describes networks that cannot be built"))?;
        Ok(config)
    }

    /// The bound of the random warp of D's inputs.
    pub fn warp(&self) -> Distortion {
        Distortion {
            degrees: self.warp_degrees,
            shear: self.warp_shear,
            stroke: self.warp_stroke,
            scale: self.warp_scale,
        }
    }

    /// Sets the bound of the random warp of D's inputs.
    pub fn set_warp(&mut self, bound: Distortion) {
        (
            self.warp_degrees,
            self.warp_shear,
            self.warp_stroke,
            self.warp_scale,
        ) = (bound.degrees, bound.shear, bound.stroke, bound.scale);
    }

    /// [`Self::set_warp`], builder style.
    pub fn with_warp(mut self, bound: Distortion) -> Self {
        self.set_warp(bound);
        self
    }

    /// Rejects impossible options with a message naming the option.
    pub fn validate(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        self.gan.validate()?;
        if self.batch_size == 0 {
            bail!("--batch-size must be at least 1");
        }
        if self.d_updates == 0 || self.g_updates == 0 {
            bail!("--d-updates and --g-updates must be at least 1");
        }
        for (name, lr) in [
            ("--lr-g", self.lr_generator),
            ("--lr-d", self.lr_discriminator),
        ] {
            if !(lr.is_finite() && lr > 0.0) {
                bail!("{name} must be a positive number, got {lr}");
            }
        }
        for (name, beta) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                bail!("{name} must be in [0, 1), got {beta}");
            }
        }
        if !(0.5..=1.0).contains(&self.real_target) {
            bail!(
                "--real-target must be in [0.5, 1], got {}",
                self.real_target
            );
        }
        if let Some(high) = self.real_target_max
            && !(high.is_finite() && self.real_target <= high && high <= 1.5)
        {
            bail!(
                "--real-target-max must be in [--real-target, 1.5] ({}..=1.5), got {high}",
                self.real_target
            );
        }
        if let Some(decay) = self.ema_decay
            && !(0.0..1.0).contains(&decay)
        {
            bail!("--ema-decay must be in [0, 1), got {decay}");
        }
        let limit = Distortion::LIMIT;
        for (name, value, max) in [
            ("--warp-degrees", self.warp_degrees, limit.degrees),
            ("--warp-shear", self.warp_shear, limit.shear),
            ("--warp-stroke", self.warp_stroke, limit.stroke),
            ("--warp-scale", self.warp_scale, limit.scale),
        ] {
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                bail!("{name} must be in [0, {max}], got {value}");
            }
        }
        if self.epochs == 0 && self.max_steps.is_none() {
            bail!("--epochs must be at least 1");
        }
        // Options that only some families' discriminators can honour.
        type Can = fn(&dyn crate::family::Family) -> bool;
        let needs: [(bool, &str, &str, Can); 2] = [
            (
                self.mismatch,
                "--mismatch",
                "a discriminator that reads the label",
                |family| family.discriminator_reads_labels(),
            ),
            (
                self.gan.projection_discriminator,
                "--projection",
                "a conv discriminator that reads the label",
                |family| family.discriminator_projects_labels(),
            ),
        ];
        for (asked, flag, need, can) in needs {
            if asked && !can(self.gan.model.family()) {
                let able: Vec<&str> = crate::family::all()
                    .filter(|(_, family)| can(*family))
                    .map(|(_, family)| family.name())
                    .collect();
                bail!(
                    "{flag} needs {need} ({}); {}'s does not",
                    able.join(", "),
                    self.gan.model.name()
                );
            }
        }
        Ok(())
    }
}

/// Writes every field of `top` over `base`, recursing into objects.
pub(crate) fn overlay(base: &mut serde_json::Value, top: serde_json::Value) {
    match (base, top) {
        (serde_json::Value::Object(base), serde_json::Value::Object(top)) => {
            for (key, value) in top {
                match base.get_mut(&key) {
                    Some(slot) => overlay(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, top) => *base = top,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_config_without_later_options_loads_with_the_old_behaviour() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut value = serde_json::to_value(
            TrainConfig::new(GanConfig::new(crate::model::ModelKind::Cdcgan)).with_batch_size(32),
        )
        .unwrap();
        let object = value.as_object_mut().unwrap();
        object.remove("ema_decay");
        object.remove("mismatch");
        let gan = object["gan"].as_object_mut().unwrap();
        gan.remove("leaky_slope");
        gan.remove("bias_before_norm");
        gan.remove("one_hot_labels");
        gan.remove("info_hidden");
        std::fs::write(&path, value.to_string()).unwrap();

        let config = TrainConfig::load_run(&path).unwrap();
        assert_eq!(config.gan.model, crate::model::ModelKind::Cdcgan);
        assert_eq!(config.batch_size, 32);
        assert_eq!(config.ema_decay, None);
        assert!(!config.mismatch);
        assert!(config.gan.bias_before_norm);
        assert!(!config.gan.one_hot_labels);
        assert!(GanConfig::new(crate::model::ModelKind::Cdcgan).one_hot_labels);
        assert_eq!(config.gan.info_hidden, 0);
        assert_eq!(
            GanConfig::new(crate::model::ModelKind::Infogan).info_hidden,
            1024
        );
        assert_eq!(
            config.gan.leaky_slope,
            GanConfig::new(crate::model::ModelKind::Dcgan).leaky_slope
        );

        std::fs::write(&path, "{ not json").unwrap();
        let error = TrainConfig::load_run(&path).unwrap_err().to_string();
        assert!(error.contains("config.json"), "{error}");
    }
}
