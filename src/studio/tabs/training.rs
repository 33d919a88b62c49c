//! The training tab: every engine option as a widget, start / pause / stop / resume, live
//! plots of the losses, D outputs and gradient norms, and the fixed-noise grid as it trains.

use std::sync::mpsc::Receiver;

use serde::{Deserialize, Serialize};

use super::{RunSummary, Shared, list_runs};
use crate::data::DatasetKind;
use crate::export::curves::Curves;
use crate::family::OptionField;
use crate::model::{Depth, GanConfig, ModelKind, NormKind};
use crate::studio::jobs::Outcome;
use crate::studio::jobs::picture_scan::FolderSummary;
use crate::studio::jobs::training::{Command, Message, Reopened, Request, TrainingJob};
use crate::studio::widgets::curves::{self, Smoothing};
use crate::studio::widgets::{DigitGrid, ExportDialog, PlotExport};
use crate::train::warp::Distortion;
use crate::train::{StepMetrics, TrainConfig};

/// The options form, persisted between launches.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingForm {
    pub run_name: String,
    pub config: TrainConfig,
    /// Steps of the run; 0 means whole epochs.
    pub max_steps: usize,
    pub train_limit: usize,
}

impl Default for TrainingForm {
    fn default() -> Self {
        // The conditional DCGAN's recipe, as `train --model cdcgan` with no other option.
        let model = ModelKind::Cdcgan;
        let recipe = model.family().recipe();
        let gan = GanConfig::new(model)
            .with_depth(recipe.depth)
            .with_latent_dim(recipe.latent_dim);
        let config = TrainConfig::new(gan)
            .with_lr_generator(recipe.lr_generator)
            .with_mismatch(recipe.mismatch)
            .with_warp(recipe.warp)
            .with_sample_every(50);
        Self {
            run_name: "studio-run".into(),
            config,
            max_steps: recipe.steps,
            train_limit: 0,
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingTab {
    pub form: TrainingForm,
    /// The run shown last: the tab reopens it at the next launch.
    pub last_run: Option<String>,
    #[serde(skip)]
    pub live: Live,
    #[serde(skip)]
    runs: Vec<RunSummary>,
    #[serde(skip)]
    runs_scanned: bool,
    #[serde(skip)]
    export: ExportDialog,
    #[serde(skip)]
    plot_exports: [PlotExport; 3],
    /// How much the curves are smoothed (a moving average's weight; 0: raw values).
    pub smoothing: Smoothing,
    /// The plotted curves and the history they were drawn from, worked out again only when a
    /// step arrives rather than every frame.
    #[serde(skip)]
    plotted: Option<(HistoryKey, [Curves; 3])>,
    /// A Start that met a run of the same name: what to offer instead.
    #[serde(skip)]
    pub conflict: Option<NameConflict>,
    #[serde(skip)]
    reopening: Option<Receiver<Outcome<Reopened>>>,
    #[serde(skip)]
    reopened_at_launch: bool,
    /// Why the last start failed, shown in the tab itself (wrapped) besides the bottom bar.
    #[serde(skip)]
    pub problem: Option<String>,
    /// The architecture panel is folded away (it shows by default).
    pub hide_architecture: bool,
    #[serde(skip)]
    architecture: super::architecture::ArchitecturePanel,
    /// A data set download in flight, started from the missing-data panel.
    #[serde(skip)]
    pub fetching: Option<crate::studio::jobs::fetch::FetchJob>,
    /// Why the last download failed.
    #[serde(skip)]
    pub fetch_error: Option<String>,
    /// Where downloads come from; `None`: `$GAN_STUDIO_MIRRORS` or the public mirrors.
    #[serde(skip)]
    pub mirrors: Option<Vec<String>>,
    /// A safetensors export in flight.
    #[serde(skip)]
    pub exporting: Option<Receiver<Outcome<Vec<std::path::PathBuf>>>>,
    /// A file dialog choosing the picture folder, open on its own thread.
    #[serde(skip)]
    picking: Option<Receiver<Option<std::path::PathBuf>>>,
    /// The picture folder being read, to say what it holds before Start.
    #[serde(skip)]
    folder_scan: Option<(std::path::PathBuf, Receiver<Outcome<FolderSummary>>)>,
    /// What the last folder read found, and which folder it was.
    #[serde(skip)]
    pub folder_summary: Option<(std::path::PathBuf, Outcome<FolderSummary>)>,
    /// The tab trains CycleGAN (two sets of pictures) instead of a GAN family.
    pub cyclegan_mode: bool,
    pub cyclegan: super::cyclegan::CycleGanPanel,
}

/// What a data set's download weighs, for the button's tooltip.
fn download_size(kind: crate::data::DatasetKind) -> &'static str {
    use crate::data::DatasetKind;
    match kind {
        DatasetKind::Mnist => "About 11 MB",
        DatasetKind::Fashion => "About 30 MB",
        DatasetKind::Cifar10 => "About 170 MB",
        DatasetKind::Folder => "Nothing",
    }
}

/// "A run of this name exists": it can be continued, or the new one can take a free name.
#[derive(Clone, Debug)]
pub struct NameConflict {
    pub name: String,
    pub step: usize,
    pub total_steps: usize,
    /// Steps remain, or it stopped before its first checkpoint (continuing starts it over).
    pub can_continue: bool,
    pub free_name: String,
}

/// The run being trained (or the last one shown), as the worker reports it.
#[derive(Default)]
pub struct Live {
    pub job: Option<TrainingJob>,
    pub run: String,
    pub history: Vec<StepMetrics>,
    pub first_step: usize,
    pub total_steps: usize,
    pub paused: bool,
    pub status: String,
    pub samples: DigitGrid,
    pub samples_step: usize,
    /// What the job did other than asked (a PCA with fewer components), kept for the status.
    pub note: Option<String>,
}

impl Live {
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The step reached: the last logged one, else where the run started.
    pub fn step(&self) -> usize {
        self.history.last().map_or(self.first_step, |m| m.step)
    }
}

/// Most messages drained per frame, so a burst never stalls a frame.
const DRAIN_BUDGET: std::time::Duration = std::time::Duration::from_millis(4);

/// Where the studio's training messages go in the bottom bar.
const SOURCE: &str = "training";

/// `name`, or `name-2`, `name-3`, ... : the first that names no run in `runs_dir`.
fn free_run_name(runs_dir: &std::path::Path, name: &str) -> String {
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = base.strip_suffix('-').unwrap_or(name);
    (2..)
        .map(|k| format!("{base}-{k}"))
        .find(|candidate| !runs_dir.join(candidate).exists())
        .unwrap_or_else(|| format!("{name}-new"))
}

impl TrainingTab {
    /// Reads what the worker sent since the last frame.
    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        self.cyclegan.drain(shared);
        self.drain_reopen(shared);
        if let Some(rx) = &self.exporting
            && let Ok(outcome) = rx.try_recv()
        {
            self.exporting = None;
            match outcome {
                Ok(files) => {
                    let folder = files
                        .first()
                        .and_then(|f| f.parent())
                        .map(|f| f.display().to_string())
                        .unwrap_or_default();
                    shared.notices.info(
                        "export",
                        format!("exported safetensors and config.json for PyTorch into {folder}"),
                    );
                }
                Err(e) => shared
                    .notices
                    .error("export", format!("export failed: {e}")),
            }
        }
        let Some(job) = &self.live.job else { return };
        let started = std::time::Instant::now();
        let mut messages = Vec::new();
        while started.elapsed() < DRAIN_BUDGET {
            let Ok(message) = job.messages.try_recv() else {
                break;
            };
            messages.push(message);
        }
        let mut finished = false;
        for message in messages {
            let live = &mut self.live;
            match message {
                Message::History(mut history) => {
                    thin_history(&mut history);
                    live.history = history;
                }
                Message::Started {
                    run,
                    first_step,
                    total_steps,
                } => {
                    live.run = run;
                    live.first_step = first_step;
                    live.total_steps = total_steps;
                    live.status = if first_step > 0 {
                        format!("training {}: continued from step {first_step}", live.run)
                    } else {
                        format!("training {}", live.run)
                    };
                    self.runs_scanned = false;
                }
                Message::Step(metrics) => {
                    live.history.push(metrics);
                    thin_history(&mut live.history);
                }
                Message::Samples {
                    step,
                    pixels,
                    gpu,
                    count,
                    side,
                    cols,
                } => {
                    match (gpu, &shared.compute.render) {
                        (Some(gpu), Some(render)) => {
                            live.samples.set_gpu(*gpu, pixels, side, cols, render)
                        }
                        _ => live.samples.set(pixels, count, side, cols),
                    }
                    live.samples_step = step;
                }
                Message::Checkpoint { step } => {
                    live.status = format!("training {}: checkpoint at step {step}", live.run)
                }
                Message::Paused(paused) => live.paused = paused,
                Message::Note(note) => live.note = Some(note),
                Message::Finished { stopped, step } => {
                    live.status = if live.total_steps == 0 && !stopped {
                        // Fitted in closed form (PCA): there were no steps; the note, when
                        // there is one, says what was fitted.
                        match live.note.take() {
                            Some(note) => format!("{}: {note}", live.run),
                            None => format!("{}: fitted", live.run),
                        }
                    } else {
                        format!(
                            "{}: {} at step {step}{}",
                            live.run,
                            if stopped { "stopped" } else { "finished" },
                            if stopped {
                                " (Continue resumes it)"
                            } else {
                                ""
                            }
                        )
                    };
                    if let Some(note) = &live.note {
                        live.status = format!("{}; {note}", live.status);
                    }
                    shared.notices.info(SOURCE, live.status.clone());
                    finished = true;
                }
                Message::Failed(error) => {
                    live.status = format!("{}: training failed", live.run);
                    shared
                        .notices
                        .error(SOURCE, format!("training failed: {error}"));
                    self.problem = Some(error);
                    finished = true;
                }
            }
        }
        if finished {
            self.live.job = None;
            self.live.paused = false;
            self.runs_scanned = false;
        }
    }

    fn drain_reopen(&mut self, shared: &mut Shared<'_>) {
        let Some(rx) = &self.reopening else { return };
        let Ok(outcome) = rx.try_recv() else { return };
        self.reopening = None;
        match outcome {
            Ok(run) => {
                let mut live = Live {
                    status: if run.total_steps == 0 {
                        format!("{}: fitted", run.run)
                    } else {
                        format!(
                            "{}: step {} of {} (not training)",
                            run.run, run.step, run.total_steps
                        )
                    },
                    run: run.run,
                    first_step: run.step,
                    total_steps: run.total_steps,
                    history: {
                        let mut history = run.history;
                        thin_history(&mut history);
                        history
                    },
                    samples_step: run.step,
                    ..Live::default()
                };
                if let Some((pixels, count, side, cols)) = run.samples {
                    live.samples.set(pixels, count, side, cols);
                }
                self.live = live;
            }
            Err(e) => {
                shared
                    .notices
                    .error(SOURCE, format!("cannot open the run: {e}"));
                self.last_run = None;
            }
        }
    }

    /// Shows run `name` (its curves and grid) without training it.
    pub fn open_run(&mut self, name: &str, shared: &mut Shared<'_>) {
        if self.live.is_running() {
            return;
        }
        let (device, _) = shared.compute.explorer();
        self.last_run = Some(name.to_owned());
        self.live.status = format!("opening {name}...");
        self.reopening = Some(crate::studio::jobs::training::reopen(
            shared.runs_dir.clone(),
            name.to_owned(),
            device,
            shared.waker.clone(),
        ));
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        egui::Panel::top("training-mode")
            .frame(crate::studio::widgets::clear_side(ui.style()))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Train");
                    ui.selectable_value(&mut self.cyclegan_mode, false, "a GAN family")
                        .on_hover_text("Generate pictures of a data set's classes");
                    ui.selectable_value(&mut self.cyclegan_mode, true, "CycleGAN")
                        .on_hover_text("Translate between two unpaired sets of pictures");
                });
            });
        if self.cyclegan_mode {
            self.cyclegan.ui(ui, shared, self.live.is_running());
            return;
        }
        if !self.runs_scanned {
            self.runs = list_runs(shared.runs_dir);
            self.runs_scanned = true;
        }
        if !self.reopened_at_launch {
            self.reopened_at_launch = true;
            if let Some(name) = self
                .last_run
                .clone()
                .filter(|_| self.live.history.is_empty())
                && self.runs.iter().any(|r| r.name == name)
            {
                self.open_run(&name, shared);
            }
        }
        egui::Panel::left("training-options")
            .frame(crate::studio::widgets::clear_side(ui.style()))
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.controls_ui(ui, shared);
                    ui.separator();
                    self.runs_ui(ui, shared);
                    ui.separator();
                    ui.add_enabled_ui(!self.live.is_running(), |ui| {
                        let classifiers: Vec<String> = super::classifier_names(&self.runs)
                            .map(str::to_owned)
                            .collect();
                        options_ui(ui, &mut self.form, &classifiers, shared.runs_dir);
                    });
                });
            });
        if !self.hide_architecture {
            // At most a quarter of a small window, so the curves and samples keep their room.
            let widest = (ui.available_width() * 0.25).max(220.0);
            egui::Panel::right("training-architecture")
                .frame(crate::studio::widgets::clear_side(ui.style()))
                .resizable(true)
                .default_size(300.0_f32.min(widest))
                .max_size(widest.max(300.0).min(ui.available_width() * 0.4))
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("training-architecture")
                        .show(ui, |ui| {
                            self.architecture
                                .ui(ui, &self.form, self.live.is_running(), shared);
                        });
                });
        }
        egui::CentralPanel::default()
            .frame(crate::studio::widgets::clear_central(ui.style()))
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("training-live")
                    .show(ui, |ui| self.live_ui(ui, shared));
            });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        ui.heading("Run");
        ui.horizontal(|ui| {
            let name = ui.label("Name");
            let edit = ui
                .add_enabled(
                    !self.live.is_running(),
                    egui::TextEdit::singleline(&mut self.form.run_name).desired_width(160.0),
                )
                .labelled_by(name.id);
            if edit.changed() {
                self.conflict = None;
            }
        });
        ui.horizontal(|ui| {
            if self.live.is_running() {
                let label = if self.live.paused { "Resume" } else { "Pause" };
                if ui.button(label).clicked()
                    && let Some(job) = &self.live.job
                {
                    job.send(if self.live.paused {
                        Command::Resume
                    } else {
                        Command::Pause
                    });
                }
                if ui
                    .button("Stop")
                    .on_hover_text("Stop after this step and write a checkpoint")
                    .clicked()
                    && let Some(job) = &self.live.job
                {
                    job.send(Command::Stop);
                    self.live.status = format!("{}: stopping...", self.live.run);
                }
            } else if ui
                .add_enabled(
                    !self.cyclegan.is_running(),
                    egui::Button::new("Start training"),
                )
                .on_hover_text("Start a new run with these options")
                .on_disabled_hover_text("A CycleGAN run is training")
                .clicked()
            {
                self.start(shared, false);
            }
        });
        let mut shown = !self.hide_architecture;
        ui.checkbox(&mut shown, "Show the architecture")
            .on_hover_text(
                "The networks these options build, layer by layer, with a measured step time",
            );
        self.hide_architecture = !shown;
        self.conflict_ui(ui, shared);
    }

    /// The offer shown when Start met an existing run.
    fn conflict_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        let Some(conflict) = self.conflict.clone() else {
            return;
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.add(
                egui::Label::new(format!(
                    "A run named \"{}\" already exists (step {} of {}).",
                    conflict.name, conflict.step, conflict.total_steps
                ))
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                let can_continue = conflict.can_continue;
                if ui
                    .add_enabled(can_continue, egui::Button::new("Continue it"))
                    .on_hover_text("Go on training that run from its latest checkpoint")
                    .on_disabled_hover_text("That run has finished all its steps")
                    .clicked()
                {
                    self.conflict = None;
                    self.start(shared, true);
                }
                if ui
                    .button(format!("Start as \"{}\"", conflict.free_name))
                    .on_hover_text("Start a new run with these options under a free name")
                    .clicked()
                {
                    self.form.run_name = conflict.free_name.clone();
                    self.conflict = None;
                    self.start(shared, false);
                }
                if ui.button("Cancel").clicked() {
                    self.conflict = None;
                }
            });
        });
    }

    /// Starts a new run from the form, or continues the named run.
    pub fn start(&mut self, shared: &mut Shared<'_>, resume: bool) {
        let mut config = self.form.config.clone();
        config.max_steps = (self.form.max_steps > 0).then_some(self.form.max_steps);
        config.train_limit = (self.form.train_limit > 0).then_some(self.form.train_limit);
        // The checkboxes stay ticked across family changes but only apply where D reads labels
        // (projection: where its conv D can project them).
        let family = config.gan.model.family();
        config.mismatch &= family.discriminator_reads_labels();
        config.gan.projection_discriminator &= family.discriminator_projects_labels();
        let name = self.form.run_name.trim().to_owned();
        shared.notices.clear(SOURCE);
        self.problem = None;
        if !resume {
            if let Err(e) = config.validate() {
                self.problem = Some(format!("{e:#}"));
                return;
            }
            // Starting over an existing run would fail in the worker and lose the view of
            // what is shown: offer to continue it or to use another name instead.
            if shared.runs_dir.join(&name).join("config.json").is_file() {
                let summary = self.runs.iter().find(|r| r.name == name);
                self.conflict = Some(NameConflict {
                    step: summary.map_or(0, |r| r.step),
                    total_steps: summary.map_or(0, |r| r.total_steps),
                    can_continue: summary
                        .is_some_and(|r| !r.has_checkpoint || r.step < r.total_steps),
                    free_name: free_run_name(shared.runs_dir, &name),
                    name,
                });
                return;
            }
        }
        let (device, label) = shared.compute.training();
        self.conflict = None;
        self.last_run = Some(name.clone());
        self.reopening = None;
        self.live = Live {
            run: name.clone(),
            status: if resume {
                format!("continuing {name} on {label}...")
            } else {
                format!("starting {name} on {label}...")
            },
            ..Live::default()
        };
        self.live.job = Some(TrainingJob::spawn(
            Request {
                config,
                runs_dir: shared.runs_dir.clone(),
                run: name,
                resume,
                data_dir: shared.data_dir.clone(),
                display: shared.compute.display_for(&device),
                device,
            },
            shared.waker.clone(),
            shared.progress_waker.clone(),
        ));
    }

    fn runs_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        ui.horizontal(|ui| {
            ui.heading("Runs");
            if ui
                .small_button("Refresh")
                .on_hover_text("Scan the runs folder again")
                .clicked()
            {
                self.runs_scanned = false;
            }
        });
        let trainable: Vec<&RunSummary> = self.runs.iter().filter(|r| !r.is_classifier).collect();
        if trainable.is_empty() {
            ui.add(
                egui::Label::new(format!("No runs yet in {}", shared.runs_dir.display())).wrap(),
            );
            return;
        }
        let mut resume = None;
        let mut open = None;
        let mut export = None;
        egui::ScrollArea::vertical()
            .id_salt("runs-list")
            .max_height(180.0)
            .show(ui, |ui| {
                egui::Grid::new("runs-list").striped(true).show(ui, |ui| {
                    for run in &trainable {
                        if let Some(problem) = &run.problem {
                            ui.label(&run.name);
                            ui.colored_label(ui.visuals().error_fg_color, "unreadable")
                                .on_hover_text(problem);
                            ui.end_row();
                            continue;
                        }
                        let shown = self.live.run == run.name;
                        if ui
                            .selectable_label(shown, &run.name)
                            .on_hover_text(format!("{}: show its curves and samples", run.model))
                            .clicked()
                        {
                            open = Some(run.name.clone());
                        }
                        let state = if self.live.is_running() && self.live.run == run.name {
                            "training".to_owned()
                        } else if !run.has_checkpoint {
                            "no checkpoint yet".to_owned()
                        } else if run.total_steps > 0 && run.step >= run.total_steps {
                            "finished".to_owned()
                        } else if run.total_steps == 0 && run.model == ModelKind::Pca.name() {
                            // PCA is fitted in one go: it has no steps to count.
                            "fitted".to_owned()
                        } else {
                            format!("{}/{}", run.step, run.total_steps)
                        };
                        ui.label(state);
                        let can_resume = !self.live.is_running()
                            && (!run.has_checkpoint || run.step < run.total_steps);
                        if ui
                            .add_enabled(can_resume, egui::Button::new("Continue").small())
                            .on_hover_text("Continue this run from its latest checkpoint")
                            .clicked()
                        {
                            resume = Some(run.name.clone());
                        }
                        if ui
                            .add_enabled(
                                self.exporting.is_none() && run.has_checkpoint,
                                egui::Button::new("Export").small(),
                            )
                            .on_hover_text(
                                "Write the generator as safetensors with a config.json that a \
                                 PyTorch module of the same architecture loads \
                                 (bench/torch_models.py), into the export folder",
                            )
                            .clicked()
                        {
                            export = Some(run.name.clone());
                        }
                        ui.end_row();
                    }
                });
            });
        if let Some(name) = export {
            let out = shared.export.folder.join(format!("{name}-safetensors"));
            self.exporting = Some(crate::studio::jobs::export::spawn(
                shared.runs_dir.clone(),
                name,
                out,
                shared.waker.clone(),
            ));
        }
        if let Some(name) = resume {
            self.form.run_name = name;
            self.start(shared, true);
        } else if let Some(name) = open {
            self.open_run(&name, shared);
        }
    }

    fn live_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        self.missing_data_ui(ui, shared);
        if let Some(problem) = &self.problem {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(problem).color(ui.visuals().error_fg_color),
                    )
                    .wrap(),
                );
            });
        }
        let live = &mut self.live;
        let step = live.step();
        ui.horizontal_wrapped(|ui| {
            ui.label(if live.status.is_empty() {
                "Not training. Set the options on the left and press Start training."
            } else {
                &live.status
            });
            if live.paused {
                ui.strong("paused");
            }
        });
        if live.total_steps > 0 || live.is_running() {
            crate::studio::widgets::progress_ui(
                ui,
                step as f32 / live.total_steps.max(1) as f32,
                &format!("step {step} / {}", live.total_steps),
                live.is_running() && !live.paused,
            );
        }
        if let Some(last) = live.history.last() {
            ui.label(format!(
                "D loss {:.3} · G loss {:.3} · D(x) {:.2} · D(G(z)) {:.2} · {:.0} s",
                last.d_loss, last.g_loss, last.d_real, last.d_fake, last.elapsed_secs
            ));
        }
        let width = ui.available_width();
        let plot_width = (width * 0.58).max(200.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(plot_width);
                if live.history.is_empty() {
                    ui.add_space(8.0);
                    // A fitted model (PCA) shown: it had no steps, so it has no curves.
                    ui.weak(
                        if live.total_steps == 0 && !live.is_running() && !live.samples.is_empty() {
                            "Fitted in closed form: no training curves. Its samples are on the \
                             right, its components in the explorer."
                        } else {
                            "The losses, D outputs and gradient norms appear here with the first \
                             step."
                        },
                    );
                } else {
                    curves::smoothing_ui(ui, &mut self.smoothing);
                    let key = HistoryKey::of(&live.run, &live.history, self.smoothing);
                    if self.plotted.as_ref().is_none_or(|(k, _)| *k != key) {
                        let plots =
                            crate::export::curves::training(&live.history, self.smoothing.0);
                        self.plotted = Some((key, plots));
                    }
                    if let Some((_, plots)) = &self.plotted {
                        for (k, (plot, export)) in
                            plots.iter().zip(&mut self.plot_exports).enumerate()
                        {
                            // D's outputs are probabilities: their axis always shows [0, 1].
                            let include: &[f64] = if k == 1 { &[0.0, 1.0] } else { &[] };
                            curves::show(ui, plot, plot_width, include, export, shared);
                        }
                    }
                }
            });
            ui.vertical(|ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("Fixed-noise samples (step {})", live.samples_step));
                    if !live.samples.is_empty() {
                        self.export
                            .button(ui, shared.export, "training-samples.png");
                    }
                });
                let side = ui.available_width().min(420.0);
                if live
                    .samples
                    .show(ui, "training-samples", egui::vec2(side, side))
                    .is_none()
                {
                    ui.weak("The grid appears at the first sample step.");
                }
            });
        });
        self.export.window(
            ui.ctx(),
            "training samples",
            &self.live.samples,
            shared.export,
            shared.notices,
        );
    }
}

