//! Evaluating a trained run end to end, as `gan-studio eval` and the studio's metrics tab do:
//! generate samples, measure them against the real reference, and write `eval.json`,
//! `eval.md` and `memorisation.png` into the run.

use std::path::Path;

use anyhow::{Result, bail};
use burn::prelude::Device;
use serde::{Deserialize, Serialize};

use super::classifier::{Classifier, read_out};
use super::matching::{match_codes, neighbour_agreement};
use super::neighbours::k_nearest_others;
use super::report::{EvalOptions, EvalReport, Reference, evaluate, markdown_table};
use crate::export::grid::{GridLayout, save_grid_png};
use crate::fsutil::write_atomic;
use crate::sampling::generate_set;
use crate::train::checkpoint;

/// `eval.json` in a run: the report plus which run, step and weights it measured.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RunEval {
    pub run: String,
    pub step: usize,
    /// The checkpoint folder evaluated (e.g. `step-00004300`).
    #[serde(default)]
    pub checkpoint: String,
    /// SHA-256 of the generator weights the samples came from.
    #[serde(default)]
    pub generator_sha256: String,
    /// The scoring classifier is the one that guided this (classifier-guided) run: its
    /// success rate and inception score are self-fulfilling.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scored_by_guide: bool,
    #[serde(flatten)]
    pub report: EvalReport,
}

/// What to say when a guided run is scored by its own guide.
pub const SCORED_BY_GUIDE: &str = "the scoring classifier is the one that guided this run, so \
     its success rate and inception score are self-fulfilling: score it with a classifier \
     trained independently (another seed or architecture)";

impl RunEval {
    /// Reads a run's `eval.json`, refusing one whose figures do not fit together.
    pub fn read(path: &Path) -> Result<Self> {
        super::report::read_checked(path, |eval: &Self| eval.report.check())
    }
}

/// "32x32 colour", "28x28 grey".
fn shape_words(channels: usize, side: usize) -> String {
    let colour = if channels == 3 { "colour" } else { "grey" };
    format!("{side}x{side} {colour}")
}

/// Measures `samples` generated images of the run (the same number per class for conditional
/// models) and writes the results into the run. `progress` hears each stage as it starts.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_run(
    runs_dir: &Path,
    run_name: &str,
    classifier: &Classifier,
    reference: &Reference,
    samples: usize,
    seed: u64,
    options: &EvalOptions,
    device: &Device,
    progress: &mut dyn FnMut(&str),
) -> Result<RunEval> {
    progress("loading the generator");
    let trained = crate::train::open_trained_run(runs_dir, run_name, device)?;
    let gan = &trained.config.gan;
    let per_row = if gan.model.is_conditional() {
        samples / gan.num_classes
    } else {
        samples
    };
    if per_row == 0 {
        bail!("{samples} samples are too few");
    }
    if (gan.channels, gan.image_size) != (reference.channels, reference.side) {
        bail!(
            "run {run_name} makes {} images but the data set's are {}: evaluate it against the \
             data set it was trained on (--dataset {})",
            shape_words(gan.channels, gan.image_size),
            shape_words(reference.channels, reference.side),
            trained.config.dataset.folder_or_flag()
        );
    }
    progress("generating samples");
    let (pixels, labels) = generate_set(&trained.generator, gan, per_row, seed, device)?;
    progress("measuring");
    // InfoGAN's labels are category codes whose meaning it found itself: the samples are
    // measured as an unconditional model's, and the codes matched to the classes afterwards.
    let labels_are_classes = gan.model.family().labels_are_classes();
    let requested = labels.as_deref().filter(|_| labels_are_classes);
    let mut report = evaluate(&pixels, requested, reference, classifier, options, device)?;
    if let (false, Some(codes)) = (labels_are_classes, labels.as_deref()) {
        let readout = read_out(classifier, &pixels, reference.side, device)?;
        let predicted = readout.predictions();
        let (accuracy, _) = match_codes(codes, &predicted, gan.num_classes, readout.classes)?;
        report.category_accuracy = Some(accuracy);
        progress("reading the held-out digits with Q");
        let (accuracy, agreement) = q_on_real(&trained, reference, device)?;
        report.q_accuracy_on_real = Some(accuracy);
        report.q_neighbour_agreement = Some(agreement);
    }
    progress("writing results");
    let root = &trained.run.root;
    write_memorisation_png(&root.join("memorisation.png"), &report, &pixels, reference)?;
    let result = RunEval {
        run: trained.run.name(),
        step: checkpoint::load_state(&trained.checkpoint)?.step,
        checkpoint: trained
            .checkpoint
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        generator_sha256: checkpoint::sampling_generator_sha256(&trained.checkpoint)?,
        scored_by_guide: crate::train::guide::guided_by(root, classifier),
        report,
    };
    write_atomic(
        &root.join("eval.json"),
        serde_json::to_string_pretty(&result)?.as_bytes(),
    )?;
    let table = markdown_table(&[(result.run.clone(), &result.report)]);
    write_atomic(&root.join("eval.md"), table.as_bytes())?;
    Ok(result)
}

/// InfoGAN's Q head (on the checkpoint's discriminator) read on the held-out real images:
/// the share whose category, after the best one-to-one matching of categories to classes, is
/// their class; and, without the labels, the share that Q reads as the category of their
/// nearest other held-out image (in pixels).
fn q_on_real(
    trained: &crate::train::TrainedRun,
    reference: &Reference,
    device: &Device,
) -> Result<(f64, f64)> {
    let gan = &trained.config.gan;
    let discriminator = checkpoint::load_discriminator(gan, &trained.checkpoint, device)?;
    let categories = crate::family::read_categories(
        &discriminator,
        gan,
        &reference.held_out_pixels,
        reference.side,
        device,
    )?;
    let classes: Vec<usize> = reference
        .held_out_labels
        .iter()
        .map(|&c| c.into())
        .collect();
    let n_classes = classes.iter().max().map_or(0, |m| m + 1);
    let (accuracy, _) = match_codes(&categories, &classes, gan.num_classes, n_classes)?;
    let nearest = k_nearest_others(&reference.held_out_pixels, reference.per_image(), 1, device)?;
    Ok((accuracy, neighbour_agreement(&categories, &nearest)))
}

/// The closest generated/training pairs: generated images on the top row, their nearest
/// training images below.
fn write_memorisation_png(
    path: &Path,
    report: &EvalReport,
    pixels: &[f32],
    reference: &Reference,
) -> Result<()> {
    let side = reference.side;
    let per = reference.per_image();
    let n_pairs = report.closest_pairs.len();
    if n_pairs == 0 {
        return Ok(());
    }
    let mut pairs = Vec::with_capacity(2 * n_pairs * per);
    for &(i, _, _) in &report.closest_pairs {
        pairs.extend_from_slice(&pixels[i * per..(i + 1) * per]);
    }
    for &(_, j, _) in &report.closest_pairs {
        pairs.extend_from_slice(reference.train.image(j));
    }
    let layout = GridLayout {
        cols: n_pairs,
        ..GridLayout::default()
    };
    save_grid_png(path, &pairs, 2 * n_pairs, side, side, &layout)
}
