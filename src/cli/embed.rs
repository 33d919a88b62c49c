//! `gan-studio embed`: PCA / t-SNE maps of real and generated digits in the classifier's
//! feature space, and their confidence histograms, as JSON (for the GUI) and PNG.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::{DataArgs, RunArgs, TrainedRun};
use crate::eval::classifier::{self, Readout, read_out};
use crate::eval::embedding::{Method, pca_2d, tsne_2d};
use crate::eval::report::all_pixels;
use crate::export::plot::{lines_png, scatter_png};
use crate::fsutil::write_atomic;
use crate::sampling::{FixedBatch, generate_pixels};

#[derive(Args, Debug)]
pub struct EmbedArgs {
    /// The generator's run.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    #[arg(long, value_enum, value_delimiter = ',', default_value = "pca,tsne")]
    pub methods: Vec<Method>,
    /// Real and generated points each.
    #[arg(long, default_value_t = 2500)]
    pub per_set: usize,
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f32,
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder; default: the run's `embedding/`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub runs: RunArgs,
}

#[derive(Serialize)]
struct EmbeddingFile {
    labels: Vec<u8>,
    real: Vec<bool>,
    confidence: Vec<f32>,
    pca: Option<Vec<[f32; 2]>>,
    tsne: Option<Vec<[f32; 2]>>,
}

fn confidences(readout: &Readout) -> Vec<f32> {
    readout
        .probabilities
        .chunks(readout.classes)
        .map(|row| row.iter().copied().fold(0.0, f32::max))
        .collect()
}

/// Share of values in each of 20 bins over [0, 1], as (bin centre, share, 0) points.
fn histogram(values: &[f32]) -> Vec<(f64, f64, f64)> {
    let mut counts = [0usize; 20];
    for &v in values {
        counts[((v * 20.0) as usize).min(19)] += 1;
    }
    counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (
                (i as f64 + 0.5) / 20.0,
                c as f64 / values.len().max(1) as f64,
                0.0,
            )
        })
        .collect()
}

pub fn run(args: EmbedArgs) -> Result<()> {
    let device = args.runs.device()?;
    let TrainedRun {
        run,
        config,
        checkpoint: _,
        generator,
    } = super::open_trained_run(&args.runs.runs_dir, &args.run, &device.device)?;
    let gan = &config.gan;
    let judge = classifier::load(
        &super::classifier_dir(&args.runs.runs_dir, &args.classifier),
        &device.device,
    )?;
    let dataset = args.data.load()?;
    let n = args.per_set.min(dataset.test.len());

    let real_pixels = all_pixels(&dataset.test.clone().truncate(n));
    let real = read_out(&judge, &real_pixels, dataset.test.rows, &device.device)?;
    let conditional = gan.model.is_conditional();
    let (per_row, rows) = if conditional {
        (n.div_ceil(gan.num_classes), gan.num_classes)
    } else {
        (n, 1)
    };
    let batch = FixedBatch::new(
        args.seed,
        gan.latent_dim,
        conditional,
        gan.num_classes,
        per_row,
        rows,
    );
    let fake_pixels = generate_pixels(
        &generator,
        gan,
        &batch.latents,
        batch.labels.as_deref(),
        &device.device,
    )?;
    let fake = read_out(&judge, &fake_pixels, gan.image_size, &device.device)?;

    let mut features = real.features.clone();
    features.extend_from_slice(&fake.features);
    let fake_labels: Vec<u8> = match &batch.labels {
        Some(l) => l.clone(),
        None => fake.predictions().iter().map(|&p| p as u8).collect(),
    };
    let labels: Vec<u8> = dataset.test.labels[..n]
        .iter()
        .copied()
        .chain(fake_labels)
        .collect();
    let is_real: Vec<bool> = (0..labels.len()).map(|i| i < n).collect();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| run.root.join("embedding"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

    let mut file = EmbeddingFile {
        labels: labels.clone(),
        real: is_real.clone(),
        confidence: confidences(&real)
            .into_iter()
            .chain(confidences(&fake))
            .collect(),
        pca: None,
        tsne: None,
    };
    for method in &args.methods {
        let started = Instant::now();
        let points = match method {
            Method::Pca => pca_2d(&features, real.feature_dim),
            Method::Tsne => tsne_2d(
                &features,
                real.feature_dim,
                args.perplexity,
                args.epochs,
                args.seed,
            )?,
        };
        let secs = started.elapsed().as_secs_f64();
        let name = format!("{method:?}").to_lowercase();
        eprintln!("{name} of {} points in {secs:.1} s", labels.len());
        let title = format!(
            "{} of classifier features: {} ({} real, {} generated)",
            name.to_uppercase(),
            run.name(),
            n,
            labels.len() - n
        );
        scatter_png(
            &out.join(format!("embedding-{name}.png")),
            &title,
            &points,
            &labels,
            &is_real,
        )?;
        match method {
            Method::Pca => file.pca = Some(points),
            Method::Tsne => file.tsne = Some(points),
        }
    }
    let series = vec![
        ("real".to_string(), histogram(&confidences(&real))),
        ("generated".to_string(), histogram(&confidences(&fake))),
    ];
    lines_png(
        &out.join("confidence.png"),
        "Classifier confidence (top-class probability)",
        "confidence",
        "share of images",
        &series,
    )?;
    write_atomic(
        &out.join("embedding.json"),
        serde_json::to_string(&file)?.as_bytes(),
    )?;
    eprintln!("-> {}", out.display());
    Ok(())
}
