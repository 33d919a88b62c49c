//! The embedding job: real and generated pictures through the classifier, projected to 2-D.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use burn::prelude::Device;

use super::{Outcome, Waker};
use crate::eval::embedding::{EmbeddingInputs, Method};
use crate::explore::LoadedGenerator;

pub struct Embedding {
    pub inputs: EmbeddingInputs,
    /// Each class's name (the legend's entries), in label order.
    pub class_names: Vec<String>,
    /// t-SNE's perplexity as used (lowered for a small set).
    pub perplexity: Option<f32>,
    pub method: Method,
    pub points: Vec<[f32; 2]>,
    pub seconds: f64,
}

/// t-SNE's perplexity, as `gan-studio embed` uses by default.
pub const PERPLEXITY: f32 = 30.0;

pub struct Request {
    pub generator: LoadedGenerator,
    /// A folder holding classifier.bpk; None: the bundled classifier.
    pub classifier: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub per_set: usize,
    pub method: Method,
    pub device: Device,
}

/// Gathers `per_set` real and generated points and projects them with `method`.
pub fn spawn(request: Request, waker: Waker) -> Receiver<Outcome<Embedding>> {
    super::spawn_once("embedding", waker, move || {
        let started = std::time::Instant::now();
        let classifier = crate::explore::bundle::classifier_or_bundled(
            request.classifier.as_deref(),
            request.generator.dataset,
            &request.device,
        )?;
        let generator = &request.generator;
        let test =
            super::open_dataset(&generator.data_root(&request.data_dir), generator.dataset)?.test;
        let inputs = EmbeddingInputs::gather(
            &request.generator.generator,
            &request.generator.config,
            &classifier,
            &test,
            request.per_set,
            1,
            &request.device,
        )?;
        let projection = inputs.project(request.method, PERPLEXITY, 1000, 1)?;
        let (points, perplexity) = (projection.points, projection.perplexity);
        let classes = usize::from(inputs.labels.iter().copied().max().unwrap_or(0)) + 1;
        let class_names = (0..classes.max(generator.class_names.len()))
            .map(|c| generator.class_name(c as u8))
            .collect();
        Ok(Embedding {
            inputs,
            class_names,
            perplexity,
            method: request.method,
            points,
            seconds: started.elapsed().as_secs_f64(),
        })
    })
}
