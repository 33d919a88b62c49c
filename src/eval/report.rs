//! The whole evaluation of one set of images against real data: the numbers of `eval.json`.

use anyhow::{Result, bail};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::classifier::{Classifier, Readout, read_out};
use super::memorisation::{self, Memorisation, TrainByClass};
use super::neighbours::precision_recall;
use super::scores::{Coverage, MeanStd, coverage, frechet_distance, inception_score};
use super::success::{SuccessReport, success_rate};
use crate::data::holdout::{REFERENCE_SPLIT_SEED, stratified_halves};
use crate::data::{Dataset, DatasetKind, Split};

/// Options of an evaluation.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// k of the k-NN manifolds of precision/recall.
    pub k: usize,
    /// Samples compared pixel by pixel with the training images of their class (the same
    /// number from every class).
    pub memorisation_samples: usize,
    /// Seed of the random choice of those samples.
    pub memorisation_seed: u64,
    /// Images per class for the pairwise diversity.
    pub diversity_per_class: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            k: 3,
            memorisation_samples: 1000,
            memorisation_seed: 7,
            diversity_per_class: 200,
        }
    }
}

/// What `eval.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EvalReport {
    pub samples: usize,
    pub inception_score: f64,
    pub inception_score_std: f64,
    /// Conditional models only.
    pub success_rate: Option<f64>,
    /// InfoGAN only: accuracy of its categorical code as a classifier of the digits, after the
    /// best one-to-one matching of codes to classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_accuracy: Option<f64>,
    /// InfoGAN only: its Q head read as a classifier of the held-out real digits, after the
    /// best one-to-one matching of categories to classes (the paper's ~95% is this figure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_accuracy_on_real: Option<f64>,
    /// InfoGAN only, read without the labels: the share of held-out real images that Q reads
    /// as the category of their nearest other held-out image (in pixels). It ranked six runs'
    /// `category_accuracy` in the same order, so it can pick among runs where no labels exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_neighbour_agreement: Option<f64>,
    pub success: Option<SuccessReport>,
    /// Against the real test set, in the classifier's penultimate features.
    pub fid: f64,
    pub precision: f64,
    pub recall: f64,
    pub class_shares: Vec<f64>,
    pub coverage: Coverage,
    /// Mean pairwise feature distance within each class, divided by the same for real test images.
    pub intra_class_diversity: Vec<f64>,
    pub mean_intra_class_diversity: f64,
    /// Share of checked samples closer (in pixels) to a training image of their class than
    /// that class's threshold, the 1st percentile of real test images' distances, and closer
    /// to it than `memorisation_singled_out` times the distance to the next training image.
    pub memorised_share: f64,
    /// The ratio of that second test ([`memorisation::SINGLED_OUT`]); None: an evaluation
    /// from before it, by distance alone, which also counted blurry averages as copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memorisation_singled_out: Option<f32>,
    /// The same per class.
    #[serde(default)]
    pub memorised_per_class: Vec<f64>,
    #[serde(default)]
    pub memorisation_checked_per_class: Vec<usize>,
    #[serde(default)]
    pub memorisation_thresholds: Vec<f64>,
    /// The checked samples nearest to a training image: (sample index, training index, distance).
    pub closest_pairs: Vec<(usize, usize, f32)>,
    /// Seed of the class-stratified split of the test set into reference and held-out parts
    /// (None: an evaluation from before the split, against the test set's second half).
    #[serde(default)]
    pub reference_split_seed: Option<u64>,
    /// The set whose real images the samples were measured against (None: an evaluation
    /// from before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetKind>,
    /// The classes' names in label order, as the data set names them (empty: from before
    /// they were kept; [`EvalReport::class_name`] falls back to the set's own names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_names: Vec<String>,
    /// SHA-256 of the judging classifier's weights (`Classifier::weights_sha256`): figures
    /// compare only between evaluations by the same judge. Empty: from before it was kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub classifier_sha256: String,
    /// Mean top-class probability: how sure the classifier is of each sample.
    pub mean_confidence: f64,
    /// Histogram of top-class probabilities in 20 bins over [0, 1].
    pub confidence_histogram: Vec<usize>,
}

