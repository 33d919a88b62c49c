//! The CycleGAN training job: a [`CycleTrainer`] on a worker thread that streams its losses and
//! translation grids, and stops (with a checkpoint, so the run continues later) when asked.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use anyhow::{Context, Result};
use burn::prelude::Device;

use super::Waker;
use crate::cyclegan::run::{self, CONFIG_FILE};
use crate::cyclegan::{CycleEvent, CycleGanConfig, CycleStepMetrics, CycleTrainer};
use crate::train::{RunDir, RunOutcome};

pub enum Message {
    Started {
        run: String,
        first_step: usize,
        total_steps: usize,
        /// The domains as the run records them.
        domains: (String, String),
    },
    Step(CycleStepMetrics),
    /// The translation grid of fixed held-out pictures: `rows` x 6 tiles in [-1, 1].
    Grid {
        step: usize,
        pixels: Vec<f32>,
        rows: usize,
        side: usize,
    },
    Finished {
        stopped: bool,
        step: usize,
    },
    Failed(String),
}

/// A new run `run` from `config` (its domains named by `config.domain_*.spec`), or the
/// existing run of that name continued when `resume` is set.
pub struct Request {
    pub config: CycleGanConfig,
    pub runs_dir: PathBuf,
    pub run: String,
    pub resume: bool,
    pub data_dir: PathBuf,
    pub device: Device,
}

pub struct CycleJob {
    stop: Sender<()>,
    pub messages: Receiver<Message>,
}

impl CycleJob {
    /// `progress` wakes the UI for steps and sample grids, `waker` for everything else.
    pub fn spawn(request: Request, waker: Waker, progress: Waker) -> Self {
        let (stop, stop_rx) = channel();
        let (tx, messages) = channel();
        let thread_tx = tx.clone();
        let thread_waker = waker.clone();
        let spawned = std::thread::Builder::new()
            .name("cyclegan-training".into())
            .spawn(move || {
                let wakers = (&thread_waker, &progress);
                if let Err(e) = train(request, &stop_rx, &thread_tx, wakers) {
                    let _ = thread_tx.send(Message::Failed(format!("{e:#}")));
                }
                thread_waker();
            });
        if let Err(e) = spawned {
            let _ = tx.send(Message::Failed(format!(
                "cannot start the training thread: {e}"
            )));
            waker();
        }
        Self { stop, messages }
    }

    /// Asks the run to stop at the next step (it writes a checkpoint first).
    pub fn stop(&self) {
        let _ = self.stop.send(());
    }
}

fn train(
    request: Request,
    stop: &Receiver<()>,
    tx: &Sender<Message>,
    (waker, progress): (&Waker, &Waker),
) -> Result<()> {
    let send = |message: Message| {
        let is_progress = matches!(message, Message::Step(_) | Message::Grid { .. });
        let _ = tx.send(message);
        if is_progress { progress() } else { waker() }
    };
    let data = Some(request.data_dir.as_path());
    let mut trainer = if request.resume {
        let dir = run::find(&request.runs_dir, &request.run)
            .with_context(|| format!("no CycleGAN run {} to continue", request.run))?;
        let config = CycleGanConfig::load_run(&dir.root.join(CONFIG_FILE))?;
        let domains = run::load_domains(
            &config,
            config.data_root.is_none().then_some(data).flatten(),
        )?;
        CycleTrainer::resume(dir, domains, &request.device, None)?
    } else {
        let mut config = request.config;
        config.validate()?;
        let dir = RunDir::new(&request.runs_dir, &request.run)?;
        // Before reading (perhaps 60,000) pictures.
        if run::find(&request.runs_dir, &request.run).is_some() || dir.config().exists() {
            anyhow::bail!(
                "a run named {} exists already: continue it, or pick another name",
                request.run
            );
        }
        let (a, b) = crate::cyclegan::load_pair(
            &config.domain_a.spec,
            &config.domain_b.spec,
            data,
            config.image_size,
        )?;
        config.data_root = Some(request.data_dir.clone());
        config.domain_a = a.record.clone();
        config.domain_b = b.record.clone();
        config.channels = a.train.channels;
        CycleTrainer::create(config, dir, (a, b), &request.device)?
    };
    send(Message::Started {
        run: trainer.run.name(),
        first_step: trainer.step_count(),
        total_steps: trainer.total_steps(),
        domains: (
            trainer.config.domain_a.spec.clone(),
            trainer.config.domain_b.spec.clone(),
        ),
    });
    let side = trainer.config.image_size;
    let outcome = trainer.run(|event| {
        match event {
            CycleEvent::Step(metrics) => send(Message::Step(metrics.clone())),
            CycleEvent::Sample {
                step, pixels, rows, ..
            } => send(Message::Grid {
                step,
                pixels: pixels.to_vec(),
                rows,
                side,
            }),
            CycleEvent::Checkpoint { .. } => {}
        }
        match stop.try_recv() {
            Err(TryRecvError::Empty) => ControlFlow::Continue(()),
            // Asked to stop, or the studio is gone.
            Ok(()) | Err(TryRecvError::Disconnected) => ControlFlow::Break(()),
        }
    })?;
    send(Message::Finished {
        stopped: outcome == RunOutcome::Stopped,
        step: trainer.step_count(),
    });
    Ok(())
}
