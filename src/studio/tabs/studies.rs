//! The Studies tab: pick a preset or edit the study file, start it, and watch a matrix of runs
//! (one row per cell, one square per seed, coloured by a chosen metric) fill in; click a
//! finished square to open that run in the explorer; open the report when it ends.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use serde::{Deserialize, Serialize};

use super::Shared;
use crate::studio::jobs::study::{self as job, Message};
use crate::study::Study;
use crate::study::plan::{self, PlannedRun};
use crate::study::presets::PRESETS;
use crate::study::results::{METRICS, Outcome, RunResult, gather, metric, update_pending};
use crate::study::runner::Event;
use crate::study::stats::Better;

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct StudiesTab {
    /// The study file being edited (a preset's text to begin with).
    pub text: String,
    /// The metric the matrix is coloured by (a key of results::METRICS).
    pub metric: String,
    #[serde(skip)]
    pub runtime: StudiesRuntime,
}

#[derive(Default)]
pub struct StudiesRuntime {
    job: Option<Receiver<Message>>,
    stop: Option<Arc<AtomicBool>>,
    /// The study the matrix shows, its folder, plan and what each run came to.
    shown: Option<(Study, PathBuf, Vec<PlannedRun>, Vec<RunResult>)>,
    running: Option<String>,
    pub report: Option<PathBuf>,
    pub error: Option<String>,
}

impl Default for StudiesTab {
    fn default() -> Self {
        Self {
            text: PRESETS[0].2.to_owned(),
            metric: "success_rate".into(),
            runtime: StudiesRuntime::default(),
        }
    }
}

/// What the tab asks of the app: open a run of a study in the explorer.
pub struct OpenRun {
    pub runs_dir: PathBuf,
    pub name: String,
}

impl StudiesTab {
    pub fn is_running(&self) -> bool {
        self.runtime.job.is_some()
    }

    /// Runs of the shown study: (finished, total).
    pub fn progress(&self) -> (usize, usize) {
        match &self.runtime.shown {
            Some((_, _, plans, results)) => (
                results
                    .iter()
                    .filter(|r| !matches!(r.outcome, Outcome::Pending))
                    .count(),
                plans.len(),
            ),
            None => (0, 0),
        }
    }

    /// Where a study's folder is: beside the runs, under studies/<name>.
    fn folder(shared: &Shared<'_>, study: &Study) -> PathBuf {
        shared
            .runs_dir
            .join("studies")
            .join(plan::slug(&study.name))
    }

    fn show(&mut self, study: Study, out: PathBuf) {
        let plans = plan::expand(&study, &out, None);
        let results = gather(&plans, &plan::runs_dir(&out), study.steps);
        self.runtime.shown = Some((study, out, plans, results));
    }