impl TrainingTab {
    /// The picture folder a run trains on: a path field, folder and tarball pickers, and what
    /// the path holds (read on a worker as soon as it looks like pictures) or what is wrong
    /// with it. What it holds sets the form's picture shape and classes, so the architecture
    /// panel draws the networks that will train.
    fn picture_folder_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        if let Some(rx) = &self.picking
            && let Ok(choice) = rx.try_recv()
        {
            if let Some(path) = choice {
                self.form.config.data_path = Some(path);
            }
            self.picking = None;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label("Your pictures: train/<class>/*.png|jpg (and test/<class>/), or a .tar / .tar.gz of them");
            let mut text = self
                .form
                .config
                .data_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            ui.horizontal(|ui| {
                if ui
                    .add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text("folder or tarball")
                            .desired_width(260.0),
                    )
                    .changed()
                {
                    self.form.config.data_path =
                        (!text.trim().is_empty()).then(|| std::path::PathBuf::from(text.trim()));
                }
                let idle = self.picking.is_none();
                if ui.add_enabled(idle, egui::Button::new("Folder…")).clicked() {
                    self.picking = pick_path(ui.ctx(), false);
                }
                if ui.add_enabled(idle, egui::Button::new("Tarball…")).clicked() {
                    self.picking = pick_path(ui.ctx(), true);
                }
            });
            match self.form.config.data_path.clone() {
                None => {
                    ui.weak("Choose where your pictures are.");
                }
                Some(path) if !crate::data::DatasetKind::Folder.present_in(&path) => {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} is not a tarball or a folder with train/ in it",
                            path.display()
                        ),
                    );
                }
                Some(path) => self.folder_summary_ui(ui, shared, path),
            }
        });
    }

    /// What the picture folder at `path` holds: read once per path, on a worker.
    fn folder_summary_ui(
        &mut self,
        ui: &mut egui::Ui,
        shared: &mut Shared<'_>,
        path: std::path::PathBuf,
    ) {
        if let Some((scanned, rx)) = &self.folder_scan
            && let Ok(outcome) = rx.try_recv()
        {
            self.folder_summary = Some((scanned.clone(), outcome));
            self.folder_scan = None;
        }
        let known = self
            .folder_summary
            .as_ref()
            .is_some_and(|(p, _)| *p == path);
        let reading = self.folder_scan.as_ref().is_some_and(|(p, _)| *p == path);
        if !known && !reading {
            let rx = crate::studio::jobs::picture_scan::spawn(path.clone(), shared.waker.clone());
            self.folder_scan = Some((path.clone(), rx));
        }
        match &self.folder_summary {
            Some((scanned, Ok(summary))) if *scanned == path => {
                ui.label(summary.describe());
                for note in &summary.notes {
                    ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
                }
                // The limit counts too: it takes the first N pictures.
                let usable = match self.form.train_limit {
                    0 => summary.train,
                    limit => summary.train.min(limit),
                };
                if usable < self.form.config.batch_size {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Fewer pictures to train on than one batch of {}: set Batch size \
                             to at most {usable}.",
                            self.form.config.batch_size
                        ),
                    );
                }
                let gan = &mut self.form.config.gan;
                (gan.channels, gan.image_size, gan.num_classes) =
                    (summary.channels, summary.side, summary.class_names.len());
            }
            Some((scanned, Err(problem))) if *scanned == path => {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(problem).color(ui.visuals().warn_fg_color),
                    )
                    .wrap(),
                );
            }
            _ => {
                ui.horizontal(|ui| {
                    crate::studio::widgets::spinner(ui);
                    ui.weak("reading the pictures...");
                });
            }
        }
        ui.weak(
            "Pictures are scaled by their shorter side and centre-cropped to 32x32 (64x64 \
             when they are larger).",
        );
    }

    /// When the chosen data set is not in the data folder: say so in the window and offer the
    /// ways to get it (download with checksums and a Cancel, another folder, the system package).
    fn missing_data_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        use crate::data::DatasetKind;
        use crate::data::dataset::resolve_data_dir;
        let kind = self.form.config.dataset;
        if kind == DatasetKind::Folder {
            return self.picture_folder_ui(ui, shared);
        }
        let target = shared.data_dir.join(kind.folder());
        if let Some(job) = &self.fetching
            && let Ok(outcome) = job.done.try_recv()
        {
            match outcome {
                Ok(_) => {
                    shared.notices.info(
                        SOURCE,
                        format!("downloaded {} into {}", kind.title(), target.display()),
                    );
                    self.problem = None;
                    self.fetch_error = None;
                }
                Err(e) => self.fetch_error = Some(e),
            }
            self.fetching = None;
        }
        let dir = resolve_data_dir(Some(shared.data_dir), kind);
        if kind.present_in(&dir) && self.fetching.is_none() {
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.add(
                egui::Label::new(format!(
                    "{} is not in the data folder {}.",
                    kind.title(),
                    shared.data_dir.display()
                ))
                .wrap(),
            );
            let remote = crate::data::fetch::remote_set(kind);
            match (&self.fetching, remote) {
                (Some(job), _) => {
                    use std::sync::atomic::Ordering;
                    let bytes = job.status.bytes.load(Ordering::Relaxed);
                    let len = job.status.len.load(Ordering::Relaxed);
                    let file = job
                        .status
                        .file
                        .lock()
                        .map(|f| f.clone())
                        .unwrap_or_default();
                    ui.horizontal(|ui| {
                        crate::studio::widgets::progress_ui(
                            ui,
                            if len > 0 {
                                bytes as f32 / len as f32
                            } else {
                                0.0
                            },
                            &format!(
                                "{file}: {} of {}",
                                crate::model::summary::format_bytes(bytes),
                                crate::model::summary::format_bytes(len)
                            ),
                            true,
                        );
                    });
                    if ui.button("Cancel download").clicked() {
                        job.cancel();
                    }
                }
                (None, Some((files, defaults))) => {
                    let mirrors = self
                        .mirrors
                        .clone()
                        .unwrap_or_else(|| crate::studio::jobs::fetch::mirrors_from_env(&defaults));
                    if ui
                        .button(format!("Download {}", kind.title()))
                        .on_hover_text(format!(
                            "{} into {}, from {}; every file is checked against its published \
                             checksum before it is kept",
                            download_size(kind),
                            target.display(),
                            mirrors.first().map_or("no mirror", String::as_str)
                        ))
                        .clicked()
                    {
                        self.fetch_error = None;
                        self.fetching = Some(crate::studio::jobs::fetch::FetchJob::spawn(
                            target.clone(),
                            files,
                            mirrors,
                            shared.waker.clone(),
                            shared.progress_waker.clone(),
                        ));
                    }
                }
                (None, None) => {}
            }
            if let Some(system) = kind.system_folder() {
                ui.add(
                    egui::Label::new(format!(
                        "On Debian and Ubuntu, `apt install dataset-{}` installs it in {}, \
                         where the studio looks by itself.",
                        kind.folder(),
                        system.display()
                    ))
                    .wrap(),
                );
            }
            ui.weak("Or choose the folder that holds it under Settings > Data folder.");
            if let Some(error) = &self.fetch_error {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("Download failed: {error}"))
                            .color(ui.visuals().error_fg_color),
                    )
                    .wrap(),
                );
            }
        });
    }
}

