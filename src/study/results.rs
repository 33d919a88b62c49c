//! What each run of a study came to, read back from its folder: the figures of its eval.json,
//! a stability figure from its training log, and whether it collapsed, diverged or failed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::plan::PlannedRun;
use super::stats::Better;
use crate::eval::augment::{AugmentResult, GeneratorData};
use crate::eval::run_eval::RunEval;
use crate::train::metrics::read_log;

/// A metric the report summarises: its key in results.json, its heading, which way is
/// better and the decimals it is shown with.
pub struct Metric {
    pub key: &'static str,
    pub title: &'static str,
    pub better: Better,
    pub digits: usize,
}

pub const METRICS: [Metric; 11] = [
    Metric {
        key: "success_rate",
        title: "success rate",
        better: Better::Higher,
        digits: 3,
    },
    Metric {
        key: "inception_score",
        title: "inception score",
        better: Better::Higher,
        digits: 2,
    },
    Metric {
        key: "fid",
        title: "Fréchet distance",
        better: Better::Lower,
        digits: 2,
    },
    Metric {
        key: "precision",
        title: "precision",
        better: Better::Higher,
        digits: 3,
    },
    Metric {
        key: "recall",
        title: "recall",
        better: Better::Higher,
        digits: 3,
    },
    // The slides' "in-class variety": mean distance between samples of one class over the
    // same for real test images (1 = as varied as real; above 1 is noise as often as variety).
    Metric {
        key: "diversity",
        title: "in-class diversity (real = 1)",
        better: Better::Higher,
        digits: 3,
    },
    Metric {
        key: "classes_covered",
        title: "classes covered",
        better: Better::Higher,
        digits: 1,
    },
    Metric {
        key: "memorised_share",
        title: "memorised share",
        better: Better::Lower,
        digits: 4,
    },
    Metric {
        key: "category_accuracy",
        title: "InfoGAN category accuracy",
        better: Better::Higher,
        digits: 3,
    },
    Metric {
        key: "d_loss_spread",
        title: "D loss spread (last 20%)",
        better: Better::Lower,
        digits: 3,
    },
    Metric {
        key: "train_secs",
        title: "wall time (s)",
        better: Better::Lower,
        digits: 0,
    },
];

pub fn metric(key: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.key == key)
}

/// The training curves a report draws: key and title.
pub const CURVES: [(&str, &str); 4] = [
    ("d_loss", "D loss"),
    ("g_loss", "G loss"),
    ("d_real", "D(x) on real images"),
    ("d_fake", "D(G(z)) on generated images"),
];

/// The file a failed run leaves in its folder, holding the error.
pub const FAILURE_FILE: &str = "study-failure.txt";

/// What `augment` writes into a run's folder.
pub const RETRAINING_FILE: &str = "augment.json";

/// One point of a run's accuracy-vs-ratio curve: the classifier's test accuracy when trained
/// on `per_class` real images per class plus `ratio` synthetic per real one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetrainPoint {
    pub per_class: usize,
    pub ratio: f64,
    pub accuracy: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Finished {
        figures: BTreeMap<String, f64>,
        /// Mode collapse by the evaluation's coverage test (classes nearly missing).
        collapsed: bool,
        /// Training stopped before its budget (the NaN stop, say).
        stopped_at: Option<usize>,
        /// D and G loss, D(x) and D(G(z)) (keys of [`CURVES`]), each the mean of 20
        /// stretches of training: (last step of the stretch, mean).
        curves: BTreeMap<String, Vec<(usize, f64)>>,
        /// The retraining curve, when the study asks for one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        retraining: Vec<RetrainPoint>,
        /// SHA-256 of the judging classifier's weights (empty: not recorded).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        judge: String,
    },
    Failed {
        error: String,
    },
    Pending,
}

/// A planned run and what became of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunResult {
    pub name: String,
    pub dataset: String,
    pub family: String,
    pub option_set: String,
    pub seed: u64,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl RunResult {
    pub fn figure(&self, key: &str) -> Option<f64> {
        match &self.outcome {
            Outcome::Finished { figures, .. } => figures.get(key).copied(),
            _ => None,
        }
    }
}

/// Reads every planned run's outcome from `runs_dir`.
pub fn gather(plans: &[PlannedRun], runs_dir: &Path, steps: usize) -> Vec<RunResult> {
    plans
        .iter()
        .map(|plan| RunResult {
            name: plan.name.clone(),
            dataset: plan.dataset.folder().to_owned(),
            family: plan.family.name().to_owned(),
            option_set: plan.option_set.clone(),
            seed: plan.seed,
            outcome: outcome(plan, runs_dir, steps),
        })
        .collect()
}

