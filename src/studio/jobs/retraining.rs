//! The retraining job: a quick `gan-studio augment` (10 real images per class, one seed, plain
//! mixing) so the metrics tab can draw a retraining curve without the command line. Results go
//! to `augment-quick.json`, never over a full `augment.json` from the CLI.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use burn::prelude::Device;

use super::{Outcome, Waker};
use crate::eval::augment::{
    AugmentEvent, AugmentPlan, AugmentResult, Pretrained, Strategy, SyntheticImages, run_plan,
};
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
    /// What is running, and the share of the whole job done.
    Progress(String, f32),
    /// Done other than asked (fewer real images per class than the plan's 10).
    Note(String),
    Done(Outcome<Vec<AugmentResult>>),
}

pub fn quick_plan() -> AugmentPlan {
    AugmentPlan {
        per_class: vec![10],
        ratios: vec![0.0, 0.2, 0.5, 1.0],
        strategies: vec![Strategy::Mix],
        seeds: 1,
        first_seed: 0,
        steps: 300,
        few_real_generator: None,
    }
}

pub fn spawn(request: Request, waker: Waker) -> Receiver<Message> {
    let (tx, rx) = channel();
    let progress_tx = tx.clone();
    let progress_waker = waker.clone();
    let done = super::spawn_once("retraining", waker.clone(), move || {
        let mut plan = quick_plan();
        let send = |line: String, done: f32| {
            let _ = progress_tx.send(Message::Progress(line, done));
            progress_waker();
        };
        send("loading the generator and the data".into(), 0.0);
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
            trained.config.dataset,
            &request.device,
        )?;
        let root = trained.config.data_root(&request.data_dir);
        let dataset = super::open_dataset(&root, trained.config.dataset)?;
        // A folder with fewer than 10 pictures in a class: as many as it has, said so.
        if let Some(note) = plan.fit_to(&dataset.train, &dataset.class_names) {
            let _ = progress_tx.send(Message::Note(note));
        }
        let total = plan.trainings();
        let mut done = 0;
        let mut last = String::from("real images only");
        let mut last_sent = std::time::Instant::now();
        let results = run_plan(
            &plan,
            &dataset.train,
            &dataset.test,
            &Pretrained {
                images: SyntheticImages::Generator {
                    generator: &trained.generator,
                    gan: &trained.config.gan,
                },
                classes: trained.config.gan.num_classes,
                judge: &judge,
            },
            &request.device,
            |event| match event {
                AugmentEvent::ClassifierStep(step, steps) => {
                    // A few updates a second are plenty for a progress bar.
                    if step == steps || last_sent.elapsed().as_millis() >= 200 {
                        last_sent = std::time::Instant::now();
                        let share = (done as f32 + step as f32 / steps as f32) / total as f32;
                        send(
                            format!(
                                "training {}/{total}, step {step}/{steps} · last: {last}",
                                done + 1
                            ),
                            share,
                        );
                    }
                }
                AugmentEvent::Result(r) => {
                    done += r.accuracies.len();
                    last = format!(
                        "{:.0}% synthetic: {:.2}%",
                        100.0 * r.ratio,
                        100.0 * r.accuracy.mean
                    );
                    send(last.clone(), done as f32 / total as f32);
                }
                AugmentEvent::FewRealGenerator(..) => {}
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