/// Opens a folder (or, with `tarball`, a .tar/.tar.gz) picker on its own thread, so the window
/// keeps drawing while it is open; the receiver gets the choice.
pub(crate) fn pick_path(
    ctx: &egui::Context,
    tarball: bool,
) -> Option<Receiver<Option<std::path::PathBuf>>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let ctx = ctx.clone();
    std::thread::Builder::new()
        .name("picture-folder-dialog".into())
        .spawn(move || {
            let dialog = rfd::FileDialog::new();
            let choice = if tarball {
                dialog
                    .add_filter("tar archive", &["tar", "gz", "tgz"])
                    .pick_file()
            } else {
                dialog.pick_folder()
            };
            let _ = tx.send(choice);
            ctx.request_repaint();
        })
        .ok()
        .map(|_| rx)
}

/// What identifies a history's plotted curves: the run, how many steps it holds and its first
/// and last (thinning the history changes the count; a step arriving, the last), and the
/// smoothing they were drawn with.
#[derive(Clone, Debug, PartialEq)]
struct HistoryKey {
    run: String,
    len: usize,
    first: Option<usize>,
    last: Option<(usize, u64)>,
    smoothing: u32,
}

impl HistoryKey {
    fn of(run: &str, history: &[StepMetrics], smoothing: Smoothing) -> Self {
        Self {
            run: run.to_owned(),
            len: history.len(),
            first: history.first().map(|m| m.step),
            last: history.last().map(|m| (m.step, m.elapsed_secs.to_bits())),
            smoothing: smoothing.0.to_bits(),
        }
    }
}

