//! The retraining job: a quick `gan-studio augment` (10 real images per class, one seed, plain
//! mixing) so the metrics tab can draw a retraining curve without the command line. Results go
//! to `augment-quick.json`, never over a full `augment.json` from the CLI.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use burn::prelude::Device;

use super::{Outcome, Waker};
use crate::data::{Dataset, DatasetKind};
use crate::eval::augment::{AugmentPlan, AugmentResult, Strategy, run_plan};
use crate::fsutil::write_atomic;

pub const QUICK_FILE: &str = "augment-quick.json";

pub struct Request {
    pub runs_dir: PathBuf,
    pub run: String,
    /// A folder holding classifier.bpk; None: the bundled classifier.
    pub classifier: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub device: Device,
}

pub enum Message {
    /// (trainings done, trainings planned, the latest result as text)
    Progress(usize, usize, String),
    Done(Outcome<Vec<AugmentResult>>),
}

pub fn quick_plan() -> AugmentPlan {
    AugmentPlan {
        per_class: vec![10],
        ratios: vec![0.0, 0.2, 0.5, 1.0],
        strategies: vec![Strategy::Mix],
        seeds: 1,
        steps: 300,
    }
}

pub fn spawn(request: Request, waker: Waker) -> Receiver<Message> {
    let (tx, rx) = channel();
    let progress_tx = tx.clone();
    let progress_waker = waker.clone();
    let done = super::spawn_once("retraining", waker.clone(), move || {
        let plan = quick_plan();
        let total = plan.ratios.len() * plan.strategies.len();
        let trained =
            crate::train::open_trained_run(&request.runs_dir, &request.run, &request.device)?;
        anyhow::ensure!(
            trained.config.gan.model.is_conditional(),
            "retraining needs a conditional generator; {} is {}",
            request.run,
            trained.config.gan.model.name()
        );
        let judge = crate::explore::bundle::classifier_or_bundled(
            request.classifier.as_deref(),
            &request.device,
        )?;
        let dataset = Dataset::load(&request.data_dir, DatasetKind::Mnist)?;
        let mut done = 0;
        let results = run_plan(
            &plan,
            &dataset.train,
            &dataset.test,
            &trained.generator,
            &trained.config.gan,
            &judge,
            &request.device,
            |r| {
                done += 1;
                let line = format!(
                    "{:.0}% synthetic: {:.2}%",
                    100.0 * r.ratio,
                    100.0 * r.accuracy.mean
                );
                let _ = progress_tx.send(Message::Progress(done, total, line));
                progress_waker();
            },
        )?;
        write_atomic(
            &trained.run.root.join(QUICK_FILE),
            serde_json::to_string_pretty(&results)?.as_bytes(),
        )?;
        Ok(results)
    });
    let _ = std::thread::Builder::new()
        .name("retraining-forward".into())
        .spawn(move || {
            let outcome = done
                .recv()
                .unwrap_or_else(|_| Err("the retraining thread ended without an answer".into()));
            let _ = tx.send(Message::Done(outcome));
            waker();
        });
    rx
}