impl EvalReport {
    /// Checks that the per-class figures agree on the class count (and the confusion matrix is
    /// square), as every reader indexes them by class: an edited or damaged eval.json must be
    /// refused here, not crash a table or a plot later.
    pub fn check(&self) -> anyhow::Result<()> {
        use anyhow::bail;
        let classes = self.class_shares.len();
        if !(1..=256).contains(&classes) {
            bail!("{classes} class shares (expected 1 to 256)");
        }
        let per_class = [
            (
                "intra_class_diversity",
                self.intra_class_diversity.len(),
                false,
            ),
            (
                "coverage.class_shares",
                self.coverage.class_shares.len(),
                false,
            ),
            ("memorised_per_class", self.memorised_per_class.len(), true),
            ("class_names", self.class_names.len(), true),
            (
                "memorisation_checked_per_class",
                self.memorisation_checked_per_class.len(),
                true,
            ),
            (
                "memorisation_thresholds",
                self.memorisation_thresholds.len(),
                true,
            ),
        ];
        for (name, len, may_be_empty) in per_class {
            if len != classes && !(may_be_empty && len == 0) {
                bail!("{name} has {len} values for {classes} classes");
            }
        }
        if let Some(nearly) = self.coverage.nearly_missing.iter().find(|&&c| c >= classes) {
            bail!("coverage names class {nearly} of {classes}");
        }
        if let Some(success) = &self.success {
            if success.per_class.len() != classes {
                bail!(
                    "success.per_class has {} values for {classes} classes",
                    success.per_class.len()
                );
            }
            if success.confusion.len() != classes
                || success.confusion.iter().any(|row| row.len() != classes)
            {
                bail!("the confusion matrix is not {classes}x{classes}");
            }
        }
        if self.confidence_histogram.len() > 1000 {
            bail!(
                "{} confidence histogram bins (at most 1000)",
                self.confidence_histogram.len()
            );
        }
        Ok(())
    }

    /// Class `c`'s name ("dress", "cat"), or its number where no name is known.
    pub fn class_name(&self, c: usize) -> String {
        self.class_names
            .get(c)
            .cloned()
            .or_else(|| self.dataset.and_then(|d| d.class_names().get(c).cloned()))
            .unwrap_or_else(|| c.to_string())
    }

    /// Every class's name ([`EvalReport::class_name`]), the set's own names looked up once.
    pub fn class_names(&self) -> Vec<String> {
        let known = match (&self.class_names[..], self.dataset) {
            ([], Some(dataset)) => dataset.class_names(),
            (names, _) => names.to_vec(),
        };
        (0..self.class_shares.len())
            .map(|c| known.get(c).cloned().unwrap_or_else(|| c.to_string()))
            .collect()
    }

    /// Reads an evaluation written by [`evaluate`] (the real-data row, `real-eval.json`).
    pub fn read(path: &std::path::Path) -> anyhow::Result<Self> {
        read_checked(path, |report: &Self| report.check())
    }
}

/// Reads JSON of type `T` from `path` and runs `check` on it; every error names the file.
pub fn read_checked<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    check: impl Fn(&T) -> anyhow::Result<()>,
) -> anyhow::Result<T> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: T = serde_json::from_str(&text)
        .with_context(|| format!("{}: not an evaluation", path.display()))?;
    check(&value).with_context(|| format!("{}: inconsistent evaluation", path.display()))?;
    Ok(value)
}

/// The real data an evaluation compares with, read out once. The test set is split in two
/// parts with equal class shares after a fixed shuffle ([`stratified_halves`]): the reference
/// every set is compared with, and a held-out part evaluated like a generator to give the
/// real-data reference row. Memorisation thresholds come from the whole test set.
pub struct Reference {
    /// The set whose test images these are.
    pub dataset: DatasetKind,
    /// Its classes' names in label order.
    pub class_names: Vec<String>,
    /// [`Classifier::weights_sha256`] of the judge that read them, worked out once.
    pub judge_sha256: String,
    pub side: usize,
    /// Colour channels: 1 or 3.
    pub channels: usize,
    pub split_seed: u64,
    /// The reference part of the test set, read by the classifier.
    pub readout: Readout,
    pub labels: Vec<u8>,
    /// The held-out part of the test set.
    pub held_out_pixels: Vec<f32>,
    pub held_out_labels: Vec<u8>,
    pub train: TrainByClass,
    /// Per class: the memorisation threshold.
    pub thresholds: Vec<f32>,
}