/// Steps kept in a live history: an overnight run logs hundreds of thousands.
const HISTORY_CAP: usize = 8192;

/// Keeps `history` (in step order) within [`HISTORY_CAP`] entries, so memory stays flat however
/// long a run trains: past the cap, the newest half stays whole and the steps before it keep one
/// step per range of `stride` steps, the range a power of two wide enough for a quarter of the
/// cap to span the run (ranges aligned to the step number, so a stretch thinned before keeps its
/// steps and the whole run stays evenly spread). Each range keeps the step whose losses stand
/// furthest from their recent level, so a one-step loss spike outlives the thinning. The first
/// step always stays. Amortised O(1) per step: a pass every quarter of the cap.
pub fn thin_history(history: &mut Vec<StepMetrics>) {
    if history.len() <= HISTORY_CAP {
        return;
    }
    let recent = history.split_off(history.len() - HISTORY_CAP / 2);
    let mut older = std::mem::take(history).into_iter();
    let mut kept = Vec::with_capacity(HISTORY_CAP);
    let Some(first) = older.next() else {
        *history = recent;
        return;
    };
    let end = recent.first().map_or(first.step, |m| m.step);
    let mut stride = 1;
    while end.saturating_sub(first.step).div_ceil(stride) > HISTORY_CAP / 4 {
        stride *= 2;
    }
    // The losses' recent level: a moving average that one spike moves by a quarter of its
    // height, so the steps after it are still read against the trend, not the spike.
    let mut level = [first.d_loss, first.g_loss];
    kept.push(first);
    // The range being read, its best step so far and how far that step stands from the level.
    let mut best: Option<(usize, StepMetrics, f32)> = None;
    for m in older {
        let [d, g] = level;
        // A NaN compares false: the range keeps the step it had.
        let apart = (m.d_loss - d).abs() + (m.g_loss - g).abs();
        for (level, loss) in level.iter_mut().zip([m.d_loss, m.g_loss]) {
            if loss.is_finite() {
                *level = 0.75 * *level + 0.25 * loss;
            }
        }
        let range = m.step / stride;
        match &mut best {
            Some((at, step, furthest)) if *at == range => {
                if apart > *furthest {
                    (*step, *furthest) = (m, apart);
                }
            }
            _ => {
                kept.extend(best.take().map(|(_, step, _)| step));
                best = Some((range, m, apart));
            }
        }
    }
    kept.extend(best.map(|(_, step, _)| step));
    kept.extend(recent);
    *history = kept;
}