/// Reads again only the runs of `results` still pending: a finished or failed run's outcome
/// never changes, and reading every run's training log after each run of a long study would
/// grow with the study.
pub fn update_pending(
    plans: &[PlannedRun],
    runs_dir: &Path,
    steps: usize,
    results: &mut [RunResult],
) {
    for (plan, result) in plans.iter().zip(results.iter_mut()) {
        if result.outcome == Outcome::Pending {
            result.outcome = outcome(plan, runs_dir, steps);
        }
    }
}

fn outcome(plan: &PlannedRun, runs_dir: &Path, steps: usize) -> Outcome {
    let dir = runs_dir.join(&plan.name);
    if let Ok(error) = std::fs::read_to_string(dir.join(FAILURE_FILE)) {
        return Outcome::Failed {
            error: error.trim().to_owned(),
        };
    }
    let eval_path = dir.join("eval.json");
    if !super::runner::is_done(runs_dir, plan) {
        return Outcome::Pending;
    }
    let retraining = match plan.augment_args {
        Some(_) => match retraining_points(&dir.join(RETRAINING_FILE)) {
            Ok(points) => points,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("unreadable {RETRAINING_FILE}: {e:#}"),
                };
            }
        },
        None => Vec::new(),
    };
    let eval = match RunEval::read(&eval_path) {
        Ok(eval) => eval,
        Err(e) => {
            return Outcome::Failed {
                error: format!("unreadable eval.json: {e:#}"),
            };
        }
    };
    let r = &eval.report;
    let mut figures = BTreeMap::new();
    let classes = r.class_shares.len();
    if let Some(s) = r.success_rate {
        figures.insert("success_rate".to_owned(), s);
    }
    if let Some(a) = r.category_accuracy {
        figures.insert("category_accuracy".to_owned(), a);
    }
    figures.insert("inception_score".to_owned(), r.inception_score);
    figures.insert("fid".to_owned(), r.fid);
    figures.insert("precision".to_owned(), r.precision);
    figures.insert("recall".to_owned(), r.recall);
    figures.insert(
        "classes_covered".to_owned(),
        (classes - r.coverage.nearly_missing.len().min(classes)) as f64,
    );
    figures.insert("memorised_share".to_owned(), r.memorised_share);
    figures.insert("diversity".to_owned(), r.mean_intra_class_diversity);
    let log = read_log(&dir.join("metrics.jsonl")).unwrap_or_default();
    let mut stopped_at = None;
    let mut curves = BTreeMap::new();
    if let Some(last) = log.last() {
        figures.insert("train_secs".to_owned(), last.elapsed_secs);
        if last.step < steps {
            stopped_at = Some(last.step);
        }
        let tail: Vec<f64> = log[log.len() * 4 / 5..]
            .iter()
            .map(|m| f64::from(m.d_loss))
            .collect();
        if let Some(spread) = super::stats::Summary::of(&tail) {
            figures.insert("d_loss_spread".to_owned(), spread.sd);
        }
        let stretch = log.len().div_ceil(20).max(1);
        for (key, _) in CURVES {
            let value = |m: &crate::train::metrics::StepMetrics| {
                f64::from(match key {
                    "d_loss" => m.d_loss,
                    "g_loss" => m.g_loss,
                    "d_real" => m.d_real,
                    _ => m.d_fake,
                })
            };
            let curve = log
                .chunks(stretch)
                .map(|chunk| {
                    let mean = chunk.iter().map(value).sum::<f64>() / chunk.len() as f64;
                    (chunk[chunk.len() - 1].step, mean)
                })
                .collect();
            curves.insert(key.to_owned(), curve);
        }
    }
    Outcome::Finished {
        figures,
        collapsed: r.coverage.collapsed,
        stopped_at,
        curves,
        retraining,
        judge: r.classifier_sha256.clone(),
    }
}

/// The run's own generator's points from augment.json (one seed per study run).
fn retraining_points(path: &Path) -> anyhow::Result<Vec<RetrainPoint>> {
    let text = std::fs::read_to_string(path)?;
    let results: Vec<AugmentResult> = serde_json::from_str(&text)?;
    Ok(results
        .into_iter()
        .filter(|r| r.generator == GeneratorData::AllLabelled)
        .map(|r| RetrainPoint {
            per_class: r.real_per_class,
            ratio: r.ratio,
            accuracy: r.accuracy.mean,
        })
        .collect())
}
