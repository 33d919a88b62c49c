//! The whole evaluation of one set of images against real data: the numbers of `eval.json`.

use anyhow::{Result, bail};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::classifier::{Classifier, Readout, read_out};
use super::neighbours::{nearest, precision_recall};
use super::scores::{Coverage, MeanStd, coverage, frechet_distance, inception_score};
use super::success::{SuccessReport, success_rate};
use crate::data::{Dataset, Split};

/// Options of an evaluation.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// k of the k-NN manifolds of precision/recall.
    pub k: usize,
    /// Samples (and real test images) compared pixel by pixel with the 60k training images.
    pub memorisation_samples: usize,
    /// Images per class for the pairwise diversity.
    pub diversity_per_class: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            k: 3,
            memorisation_samples: 1000,
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
    /// Share of samples closer (in pixels) to a training image than the 1st percentile of
    /// real-test-to-train nearest distances.
    pub memorised_share: f64,
    pub memorisation_threshold: f64,
    /// The samples nearest to a training image: (sample index, training index, distance).
    pub closest_pairs: Vec<(usize, usize, f32)>,
    /// Mean top-class probability: how sure the classifier is of each sample.
    pub mean_confidence: f64,
    /// Histogram of top-class probabilities in 20 bins over [0, 1].
    pub confidence_histogram: Vec<usize>,
}

/// The real data an evaluation compares with, read out once. The test set is split in two
/// halves: the second is the reference every set is compared with; the first, held out from
/// it, is evaluated like a generator to give the real-data reference row.
pub struct Reference {
    pub side: usize,
    /// Second half of the test set.
    pub readout: Readout,
    pub labels: Vec<u8>,
    /// First half of the test set.
    pub held_out_pixels: Vec<f32>,
    pub held_out_labels: Vec<u8>,
    pub train_pixels: Vec<f32>,
}

impl Reference {
    pub fn new(dataset: &Dataset, classifier: &Classifier, device: &Device) -> Result<Self> {
        let test = &dataset.test;
        let half = test.len() / 2;
        let per = test.pixels_per_image();
        let pixels = all_pixels(test);
        let readout = read_out(classifier, &pixels[half * per..], test.rows, device)?;
        Ok(Self {
            side: test.rows,
            readout,
            labels: test.labels[half..].to_vec(),
            held_out_pixels: pixels[..half * per].to_vec(),
            held_out_labels: test.labels[..half].to_vec(),
            train_pixels: all_pixels(&dataset.train),
        })
    }
}

pub fn all_pixels(split: &Split) -> Vec<f32> {
    split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None)
}

/// Evaluates `pixels` (n images in [-1, 1]); `requested` are the labels a conditional generator
/// was asked for (for real images, their true labels: the success rate is then the accuracy).
pub fn evaluate(
    pixels: &[f32],
    requested: Option<&[u8]>,
    reference: &Reference,
    classifier: &Classifier,
    options: &EvalOptions,
    device: &Device,
) -> Result<EvalReport> {
    let side = reference.side;
    let per = side * side;
    let n = pixels.len() / per;
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

    // Memorisation, in pixel space against all training images.
    let m = options
        .memorisation_samples
        .min(n)
        .min(reference.held_out_labels.len());
    let test_nearest = nearest(
        &reference.held_out_pixels[..m * per],
        &reference.train_pixels,
        per,
        device,
    )?;
    let mut test_distances: Vec<f32> = test_nearest.iter().map(|&(_, d)| d).collect();
    test_distances.sort_by(f32::total_cmp);
    let threshold = test_distances[(test_distances.len() / 100).min(test_distances.len() - 1)];
    let ours = nearest(&pixels[..m * per], &reference.train_pixels, per, device)?;
    let memorised = ours.iter().filter(|&&(_, d)| d < threshold).count();
    let mut closest_pairs: Vec<(usize, usize, f32)> = ours
        .iter()
        .enumerate()
        .map(|(i, &(j, d))| (i, j, d))
        .collect();
    closest_pairs.sort_by(|a, b| a.2.total_cmp(&b.2));
    closest_pairs.truncate(10);

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
        success,
        fid,
        precision,
        recall,
        class_shares: coverage.class_shares.clone(),
        coverage,
        intra_class_diversity,
        mean_intra_class_diversity,
        memorised_share: memorised as f64 / m.max(1) as f64,
        memorisation_threshold: f64::from(threshold),
        closest_pairs,
        mean_confidence: confidences.iter().map(|&c| f64::from(c)).sum::<f64>() / n as f64,
        confidence_histogram,
    })
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
        let success = r
            .success_rate
            .map_or("-".to_string(), |s| format!("{:.2}%", s * 100.0));
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
