//! What a CycleGAN run achieved, on pictures it never trained on: how well translating there
//! and back returns the picture, whether a classifier of the two domains reads translations as
//! their target domain, how far translations lie from the target domain's pictures, and, for
//! domains from a labelled set, what that set's own classifier reads in them.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::domain::{Domain, class_index, named_set};
use super::networks::{Direction, Generators};
use super::run::translate_pixels;
use crate::data::{Dataset, DatasetKind, Split};
use crate::eval::classifier::{self, Classifier, ClassifierConfig, read_out};

/// Training pictures per domain the domain classifier learns from.
const DOMAIN_CLASSIFIER_PICTURES: usize = 5000;

/// Figures for one direction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectionEval {
    /// Held-out pictures translated.
    pub pictures: usize,
    /// Mean absolute error of translating there and back, on [0, 1] pixels.
    pub cycle_error: f64,
    /// Share of translations the domain classifier reads as the target domain.
    pub read_as_target: f64,
    /// Fréchet distance of translations to the target domain's held-out pictures, in the
    /// domain classifier's feature space (and of the inputs themselves, for scale).
    pub frechet: f64,
    pub frechet_untranslated: f64,
    /// Class-to-class domains: share the data set's classifier reads as the target class.
    pub target_class_share: Option<f64>,
}

/// A grey copy translated to colour, read by the data set's classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Colourisation {
    pub pictures: usize,
    /// Accuracy on the grey inputs, on their colourised translations, on the colour originals.
    pub grey_accuracy: f64,
    pub colourised_accuracy: f64,
    pub original_accuracy: f64,
    /// Mean absolute error of the colourised pictures to their originals, on [0, 1].
    pub error_to_originals: f64,
}

/// `eval.json` of a CycleGAN run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleEval {
    pub run: String,
    pub step: usize,
    pub domain_a: String,
    pub domain_b: String,
    /// Held-out accuracy of the domain classifier on real pictures (A vs B).
    pub domain_classifier_accuracy: f64,
    pub a2b: DirectionEval,
    pub b2a: DirectionEval,
    pub colourisation: Option<Colourisation>,
    /// The data set's classifier used for the class figures, if any.
    pub data_classifier: Option<String>,
    pub seconds: f64,
}

/// The first `n` pictures of a split.
fn first(split: &Split, n: usize) -> Split {
    split.clone().truncate(n)
}

fn pixels(split: &Split) -> Vec<f32> {
    split.batch_pixels(&(0..split.len()).collect::<Vec<_>>(), None)
}

/// Real A (label 0) and real B (label 1) training pictures, alternating.
fn two_domain_split(a: &Split, b: &Split) -> Split {
    let n = a.len().min(b.len()).min(DOMAIN_CLASSIFIER_PICTURES);
    let per = a.pixels_per_image();
    let mut images = Vec::with_capacity(2 * n * per);
    let mut labels = Vec::with_capacity(2 * n);
    for i in 0..n {
        images.extend_from_slice(&a.images[i * per..(i + 1) * per]);
        images.extend_from_slice(&b.images[i * per..(i + 1) * per]);
        labels.extend([0, 1]);
    }
    Split {
        images,
        labels,
        ..a.clone()
    }
}

fn share(predictions: &[usize], wanted: impl Fn(usize) -> bool) -> f64 {
    predictions.iter().filter(|&&p| wanted(p)).count() as f64 / predictions.len().max(1) as f64
}

fn mean_abs_01(x: &[f32], y: &[f32]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| f64::from((a - b).abs()))
        .sum::<f64>()
        / x.len().max(1) as f64
        / 2.0
}

