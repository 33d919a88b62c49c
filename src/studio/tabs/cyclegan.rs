//! The Training tab in CycleGAN mode: two domain pickers and CycleGAN's options on the left;
//! live curves of both adversarial losses, the cycle and identity losses, and the translation
//! grid of fixed held-out pictures as the run learns.

use std::sync::mpsc::Receiver;

use serde::{Deserialize, Serialize};

use super::Shared;
use crate::cyclegan::run::GRID_COLUMNS;
use crate::cyclegan::{CycleGanConfig, CycleStepMetrics, DomainRecord};
use crate::studio::jobs::cyclegan::{CycleJob, Message, Request};
use crate::studio::widgets::curves::{self, Smoothing};
use crate::studio::widgets::{DigitGrid, PlotExport};

/// Steps kept for the curves (every step; a CycleGAN run is thousands, not millions).
const HISTORY_CAP: usize = 20_000;

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct CycleGanPanel {
    pub run_name: String,
    pub domain_a: String,
    pub domain_b: String,
    pub steps: usize,
    pub batch_size: usize,
    pub image_size: usize,
    pub width: usize,
    pub residual_blocks: usize,
    pub residual_output: bool,
    pub lambda_cycle: f64,
    pub lambda_identity: f64,
    /// How much the curves are smoothed (a moving average's weight; 0: raw values).
    pub smoothing: Smoothing,
    #[serde(skip)]
    plot_exports: [PlotExport; 2],
    #[serde(skip)]
    job: Option<CycleJob>,
    #[serde(skip)]
    pub history: Vec<CycleStepMetrics>,
    #[serde(skip)]
    pub grid: DigitGrid,
    #[serde(skip)]
    pub status: String,
    #[serde(skip)]
    total_steps: usize,
    /// A folder dialog for domain A (false) or B (true), open on its own thread.
    #[serde(skip)]
    picking: Option<(bool, Receiver<Option<std::path::PathBuf>>)>,
}

impl Default for CycleGanPanel {
    fn default() -> Self {
        let defaults = CycleGanConfig::new(DomainRecord::unread(""), DomainRecord::unread(""));
        Self {
            run_name: "grey2colour".into(),
            domain_a: "cifar10:grey".into(),
            domain_b: "cifar10".into(),
            steps: defaults.steps,
            batch_size: defaults.batch_size,
            image_size: defaults.image_size,
            width: defaults.width,
            residual_blocks: defaults.residual_blocks,
            residual_output: defaults.residual_output,
            lambda_cycle: defaults.lambda_cycle,
            lambda_identity: defaults.lambda_identity,
            smoothing: Smoothing::default(),
            plot_exports: Default::default(),
            job: None,
            history: Vec::new(),
            grid: DigitGrid::default(),
            status: String::new(),
            total_steps: 0,
            picking: None,
        }
    }
}

