//! The training job: a [`Trainer`] on a worker thread that streams metrics and sample grids,
//! and obeys pause / resume / stop. Stopping writes a checkpoint, so the run can be resumed.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use anyhow::Result;
use burn::prelude::Device;

use super::Waker;
use crate::data::Dataset;
use crate::train::{RunDir, RunOutcome, StepMetrics, TrainConfig, TrainEvent, Trainer};

pub enum Command {
    Pause,
    Resume,
    Stop,
}

pub enum Message {
    Started {
        run: String,
        first_step: usize,
        total_steps: usize,
    },
    Step(StepMetrics),
    /// The fixed-noise images in [-1, 1] (one row per class for conditional models).
    Samples {
        step: usize,
        pixels: Vec<f32>,
        count: usize,
        side: usize,
    },
    Checkpoint {
        step: usize,
    },
    Paused(bool),
    Finished {
        stopped: bool,
        step: usize,
    },
    Failed(String),
}

/// What to train: a new run from `config`, or the existing run `run` when `resume` is set.
pub struct Request {
    pub config: TrainConfig,
    pub runs_dir: PathBuf,
    pub run: String,
    pub resume: bool,
    pub data_dir: PathBuf,
    pub device: Device,
}

pub struct TrainingJob {
    commands: Sender<Command>,
    pub messages: Receiver<Message>,
}

impl TrainingJob {
    pub fn spawn(request: Request, waker: Waker) -> Self {
        let (commands, command_rx) = channel();
        let (tx, messages) = channel();
        let thread_tx = tx.clone();
        let thread_waker = waker.clone();
        let spawned = std::thread::Builder::new()
            .name("training".into())
            .spawn(move || {
                let result = train(request, &command_rx, &thread_tx, &thread_waker);
                if let Err(e) = result {
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
        Self { commands, messages }
    }

    /// Sends a command; a finished job ignores it.
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }
}

fn train(
    request: Request,
    commands: &Receiver<Command>,
    tx: &Sender<Message>,
    waker: &Waker,
) -> Result<()> {
    let send = |message: Message| {
        let _ = tx.send(message);
        waker();
    };
    let mut trainer = if request.resume {
        let run = RunDir::open(&request.runs_dir, &request.run)?;
        let saved = TrainConfig::load_run(&run.config())?;
        let data = Dataset::load(&request.data_dir, saved.dataset)?.train;
        Trainer::resume(run, data, &request.device, None)?
    } else {
        request.config.validate()?;
        let data = Dataset::load(&request.data_dir, request.config.dataset)?.train;
        let run = RunDir::new(&request.runs_dir, &request.run)?;
        Trainer::create(request.config, run, data, &request.device)?
    };
    send(Message::Started {
        run: trainer.run.name(),
        first_step: trainer.step_count(),
        total_steps: trainer.total_steps(),
    });
    let outcome = trainer.run(|event| {
        match event {
            TrainEvent::Step(metrics) => send(Message::Step(metrics.clone())),
            TrainEvent::Sample {
                step,
                pixels,
                count,
                side,
                ..
            } => send(Message::Samples {
                step,
                pixels: pixels.to_vec(),
                count,
                side,
            }),
            TrainEvent::Checkpoint { step, .. } => send(Message::Checkpoint { step }),
        }
        obey(commands, &send)
    })?;
    send(Message::Finished {
        stopped: outcome == RunOutcome::Stopped,
        step: trainer.step_count(),
    });
    Ok(())
}

/// Applies pending commands; while paused, blocks this worker (not the UI) until told more.
fn obey(commands: &Receiver<Command>, send: &impl Fn(Message)) -> ControlFlow<()> {
    loop {
        match commands.try_recv() {
            Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return ControlFlow::Break(()),
            Ok(Command::Resume) => {}
            Ok(Command::Pause) => {
                send(Message::Paused(true));
                loop {
                    match commands.recv() {
                        Ok(Command::Resume) => break,
                        Ok(Command::Pause) => {}
                        Ok(Command::Stop) | Err(_) => return ControlFlow::Break(()),
                    }
                }
                send(Message::Paused(false));
            }
            Err(TryRecvError::Empty) => return ControlFlow::Continue(()),
        }
    }
}
