//! The training job: a [`Trainer`] on a worker thread that streams metrics and sample grids,
//! and obeys pause / resume / stop. Stopping writes a checkpoint, so the run can be resumed.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use anyhow::Result;
use burn::prelude::Device;

use super::Waker;
use crate::studio::gpu_grid::{GpuImages, GridPipeline};
use crate::train::metrics::read_log;
use crate::train::trainer::fixed_batch;
use crate::train::{RunDir, RunOutcome, StepMetrics, TrainConfig, TrainEvent, Trainer};

pub enum Command {
    Pause,
    Resume,
    Stop,
}

/// The fixed-noise grid has 10 images per class (conditional) or 10 rows of 10: rows of 10.
pub const SAMPLE_COLUMNS: usize = 10;

pub enum Message {
    /// A continued run's steps so far (sent before `Started`), so its curves keep their past.
    History(Vec<StepMetrics>),
    Started {
        run: String,
        first_step: usize,
        total_steps: usize,
    },
    Step(StepMetrics),
    /// The fixed-noise images in [-1, 1] in rows of `cols` (one row per class for conditional
    /// models), and their grid drawn on the GPU when training runs on the render device.
    Samples {
        step: usize,
        pixels: Vec<f32>,
        gpu: Option<Box<GpuImages>>,
        count: usize,
        side: usize,
        cols: usize,
    },
    Checkpoint {
        step: usize,
    },
    Paused(bool),
    /// Something the user should know that is not a failure (a PCA fitted with fewer
    /// components than asked).
    Note(String),
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
    /// Our grid shader on the render device, when `device` is that device.
    pub display: Option<Arc<GridPipeline>>,
}

pub struct TrainingJob {
    commands: Sender<Command>,
    pub messages: Receiver<Message>,
}

impl TrainingJob {
    /// `progress` wakes the UI for steps and sample grids, `waker` for everything else.
    pub fn spawn(request: Request, waker: Waker, progress: Waker) -> Self {
        let (commands, command_rx) = channel();
        let (tx, messages) = channel();
        let thread_tx = tx.clone();
        let thread_waker = waker.clone();
        let spawned = std::thread::Builder::new()
            .name("training".into())
            .spawn(move || {
                super::on_own_pool("training", move || {
                    let wakers = (&thread_waker, &progress);
                    let result = train(request, &command_rx, &thread_tx, wakers);
                    if let Err(e) = result {
                        let _ = thread_tx.send(Message::Failed(format!("{e:#}")));
                    }
                    thread_waker();
                })
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
    mut request: Request,
    commands: &Receiver<Command>,
    tx: &Sender<Message>,
    (waker, progress): (&Waker, &Waker),
) -> Result<()> {
    let send = |message: Message| {
        let is_progress = matches!(message, Message::Step(_) | Message::Samples { .. });
        let _ = tx.send(message);
        if is_progress { progress() } else { waker() }
    };
    let mut trainer = if request.resume {
        let run = RunDir::open(&request.runs_dir, &request.run)?;
        let saved = TrainConfig::load_run(&run.config())?;
        let data = super::open_dataset(&saved.data_root(&request.data_dir), saved.dataset)?.train;
        let trainer = Trainer::resume(run, data, &request.device, None)?;
        // Resuming cut the log back to the checkpoint's step; that is the run's past.
        send(Message::History(read_log(&trainer.run.metrics())?));
        trainer
    } else {
        let root = request.config.data_root(&request.data_dir);
        let dataset = super::open_dataset(&root, request.config.dataset)?;
        request.config.fit_to(&dataset);
        request.config.validate()?;
        let data = dataset.train;
        let run = RunDir::new(&request.runs_dir, &request.run)?;
        if !request.config.gan.model.family().adversarial() {
            return fit(&request, &run, data, &send);
        }
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
                images,
                count,
                side,
                ..
            } => send(Message::Samples {
                step,
                pixels: pixels.to_vec(),
                // The host copy is the run's PNG; the screen takes the GPU's own (or, if the
                // shader cannot read this tensor, the host copy).
                gpu: request
                    .display
                    .as_ref()
                    .and_then(|d| d.draw(images.clone(), SAMPLE_COLUMNS).ok())
                    .map(Box::new),
                count,
                side,
                cols: SAMPLE_COLUMNS,
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

/// Fits a family that has no training loop (PCA) and reports it as a run of no steps.
fn fit(
    request: &Request,
    run: &RunDir,
    data: crate::data::Split,
    send: &impl Fn(Message),
) -> Result<()> {
    let fitted = crate::train::fit::fit_closed_form(&request.config, run, data, &request.device)?;
    if let Some(note) = fitted.note {
        send(Message::Note(note));
    }
    send(Message::Started {
        run: run.name(),
        first_step: 0,
        total_steps: 0,
    });
    send(Message::Samples {
        step: 0,
        count: fixed_batch(&request.config).count,
        pixels: fitted.pixels,
        gpu: None,
        side: request.config.gan.image_size,
        cols: SAMPLE_COLUMNS,
    });
    send(Message::Finished {
        stopped: false,
        step: 0,
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

/// A run as the training tab shows it when nothing trains: its logged steps and its fixed-noise
/// grid regenerated from the newest checkpoint.
pub struct Reopened {
    pub run: String,
    pub history: Vec<StepMetrics>,
    pub step: usize,
    pub total_steps: usize,
    /// (images in [-1, 1], count, side, columns), when the run has a checkpoint.
    pub samples: Option<(Vec<f32>, usize, usize, usize)>,
}

/// Reads `run`'s log and regenerates its sample grid on a worker.
pub fn reopen(
    runs_dir: PathBuf,
    run: String,
    device: Device,
    waker: Waker,
) -> Receiver<super::Outcome<Reopened>> {
    super::spawn_once("reopen-run", waker, move || {
        let dir = RunDir::open(&runs_dir, &run)?;
        let history = read_log(&dir.metrics())?;
        let config = TrainConfig::load_run(&dir.config())?;
        let checkpoint = crate::train::checkpoint::latest(&dir)?;
        let (mut step, mut total_steps) = (history.last().map_or(0, |m| m.step), 0);
        let mut samples = None;
        if let Some(checkpoint) = checkpoint {
            let state = crate::train::checkpoint::load_state(&checkpoint)?;
            (step, total_steps) = (state.step, state.total_steps);
            let generator = crate::train::checkpoint::load_sampling_generator(
                &config.gan,
                &checkpoint,
                &device,
            )?;
            let fixed = fixed_batch(&config);
            let pixels = crate::sampling::generate_pixels(
                &generator,
                &config.gan,
                &fixed.latents,
                fixed.labels.as_deref(),
                &device,
            )?;
            samples = Some((pixels, fixed.count, config.gan.image_size, 10));
        }
        Ok(Reopened {
            run: dir.name(),
            history,
            step,
            total_steps,
            samples,
        })
    })
}