/// One labelled row of an options grid; the label names the widget for screen readers and tests.
pub fn row(
    ui: &mut egui::Ui,
    label: &str,
    tip: &str,
    add: impl FnOnce(&mut egui::Ui) -> egui::Response,
) -> egui::Response {
    let mut name = ui.label(label);
    if !tip.is_empty() {
        name = name.on_hover_text(tip);
    }
    let response = add(ui).labelled_by(name.id);
    ui.end_row();
    response
}

fn combo<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    id: &str,
    value: &mut T,
    choices: &[(T, &str)],
) -> egui::Response {
    let choices: Vec<(T, &str, &str)> = choices.iter().map(|&(c, n)| (c, n, "")).collect();
    combo_with_tips(ui, id, value, &choices)
}

/// A combo box whose choices each carry a tooltip (empty: none).
fn combo_with_tips<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    id: &str,
    value: &mut T,
    choices: &[(T, &str, &str)],
) -> egui::Response {
    let current = choices
        .iter()
        .find(|(c, _, _)| c == value)
        .map_or("?", |(_, name, _)| *name);
    egui::ComboBox::from_id_salt(id)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (choice, name, tip) in choices {
                let item = ui.selectable_value(value, *choice, *name);
                if !tip.is_empty() {
                    item.on_hover_text(*tip);
                }
            }
        })
        .response
}

