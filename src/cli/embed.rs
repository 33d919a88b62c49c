//! `gan-studio embed`: PCA / t-SNE maps of real and generated digits in the classifier's
//! feature space, and their confidence histograms, as JSON (for the GUI) and PNG.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::{DataArgs, RunArgs, TrainedRun};
use crate::eval::classifier;
use crate::eval::embedding::{EmbeddingInputs, Method};
use crate::export::plot::{lines_png, scatter_png};
use crate::fsutil::write_atomic;

#[derive(Args, Debug)]
pub struct EmbedArgs {
    /// The generator's run.
    #[arg(long, value_name = "NAME")]
    pub run: String,
    /// The classifier whose features are mapped and whose confidence is plotted (a run name
    /// under RUNS_DIR or a path, e.g. assets/model/mnist/classifier).
    #[arg(long, value_name = "NAME")]
    pub classifier: String,
    /// Maps to draw (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "pca,tsne")]
    pub methods: Vec<Method>,
    /// Real and generated points each.
    #[arg(long, default_value_t = 2500)]
    pub per_set: usize,
    /// t-SNE's perplexity: about how many neighbours each point keeps close.
    #[arg(long, default_value_t = 30.0)]
    pub perplexity: f32,
    /// t-SNE's iterations (the first 250 with early exaggeration).
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    /// Seed of the generated points, the real ones drawn and t-SNE's start.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the classifier features of every point as `features.f32` (little-endian
    /// f32, feature_dim per point, in embedding.json's order), for checking the maps elsewhere.
    #[arg(long)]
    pub save_features: bool,
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
    /// t-SNE's final KL(P || Q) (sparse P, exact Q), learning rate, epochs, seconds.
    tsne_kl_divergence: Option<f32>,
    tsne_learning_rate: Option<f32>,
    tsne_epochs: Option<usize>,
    tsne_seconds: Option<f64>,
    perplexity: f32,
    /// Length of each point's classifier feature vector (`features.f32` with --save-features).
    feature_dim: usize,
}

/// (bin centre, share) pairs of the confidence histogram in 20 bins, as the plot wants them.
fn histogram(inputs: &EmbeddingInputs, real: bool) -> Vec<(f64, f64, f64)> {
    let shares = inputs.confidence_histogram(real, 20);
    let bins = shares.len() as f64;
    shares
        .iter()
        .enumerate()
        .map(|(i, &share)| ((i as f64 + 0.5) / bins, share, 0.0))
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
    judge.check_reads(config.dataset)?;
    let dataset = args.data.for_run(&args.run, &config)?.load()?;
    let inputs = EmbeddingInputs::gather(
        &generator,
        gan,
        &judge,
        &dataset.test,
        args.per_set,
        args.seed,
        &device.device,
    )?;
    let n = inputs.real.iter().filter(|&&r| r).count();
    let EmbeddingInputs {
        labels,
        real: is_real,
        ..
    } = &inputs;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| run.root.join("embedding"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;

    let mut file = EmbeddingFile {
        labels: labels.clone(),
        real: is_real.clone(),
        confidence: inputs.confidence.clone(),
        pca: None,
        tsne: None,
        tsne_kl_divergence: None,
        tsne_learning_rate: None,
        tsne_epochs: None,
        tsne_seconds: None,
        perplexity: args.perplexity,
        feature_dim: inputs.feature_dim,
    };
    if args.save_features {
        let bytes: Vec<u8> = inputs
            .features
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        write_atomic(&out.join("features.f32"), &bytes)?;
    }
    for method in &args.methods {
        let started = Instant::now();
        let projection = inputs.project(*method, args.perplexity, args.epochs, args.seed)?;
        let secs = started.elapsed().as_secs_f64();
        let name = format!("{method:?}").to_lowercase();
        if let Some(used) = projection.perplexity
            && used < args.perplexity
        {
            eprintln!(
                "warning: {} points allow a t-SNE perplexity of at most {used:.1}, not {}: \
                 mapped with {used:.1}",
                labels.len(),
                args.perplexity
            );
            file.perplexity = used;
        }
        match projection.kl_divergence {
            Some(kl) => println!(
                "{name} of {} points in {secs:.1} s, KL {kl:.3}",
                labels.len()
            ),
            None => println!("{name} of {} points in {secs:.1} s", labels.len()),
        }
        let points = projection.points;
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
            labels,
            is_real,
            &dataset.class_names,
        )?;
        match method {
            Method::Pca => file.pca = Some(points),
            Method::Tsne => {
                file.tsne = Some(points);
                file.tsne_kl_divergence = projection.kl_divergence;
                file.tsne_learning_rate = projection.learning_rate;
                file.tsne_epochs = projection.epochs;
                file.tsne_seconds = Some(secs);
            }
        }
    }
    let series = vec![
        ("real".to_string(), histogram(&inputs, true)),
        ("generated".to_string(), histogram(&inputs, false)),
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
    println!("-> {}", out.display());
    Ok(())
}