impl Reference {
    /// Values per image: channels x side x side.
    pub fn per_image(&self) -> usize {
        self.channels * self.side * self.side
    }

    pub fn new(dataset: &Dataset, classifier: &Classifier, device: &Device) -> Result<Self> {
        Self::with_seed(dataset, classifier, REFERENCE_SPLIT_SEED, device)
    }

    pub fn with_seed(
        dataset: &Dataset,
        classifier: &Classifier,
        split_seed: u64,
        device: &Device,
    ) -> Result<Self> {
        let test = &dataset.test;
        if classifier.input_channels() != test.channels {
            bail!(
                "the classifier reads {} images but {}'s are {}: train one on it with \
                 `gan-studio classifier train --dataset {}`",
                if classifier.input_channels() == 3 {
                    "colour"
                } else {
                    "grey"
                },
                dataset.kind.title(),
                if test.channels == 3 { "colour" } else { "grey" },
                dataset.kind.folder_or_flag()
            );
        }
        classifier.check_reads(dataset.kind)?;
        classifier.check_side(test.rows)?;
        let (reference, held_out) = stratified_halves(&test.labels, split_seed);
        let reference = test.select(&reference);
        let held_out = test.select(&held_out);
        // The same images and judge at every evaluation: read once, then from the cache.
        let readout = super::readout_cache::read_out_cached(
            classifier,
            &all_pixels(&reference),
            test.rows,
            device,
        )?;
        let classes = readout.classes;
        let train = TrainByClass::new(&dataset.train, classes);
        let thresholds = train.thresholds(test, device)?;
        Ok(Self {
            dataset: dataset.kind,
            class_names: dataset.class_names.clone(),
            judge_sha256: classifier.weights_sha256(),
            side: test.rows,
            channels: test.channels,
            split_seed,
            readout,
            labels: reference.labels,
            held_out_pixels: all_pixels(&held_out),
            held_out_labels: held_out.labels,
            train,
            thresholds,
        })
    }
}

pub fn all_pixels(split: &Split) -> Vec<f32> {
    split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None)
}