/// Every engine option, with a tooltip saying what it does.
/// `classifiers`: classifier runs under `runs_dir`, for a guided family's guide.
fn options_ui(
    ui: &mut egui::Ui,
    form: &mut TrainingForm,
    classifiers: &[String],
    runs_dir: &std::path::Path,
) {
    let TrainingForm {
        config,
        max_steps,
        train_limit,
        ..
    } = form;
    ui.heading("Options");
    egui::Grid::new("training-options-grid")
        .num_columns(2)
        .show(ui, |ui| {
            row(ui, "Dataset", "", |ui| {
                combo(
                    ui,
                    "dataset",
                    &mut config.dataset,
                    &[
                        (DatasetKind::Mnist, "MNIST"),
                        (DatasetKind::Fashion, "Fashion-MNIST"),
                        (DatasetKind::Cifar10, "CIFAR-10"),
                        (DatasetKind::Folder, "Your pictures"),
                    ],
                )
            });
            // The architecture panel draws the networks for the chosen set's pictures (a
            // picture folder's shape is known once it loads, at Start training).
            if let Some((channels, side, classes)) = config.dataset.known_shape() {
                let gan = &mut config.gan;
                (gan.channels, gan.image_size, gan.num_classes) = (channels, side, classes);
            }
            let model_before = config.gan.model;
            let gan = &mut config.gan;
            let families: Vec<(ModelKind, &str, &str)> = crate::family::all()
                .map(|(kind, family)| (kind, family.name(), family.about()))
                .collect();
            row(
                ui,
                "Model",
                "The GAN family; hover over each for what it does and its paper. Choosing \
                 one brings its best measured recipe (depth, steps, matching-aware D, \
                 generator learning rate, latent size, warp of D's inputs, InfoGAN's pairs \
                 of real neighbours), except for values you changed",
                |ui| combo_with_tips(ui, "model", &mut gan.model, &families),
            )
            .on_hover_text(gan.model.family().about());
            if gan.model != model_before {
                // The new family's recipe replaces the old one's, but not a value the user set.
                let (old, new) = (model_before.family().recipe(), gan.model.family().recipe());
                if gan.latent_dim == old.latent_dim {
                    gan.latent_dim = new.latent_dim;
                }
                if config.lr_generator == old.lr_generator {
                    config.lr_generator = new.lr_generator;
                }
                if gan.depth == old.depth {
                    gan.depth = new.depth;
                }
                if *max_steps == old.steps {
                    *max_steps = new.steps;
                }
                if config.mismatch == old.mismatch {
                    config.mismatch = new.mismatch;
                }
                if config.warp() == old.warp {
                    config.set_warp(new.warp);
                }
                let gan = &mut config.gan;
                if (gan.info_pair_weight, gan.info_pair_neighbours) == old.pairs {
                    (gan.info_pair_weight, gan.info_pair_neighbours) = new.pairs;
                }
                if gan.info_pair_deskew == old.pair_deskew {
                    gan.info_pair_deskew = new.pair_deskew;
                }
                if gan.info_codes_unwarped == old.codes_unwarped {
                    gan.info_codes_unwarped = new.codes_unwarped;
                }
            }
            let gan = &mut config.gan;
            if gan.model.family().guided() {
                let guide = &mut config.guide_classifier;
                row(
                    ui,
                    "Guide classifier",
                    "The frozen classifier whose cross-entropy on G's samples G also minimises. \
                     Score the run with a different one: scores by the guide are self-fulfilling",
                    |ui| {
                        let shown = guide
                            .as_ref()
                            .and_then(|p| p.file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "bundled (data set)".into());
                        egui::ComboBox::from_id_salt("guide-classifier")
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(guide, None, "bundled (data set)");
                                for name in classifiers {
                                    ui.selectable_value(guide, Some(runs_dir.join(name)), name);
                                }
                            })
                            .response
                    },
                );
            }
            let gan = &mut config.gan;
            // The options only this family reads, as it describes them.
            for option in gan.model.family().options() {
                row(ui, option.label, option.tip, |ui| match option.field {
                    OptionField::Flag(field) => ui.checkbox(field(gan), ""),
                    OptionField::Weight(field) => ui.add(
                        egui::DragValue::new(field(gan))
                            .range(0.0..=10.0)
                            .speed(0.01),
                    ),
                    OptionField::Count(field, most) => {
                        ui.add(egui::DragValue::new(field(gan)).range(0..=most))
                    }
                });
            }
            if !gan.model.family().adversarial() {
                // Fitted in closed form (PCA): no networks to size, no optimiser, no steps.
                row(
                    ui,
                    "Principal components",
                    "Components per class, each a slider in the explorer; at most one fewer \
                     than the smallest class has training images (fewer are fitted, and said)",
                    |ui| ui.add(egui::DragValue::new(&mut gan.latent_dim).range(1..=512)),
                );
                row(
                    ui,
                    "Training images",
                    "Fit on the first N images only; 0 uses them all",
                    |ui| ui.add(egui::DragValue::new(train_limit).range(0..=60_000)),
                );
                ui.label("");
                ui.weak("Fitted in closed form: no steps, optimiser or discriminator");
                ui.end_row();
                return;
            }
            row(
                ui,
                "Depth",
                "Network size: shallow trains fastest, deep draws best",
                |ui| {
                    combo(
                        ui,
                        "depth",
                        &mut gan.depth,
                        &[
                            (Depth::Shallow, "shallow"),
                            (Depth::Medium, "medium"),
                            (Depth::Deep, "deep"),
                        ],
                    )
                },
            );
            row(ui, "Latent size", "Length of the noise vector z", |ui| {
                ui.add(egui::DragValue::new(&mut gan.latent_dim).range(2..=512))
            });
            let norms = [
                (NormKind::Batch, "batch"),
                (NormKind::Virtual, "virtual"),
                (NormKind::None, "none"),
            ];
            row(
                ui,
                "G normalisation",
                "batch: batch norm · virtual: normalise against a fixed reference batch, so one \
                 sample does not depend on the others in its batch · none",
                |ui| combo(ui, "g-norm", &mut gan.generator_norm, &norms),
            );
            row(
                ui,
                "D normalisation",
                "batch norm or none in the discriminator",
                |ui| combo(ui, "d-norm", &mut gan.discriminator_norm, &norms),
            );
            row(
                ui,
                "Dropout (D)",
                "Drop this share of D's activations: weakens an overconfident D",
                |ui| ui.add(egui::Slider::new(&mut gan.dropout, 0.0..=0.7)),
            );
            row(
                ui,
                "Real label target",
                "One-sided label smoothing: train D towards this value (e.g. 0.9) on real \
                 images instead of 1, so it never becomes certain",
                |ui| ui.add(egui::Slider::new(&mut config.real_target, 0.7..=1.0)),
            );
            row(
                ui,
                "D updates per step",
                "G:D update ratio: discriminator steps per round",
                |ui| ui.add(egui::DragValue::new(&mut config.d_updates).range(1..=10)),
            );
            row(
                ui,
                "G updates per step",
                "G:D update ratio: generator steps per round",
                |ui| ui.add(egui::DragValue::new(&mut config.g_updates).range(1..=10)),
            );
            for (label, tip, lr) in [
                (
                    "Learning rate G",
                    "Adam step size of the generator",
                    &mut config.lr_generator,
                ),
                (
                    "Learning rate D",
                    "Adam step size of the discriminator",
                    &mut config.lr_discriminator,
                ),
            ] {
                row(ui, label, tip, |ui| {
                    ui.add(
                        egui::DragValue::new(lr)
                            .range(1e-6..=1e-2)
                            .speed(1e-5)
                            .max_decimals(6),
                    )
                });
            }
            row(
                ui,
                "Adam beta1",
                "Momentum; 0.5 is the DCGAN choice, 0.9 makes GANs oscillate",
                |ui| ui.add(egui::Slider::new(&mut config.beta1, 0.0..=0.99)),
            );
            row(ui, "Adam beta2", "", |ui| {
                ui.add(egui::Slider::new(&mut config.beta2, 0.9..=0.9999))
            });
            row(ui, "Batch size", "", |ui| {
                ui.add(egui::DragValue::new(&mut config.batch_size).range(1..=1024))
            });
            row(
                ui,
                "Steps",
                "Optimiser steps to run; 0 trains for whole epochs instead",
                |ui| ui.add(egui::DragValue::new(max_steps).range(0..=1_000_000)),
            );
            row(ui, "Epochs", "Used when Steps is 0", |ui| {
                ui.add(egui::DragValue::new(&mut config.epochs).range(1..=200))
            });
            row(
                ui,
                "Training images",
                "Train on the first N images only (quick experiments); 0 uses them all",
                |ui| ui.add(egui::DragValue::new(train_limit).range(0..=60_000)),
            );
            row(
                ui,
                "Seed",
                "Same seed and options give the same run",
                |ui| ui.add(egui::DragValue::new(&mut config.seed)),
            );
            row(ui, "Sample every", "Steps between sample grids", |ui| {
                ui.add(egui::DragValue::new(&mut config.sample_every).range(1..=10_000))
            });
            row(
                ui,
                "Checkpoint every",
                "Steps between checkpoints (Stop always writes one)",
                |ui| ui.add(egui::DragValue::new(&mut config.checkpoint_every).range(1..=100_000)),
            );
            let gan = &mut config.gan;
            row(
                ui,
                "Label embedding",
                "Size of the learned label embedding of conditional models",
                |ui| ui.add(egui::DragValue::new(&mut gan.label_embedding).range(1..=256)),
            );
            row(
                ui,
                "Leaky ReLU slope (D)",
                "Negative slope of the discriminator's leaky ReLUs",
                |ui| ui.add(egui::Slider::new(&mut gan.leaky_slope, 0.0..=0.5)),
            );
            row(
                ui,
                "VBN reference rows",
                "Rows of the fixed reference batch that virtual batch norm normalises against",
                |ui| ui.add(egui::DragValue::new(&mut gan.reference_batch).range(1..=256)),
            );
            row(
                ui,
                "Loss limit",
                "A loss above this (or NaN) stops the run as diverged; the last checkpoint stays",
                |ui| ui.add(egui::DragValue::new(&mut config.loss_limit).range(1.0..=1e6)),
            );
        });
    if !config.gan.model.family().adversarial() {
        return; // the training switches below mean nothing to a fit
    }
    let reads_labels = config.gan.model.family().discriminator_reads_labels();
    ui.add_enabled(
        reads_labels,
        egui::Checkbox::new(&mut config.mismatch, "Matching-aware D"),
    )
    .on_hover_text(
        "Conditional models: also show D real images with wrong labels as fakes, so the \
         generator must obey its labels",
    )
    .on_disabled_hover_text("Only for families whose D reads the label (cgan, cdcgan)");
    ui.checkbox(&mut config.augment, "Shift real images")
        .on_hover_text("Move real images by up to 2 pixels: a cheap regulariser for D");
    ui.horizontal(|ui| {
        let mut ema = config.ema_decay.is_some();
        if ui
            .checkbox(&mut ema, "Average generator weights")
            .on_hover_text("Samples come from a moving average of G's weights: steadier digits")
            .changed()
        {
            config.ema_decay = ema.then_some(0.999);
        }
        if let Some(decay) = &mut config.ema_decay {
            let name = ui.label("decay");
            ui.add(
                egui::DragValue::new(decay)
                    .range(0.9..=0.99999)
                    .speed(1e-4)
                    .max_decimals(5),
            )
            .labelled_by(name.id);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Warp D's inputs").on_hover_text(
            "Distort every image D sees, real and generated, by a random turn, slant, \
             stroke width and size within ± these, differentiably, so G still draws \
             undistorted images (DiffAugment, Zhao et al. 2020); for InfoGAN, Q can then no \
             longer read a code from slant, stroke width or size. 0: off",
        );
        let limit = Distortion::LIMIT;
        for (name, value, max, speed) in [
            ("turn °", &mut config.warp_degrees, limit.degrees, 1.0),
            ("slant", &mut config.warp_shear, limit.shear, 0.01),
            ("strokes", &mut config.warp_stroke, limit.stroke, 0.01),
            ("size", &mut config.warp_scale, limit.scale, 0.01),
        ] {
            let name = ui.label(name);
            ui.add(egui::DragValue::new(value).range(0.0..=max).speed(speed))
                .labelled_by(name.id);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: usize) -> StepMetrics {
        StepMetrics::flat(step)
    }

    #[test]
    fn a_long_run_keeps_a_bounded_history_with_its_recent_steps_whole() {
        let mut history = Vec::new();
        let mut longest = 0;
        // Loss spikes at an odd and an even step, long before the newest steps.
        let spikes = [12_345, 54_320];
        for s in 1..=200_000 {
            let mut metrics = step(s);
            if spikes.contains(&s) {
                metrics.g_loss = 7.0;
            }
            history.push(metrics);
            thin_history(&mut history);
            longest = longest.max(history.len());
        }
        assert!(longest <= HISTORY_CAP, "{longest}");
        let steps: Vec<usize> = history.iter().map(|m| m.step).collect();
        for spike in spikes {
            assert!(
                steps.contains(&spike),
                "the spike at step {spike} was thinned away"
            );
        }
        // The whole run stays evenly spread: no stretch of it is left with a few steps (halving
        // the older half at every pass had left steps 1 to 55,000 with three).
        let widest = steps.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        assert!(
            widest <= 2 * 200_000 / (HISTORY_CAP / 4),
            "a gap of {widest} steps"
        );
        assert!(
            steps.len() >= HISTORY_CAP / 2 + HISTORY_CAP / 8,
            "{} steps",
            steps.len()
        );
        assert_eq!(steps[0], 1, "the first step stays");
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "in order");
        let recent = &steps[steps.len() - HISTORY_CAP / 2..];
        assert_eq!(
            recent,
            &(200_001 - HISTORY_CAP / 2..=200_000).collect::<Vec<_>>()[..],
            "the newest steps are all there"
        );
        // A short run is untouched.
        let mut short: Vec<StepMetrics> = (1..=500).map(step).collect();
        thin_history(&mut short);
        assert_eq!(short.len(), 500);
    }
}