impl CycleGanPanel {
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The config the form describes (the domains not read yet).
    fn config(&self) -> CycleGanConfig {
        CycleGanConfig::new(
            DomainRecord::unread(&self.domain_a),
            DomainRecord::unread(&self.domain_b),
        )
        .with_steps(self.steps)
        .with_decay_steps(self.steps / 2)
        .with_batch_size(self.batch_size)
        .with_image_size(self.image_size)
        .with_discriminator_layers(if self.image_size >= 64 { 3 } else { 2 })
        .with_width(self.width)
        .with_residual_blocks(self.residual_blocks)
        .with_residual_output(self.residual_output)
        .with_lambda_cycle(self.lambda_cycle)
        .with_lambda_identity(self.lambda_identity)
        .with_sample_every(50)
    }

    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        if let Some((which, rx)) = &self.picking
            && let Ok(choice) = rx.try_recv()
        {
            if let Some(path) = choice {
                let text = path.display().to_string();
                if *which {
                    self.domain_b = text;
                } else {
                    self.domain_a = text;
                }
            }
            self.picking = None;
        }
        let Some(job) = &self.job else { return };
        let mut done = false;
        while let Ok(message) = job.messages.try_recv() {
            match message {
                Message::Started {
                    run,
                    first_step,
                    total_steps,
                    domains,
                } => {
                    self.total_steps = total_steps;
                    self.status = format!(
                        "training {run}: {} -> {}, from step {first_step}",
                        domains.0, domains.1
                    );
                }
                Message::Step(metrics) => {
                    if self.history.len() >= HISTORY_CAP {
                        self.history.remove(0);
                    }
                    self.history.push(metrics);
                }
                Message::Grid {
                    pixels, rows, side, ..
                } => self
                    .grid
                    .set(pixels, rows * GRID_COLUMNS.len(), side, GRID_COLUMNS.len()),
                Message::Finished { stopped, step } => {
                    self.status = format!(
                        "{} at step {step}",
                        if stopped {
                            "stopped (checkpoint written)"
                        } else {
                            "finished"
                        }
                    );
                    shared.notices.info("cyclegan", self.status.clone());
                    done = true;
                }
                Message::Failed(e) => {
                    self.status = format!("failed: {e}");
                    shared
                        .notices
                        .error("cyclegan", format!("CycleGAN training failed: {e}"));
                    done = true;
                }
            }
        }
        if done {
            self.job = None;
        }
    }

    fn start(&mut self, shared: &mut Shared<'_>, resume: bool) {
        let (device, _) = shared.compute.training();
        self.history.clear();
        self.grid = DigitGrid::default();
        self.status = "reading the domains...".into();
        shared.notices.clear("cyclegan");
        self.job = Some(CycleJob::spawn(
            Request {
                config: self.config(),
                runs_dir: shared.runs_dir.clone(),
                run: self.run_name.trim().to_string(),
                resume,
                data_dir: shared.data_dir.clone(),
                device,
            },
            shared.waker.clone(),
            shared.progress_waker.clone(),
        ));
    }

    /// The whole tab in CycleGAN mode; `gan_running` keeps it from starting beside a GAN run.
    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>, gan_running: bool) {
        egui::Panel::left("cyclegan-options")
            .frame(crate::studio::widgets::clear_side(ui.style()))
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| self.options_ui(ui, shared, gan_running));
            });
        egui::CentralPanel::default()
            .frame(crate::studio::widgets::clear_central(ui.style()))
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("cyclegan-live")
                    .show(ui, |ui| self.live_ui(ui, shared));
            });
    }

    fn options_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>, gan_running: bool) {
        ui.heading("CycleGAN run");
        let running = self.is_running();
        ui.add_enabled_ui(!running, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Run name");
                ui.text_edit_singleline(&mut self.run_name)
                    .labelled_by(label.id);
            });
            for (which, name, value) in [
                (false, "Domain A", &mut self.domain_a),
                (true, "Domain B", &mut self.domain_b),
            ] {
                ui.horizontal(|ui| {
                    let label = ui.label(name);
                    ui.text_edit_singleline(value)
                        .labelled_by(label.id)
                        .on_hover_text(
                            "A folder or tarball of pictures, a data set's class \
                             (cifar10:horse, mnist:7, fashion-mnist:sneaker), a whole set \
                             (cifar10) or its grey copy (cifar10:grey)",
                        );
                    if ui.button("Folder...").clicked() && self.picking.is_none() {
                        self.picking =
                            super::training::pick_path(ui.ctx(), false).map(|rx| (which, rx));
                    }
                });
            }
            egui::Grid::new("cyclegan-form")
                .num_columns(2)
                .show(ui, |ui| {
                    use super::training::row;
                    row(
                        ui,
                        "Steps",
                        "Training steps; the last half decays the learning rate to 0",
                        |ui| ui.add(egui::DragValue::new(&mut self.steps).range(1..=1_000_000)),
                    );
                    row(
                        ui,
                        "Batch size",
                        "Pictures of each domain per step (the paper: 1)",
                        |ui| ui.add(egui::DragValue::new(&mut self.batch_size).range(1..=64)),
                    );
                    row(ui, "Picture side", "32 or 64 pixels", |ui| {
                        ui.horizontal(|ui| {
                            ui.radio_value(&mut self.image_size, 32, "32");
                            ui.radio_value(&mut self.image_size, 64, "64")
                        })
                        .inner
                    });
                    row(
                        ui,
                        "Width",
                        "Base width of the four networks (the paper: 64)",
                        |ui| ui.add(egui::DragValue::new(&mut self.width).range(4..=128)),
                    );
                    row(
                        ui,
                        "Residual blocks",
                        "Of each generator (the paper: 6 or 9)",
                        |ui| ui.add(egui::DragValue::new(&mut self.residual_blocks).range(0..=16)),
                    );
                    row(
                        ui,
                        "Residual output",
                        "Generators add their output to the input picture: they start as the \
                         identity and learn only the change (grey <-> colour)",
                        |ui| ui.checkbox(&mut self.residual_output, "start as the identity"),
                    );
                    row(
                        ui,
                        "λ cycle",
                        "Weight of the cycle-consistency loss",
                        |ui| {
                            ui.add(
                                egui::DragValue::new(&mut self.lambda_cycle)
                                    .range(0.0..=100.0)
                                    .speed(0.1),
                            )
                        },
                    );
                    row(
                        ui,
                        "λ identity",
                        "Identity loss weight, relative to λ cycle (0: off)",
                        |ui| {
                            ui.add(
                                egui::DragValue::new(&mut self.lambda_identity)
                                    .range(0.0..=10.0)
                                    .speed(0.05),
                            )
                        },
                    );
                });
        });
        if let Err(e) = self.config().validate() {
            ui.colored_label(ui.visuals().error_fg_color, format!("{e:#}"));
        }
        ui.horizontal(|ui| {
            let name = self.run_name.trim();
            let exists = crate::cyclegan::run::find(shared.runs_dir, name).is_some();
            let taken = exists || shared.runs_dir.join(name).join("config.json").is_file();
            let can_start = !running && !gan_running && !taken && self.config().validate().is_ok();
            if ui
                .add_enabled(can_start, egui::Button::new("Start"))
                .on_disabled_hover_text(if taken {
                    "A run of this name exists: Continue it, or pick another name"
                } else {
                    "Another run is training, or an option is out of range"
                })
                .clicked()
            {
                self.start(shared, false);
            }
            if ui
                .add_enabled(
                    !running && !gan_running && exists,
                    egui::Button::new("Continue"),
                )
                .on_hover_text("Continue the run of this name from its last checkpoint")
                .clicked()
            {
                self.start(shared, true);
            }
            if ui.add_enabled(running, egui::Button::new("Stop")).clicked()
                && let Some(job) = &self.job
            {
                job.stop();
            }
        });
    }

    /// The two plots of the run's curves, with the smoothing slider above them.
    fn curves_ui(&mut self, ui: &mut egui::Ui, width: f32, shared: &mut Shared<'_>) {
        curves::smoothing_ui(ui, &mut self.smoothing);
        let plots = crate::export::curves::cyclegan(&self.history, self.smoothing.0);
        for (plot, export) in plots.iter().zip(&mut self.plot_exports) {
            curves::show(ui, plot, width, &[], export, shared);
        }
    }

    fn live_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        ui.label(&self.status);
        if let Some(last) = self.history.last() {
            let fraction = last.step as f32 / self.total_steps.max(1) as f32;
            crate::studio::widgets::progress_ui(
                ui,
                fraction,
                &format!(
                    "step {} of {} | cycle error {:.3} / {:.3} | {:.2} s/step",
                    last.step,
                    self.total_steps,
                    last.cycle_a,
                    last.cycle_b,
                    last.elapsed_secs / last.step.max(1) as f64
                ),
                self.is_running(),
            );
        }
        let width = ui.available_width().min(900.0);
        if self.history.is_empty() {
            ui.weak(
                "The losses and the cycle and identity errors appear here with the first step.",
            );
        } else {
            self.curves_ui(ui, width, shared);
        }
        ui.separator();
        ui.label(format!(
            "Fixed held-out pictures, columns: {}",
            GRID_COLUMNS.join(", ")
        ));
        if self.grid.is_empty() {
            ui.weak("The grid appears at the first 50 steps.");
        }
        self.grid.show(
            ui,
            "cyclegan-grid",
            egui::vec2(ui.available_width().min(700.0), 520.0),
        );
    }
}
