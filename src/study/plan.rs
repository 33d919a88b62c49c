//! A study expanded into runs: each one ordinary `train` command line and one `eval` command
//! line, so the same plan runs here (`study run`) or on any scheduler (`study plan`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Parser;
use sha2::{Digest, Sha256};

use super::spec::{Study, flag_words};
use crate::data::DatasetKind;
use crate::model::ModelKind;

/// One run of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRun {
    /// Folder name under the study's runs/: readable, plus a hash of the training command, so
    /// a changed option gives a new run and an unchanged one is found again.
    pub name: String,
    pub dataset: DatasetKind,
    pub family: ModelKind,
    pub option_set: String,
    pub seed: u64,
    /// `gan-studio` arguments (without the program name).
    pub train_args: Vec<String>,
    pub eval_args: Vec<String>,
    /// `augment` arguments when the study retrains the classifier; run after training and
    /// before `eval`, whose eval.json marks the run done.
    pub augment_args: Option<Vec<String>>,
}

impl PlannedRun {
    /// The commands of this run in order, as `gan-studio` argument lists.
    pub fn commands(&self) -> Vec<&[String]> {
        std::iter::once(self.train_args.as_slice())
            .chain(self.augment_args.as_deref())
            .chain(std::iter::once(self.eval_args.as_slice()))
            .collect()
    }
}

impl PlannedRun {
    /// The cell of the comparison this run is one seed of.
    pub fn cell(&self) -> Cell {
        Cell {
            dataset: self.dataset,
            family: self.family,
            option_set: self.option_set.clone(),
        }
    }
}

/// A data set, family and option set: what the seeds of a study repeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    pub dataset: DatasetKind,
    pub family: ModelKind,
    pub option_set: String,
}

impl Cell {
    /// "cdcgan, label smoothing" (the data set is the report's section).
    pub fn label(&self, study: &Study) -> String {
        match (study.families.len() > 1, study.option_sets.len() > 1) {
            (true, true) => format!("{}, {}", self.family.name(), self.option_set),
            (true, false) => self.family.name().to_owned(),
            _ => self.option_set.clone(),
        }
    }
}

/// Where a study's runs live.
pub fn runs_dir(out: &Path) -> PathBuf {
    out.join("runs")
}

/// The scoring classifier's run name for a data set: a bundled one is unpacked into the
/// study's runs/ under its bundle name, and one given as a folder is copied there under the
/// folder's name (`runner::prepare`), so the study carries the judge of all its runs.
pub fn classifier_for(study: &Study, dataset: DatasetKind) -> String {
    if study.classifier == "bundled" {
        crate::explore::bundle::Bundled::of(dataset)
            .map(|b| b.classifier_name.to_owned())
            .unwrap_or_else(|| "bundled".into())
    } else {
        Path::new(&study.classifier)
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| study.classifier.clone())
    }
}

