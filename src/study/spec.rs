//! A study file: the grid of data sets x families x option sets x seeds that one comparison
//! runs, with one budget for all. TOML, so people write and diff it by hand; see
//! assets/studies/ for examples and `study run --preset` for the built-in ones.

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::data::DatasetKind;
use crate::model::ModelKind;

/// Seeds as a count (1..=K) or an explicit list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Seeds {
    Count(u64),
    List(Vec<u64>),
}

impl Seeds {
    pub fn values(&self) -> Vec<u64> {
        match self {
            Seeds::Count(k) => (1..=*k).collect(),
            Seeds::List(list) => list.clone(),
        }
    }
}

/// One option set: `train` flags (without the dashes) on top of the study's common ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSet {
    pub name: String,
    #[serde(default)]
    pub flags: toml::Table,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    pub name: String,
    pub datasets: Vec<DatasetKind>,
    pub families: Vec<ModelKind>,
    pub seeds: Seeds,
    /// Training steps of every run (`train --max-steps`).
    pub steps: usize,
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Samples each evaluation draws (`eval --samples`).
    #[serde(default = "default_samples")]
    pub eval_samples: usize,
    /// The scoring classifier: "bundled" (the one that ships for each data set) or a
    /// classifier run's name or folder. A study on a picture folder names its own.
    #[serde(default = "default_classifier")]
    pub classifier: String,
    /// The picture folder (or .tar / .tar.gz of one) that `datasets = ["folder"]` means:
    /// `train/<class>/*.png|jpg`, optionally `test/<class>/`. Made absolute when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pictures: Option<std::path::PathBuf>,
    /// `train` flags every run shares.
    #[serde(default)]
    pub common: toml::Table,
    /// The option sets compared; the first is the baseline the others are read against.
    #[serde(default = "default_option_sets", rename = "option_set")]
    pub option_sets: Vec<OptionSet>,
    /// Also retrain the classifier on few real images with each run's samples mixed in
    /// (`gan-studio augment`), for the accuracy-vs-ratio curve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retraining: Option<Retraining>,
}

/// The `[retraining]` table: every run's generator feeds `augment` once, with the run's seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retraining {
    /// Real training images per class the classifier gets (each a curve).
    pub per_class: Vec<usize>,
    /// Synthetic images per real one; 0 (real only) is added when missing, as every curve's
    /// starting point.
    pub ratios: Vec<f64>,
    #[serde(default = "default_strategy")]
    pub strategy: crate::eval::augment::Strategy,
    /// Optimiser steps of each classifier training (batches of 64).
    #[serde(default = "default_classifier_steps")]
    pub steps: usize,
}

impl Retraining {
    /// The ratios in order, with 0 first.
    pub fn ratios(&self) -> Vec<f64> {
        let mut ratios = self.ratios.clone();
        if !ratios.contains(&0.0) {
            ratios.push(0.0);
        }
        ratios.sort_by(f64::total_cmp);
        ratios.dedup();
        ratios
    }
}

fn default_strategy() -> crate::eval::augment::Strategy {
    crate::eval::augment::Strategy::Mix
}

fn default_classifier_steps() -> usize {
    300
}

fn default_batch() -> usize {
    64
}

fn default_samples() -> usize {
    2000
}

fn default_classifier() -> String {
    "bundled".into()
}

fn default_option_sets() -> Vec<OptionSet> {
    vec![OptionSet {
        name: "default".into(),
        flags: toml::Table::new(),
    }]
}

/// Flags a study sets itself, which option sets may not override.
const RESERVED: [&str; 8] = [
    "run",
    "runs-dir",
    "model",
    "dataset",
    "seed",
    "max-steps",
    "batch-size",
    "resume",
];

impl Study {
    /// Parses a study file; errors name the line (and for syntax errors the column).
    pub fn parse(text: &str) -> Result<Self> {
        let study = Self::parse_unchecked(text)?;
        study.validate(text)?;
        Ok(study)
    }