/// Evaluates a trained run on up to `limit` held-out pictures per domain and writes its
/// `eval.json`. `data_classifier` (path given or bundled, with its name) is the classifier of
/// the domains' data set, for class and colour figures. `note` hears what is being done.
pub fn evaluate_run(
    trained: &super::run::TrainedCycleGan,
    limit: usize,
    data_classifier: Option<(&Classifier, String)>,
    data_root: Option<&std::path::Path>,
    device: &burn::prelude::Device,
    note: &mut dyn FnMut(&str),
) -> Result<CycleEval> {
    let started = std::time::Instant::now();
    let config = &trained.config;
    note("reading the held-out pictures of both domains");
    let (a, b) = super::run::load_domains(config, data_root)?;
    let (accuracy, a2b, b2a, colourisation) = evaluate(
        &trained.generators,
        (&a, &b),
        limit,
        data_classifier.as_ref().map(|(c, _)| *c),
        data_root.or(config.data_root.as_deref()),
        device,
        note,
    )?;
    let state = crate::train::checkpoint::load_state(&trained.checkpoint)?;
    let result = CycleEval {
        run: trained.run.name(),
        step: state.step,
        domain_a: config.domain_a.spec.clone(),
        domain_b: config.domain_b.spec.clone(),
        domain_classifier_accuracy: accuracy,
        a2b,
        b2a,
        colourisation,
        data_classifier: data_classifier.map(|(_, name)| name),
        seconds: started.elapsed().as_secs_f64(),
    };
    crate::fsutil::write_atomic(
        &trained.run.root.join("eval.json"),
        serde_json::to_string_pretty(&result)?.as_bytes(),
    )?;
    Ok(result)
}

impl CycleEval {
    /// The figures as a markdown table, one row per direction.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} -> {} at step {} (domain classifier {:.1}% on real held-out pictures)\n\n\
             | direction | pictures | cycle error | read as target | Fréchet (untranslated) | target class |\n\
             |---|---|---|---|---|---|\n",
            self.domain_a,
            self.domain_b,
            self.step,
            100.0 * self.domain_classifier_accuracy
        );
        for (name, d) in [("A -> B", &self.a2b), ("B -> A", &self.b2a)] {
            out += &format!(
                "| {name} | {} | {:.4} | {:.1}% | {:.2} ({:.2}) | {} |\n",
                d.pictures,
                d.cycle_error,
                100.0 * d.read_as_target,
                d.frechet,
                d.frechet_untranslated,
                d.target_class_share
                    .map(|s| format!("{:.1}%", 100.0 * s))
                    .unwrap_or_else(|| "-".into())
            );
        }
        if let Some(c) = &self.colourisation {
            out += &format!(
                "\nColourisation, {} held-out pictures read by {}: grey inputs {:.1}%, \
                 colourised {:.1}%, colour originals {:.1}% (error to originals {:.4})\n",
                c.pictures,
                self.data_classifier
                    .as_deref()
                    .unwrap_or("the data set's classifier"),
                100.0 * c.grey_accuracy,
                100.0 * c.colourised_accuracy,
                100.0 * c.original_accuracy,
                c.error_to_originals
            );
        }
        out
    }
}

fn evaluate(
    generators: &Generators,
    (a, b): (&Domain, &Domain),
    limit: usize,
    data_classifier: Option<&Classifier>,
    data_root: Option<&std::path::Path>,
    device: &burn::prelude::Device,
    note: &mut dyn FnMut(&str),
) -> Result<(f64, DirectionEval, DirectionEval, Option<Colourisation>)> {
    let side = a.train.rows;
    let channels = a.train.channels;
    let shape = [channels, side];
    note("training the domain classifier (real A vs real B)");
    let pairs = two_domain_split(&a.train, &b.train);
    // Two epochs of the 10,000 pictures; small folders get more epochs, about as many steps.
    let domain_config = ClassifierConfig::new()
        .with_classes(2)
        .with_channels(channels)
        .with_image_size(side)
        .with_epochs((20_000 / pairs.len().max(1)).clamp(2, 50))
        .with_batch_size(64.min(pairs.len()))
        .with_augment(false);
    let domain_classifier = classifier::train(&domain_config, &pairs, device, |_, _| {})
        .context("cannot train the domain classifier")?;
    let held_a = first(&a.held_out, limit);
    let held_b = first(&b.held_out, limit);
    let accuracy = classifier::accuracy(
        &domain_classifier,
        &two_domain_split(&held_a, &held_b),
        device,
    )?;
    let (real_a, real_b) = (pixels(&held_a), pixels(&held_b));
    let read_domain = |p: &[f32]| read_out(&domain_classifier, p, side, device);
    let (features_a, features_b) = (read_domain(&real_a)?, read_domain(&real_b)?);
    let mut directions = Vec::new();
    for (direction, from, real_from, target, target_features, from_features) in [
        (Direction::A2b, a, &real_a, 1, &features_b, &features_a),
        (Direction::B2a, b, &real_b, 0, &features_a, &features_b),
    ] {
        note(match direction {
            Direction::A2b => "translating held-out A to B and back",
            Direction::B2a => "translating held-out B to A and back",
        });
        let back = match direction {
            Direction::A2b => Direction::B2a,
            Direction::B2a => Direction::A2b,
        };
        let translated = translate_pixels(generators, direction, real_from, shape, device)?;
        let returned = translate_pixels(generators, back, &translated, shape, device)?;
        let read = read_domain(&translated)?;
        let dim = read.feature_dim;
        let target_class_share = match (data_classifier, class_of(from, target, a, b)) {
            (Some(c), Some(class)) if c.input_channels() == channels => {
                let predictions = read_out(c, &translated, side, device)?.predictions();
                Some(share(&predictions, |p| p == class))
            }
            _ => None,
        };
        directions.push(DirectionEval {
            pictures: real_from.len() / (channels * side * side),
            cycle_error: mean_abs_01(&returned, real_from),
            read_as_target: share(&read.predictions(), |p| p == target),
            frechet: crate::eval::scores::frechet_distance(
                &read.features,
                &target_features.features,
                dim,
            ),
            frechet_untranslated: crate::eval::scores::frechet_distance(
                &from_features.features,
                &target_features.features,
                dim,
            ),
            target_class_share,
        });
    }
    let colourisation = match data_classifier {
        Some(c) if c.input_channels() == channels => {
            colourisation(generators, a, &held_a, c, data_root, device, note)?
        }
        _ => None,
    };
    let b2a = directions.pop().context("two directions")?;
    let a2b = directions.pop().context("two directions")?;
    Ok((accuracy, a2b, b2a, colourisation))
}

