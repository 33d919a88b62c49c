//! One struct per tab, each with a `ui` method; the app picks one by [`Tab`].

pub mod architecture;
pub mod compare;
pub mod cyclegan;
pub mod embedding;
pub mod explorer;
pub mod metrics;
pub mod studies;
pub mod training;
pub mod translate;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::compute::Compute;
use super::jobs::Waker;
use super::widgets::{ExportSettings, Notices};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    Training,
    /// First launch opens here: the bundled model works with no data and no training.
    #[default]
    Explorer,
    Metrics,
    Embedding,
    Compare,
    Studies,
    /// CycleGAN runs translate pictures here.
    Translate,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Training,
        Tab::Explorer,
        Tab::Metrics,
        Tab::Embedding,
        Tab::Compare,
        Tab::Translate,
        Tab::Studies,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Training => "Training",
            Tab::Explorer => "Latent explorer",
            Tab::Metrics => "Metrics",
            Tab::Embedding => "Embedding",
            Tab::Compare => "Compare",
            Tab::Studies => "Studies",
            Tab::Translate => "Translate",
        }
    }
}

/// What every tab may use: folders, devices, the UI waker, messages and export options.
pub struct Shared<'a> {
    pub runs_dir: &'a mut PathBuf,
    pub data_dir: &'a mut PathBuf,
    pub compute: &'a Compute,
    pub waker: &'a Waker,
    /// For jobs that report progress many times a second: paced to
    /// [`crate::studio::pacing`].
    pub progress_waker: &'a Waker,
    pub notices: &'a mut Notices,
    pub export: &'a mut ExportSettings,
}

/// A run folder as the runs lists show it.
#[derive(Clone, Debug)]
pub struct RunSummary {
    pub name: String,
    pub model: String,
    pub step: usize,
    pub total_steps: usize,
    pub has_eval: bool,
    pub is_classifier: bool,
    /// False for a run stopped before its first checkpoint: continuing starts it over.
    pub has_checkpoint: bool,
    /// Why the run cannot be opened (an edited config.json, a damaged checkpoint): the list
    /// shows it instead of hiding the run.
    pub problem: Option<String>,
}

/// The names of the classifier runs among `runs`: the judges a tab can offer.
pub fn classifier_names(runs: &[RunSummary]) -> impl Iterator<Item = &str> {
    runs.iter()
        .filter(|r| r.is_classifier)
        .map(|r| r.name.as_str())
}

/// The runs under `runs_dir`, sorted by name; folders that are not runs are skipped.
pub fn list_runs(runs_dir: &std::path::Path) -> Vec<RunSummary> {
    let Ok(entries) = std::fs::read_dir(runs_dir) else {
        return Vec::new();
    };
    let mut runs: Vec<RunSummary> = entries
        .flatten()
        .filter_map(|entry| {
            let root = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if root.join("classifier.bpk").is_file() {
                return Some(RunSummary {
                    name,
                    model: "classifier".into(),
                    step: 0,
                    total_steps: 0,
                    has_eval: false,
                    is_classifier: true,
                    has_checkpoint: false,
                    problem: None,
                });
            }
            if !root.join("config.json").is_file() {
                return None;
            }
            let unreadable = |e: anyhow::Error| RunSummary {
                name: name.clone(),
                model: "unreadable".into(),
                step: 0,
                total_steps: 0,
                has_eval: false,
                is_classifier: false,
                has_checkpoint: false,
                problem: Some(format!("{e:#}")),
            };
            let config = match crate::train::TrainConfig::load_run(&root.join("config.json")) {
                Ok(config) => config,
                Err(e) => return Some(unreadable(e)),
            };
            let run = crate::train::RunDir::open(runs_dir, &name).ok()?;
            let state = match crate::train::checkpoint::latest(&run).and_then(|c| {
                c.map(|c| crate::train::checkpoint::load_state(&c))
                    .transpose()
            }) {
                Ok(state) => state,
                Err(e) => return Some(unreadable(e)),
            };
            Some(RunSummary {
                name,
                // Depth means nothing to a family without networks to size (PCA).
                model: if config.gan.model.family().adversarial() {
                    format!("{} {:?}", config.gan.model.name(), config.gan.depth).to_lowercase()
                } else {
                    config.gan.model.name().to_owned()
                },
                step: state.as_ref().map_or(0, |s| s.step),
                total_steps: state.as_ref().map_or(0, |s| s.total_steps),
                has_eval: root.join("eval.json").is_file(),
                is_classifier: false,
                has_checkpoint: state.is_some(),
                problem: None,
            })
        })
        .collect();
    runs.sort_by(|a, b| a.name.cmp(&b.name));
    runs
}