    /// The study a file describes, not yet checked: for options given beside the file
    /// (`study run FILE --data DIR`), which may complete it. [`Self::validate`] next.
    pub fn parse_unchecked(text: &str) -> Result<Self> {
        let mut study: Self =
            toml::from_str(text).map_err(|e| anyhow!("{}", e.to_string().trim()))?;
        // Absolute, so the runs (which record it) and their hashes do not depend on the
        // folder a study was started from.
        if let Some(pictures) = &mut study.pictures
            && let Ok(absolute) = std::path::absolute(&*pictures)
        {
            *pictures = absolute;
        }
        Ok(study)
    }

    pub fn read(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("cannot read the study file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow!("{}: {e:#}", path.display()))
    }

    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string_pretty(self)?)
    }

    /// Checks the study; errors name the line of `text` (the file it came from) where
    /// there is one, and no line when `text` is empty.
    pub fn validate(&self, text: &str) -> Result<()> {
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map(|i| format!("line {}: ", i + 1))
                .unwrap_or_default()
        };
        if self.datasets.is_empty() || self.families.is_empty() {
            bail!(
                "{}a study needs at least one data set and one family",
                line_of("datasets")
            );
        }
        if self.datasets.contains(&DatasetKind::Folder) {
            // Its classifier knows the folder's classes and no other set's.
            if self.datasets.len() > 1 {
                bail!(
                    "{}a study on a picture folder runs on that folder alone: its classifier \
                     judges no other data set",
                    line_of("datasets")
                );
            }
            if self.pictures.is_none() {
                bail!(
                    "{}a study on a picture folder needs the folder: pictures = \"DIR\" (or \
                     `study run --data DIR`)",
                    line_of("datasets")
                );
            }
            if self.classifier == "bundled" {
                bail!(
                    "{}no classifier ships for your own pictures: set classifier = \"NAME\" (or \
                     `study run --classifier NAME`), a classifier trained with `gan-studio \
                     classifier train --dataset folder --data DIR --run NAME`",
                    match line_of("classifier") {
                        at if at.is_empty() => line_of("datasets"),
                        at => at,
                    }
                );
            }
        } else if self.pictures.is_some() {
            bail!(
                "{}pictures names the folder of datasets = [\"folder\"]; this study runs on {}",
                line_of("pictures"),
                self.datasets
                    .iter()
                    .map(|d| d.folder_or_flag())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let seeds = self.seeds.values();
        if seeds.is_empty() || seeds.len() > 50 {
            bail!(
                "{}seeds must be 1 to 50, got {}",
                line_of("seeds"),
                seeds.len()
            );
        }
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != seeds.len() {
            bail!("{}seeds repeat", line_of("seeds"));
        }
        if self.steps == 0 {
            bail!("{}steps must be at least 1", line_of("steps"));
        }
        if self.eval_samples < 100 {
            bail!(
                "{}eval_samples must be at least 100",
                line_of("eval_samples")
            );
        }
        if self.option_sets.is_empty() {
            bail!("a study needs at least one option set");
        }
        if let Some(r) = &self.retraining {
            let at = line_of("[retraining]");
            if r.per_class.is_empty() || r.per_class.contains(&0) {
                bail!("{at}retraining: per_class needs at least one count of 1 or more");
            }
            if r.ratios.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || r.ratios().len() < 2 {
                bail!("{at}retraining: ratios must be non-negative, with at least one above 0");
            }
            if r.steps == 0 {
                bail!("{at}retraining: steps must be at least 1");
            }
            if let Some(f) = self.families.iter().find(|f| !f.is_conditional()) {
                bail!(
                    "{at}retraining needs conditional generators (labelled samples); {} is not",
                    f.name()
                );
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for set in &self.option_sets {
            if !names.insert(set.name.as_str()) {
                bail!(
                    "{}option set \"{}\" appears twice",
                    line_of(&set.name),
                    set.name
                );
            }
        }
        for (table, what) in std::iter::once((&self.common, "common".to_owned())).chain(
            self.option_sets
                .iter()
                .map(|s| (&s.flags, format!("option set \"{}\"", s.name))),
        ) {
            for (key, value) in table {
                let at = match line_of(&format!("{key} =")) {
                    at if at.is_empty() => line_of(key),
                    at => at,
                };
                if RESERVED.contains(&key.as_str()) {
                    bail!("{at}{what} sets {key}, which the study sets for every run");
                }
                if !matches!(
                    value,
                    toml::Value::String(_)
                        | toml::Value::Integer(_)
                        | toml::Value::Float(_)
                        | toml::Value::Boolean(_)
                ) {
                    bail!("{at}{what}: {key} must be a string, number or true/false");
                }
            }
        }
        // Every run's command line must be one `train` accepts: a typo in a flag is found
        // now, not an hour into the study.
        for plan in super::plan::expand(self, std::path::Path::new("study"), None) {
            super::plan::check_train_args(&plan.train_args).map_err(|e| {
                let message = e.to_string();
                // The line of the flag clap names, else of the option set.
                let set = self.option_sets.iter().find(|s| s.name == plan.option_set);
                let key = set
                    .into_iter()
                    .flat_map(|s| s.flags.keys())
                    .chain(self.common.keys())
                    .find(|k| message.contains(&format!("--{k}")));
                let at = match key.map(|k| line_of(&format!("{k} ="))) {
                    Some(at) if !at.is_empty() => at,
                    _ => line_of(&format!("\"{}\"", plan.option_set)),
                };
                anyhow!("{at}option set \"{}\": {message}", plan.option_set)
            })?;
        }
        Ok(())
    }

    /// A classifier named as a run of `runs_dir` (the user's runs, not the study's) becomes
    /// that run's folder, which `study run` copies into the study. A folder path, "bundled"
    /// and names found nowhere are left as they are.
    pub fn find_classifier(&mut self, runs_dir: &std::path::Path) {
        let weights = crate::eval::classifier::WEIGHTS_FILE;
        if self.classifier == "bundled"
            || std::path::Path::new(&self.classifier)
                .join(weights)
                .is_file()
        {
            return;
        }
        let run = runs_dir.join(&self.classifier);
        if run.join(weights).is_file() {
            self.classifier = std::path::absolute(&run)
                .unwrap_or(run)
                .display()
                .to_string();
        }
    }

    /// Runs in the study.
    pub fn run_count(&self) -> usize {
        self.datasets.len()
            * self.families.len()
            * self.option_sets.len()
            * self.seeds.values().len()
    }
}

/// `train` switches that take an optional `true`/`false` because a recipe may default them on.
const RECIPE_SWITCHES: &[&str] = &["mismatch"];

/// A `train` flag's value as command-line words: `--flag value`, `--flag` for true, nothing
/// for false (`--flag false` for the switches a recipe may turn on).
pub fn flag_words(key: &str, value: &toml::Value) -> Vec<String> {
    let flag = format!("--{key}");
    match value {
        toml::Value::Boolean(true) => vec![flag],
        // A family's recipe can turn these on, so "off" has to be said.
        toml::Value::Boolean(false) if RECIPE_SWITCHES.contains(&key) => vec![flag, "false".into()],
        toml::Value::Boolean(false) => Vec::new(),
        toml::Value::String(s) => vec![flag, s.clone()],
        toml::Value::Integer(i) => vec![flag, i.to_string()],
        toml::Value::Float(f) => vec![flag, f.to_string()],
        other => vec![flag, other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "t"
datasets = ["mnist"]
families = ["cdcgan"]
seeds = 2
steps = 10

[[option_set]]
name = "base"

[[option_set]]
name = "smooth"
flags = { real-target = 0.9, mismatch = true }
"#;

    #[test]
    fn false_turns_off_what_a_recipe_turns_on() {
        let off = toml::Value::Boolean(false);
        assert_eq!(flag_words("mismatch", &off), ["--mismatch", "false"]);
        assert!(flag_words("augment", &off).is_empty());
        assert_eq!(
            flag_words("mismatch", &toml::Value::Boolean(true)),
            ["--mismatch"]
        );
    }

    #[test]
    fn a_study_file_parses_into_its_grid() {
        let study = Study::parse(GOOD).unwrap();
        assert_eq!(study.run_count(), 4);
        assert_eq!(study.seeds.values(), vec![1, 2]);
        assert_eq!(study.classifier, "bundled");
        // What a study writes back reads the same.
        assert_eq!(Study::parse(&study.to_toml().unwrap()).unwrap(), study);
    }

    #[test]
    fn every_preset_is_a_valid_study() {
        for (name, _, _) in super::super::presets::PRESETS {
            let study = super::super::presets::preset(name).unwrap();
            assert!(study.run_count() >= 3, "{name}");
        }
    }

    fn error(text: &str) -> String {
        format!("{:#}", Study::parse(text).unwrap_err())
    }

    #[test]
    fn a_study_on_a_picture_folder_names_the_folder_and_its_classifier() {
        let folder = GOOD.replace("[\"mnist\"]", "[\"folder\"]");
        let e = error(&folder);
        assert!(
            e.contains("line 3") && e.contains("pictures = \"DIR\""),
            "{e}"
        );
        let with_pictures = folder.replace("steps = 10", "steps = 10\npictures = \"my pets\"");
        let e = error(&with_pictures);
        assert!(
            e.contains("no classifier ships for your own pictures")
                && e.contains("classifier train --dataset folder"),
            "{e}"
        );
        let study =
            Study::parse(&with_pictures.replace("seeds = 2", "seeds = 2\nclassifier = \"pets\""))
                .unwrap();
        // Made absolute, so it means the same folder wherever the study is run from.
        let expected = std::env::current_dir().unwrap().join("my pets");
        assert_eq!(study.pictures.as_deref(), Some(expected.as_path()));
        assert_eq!(Study::parse(&study.to_toml().unwrap()).unwrap(), study);
        // One folder alone: its classifier knows no other set's classes.
        let mixed = with_pictures.replace("[\"folder\"]", "[\"folder\", \"mnist\"]");
        assert!(
            error(&mixed).contains("that folder alone"),
            "{}",
            error(&mixed)
        );
        // And pictures mean nothing to a named set.
        let stray = GOOD.replace("steps = 10", "steps = 10\npictures = \"x\"");
        let e = error(&stray);
        assert!(e.contains("line 7") && e.contains("runs on mnist"), "{e}");
    }

    #[test]
    fn bad_study_files_get_one_error_naming_the_line() {
        let syntax = GOOD.replace("steps = 10", "steps = = 10");
        assert!(error(&syntax).contains("line 6"), "{}", error(&syntax));
        let typo = GOOD.replace("real-target = 0.9", "real-targt = 0.9");
        let e = error(&typo);
        assert!(
            e.contains("line 13") && e.contains("smooth") && e.contains("real-targt"),
            "{e}"
        );
        let reserved = GOOD.replace("real-target = 0.9", "seed = 3");
        let e = error(&reserved);
        assert!(e.contains("line 13") && e.contains("seed"), "{e}");
        let twice = GOOD.replace("\"smooth\"", "\"base\"");
        assert!(error(&twice).contains("appears twice"));
        let family = GOOD.replace("\"cdcgan\"", "\"cdcgun\"");
        let e = error(&family);
        assert!(e.contains("line 4") && e.contains("cdcgun"), "{e}");
        let value = GOOD.replace("real-target = 0.9", "real-target = \"lots\"");
        assert!(error(&value).contains("lots"), "{}", error(&value));
        assert!(error(&GOOD.replace("seeds = 2", "seeds = 0")).contains("line 5"));
        let retraining = format!("{GOOD}\n[retraining]\nper_class = [10]\nratios = [-1]\n");
        let e = error(&retraining);
        assert!(e.contains("line 15") && e.contains("ratios"), "{e}");
        let unconditional = format!(
            "{}\n[retraining]\nper_class = [10]\nratios = [1]\n",
            GOOD.replace("\"cdcgan\"", "\"dcgan\"")
        );
        let e = error(&unconditional);
        assert!(e.contains("line 15") && e.contains("dcgan"), "{e}");
    }

    #[test]
    fn retraining_ratios_start_at_real_only() {
        let study = Study::parse(&format!(
            "{GOOD}\n[retraining]\nper_class = [10, 100]\nratios = [1, 0.5]\n"
        ))
        .unwrap();
        let r = study.retraining.as_ref().unwrap();
        assert_eq!(r.ratios(), vec![0.0, 0.5, 1.0]);
        assert_eq!(r.steps, 300);
        assert_eq!(Study::parse(&study.to_toml().unwrap()).unwrap(), study);
    }
}