/// Evaluates `pixels` (n images in [-1, 1]); `requested` are the labels a conditional generator
/// was asked for (for real images, their true labels: the success rate is then the accuracy).
/// `classifier` is the judge `reference` was read by.
pub fn evaluate(
    pixels: &[f32],
    requested: Option<&[u8]>,
    reference: &Reference,
    classifier: &Classifier,
    options: &EvalOptions,
    device: &Device,
) -> Result<EvalReport> {
    let side = reference.side;
    let n = pixels.len() / reference.per_image();
    if n < options.k + 2 {
        bail!(
            "{n} samples are too few to evaluate (need at least {})",
            options.k + 2
        );
    }
    let readout = read_out(classifier, pixels, side, device)?;
    let classes = readout.classes;
    let predicted = readout.predictions();
    let is = inception_score(&readout.probabilities, classes, 10);
    let success = requested.map(|r| success_rate(r, &predicted, classes));
    let real = &reference.readout;
    let dim = readout.feature_dim;
    let fid = frechet_distance(&readout.features, &real.features, dim);
    let (precision, recall) =
        precision_recall(&real.features, &readout.features, dim, options.k, device)?;
    let coverage = coverage(&predicted, classes);

    // Diversity: by requested label when there is one, else by the classifier's reading.
    let sample_classes: Vec<usize> = match requested {
        Some(r) => r.iter().map(|&l| usize::from(l)).collect(),
        None => predicted.clone(),
    };
    let real_classes: Vec<usize> = reference.labels.iter().map(|&l| usize::from(l)).collect();
    let intra_class_diversity: Vec<f64> = (0..classes)
        .map(|c| {
            let ours = mean_pairwise(
                &readout.features,
                dim,
                &sample_classes,
                c,
                options.diversity_per_class,
            );
            let theirs = mean_pairwise(
                &real.features,
                dim,
                &real_classes,
                c,
                options.diversity_per_class,
            );
            if theirs > 0.0 { ours / theirs } else { 0.0 }
        })
        .collect();
    let mean_intra_class_diversity = intra_class_diversity.iter().sum::<f64>() / classes as f64;

    // Memorisation, in pixel space against the training images of each sample's class.
    let Memorisation {
        share: memorised_share,
        per_class: memorised_per_class,
        checked_per_class: memorisation_checked_per_class,
        thresholds: memorisation_thresholds,
        closest_pairs,
    } = memorisation::check(
        pixels,
        &sample_classes,
        options.memorisation_samples,
        options.memorisation_seed,
        &reference.train,
        &reference.thresholds,
        device,
    )?;

    let confidences: Vec<f32> = readout
        .probabilities
        .chunks(classes)
        .map(|row| row.iter().copied().fold(0.0, f32::max))
        .collect();
    let mut confidence_histogram = vec![0usize; 20];
    for &c in &confidences {
        confidence_histogram[((c * 20.0) as usize).min(19)] += 1;
    }
    let MeanStd { mean, std } = is;
    Ok(EvalReport {
        samples: n,
        inception_score: mean,
        inception_score_std: std,
        success_rate: success.as_ref().map(|s| s.success_rate),
        category_accuracy: None,
        q_accuracy_on_real: None,
        q_neighbour_agreement: None,
        success,
        fid,
        precision,
        recall,
        class_shares: coverage.class_shares.clone(),
        coverage,
        intra_class_diversity,
        mean_intra_class_diversity,
        memorised_share,
        memorised_per_class,
        memorisation_checked_per_class,
        memorisation_thresholds,
        memorisation_singled_out: Some(memorisation::SINGLED_OUT),
        closest_pairs,
        reference_split_seed: Some(reference.split_seed),
        dataset: Some(reference.dataset),
        class_names: reference.class_names.clone(),
        classifier_sha256: reference.judge_sha256.clone(),
        mean_confidence: confidences.iter().map(|&c| f64::from(c)).sum::<f64>() / n as f64,
        confidence_histogram,
    })
}

/// The first 12 characters of a digest, as tables show it. A digest read from an edited file
/// may hold anything, so this counts characters rather than slicing bytes.
pub fn short_digest(sha256: &str) -> String {
    sha256.chars().take(12).collect()
}

/// Mean distance between pairs of the first `limit` rows of class `class`.
fn mean_pairwise(
    features: &[f32],
    dim: usize,
    classes: &[usize],
    class: usize,
    limit: usize,
) -> f64 {
    let rows: Vec<&[f32]> = features
        .chunks(dim)
        .zip(classes)
        .filter(|(_, c)| **c == class)
        .map(|(f, _)| f)
        .take(limit)
        .collect();
    let mut total = 0.0;
    let mut pairs = 0usize;
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            let d2: f32 = rows[i]
                .iter()
                .zip(rows[j])
                .map(|(a, b)| (a - b) * (a - b))
                .sum();
            total += f64::from(d2.sqrt());
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        total / pairs as f64
    }
}

/// One markdown table row per report, for people and for `report`.
pub fn markdown_table(rows: &[(String, &EvalReport)]) -> String {
    let mut out = String::from(
        "| set | samples | IS | success | FID | precision | recall | KL(classes‖uniform) | diversity | memorised |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (name, r) in rows {
        let success = match (r.success_rate, r.category_accuracy) {
            (Some(s), _) => format!("{:.2}%", s * 100.0),
            (None, Some(c)) => match r.q_accuracy_on_real {
                Some(q) => format!("categories {:.2}% (Q on real {:.2}%)", c * 100.0, q * 100.0),
                None => format!("categories {:.2}%", c * 100.0),
            },
            (None, None) => "-".to_string(),
        };
        out.push_str(&format!(
            "| {name} | {} | {:.2} ± {:.2} | {success} | {:.2} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2}% |\n",
            r.samples,
            r.inception_score,
            r.inception_score_std,
            r.fid,
            r.precision,
            r.recall,
            r.coverage.kl_from_uniform,
            r.mean_intra_class_diversity,
            r.memorised_share * 100.0
        ));
    }
    out
}