/// Every run, in the order `study run` trains them: seed-major, so that a study stopped early
/// has every cell at the same number of seeds.
/// `data` (a data folder) is passed to every command but is not part of a run's identity;
/// a picture folder is (other pictures, other runs).
pub fn expand(study: &Study, out: &Path, data: Option<&Path>) -> Vec<PlannedRun> {
    let runs = runs_dir(out).display().to_string();
    let data_words = |dataset: DatasetKind| -> Vec<String> {
        match (dataset, &study.pictures, data) {
            (DatasetKind::Folder, Some(pictures), _) => {
                vec!["--data".to_owned(), pictures.display().to_string()]
            }
            (_, _, Some(dir)) => vec!["--data".to_owned(), dir.display().to_string()],
            _ => Vec::new(),
        }
    };
    let mut plans = Vec::new();
    for seed in study.seeds.values() {
        for &dataset in &study.datasets {
            for &family in &study.families {
                for set in &study.option_sets {
                    let mut options: Vec<String> = Vec::new();
                    for (key, value) in study.common.iter().chain(set.flags.iter()) {
                        options.extend(flag_words(key, value));
                    }
                    let mut identity = vec![
                        "--model".to_owned(),
                        family.name().to_owned(),
                        "--dataset".to_owned(),
                        dataset.folder_or_flag().to_owned(),
                        "--seed".to_owned(),
                        seed.to_string(),
                        "--max-steps".to_owned(),
                        study.steps.to_string(),
                        "--batch-size".to_owned(),
                        study.batch_size.to_string(),
                    ];
                    identity.extend(options);
                    let data_words = data_words(dataset);
                    if dataset == DatasetKind::Folder {
                        identity.extend(data_words.iter().cloned());
                    }
                    let hash = Sha256::digest(identity.join(" ").as_bytes());
                    let name = format!(
                        "{}-{}-{}-s{seed}-{:02x}{:02x}{:02x}",
                        dataset.folder(),
                        family.name(),
                        slug(&set.name),
                        hash[0],
                        hash[1],
                        hash[2]
                    );
                    let mut train_args = vec!["train".to_owned(), "--run".to_owned(), name.clone()];
                    train_args.extend(identity);
                    train_args.extend([
                        "--quiet".to_owned(),
                        "--runs-dir".to_owned(),
                        runs.clone(),
                    ]);
                    if dataset != DatasetKind::Folder {
                        train_args.extend(data_words.iter().cloned());
                    }
                    let eval_args: Vec<String> = vec![
                        "eval".to_owned(),
                        "--run".to_owned(),
                        name.clone(),
                        "--classifier".to_owned(),
                        classifier_for(study, dataset),
                        "--dataset".to_owned(),
                        dataset.folder_or_flag().to_owned(),
                        "--samples".to_owned(),
                        study.eval_samples.to_string(),
                        "--runs-dir".to_owned(),
                        runs.clone(),
                    ]
                    .into_iter()
                    .chain(data_words.iter().cloned())
                    .collect();
                    let augment_args = study.retraining.as_ref().map(|r| {
                        let list = |values: Vec<String>| values.join(",");
                        [
                            "augment",
                            "--run",
                            &name,
                            "--classifier",
                            &classifier_for(study, dataset),
                            "--dataset",
                            dataset.folder_or_flag(),
                            "--per-class",
                            &list(r.per_class.iter().map(|p| p.to_string()).collect()),
                            "--ratios",
                            &list(r.ratios().iter().map(|x| x.to_string()).collect()),
                            "--strategies",
                            r.strategy.name(),
                            "--seeds",
                            "1",
                            "--first-seed",
                            &seed.to_string(),
                            "--steps",
                            &r.steps.to_string(),
                            "--quiet",
                            "--runs-dir",
                            &runs,
                        ]
                        .into_iter()
                        .map(str::to_owned)
                        .chain(data_words.iter().cloned())
                        .collect()
                    });
                    plans.push(PlannedRun {
                        name,
                        dataset,
                        family,
                        option_set: set.name.clone(),
                        seed,
                        train_args,
                        eval_args,
                        augment_args,
                    });
                }
            }
        }
    }
    plans
}

/// "Label smoothing 0.9" -> "label-smoothing-0-9".
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(40).collect()
}

/// Parses a `train` command line as the binary would, without running it.
pub fn check_train_args(args: &[String]) -> Result<()> {
    let argv = std::iter::once("gan-studio".to_owned()).chain(args.iter().cloned());
    crate::cli::Cli::try_parse_from(argv)
        .map(|_| ())
        .map_err(|e| {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            anyhow::anyhow!("{first}")
        })
}

/// A command line as a shell reads it (words with spaces or quotes quoted).
pub fn shell_line(args: &[String]) -> String {
    std::iter::once("gan-studio".to_owned())
        .chain(args.iter().map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changing_one_option_set_renames_only_its_runs() {
        let study = super::super::presets::preset("tricks").unwrap();
        let before = expand(&study, Path::new("s"), None);
        let mut changed = study.clone();
        changed.option_sets[1]
            .flags
            .insert("real-target".into(), toml::Value::Float(0.8));
        let after = expand(&changed, Path::new("s"), None);
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(
                b.name == a.name,
                b.option_set != study.option_sets[1].name,
                "{} / {}",
                b.name,
                a.name
            );
        }
        // The data folder is where to read, not what is trained: it leaves names alone.
        let elsewhere = expand(&study, Path::new("s"), Some(Path::new("/data")));
        assert!(before.iter().zip(&elsewhere).all(|(b, e)| b.name == e.name));
        assert!(
            elsewhere[0]
                .train_args
                .ends_with(&["--data".into(), "/data".into()])
        );
    }

    #[test]
    fn shell_lines_quote_what_a_shell_would_split() {
        let line = shell_line(&["train".into(), "--run".into(), "a b".into(), "it's".into()]);
        assert_eq!(line, r"gan-studio train --run 'a b' 'it'\''s'");
    }
}
