//! The evaluation job: `gan-studio eval` for one run, reporting its stage for a progress bar.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use burn::prelude::Device;

use super::{Outcome, Waker};
use crate::eval::report::{EvalOptions, Reference};
use crate::eval::run_eval::{RunEval, evaluate_run};

pub struct Request {
    pub runs_dir: PathBuf,
    pub run: String,
    /// A folder holding classifier.bpk; None: the bundled classifier.
    pub classifier: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub samples: usize,
    pub device: Device,
}

pub enum Message {
    /// (stage name, fraction of the stages done)
    Progress(String, f32),
    Done(Box<Outcome<RunEval>>),
}

const STAGES: [&str; 7] = [
    "loading the classifier",
    "loading the data",
    "reading the real reference",
    "loading the generator",
    "generating samples",
    "measuring",
    "writing results",
];

pub fn spawn(request: Request, waker: Waker) -> Receiver<Message> {
    let (tx, rx) = channel();
    let progress_tx = tx.clone();
    let progress_waker = waker.clone();
    let progress = move |stage: &str| {
        let done = STAGES.iter().position(|s| *s == stage).unwrap_or(0);
        let _ = progress_tx.send(Message::Progress(
            stage.to_owned(),
            done as f32 / STAGES.len() as f32,
        ));
        progress_waker();
    };
    let done = super::spawn_once("evaluation", waker.clone(), move || {
        let mut progress = progress;
        progress(STAGES[0]);
        if let Some(bundle) = crate::explore::bundle::Bundled::by_run_name(&request.run) {
            // A bundled model becomes a run the first time it is evaluated.
            bundle.unpack_run(&request.runs_dir, &request.run)?;
        }
        let run = crate::train::RunDir::open(&request.runs_dir, &request.run)?;
        let saved = crate::train::TrainConfig::load_run(&run.config())?;
        let kind = saved.dataset;
        let judge = crate::explore::bundle::classifier_or_bundled(
            request.classifier.as_deref(),
            kind,
            &request.device,
        )?;
        progress(STAGES[1]);
        let dataset = super::open_dataset(&saved.data_root(&request.data_dir), kind)?;
        progress(STAGES[2]);
        let reference = Reference::new(&dataset, &judge, &request.device)?;
        // The real-data reference row, once per runs folder, data set, judge and reference
        // split, for the table and the real-vs-synthetic confidence curve.
        let real_path = crate::studio::tabs::metrics::real_eval_path(
            &request.runs_dir,
            kind,
            &reference.judge_sha256,
        );
        let current = crate::eval::report::EvalReport::read(&real_path)
            .ok()
            .is_some_and(|real| real.reference_split_seed == Some(reference.split_seed));
        if !current {
            let real = crate::eval::report::evaluate(
                &reference.held_out_pixels,
                Some(&reference.held_out_labels),
                &reference,
                &judge,
                &EvalOptions::default(),
                &request.device,
            )?;
            if let Some(folder) = real_path.parent() {
                std::fs::create_dir_all(folder)
                    .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", folder.display()))?;
            }
            crate::fsutil::write_atomic(
                &real_path,
                serde_json::to_string_pretty(&real)?.as_bytes(),
            )?;
        }
        evaluate_run(
            &request.runs_dir,
            &request.run,
            &judge,
            &reference,
            request.samples,
            12345,
            &EvalOptions::default(),
            &request.device,
            &mut progress,
        )
    });
    // Forward the single outcome into the progress channel so the UI reads one stream.
    let _ = std::thread::Builder::new()
        .name("evaluation-forward".into())
        .spawn(move || {
            let outcome = done
                .recv()
                .unwrap_or_else(|_| Err("the evaluation thread ended without an answer".into()));
            let _ = tx.send(Message::Done(Box::new(outcome)));
            waker();
        });
    rx
}