/// The data set class a translation out of `from` should show: the other domain's class, when
/// both domains are single classes of one set.
fn class_of(from: &Domain, target: usize, a: &Domain, b: &Domain) -> Option<usize> {
    let (sa, sb) = (named_set(&a.record.spec)?, named_set(&b.record.spec)?);
    if sa.0 != sb.0 || sa.2 || sb.2 {
        return None;
    }
    let names = &from.class_names;
    let class = if target == 1 { sb.1? } else { sa.1? };
    class_index(&class, names, sa.0.title())
        .ok()
        .map(usize::from)
}

/// Domain A a grey copy of a colour set (`cifar10:grey`) and B colour: the data set's
/// classifier on the grey held-out pictures, on their colourised translations and on the
/// colour originals they were made from.
fn colourisation(
    generators: &Generators,
    a: &Domain,
    held_a: &Split,
    data_classifier: &Classifier,
    data_root: Option<&std::path::Path>,
    device: &burn::prelude::Device,
    note: &mut dyn FnMut(&str),
) -> Result<Option<Colourisation>> {
    let Some((kind, None, true)) = named_set(&a.record.spec) else {
        return Ok(None);
    };
    if kind != DatasetKind::Cifar10 {
        return Ok(None);
    }
    note("reading the colour originals of the grey held-out pictures");
    let data = Dataset::load(&crate::data::resolve_data_dir(data_root, kind), kind)?;
    let indices: Vec<usize> = a
        .record
        .held_out
        .iter()
        .take(held_a.len())
        .map(|name| {
            name.strip_prefix("test/")
                .and_then(|i| i.parse().ok())
                .with_context(|| format!("held-out picture {name:?} is not test/<index>"))
        })
        .collect::<Result<_>>()?;
    let originals = data.test.select(&indices);
    if (originals.rows, originals.channels) != (held_a.rows, held_a.channels) {
        return Ok(None);
    }
    let side = held_a.rows;
    let grey = pixels(held_a);
    let colourised = translate_pixels(
        generators,
        Direction::A2b,
        &grey,
        [held_a.channels, side],
        device,
    )?;
    let original = pixels(&originals);
    let accuracy = |p: &[f32]| -> Result<f64> {
        let predictions = read_out(data_classifier, p, side, device)?.predictions();
        Ok(predictions
            .iter()
            .zip(&originals.labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count() as f64
            / predictions.len().max(1) as f64)
    };
    Ok(Some(Colourisation {
        pictures: indices.len(),
        grey_accuracy: accuracy(&grey)?,
        colourised_accuracy: accuracy(&colourised)?,
        original_accuracy: accuracy(&original)?,
        error_to_originals: mean_abs_01(&colourised, &original),
    }))
}
