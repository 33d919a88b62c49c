//! Does synthetic data help a classifier? Retrains the LeNet on small real subsets with
//! generated digits mixed in at chosen ratios, under three strategies, over several seeds.

use anyhow::{Context, Result};
use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::classifier::{Classifier, ClassifierConfig, accuracy, read_out, train_steps};
use super::scores::{MeanStd, mean_std};
use crate::data::Split;
use crate::export::grid::to_u8_pixels;
use crate::model::{GanConfig, Generator};
use crate::sampling::generate_set;

/// How synthetic images enter training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Train once on real and synthetic images together.
    Mix,
    /// Train on the synthetic images, then fine-tune on the real ones.
    Pretrain,
    /// Mix, keeping only synthetic images the real-data classifier reads as their label with
    /// confidence of at least 0.9.
    Filter,
}

/// One cell of the table: accuracy on the full test set over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AugmentResult {
    pub real_per_class: usize,
    pub ratio: f64,
    pub strategy: Strategy,
    pub synthetic_used: usize,
    pub accuracies: Vec<f64>,
    pub accuracy: MeanStd,
}

pub struct AugmentPlan {
    pub per_class: Vec<usize>,
    pub ratios: Vec<f64>,
    pub strategies: Vec<Strategy>,
    pub seeds: usize,
    pub steps: usize,
}

/// `per_class` real images of each class, chosen by `seed`.
pub fn real_subset(train: &Split, per_class: usize, classes: usize, seed: u64) -> Split {
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut taken = vec![0usize; classes];
    let chosen: Vec<usize> = order
        .into_iter()
        .filter(|&i| {
            let c = usize::from(train.labels[i]);
            let keep = taken[c] < per_class;
            taken[c] += usize::from(keep);
            keep
        })
        .collect();
    subset(train, &chosen)
}

fn subset(split: &Split, indices: &[usize]) -> Split {
    let per = split.pixels_per_image();
    Split {
        images: indices
            .iter()
            .flat_map(|&i| split.images[i * per..(i + 1) * per].iter().copied())
            .collect(),
        labels: indices.iter().map(|&i| split.labels[i]).collect(),
        rows: split.rows,
        cols: split.cols,
    }
}

fn concat(a: &Split, b: &Split) -> Split {
    let mut out = a.clone();
    out.images.extend_from_slice(&b.images);
    out.labels.extend_from_slice(&b.labels);
    out
}

/// `count` generated digits with balanced labels, as a split.
pub fn synthetic(
    generator: &Generator,
    gan: &GanConfig,
    count: usize,
    seed: u64,
    device: &Device,
) -> Result<Split> {
    let per_class = count.div_ceil(gan.num_classes);
    let (pixels, labels) = generate_set(generator, gan, per_class, seed, device)?;
    let labels = labels.context("synthetic training data needs a conditional generator")?;
    let all = Split {
        images: to_u8_pixels(&pixels),
        labels,
        rows: gan.image_size,
        cols: gan.image_size,
    };
    // Interleave classes so truncating to `count` keeps them balanced.
    let order: Vec<usize> = (0..per_class)
        .flat_map(|i| (0..gan.num_classes).map(move |c| c * per_class + i))
        .take(count)
        .collect();
    Ok(subset(&all, &order))
}

/// Synthetic images the judge reads as their requested label with confidence >= 0.9.
fn confident(split: &Split, judge: &Classifier, device: &Device) -> Result<Split> {
    let pixels = split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None);
    let readout = read_out(judge, &pixels, split.rows, device)?;
    let keep: Vec<usize> = readout
        .probabilities
        .chunks(readout.classes)
        .enumerate()
        .filter(|(i, row)| row[usize::from(split.labels[*i])] >= 0.9)
        .map(|(i, _)| i)
        .collect();
    Ok(subset(split, &keep))
}

/// Runs the whole plan; `on_result` sees each cell as it finishes.
#[allow(clippy::too_many_arguments)]
pub fn run_plan(
    plan: &AugmentPlan,
    train: &Split,
    test: &Split,
    generator: &Generator,
    gan: &GanConfig,
    judge: &Classifier,
    device: &Device,
    mut on_result: impl FnMut(&AugmentResult),
) -> Result<Vec<AugmentResult>> {
    let mut results = Vec::new();
    for &per_class in &plan.per_class {
        for &ratio in &plan.ratios {
            for &strategy in &plan.strategies {
                // Ratio 0 is the same real-only baseline under every strategy.
                if ratio == 0.0 && strategy != plan.strategies[0] {
                    continue;
                }
                let mut accuracies = Vec::new();
                let mut synthetic_used = 0;
                for seed in 0..plan.seeds as u64 {
                    let real = real_subset(train, per_class, gan.num_classes, 1000 + seed);
                    let count = (ratio * real.len() as f64).round() as usize;
                    let config = ClassifierConfig::new().with_seed(seed).with_batch_size(64);
                    let model = if count == 0 {
                        train_steps(&config, &real, plan.steps, None, device)?
                    } else {
                        let fake = synthetic(generator, gan, count, 2000 + seed, device)?;
                        match strategy {
                            Strategy::Mix => train_steps(
                                &config,
                                &concat(&real, &fake),
                                plan.steps,
                                None,
                                device,
                            )?,
                            Strategy::Filter => {
                                let kept = confident(&fake, judge, device)?;
                                synthetic_used = kept.len();
                                train_steps(
                                    &config,
                                    &concat(&real, &kept),
                                    plan.steps,
                                    None,
                                    device,
                                )?
                            }
                            Strategy::Pretrain => {
                                let pre = train_steps(&config, &fake, plan.steps, None, device)?;
                                train_steps(&config, &real, plan.steps, Some(pre), device)?
                            }
                        }
                    };
                    if strategy != Strategy::Filter {
                        synthetic_used = count;
                    }
                    accuracies.push(accuracy(&model, test, device)?);
                }
                let result = AugmentResult {
                    real_per_class: per_class,
                    ratio,
                    strategy,
                    synthetic_used,
                    accuracy: mean_std(&accuracies),
                    accuracies,
                };
                on_result(&result);
                results.push(result);
            }
        }
    }
    Ok(results)
}

/// The results as a markdown table (accuracy in percent, mean ± std over seeds).
pub fn markdown(results: &[AugmentResult]) -> String {
    let mut out = String::from(
        "| real/class | synthetic ratio | strategy | synthetic used | test accuracy (mean ± std) | seeds |\n|---:|---:|---|---:|---:|---:|\n",
    );
    for r in results {
        out.push_str(&format!(
            "| {} | {:.0}% | {:?} | {} | {:.2}% ± {:.2} | {} |\n",
            r.real_per_class,
            r.ratio * 100.0,
            r.strategy,
            r.synthetic_used,
            r.accuracy.mean * 100.0,
            r.accuracy.std * 100.0,
            r.accuracies.len()
        ));
    }
    out
}