    /// Runs the study just finished: only pending ones are read again, so each refresh on
    /// the UI thread reads one or two run folders, however long the study.
    fn refresh(&mut self) {
        if let Some((study, out, plans, results)) = &mut self.runtime.shown {
            update_pending(plans, &plan::runs_dir(out), study.steps, results);
        }
    }

    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        let Some(rx) = &self.runtime.job else { return };
        let mut refresh = false;
        let mut finished = None;
        while let Ok(message) = rx.try_recv() {
            match message {
                Message::Event(Event::Started { name, .. }) => self.runtime.running = Some(name),
                Message::Event(Event::Failed { name, error, .. }) => {
                    shared.notices.error(
                        "studies",
                        format!("run {name} failed (the study goes on): {error}"),
                    );
                    refresh = true;
                }
                Message::Event(_) => refresh = true,
                Message::Done(outcome) => finished = Some(outcome),
            }
        }
        if refresh {
            self.refresh();
        }
        if let Some(outcome) = finished {
            self.runtime.job = None;
            self.runtime.stop = None;
            self.runtime.running = None;
            self.refresh();
            match outcome {
                Ok(report) => {
                    shared
                        .notices
                        .info("studies", format!("study report: {}", report.display()));
                    self.runtime.report = Some(report);
                }
                Err(e) => self.runtime.error = Some(e),
            }
        }
    }

    fn start(&mut self, shared: &mut Shared<'_>) {
        self.runtime.error = None;
        let mut study = match Study::parse(&self.text) {
            Ok(study) => study,
            Err(e) => {
                self.runtime.error = Some(format!("{e:#}"));
                return;
            }
        };
        // A classifier named as one of the studio's runs is copied into the study.
        study.find_classifier(&shared.runs_dir);
        let out = Self::folder(shared, &study);
        self.show(study.clone(), out.clone());
        let stop = Arc::new(AtomicBool::new(false));
        self.runtime.stop = Some(stop.clone());
        self.runtime.report = None;
        self.runtime.job = Some(job::spawn(
            job::Request {
                study,
                out,
                data_dir: shared.data_dir.clone(),
                stop,
            },
            shared.waker.clone(),
        ));
    }

    /// `training_busy`: a run is training in the Training tab.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        shared: &mut Shared<'_>,
        training_busy: bool,
    ) -> Option<OpenRun> {
        let mut open = None;
        egui::Panel::left("study-file")
            .resizable(true)
            .default_size(440.0)
            .show(ui, |ui| self.file_ui(ui, shared, training_busy));
        egui::CentralPanel::default().show(ui, |ui| {
            open = self.matrix_ui(ui);
        });
        open
    }

    fn file_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>, training_busy: bool) {
        let heading = ui.heading("Study file");
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Preset");
            for (name, about, text) in PRESETS {
                if ui
                    .add_enabled(!self.is_running(), egui::Button::new(name))
                    .on_hover_text(about)
                    .labelled_by(label.id)
                    .clicked()
                {
                    self.text = text.to_owned();
                    self.runtime.error = None;
                }
            }
        });
        ui.weak(
            "Data sets x families x option sets x seeds, one budget for all. Option sets \
             are train flags without the dashes; the first is the baseline.",
        );
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 90.0)
            .show(ui, |ui| {
                ui.add_enabled(
                    !self.is_running(),
                    egui::TextEdit::multiline(&mut self.text)
                        .code_editor()
                        .desired_width(f32::INFINITY)
                        .desired_rows(24),
                )
                .labelled_by(heading.id);
            });
        let parsed = Study::parse(&self.text);
        match &parsed {
            Ok(study) => {
                ui.label(format!(
                    "{} runs of {} steps; folder {}",
                    study.run_count(),
                    study.steps,
                    Self::folder(shared, study).display()
                ));
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("{e:#}"));
            }
        }
        ui.horizontal(|ui| {
            if self.is_running() {
                let stopping = self
                    .runtime
                    .stop
                    .as_ref()
                    .is_some_and(|s| s.load(Ordering::Relaxed));
                if ui
                    .add_enabled(!stopping, egui::Button::new("Stop after this run"))
                    .clicked()
                    && let Some(stop) = &self.runtime.stop
                {
                    stop.store(true, Ordering::Relaxed);
                }
            } else if ui
                // One training at a time: a study beside a live run would halve both, and a
                // monkey test saw the live run stop when a study started beside it (not yet
                // understood), so the study waits for the Training tab.
                .add_enabled(
                    parsed.is_ok() && !training_busy,
                    egui::Button::new("Start study"),
                )
                .on_hover_text("Finished runs are kept; an interrupted one resumes")
                .on_disabled_hover_text(if training_busy {
                    "A run is training in the Training tab: start the study when it ends"
                } else {
                    "Fix the study file first"
                })
                .clicked()
            {
                self.start(shared);
            }
            if let Ok(study) = &parsed
                && !self.is_running()
                && ui
                    .button("Show results")
                    .on_hover_text("Read the study folder again")
                    .clicked()
            {
                let out = Self::folder(shared, study);
                self.show(study.clone(), out);
            }
            if let Some(report) = self.runtime.report.clone()
                && ui.button("Open report").clicked()
            {
                // Opening a browser can take a moment; never on the UI thread.
                std::thread::spawn(move || {
                    if let Err(e) = open::that(&report) {
                        eprintln!("cannot open {}: {e}", report.display());
                    }
                });
            }
        });
        if let Some(error) = &self.runtime.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    fn matrix_ui(&mut self, ui: &mut egui::Ui) -> Option<OpenRun> {
        let Some((study, out, plans, results)) = &self.runtime.shown else {
            ui.label("Start a study (or Show results of one already run) to see its runs here.");
            return None;
        };
        ui.horizontal(|ui| {
            let label = ui.label("Colour by");
            egui::ComboBox::from_id_salt("study-metric")
                .selected_text(metric(&self.metric).map_or("", |m| m.title))
                .show_ui(ui, |ui| {
                    for m in &METRICS {
                        ui.selectable_value(&mut self.metric, m.key.to_owned(), m.title);
                    }
                })
                .response
                .labelled_by(label.id);
            let done = results
                .iter()
                .filter(|r| !matches!(r.outcome, Outcome::Pending))
                .count();
            ui.label(format!("{done} of {} runs done", plans.len()));
            if let Some(running) = &self.runtime.running {
                ui.weak(format!("running {running}"));
            }
        });
        let m = metric(&self.metric)?;
        let values: Vec<f64> = results.iter().filter_map(|r| r.figure(m.key)).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let seeds = study.seeds.values();
        let mut open = None;
        egui::Grid::new("study-matrix")
            .spacing([6.0, 6.0])
            .show(ui, |ui| {
                ui.label("");
                for seed in &seeds {
                    ui.label(format!("seed {seed}"));
                }
                ui.end_row();
                let mut cells: Vec<plan::Cell> = Vec::new();
                for p in plans.iter() {
                    if !cells.contains(&p.cell()) {
                        cells.push(p.cell());
                    }
                }
                for cell in cells {
                    let label = if study.datasets.len() > 1 {
                        format!("{} · {}", cell.dataset.folder(), cell.label(study))
                    } else {
                        cell.label(study)
                    };
                    ui.label(&label);
                    for (p, r) in plans
                        .iter()
                        .zip(results.iter())
                        .filter(|(p, _)| p.cell() == cell)
                    {
                        let running = self.runtime.running.as_deref() == Some(p.name.as_str());
                        let (fill, text) = match &r.outcome {
                            Outcome::Pending if running => {
                                (egui::Color32::from_rgb(90, 140, 220), "running".to_owned())
                            }
                            Outcome::Pending => {
                                (egui::Color32::from_gray(110), "pending".to_owned())
                            }
                            Outcome::Failed { error } => (
                                egui::Color32::from_rgb(120, 20, 20),
                                format!("failed: {error}"),
                            ),
                            Outcome::Finished { collapsed, .. } => match r.figure(m.key) {
                                Some(v) => {
                                    let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                                    let good = if m.better == Better::Higher {
                                        t
                                    } else {
                                        1.0 - t
                                    };
                                    (
                                        shade(good),
                                        format!(
                                            "{}: {v:.*}{}",
                                            m.title,
                                            m.digits,
                                            if *collapsed { " (collapsed)" } else { "" }
                                        ),
                                    )
                                }
                                None => (egui::Color32::from_gray(160), format!("no {}", m.title)),
                            },
                        };
                        let (rect, response) =
                            ui.allocate_exact_size(egui::vec2(46.0, 28.0), egui::Sense::click());
                        ui.painter().rect_filled(rect, 4.0, fill);
                        if let Some(v) = r.figure(m.key) {
                            ui.painter().text(
                                rect.center(),
                                egui::Align2::CENTER_CENTER,
                                format!("{v:.*}", m.digits.min(2)),
                                egui::FontId::proportional(11.0),
                                egui::Color32::BLACK,
                            );
                        }
                        let finished = matches!(r.outcome, Outcome::Finished { .. });
                        let name = format!("{label}, seed {}", p.seed);
                        response.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::Button, true, &name)
                        });
                        let response = response.on_hover_text(format!(
                            "{}\n{text}{}",
                            p.name,
                            if finished {
                                "\nclick: open in the explorer"
                            } else {
                                ""
                            }
                        ));
                        if finished && response.clicked() {
                            open = Some(OpenRun {
                                runs_dir: plan::runs_dir(out),
                                name: p.name.clone(),
                            });
                        }
                    }
                    ui.end_row();
                }
            });
        open
    }
}

/// Red (worst) to green (best) through yellow.
fn shade(good: f64) -> egui::Color32 {
    let t = good.clamp(0.0, 1.0) as f32;
    let (r, g) = if t < 0.5 {
        (1.0, t * 2.0)
    } else {
        (2.0 - t * 2.0, 1.0)
    };
    egui::Color32::from_rgb((r * 220.0) as u8, (g * 200.0) as u8, 80)
}
