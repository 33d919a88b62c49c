//! The metrics tab: runs' evaluations side by side, per-class success, the confusion matrix,
//! confidence histograms (real vs synthetic) and retraining curves; evaluation runs from here
//! on a worker thread with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use egui::{Color32, Rect, Sense, Stroke, StrokeKind, vec2};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use serde::{Deserialize, Serialize};

use super::{Shared, list_runs};
use crate::data::DatasetKind;
use crate::eval::augment::AugmentResult;
use crate::eval::report::EvalReport;
use crate::eval::run_eval::RunEval;
use crate::studio::jobs::evaluation::{self, Message};
use crate::studio::jobs::retraining;
use crate::studio::widgets::PlotExport;

/// Width of the tab's plots.
const PLOT_WIDTH: f32 = 380.0;

/// The folder of the runs folder where the studio keeps the real-data reference rows, one per
/// data set and judge.
pub const REAL_EVALS: &str = "real-eval";

/// The reference row of `dataset`'s real held-out images as read by the judge whose weights
/// digest is `judge_sha256`.
pub fn real_eval_path(runs_dir: &Path, dataset: DatasetKind, judge_sha256: &str) -> PathBuf {
    let short = crate::eval::report::short_digest(judge_sha256);
    runs_dir
        .join(REAL_EVALS)
        .join(format!("{}-{short}.json", dataset.folder()))
}

/// How an evaluation was measured: against which set's real images and by which judge. Only
/// figures measured the same way compare (a FID against digits says nothing beside one
/// against clothes), so the table shows one such group at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    pub dataset: Option<DatasetKind>,
    pub judge: String,
}

impl Measure {
    pub fn of(report: &EvalReport) -> Self {
        Self {
            dataset: report.dataset,
            judge: report.classifier_sha256.clone(),
        }
    }

    /// "Fashion-MNIST, judge sha256 f11e3dc019a6".
    pub fn describe(&self) -> String {
        let set = self
            .dataset
            .map_or("an unrecorded data set".to_string(), |d| {
                d.title().to_string()
            });
        if self.judge.is_empty() {
            format!("{set}, an unrecorded judge")
        } else {
            format!(
                "{set}, judge sha256 {}",
                crate::eval::report::short_digest(&self.judge)
            )
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsTab {
    pub selected: Option<String>,
    /// A classifier run to measure with; None uses the bundled classifier.
    pub classifier: Option<String>,
    pub samples: usize,
    #[serde(skip)]
    pub rows: Vec<RunEval>,
    /// The family of each row of `rows` (e.g. "acgan"), from its run's config.
    #[serde(skip)]
    pub families: Vec<String>,
    /// The table's order: a column index and whether it runs from high to low.
    pub sort: Option<(usize, bool)>,
    /// The real-data reference rows, one per data set and judge.
    #[serde(skip)]
    reals: Vec<EvalReport>,
    #[serde(skip)]
    augment: Vec<AugmentResult>,
    #[serde(skip)]
    scanned: bool,
    #[serde(skip)]
    job: Option<Receiver<Message>>,
    #[serde(skip)]
    pub progress: Option<(String, f32)>,
    #[serde(skip)]
    retraining: Option<Receiver<retraining::Message>>,
    #[serde(skip)]
    pub retraining_progress: Option<(String, f32)>,
    /// Which file the retraining curves came from.
    #[serde(skip)]
    augment_source: &'static str,
    /// Success bars, confidence, confusion matrix, retraining curves.
    #[serde(skip)]
    plot_exports: [PlotExport; 4],
    /// Evaluated CycleGAN runs (`eval --run R` on one), a table of their own.
    #[serde(skip)]
    pub cyclegan_rows: Vec<crate::cyclegan::eval::CycleEval>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

impl MetricsTab {
    fn scan(&mut self, runs_dir: &Path) {
        (self.families, self.rows) = list_runs(runs_dir)
            .into_iter()
            .filter(|r| r.has_eval)
            .filter_map(|r| {
                let root = runs_dir.join(&r.name);
                let mut eval = RunEval::read(&root.join("eval.json")).ok()?;
                // An evaluation from before class names were kept: a picture folder's names
                // are in the run's config (the named sets' are known anyway).
                if eval.report.class_names.is_empty()
                    && let Ok(config) =
                        crate::train::TrainConfig::load_run(&root.join("config.json"))
                    && config.class_names.len() == eval.report.class_shares.len()
                {
                    eval.report.class_names = config.class_names;
                }
                Some((r.model, eval))
            })
            .unzip();
        self.reals = std::fs::read_dir(runs_dir.join(REAL_EVALS))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| EvalReport::read(&entry.path()).ok())
            .collect();
        self.cyclegan_rows = crate::studio::jobs::translate::list(runs_dir)
            .into_iter()
            .filter_map(|name| read_json(&runs_dir.join(name).join("eval.json")))
            .collect();
        if self.selected.is_none() {
            self.selected = self.rows.first().map(|r| r.run.clone());
        }
        // The newer of the CLI's full study and the studio's quick one: a retraining the user
        // just ran from this tab shows, rather than an older `augment` beside it.
        self.augment = Vec::new();
        if let Some(run) = &self.selected {
            let modified = |file: &str| {
                std::fs::metadata(runs_dir.join(run).join(file))
                    .and_then(|m| m.modified())
                    .ok()
            };
            let mut files = ["augment.json", retraining::QUICK_FILE];
            if modified(files[1]) > modified(files[0]) {
                files.reverse();
            }
            for file in files {
                if let Some(results) = read_json(&runs_dir.join(run).join(file)) {
                    self.augment = results;
                    self.augment_source = file;
                    break;
                }
            }
        }
        self.scanned = true;
    }

    /// How the table's rows were measured: as the selected run was, else the first row.
    pub fn shown_measure(&self) -> Option<Measure> {
        self.selected
            .as_ref()
            .and_then(|s| self.rows.iter().find(|r| &r.run == s))
            .or(self.rows.first())
            .map(|row| Measure::of(&row.report))
    }

    pub fn is_evaluating(&self) -> bool {
        self.job.is_some()
    }

    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        self.drain_retraining(shared);
        let Some(rx) = &self.job else { return };
        while let Ok(message) = rx.try_recv() {
            match message {
                Message::Progress(stage, done) => self.progress = Some((stage, done)),
                Message::Done(outcome) => {
                    let outcome = *outcome;
                    self.job = None;
                    self.progress = None;
                    match outcome {
                        Ok(result) => {
                            shared.notices.info(
                                "evaluation",
                                format!(
                                    "evaluated {}: IS {:.2}, FID {:.2}",
                                    result.run, result.report.inception_score, result.report.fid
                                ),
                            );
                            self.selected = Some(result.run);
                        }
                        Err(e) => shared
                            .notices
                            .error("evaluation", format!("evaluation failed: {e}")),
                    }
                    self.scanned = false;
                    return;
                }
            }
        }
    }

    fn drain_retraining(&mut self, shared: &mut Shared<'_>) {
        let Some(rx) = &self.retraining else { return };
        while let Ok(message) = rx.try_recv() {
            match message {
                retraining::Message::Progress(line, share) => {
                    self.retraining_progress = Some((line, share));
                }
                retraining::Message::Note(note) => shared.notices.info("retraining", note),
                retraining::Message::Done(outcome) => {
                    self.retraining = None;
                    self.retraining_progress = None;
                    match outcome {
                        Ok(results) => shared.notices.info(
                            "retraining",
                            format!(
                                "retrained the classifier {} times with synthetic data",
                                results.len()
                            ),
                        ),
                        Err(e) => shared
                            .notices
                            .error("retraining", format!("retraining failed: {e}")),
                    }
                    self.scanned = false;
                    return;
                }
            }
        }
    }

    /// The chosen classifier run's folder; None means the bundled classifier.
    fn classifier_folder(&self, runs_dir: &Path) -> Option<std::path::PathBuf> {
        self.classifier
            .as_ref()
            .map(|c| crate::eval::classifier::classifier_dir(runs_dir, c))
    }

    pub fn retrain(&mut self, run: String, shared: &mut Shared<'_>) {
        let (device, _) = shared.compute.training();
        shared.notices.clear("retraining");
        let classifier = self.classifier_folder(shared.runs_dir);
        self.retraining_progress = Some(("starting".into(), 0.0));
        self.retraining = Some(retraining::spawn(
            retraining::Request {
                runs_dir: shared.runs_dir.clone(),
                run,
                classifier,
                data_dir: shared.data_dir.clone(),
                device,
            },
            shared.waker.clone(),
        ));
    }

    pub fn evaluate(&mut self, run: String, shared: &mut Shared<'_>) {
        let (device, _) = shared.compute.training();
        shared.notices.clear("evaluation");
        let classifier = self.classifier_folder(shared.runs_dir);
        self.progress = Some(("starting".into(), 0.0));
        self.job = Some(evaluation::spawn(
            evaluation::Request {
                runs_dir: shared.runs_dir.clone(),
                run,
                classifier,
                data_dir: shared.data_dir.clone(),
                samples: if self.samples == 0 {
                    10_000
                } else {
                    self.samples
                },
                device,
            },
            shared.waker.clone(),
        ));
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        if !self.scanned {
            self.scan(shared.runs_dir);
        }
        self.controls_ui(ui, shared);
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.table_ui(ui);
            cyclegan_table_ui(ui, &self.cyclegan_rows);
            let Some(row) = self
                .selected
                .as_ref()
                .and_then(|s| self.rows.iter().find(|r| &r.run == s))
            else {
                ui.label("No evaluated run yet: pick a run above and press Evaluate.");
                return;
            };
            ui.separator();
            ui.heading(format!("{} at step {}", row.run, row.step));
            class_key_ui(ui, &row.report);
            if row.scored_by_guide {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!("Warning: {}.", crate::eval::run_eval::SCORED_BY_GUIDE),
                );
            }
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(380.0);
                    let [success, confidence, ..] = &mut self.plot_exports;
                    success_ui(ui, &row.report, success, shared);
                    let real = real_for(&self.reals, &Measure::of(&row.report));
                    confidence_ui(ui, &row.report, real, confidence, shared);
                });
                ui.vertical(|ui| {
                    let [.., confusion, augment] = &mut self.plot_exports;
                    confusion_ui(ui, &row.report, confusion, shared);
                    augment_ui(ui, &self.augment, self.augment_source, augment, shared);
                });
            });
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        let runs = list_runs(shared.runs_dir);
        ui.horizontal(|ui| {
            let name = ui.label("Run");
            let combo = egui::ComboBox::from_id_salt("metrics-run")
                .selected_text(self.selected.clone().unwrap_or_else(|| "(none)".into()))
                .show_ui(ui, |ui| {
                    for bundle in &crate::explore::bundle::BUNDLES {
                        let bundled = bundle.run_name;
                        let text = format!(
                            "bundled cDCGAN, {} (a model that ships with the studio)",
                            bundle.dataset.title()
                        );
                        if !runs.iter().any(|r| r.name == bundled)
                            && ui
                                .selectable_value(
                                    &mut self.selected,
                                    Some(bundled.to_owned()),
                                    text,
                                )
                                .changed()
                        {
                            self.scanned = false;
                        }
                    }
                    for run in runs.iter().filter(|r| !r.is_classifier && r.has_checkpoint) {
                        if ui
                            .selectable_value(&mut self.selected, Some(run.name.clone()), &run.name)
                            .changed()
                        {
                            self.scanned = false;
                        }
                    }
                });
            combo.response.labelled_by(name.id);
            crate::studio::widgets::classifier_choice::classifier_combo(
                ui,
                "metrics-classifier",
                &mut self.classifier,
                super::classifier_names(&runs),
            );
            let name = ui.label("Samples");
            if self.samples == 0 {
                self.samples = 10_000;
            }
            ui.add(egui::DragValue::new(&mut self.samples).range(100..=50_000))
                .labelled_by(name.id);
            let can = !self.is_evaluating() && self.selected.is_some();
            if ui
                .add_enabled(can, egui::Button::new("Evaluate"))
                .on_hover_text(
                    "Inception score, success rate, FID, precision/recall, coverage, memorisation",
                )
                .on_disabled_hover_text(if self.is_evaluating() {
                    "An evaluation is running"
                } else {
                    "Pick a run (or the bundled cDCGAN) in the Run list first"
                })
                .clicked()
                && let Some(run) = self.selected.clone()
            {
                self.evaluate(run, shared);
            }
            if ui
                .small_button("Refresh")
                .on_hover_text("Read the runs' results again")
                .clicked()
            {
                self.scanned = false;
            }
        });
        ui.horizontal(|ui| {
            let can = self.retraining.is_none() && self.selected.is_some();
            if ui
                .add_enabled(can, egui::Button::new("Retrain classifier (quick)"))
                .on_hover_text(
                    "Train the classifier on 10 real images per class plus 0-100% synthetic ones \
                     (one seed, 4 trainings of 300 steps); `gan-studio augment` runs the full \
                     study",
                )
                .on_disabled_hover_text(if self.retraining.is_some() {
                    "A retraining is running"
                } else {
                    "Pick a run in the Run list first"
                })
                .clicked()
                && let Some(run) = self.selected.clone()
            {
                self.retrain(run, shared);
            }
        });
        if let Some((text, done)) = &self.retraining_progress {
            crate::studio::widgets::progress_ui(ui, *done, &format!("retraining: {text}"), true);
        }
        if let Some((stage, done)) = &self.progress {
            crate::studio::widgets::progress_ui(ui, *done, &format!("evaluating: {stage}"), true);
        }
    }

    fn table_ui(&mut self, ui: &mut egui::Ui) {
        let mut clicked = None;
        let Some(measure) = self.shown_measure() else {
            return;
        };
        let mut order: Vec<usize> = (0..self.rows.len())
            .filter(|&i| Measure::of(&self.rows[i].report) == measure)
            .collect();
        let others = self.rows.len() - order.len();
        ui.label(format!("Measured on {}.", measure.describe()))
            .on_hover_text(
                "Scores compare only between runs measured against the same data set's real \
                 images by the same classifier; the real row is that set's held-out test images \
                 read by that classifier",
            );
        if others > 0 {
            ui.weak(format!(
                "{others} more evaluated run(s) were measured on another data set or by another \
                 classifier: pick one in the Run list to see its group."
            ));
        }
        if let Some((column, descending)) = self.sort {
            order.sort_by(|&a, &b| {
                let key = |i: usize| sort_key(column, &self.rows[i], &self.families[i]);
                let ordering = key(a).cmp(&key(b));
                if descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
        }
        egui::Grid::new("metrics-table")
            .striped(true)
            .show(ui, |ui| {
                for (k, (h, tip)) in COLUMNS.iter().enumerate() {
                    let arrow = match self.sort {
                        Some((c, true)) if c == k => " v",
                        Some((c, false)) if c == k => " ^",
                        _ => "",
                    };
                    let header = ui
                        .add(
                            egui::Button::new(egui::RichText::new(format!("{h}{arrow}")).strong())
                                .frame(false),
                        )
                        .on_hover_text(format!("{tip}\n(click to sort)"));
                    if header.clicked() {
                        // Numbers sort best first; a second click reverses.
                        self.sort = match self.sort {
                            Some((c, descending)) if c == k => Some((k, !descending)),
                            _ => Some((k, k >= 3 && !matches!(k, 5 | 8 | 9))),
                        };
                    }
                }
                ui.end_row();
                let rows = real_for(&self.reals, &measure)
                    .into_iter()
                    .map(|r| ("real (held-out half)".to_owned(), "data", 0, r))
                    .chain(order.iter().map(|&i| {
                        let row = &self.rows[i];
                        (
                            row.run.clone(),
                            self.families[i].as_str(),
                            row.step,
                            &row.report,
                        )
                    }));
                for (name, family, step, r) in rows {
                    let selected = self.selected.as_deref() == Some(name.as_str());
                    if ui.selectable_label(selected, &name).clicked() {
                        clicked = Some(name.clone());
                    }
                    ui.label(family);
                    ui.label(if step > 0 {
                        step.to_string()
                    } else {
                        "-".into()
                    });
                    ui.label(format!(
                        "{:.2} ± {:.2}",
                        r.inception_score, r.inception_score_std
                    ));
                    match (r.success_rate, r.category_accuracy) {
                        (Some(s), _) => ui.label(format!("{:.1}%", 100.0 * s)),
                        (None, Some(c)) => {
                            ui.label(format!("codes {:.1}%", 100.0 * c)).on_hover_text(
                                "InfoGAN: its category codes read as digits, after the best \
                             one-to-one matching of codes to classes",
                            )
                        }
                        (None, None) => ui.label("-"),
                    };
                    ui.label(format!("{:.2}", r.fid));
                    ui.label(format!("{:.3}", r.precision));
                    ui.label(format!("{:.3}", r.recall));
                    let memorised = ui.label(format!("{:.2}%", 100.0 * r.memorised_share));
                    if !r.memorised_per_class.is_empty() {
                        memorised.on_hover_text(memorised_per_class_text(r));
                    }
                    ui.label(if r.coverage.collapsed {
                        "COLLAPSED"
                    } else {
                        "no"
                    });
                    ui.end_row();
                }
            });
        if let Some(name) = clicked.filter(|n| self.rows.iter().any(|r| &r.run == n)) {
            self.selected = Some(name);
            self.scanned = false;
        }
    }
}

/// The reference row measured as `measure` says, if one was taken.
fn real_for<'a>(reals: &'a [EvalReport], measure: &Measure) -> Option<&'a EvalReport> {
    reals.iter().find(|r| Measure::of(r) == *measure)
}

/// A row's value in `column` of [`COLUMNS`], as something that sorts.
fn sort_key(column: usize, eval: &RunEval, family: &str) -> SortKey {
    let r = &eval.report;
    let number = |v: f64| SortKey::Number((v * 1e6) as i64);
    match column {
        0 => SortKey::Text(eval.run.clone()),
        1 => SortKey::Text(family.to_owned()),
        2 => SortKey::Number(eval.step as i64),
        3 => number(r.inception_score),
        4 => number(r.success_rate.or(r.category_accuracy).unwrap_or(-1.0)),
        5 => number(r.fid),
        6 => number(r.precision),
        7 => number(r.recall),
        8 => number(r.memorised_share),
        _ => SortKey::Number(i64::from(r.coverage.collapsed)),
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    Number(i64),
    Text(String),
}

/// The comparison table's columns and what each means.
const COLUMNS: [(&str, &str); 10] = [
    (
        "run",
        "The run (or the real held-out test images, the reference row)",
    ),
    ("family", "The model family the run trained"),
    ("step", "The training step whose weights were evaluated"),
    (
        "IS",
        "Inception score from the classifier's softmax: high when each sample is clearly one \
         class and the classes are evenly used (10 at most for 10 classes) · mean ± std over \
         10 splits",
    ),
    (
        "success",
        "Conditional models: share of samples the classifier reads as the label they were \
         asked for · InfoGAN: its category codes as a classifier of the digits, after the best \
         matching of codes to classes",
    ),
    (
        "FID",
        "Fréchet distance between samples and real test images in the classifier's feature \
         space: lower is closer to real data",
    ),
    (
        "precision",
        "Share of samples that fall inside the real images' k-NN manifold (realism)",
    ),
    (
        "recall",
        "Share of real images that fall inside the samples' k-NN manifold (variety)",
    ),
    (
        "memorised",
        "Share of checked samples closer (in pixels) to a training image of their class than \
         99% of unseen real test images are, and less than half as far from it as from the \
         next training image (a blurry average is near all of them, a copy near one) · hover \
         a cell for each class",
    ),
    (
        "collapse",
        "COLLAPSED when some classes (as the classifier reads them) are missing or the class \
         shares are far from even",
    ),
];

fn memorised_per_class_text(report: &EvalReport) -> String {
    let mut text = String::from("memorised per class (checked samples):");
    if report.memorisation_singled_out.is_none() {
        text.push_str(
            "\n(measured by distance alone, which also counted blurry averages: evaluate again)",
        );
    }
    for (c, (share, checked)) in report
        .memorised_per_class
        .iter()
        .zip(&report.memorisation_checked_per_class)
        .enumerate()
    {
        text.push_str(&format!(
            "\n{}: {:.1}% of {checked}",
            numbered_name(report, c),
            100.0 * share
        ));
    }
    text
}

/// A plot's heading with its "Export PNG..." button.
fn heading_ui(
    ui: &mut egui::Ui,
    title: &str,
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
    file: &str,
) {
    ui.horizontal(|ui| {
        ui.strong(title);
        export.button(ui, shared.export, file);
    });
}

fn success_ui(
    ui: &mut egui::Ui,
    report: &EvalReport,
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    let Some(success) = &report.success else {
        ui.strong("Success rate per class");
        ui.label("(unconditional model: no requested labels)");
        return;
    };
    let bars = success
        .per_class
        .iter()
        .enumerate()
        .map(|(c, &rate)| Bar::new(c as f64, 100.0 * rate).width(0.7))
        .collect();
    heading_ui(ui, "Success rate per class", export, shared, "success.png");
    let names = report.class_names();
    export.window(ui.ctx(), "success rates", shared.notices, |path| {
        let rates: Vec<f64> = success.per_class.iter().map(|r| 100.0 * r).collect();
        crate::export::plot::bars_png(
            path,
            "Success rate per class",
            "requested class",
            "success (%)",
            &rates,
            &names,
        )
    });
    Plot::new("success-bars")
        // The wheel scrolls the page these plots sit in, not the plot.
        .allow_scroll(false)
        .height(180.0)
        .include_y(0.0)
        // Room above 100% for the hover label.
        .include_y(115.0)
        .y_axis_label("success (%)")
        // A label under every class: a mark per class, and one-digit labels need far less
        // room than egui_plot's default 60 points between x labels.
        .x_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 5.0, 10.0]))
        .custom_x_axes(vec![
            egui_plot::AxisHints::new_x()
                .label("requested class")
                .label_spacing(12.0..=20.0)
                .formatter(|mark, _| {
                    let v = mark.value;
                    if v.fract() == 0.0 && (0.0..10.0).contains(&v) {
                        format!("{v:.0}")
                    } else {
                        String::new()
                    }
                }),
        ])
        .label_formatter(|position| match position {
            egui_plot::HoverPosition::NearDataPoint { position, .. } => Some(format!(
                "{}: {:.1}%",
                numbered_name(report, position.x.round().max(0.0) as usize),
                position.y
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| plot.bar_chart(BarChart::new("success %", bars)));
}

/// "3 dress", or "3" where the class is named by its number (digits).
fn numbered_name(report: &EvalReport, c: usize) -> String {
    match report.class_name(c) {
        name if name == c.to_string() => name,
        name => format!("{c} {name}"),
    }
}

/// Above the per-class plots, whose axes show class numbers: which class each number is, where
/// the classes have names (clothes, CIFAR-10, a picture folder) that do not fit an axis.
fn class_key_ui(ui: &mut egui::Ui, report: &EvalReport) {
    let names = report.class_names();
    if names
        .iter()
        .enumerate()
        .all(|(c, name)| *name == c.to_string())
    {
        return;
    }
    let key: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(c, name)| format!("{c} {name}"))
        .collect();
    ui.add(egui::Label::new(egui::RichText::new(key.join(" · ")).weak()).wrap());
}

fn confidence_ui(
    ui: &mut egui::Ui,
    report: &EvalReport,
    real: Option<&EvalReport>,
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    let title = "Classifier confidence: real vs synthetic";
    heading_ui(ui, title, export, shared, "confidence.png");
    let shares = |histogram: &[usize]| -> Vec<[f64; 2]> {
        let total = histogram.iter().sum::<usize>().max(1) as f64;
        let bins = histogram.len().max(1) as f64;
        histogram
            .iter()
            .enumerate()
            .map(|(i, &c)| [(i as f64 + 0.5) / bins, c as f64 / total])
            .collect()
    };
    let mut curves = vec![("synthetic".to_owned(), shares(&report.confidence_histogram))];
    if let Some(real) = real {
        curves.push(("real".to_owned(), shares(&real.confidence_histogram)));
    }
    // Nearly every image lands in the last bin: on a log axis the low-confidence tail, where
    // real and synthetic differ, stays visible.
    let floor = 1e-4;
    Plot::new("confidence")
        // The wheel scrolls the page these plots sit in, not the plot.
        .allow_scroll(false)
        // The curves rise to the right: the key goes where they are not.
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .height(180.0)
        .x_axis_label("top-class probability")
        .y_axis_label("share of images (log10)")
        .y_axis_formatter(|mark, _| format!("{}", 10f64.powf(mark.value)))
        .label_formatter(|position| match position {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}: {:.2}% of images at confidence {:.3}",
                100.0 * 10f64.powf(position.y),
                position.x
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            for (i, (name, points)) in curves.iter().enumerate() {
                let logged: Vec<[f64; 2]> = points
                    .iter()
                    .map(|p| [p[0], p[1].max(floor).log10()])
                    .collect();
                let (r, g, b) = crate::export::plot::series_rgb(i);
                plot.line(
                    Line::new(name.clone(), PlotPoints::from(logged))
                        .color(egui::Color32::from_rgb(r, g, b)),
                );
            }
        });
    export.window(ui.ctx(), "confidence", shared.notices, |path| {
        let series: Vec<crate::export::plot::Series> = curves
            .iter()
            .map(|(name, points)| {
                (
                    name.clone(),
                    points.iter().map(|p| (p[0], p[1], 0.0)).collect(),
                )
            })
            .collect();
        crate::export::plot::lines_png(
            path,
            title,
            "top-class probability",
            "share of images",
            &series,
        )
    });
    if real.is_none() {
        ui.weak("(the real curve appears after the first evaluation from the studio)");
    }
}

fn confusion_ui(
    ui: &mut egui::Ui,
    report: &EvalReport,
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    let title = "Confusion matrix (rows: requested, columns: read)";
    let Some(success) = &report.success else {
        ui.strong(title);
        return;
    };
    heading_ui(ui, title, export, shared, "confusion.png");
    export.window(ui.ctx(), "confusion matrix", shared.notices, |path| {
        crate::export::plot::heatmap_png(
            path,
            "Confusion matrix (% of each requested class)",
            "read as",
            "requested",
            &success.confusion,
            &report.class_names(),
        )
    });
    let n = success.confusion.len();
    let cell = 26.0;
    let (response, painter) = ui.allocate_painter(
        vec2(cell * (n as f32 + 1.0), cell * (n as f32 + 1.0)),
        Sense::hover(),
    );
    let origin = response.rect.min + vec2(cell, cell);
    let text = ui.visuals().text_color();
    for i in 0..n {
        let font = egui::FontId::proportional(12.0);
        painter.text(
            origin + vec2(-cell * 0.5, cell * (i as f32 + 0.5)),
            egui::Align2::CENTER_CENTER,
            i,
            font.clone(),
            text,
        );
        painter.text(
            origin + vec2(cell * (i as f32 + 0.5), -cell * 0.5),
            egui::Align2::CENTER_CENTER,
            i,
            font,
            text,
        );
        let total = success.confusion[i].iter().sum::<usize>().max(1) as f32;
        for j in 0..n {
            let share = success.confusion[i][j] as f32 / total;
            let shade = (255.0 * (1.0 - share.sqrt())) as u8;
            let rect = Rect::from_min_size(
                origin + vec2(cell * j as f32, cell * i as f32),
                vec2(cell, cell),
            );
            painter.rect(
                rect,
                0.0,
                Color32::from_rgb(shade, shade, 255),
                Stroke::new(0.5, Color32::GRAY),
                StrokeKind::Inside,
            );
            if share >= 0.01 {
                let color = if share > 0.4 {
                    Color32::WHITE
                } else {
                    Color32::BLACK
                };
                painter.text(
                    rect.center(),
                    egui::Align2::CENTER_CENTER,
                    format!("{:.0}", 100.0 * share),
                    egui::FontId::proportional(10.0),
                    color,
                );
            }
        }
    }
    if let Some(pos) = response.hover_pos() {
        let rel = (pos - origin) / cell;
        let (i, j) = (rel.y.floor(), rel.x.floor());
        if (0.0..n as f32).contains(&i) && (0.0..n as f32).contains(&j) {
            let (i, j) = (i as usize, j as usize);
            response.on_hover_text(format!(
                "asked for {}, read as {}: {} samples",
                numbered_name(report, i),
                numbered_name(report, j),
                success.confusion[i][j]
            ));
        }
    }
}

fn augment_ui(
    ui: &mut egui::Ui,
    results: &[AugmentResult],
    source: &str,
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    let title = "Retraining with synthetic data (test accuracy %)";
    if results.is_empty() {
        ui.strong(title);
        ui.weak("(press \"Retrain classifier (quick)\", or run `gan-studio augment --run RUN`)");
        return;
    }
    heading_ui(ui, title, export, shared, "retraining.png");
    ui.weak(format!("from {source}"));
    ui.scope(|ui| {
        ui.set_max_width(PLOT_WIDTH);
        ui.label(egui::RichText::new(crate::eval::augment::provenance_note(results, None)).small());
    });
    // One curve per (strategy, real subset, generator data): (synthetic %, accuracy %, std %).
    let curve_name = |r: &AugmentResult| {
        format!(
            "{:?}: {} real/class + synthetic ({})",
            r.strategy,
            r.real_per_class,
            match r.generator {
                crate::eval::augment::GeneratorData::AllLabelled => "G saw the full set",
                crate::eval::augment::GeneratorData::FewRealOnly => "G saw only these",
                crate::eval::augment::GeneratorData::Folder => "images from a folder",
            }
        )
    };
    let mut curves: Vec<crate::export::plot::Series> = Vec::new();
    for r in results.iter().filter(|r| r.ratio > 0.0) {
        let name = curve_name(r);
        if !curves.iter().any(|(n, _)| *n == name) {
            curves.push((name, Vec::new()));
        }
    }
    for (name, points) in &mut curves {
        *points = results
            .iter()
            .filter(|r| r.ratio > 0.0 && curve_name(r) == *name)
            .map(|r| {
                (
                    100.0 * r.ratio,
                    100.0 * r.accuracy.mean,
                    100.0 * r.accuracy.std,
                )
            })
            .collect();
        // The ratio-0 baseline belongs to every strategy's curve.
        if let Some(base) = results.iter().find(|r| r.ratio == 0.0)
            && !points.iter().any(|p| p.0 == 0.0)
        {
            let a = &base.accuracy;
            points.insert(0, (0.0, 100.0 * a.mean, 100.0 * a.std));
        }
    }
    // The key goes below the plot: inside, it would cover the curves it names.
    Plot::new("augment")
        // The wheel scrolls the page these plots sit in, not the plot.
        .allow_scroll(false)
        .height(220.0)
        .width(PLOT_WIDTH)
        .x_axis_label("synthetic images per 100 real")
        .y_axis_label("test accuracy (%)")
        .show(ui, |plot| {
            for (i, (name, points)) in curves.iter().enumerate() {
                let points: Vec<[f64; 2]> = points.iter().map(|p| [p.0, p.1]).collect();
                let (r, g, b) = crate::export::plot::series_rgb(i);
                plot.line(
                    Line::new(name.clone(), PlotPoints::from(points))
                        .color(egui::Color32::from_rgb(r, g, b)),
                );
            }
        });
    ui.scope(|ui| {
        ui.set_max_width(PLOT_WIDTH);
        ui.horizontal_wrapped(|ui| {
            for (i, (name, _)) in curves.iter().enumerate() {
                let (r, g, b) = crate::export::plot::series_rgb(i);
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("— {name}"))
                            .small()
                            .color(egui::Color32::from_rgb(r, g, b)),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        });
    });
    export.window(ui.ctx(), "retraining curves", shared.notices, |path| {
        crate::export::plot::lines_png(
            path,
            "Classifier test accuracy with synthetic data",
            "synthetic share of the real set (%)",
            "test accuracy (%)",
            &curves,
        )
    });
}

/// One row per evaluated CycleGAN run: held-out cycle errors, the domain classifier's reading,
/// Fréchet distances, class shares and the colourisation figures (`eval --run R`).
fn cyclegan_table_ui(ui: &mut egui::Ui, rows: &[crate::cyclegan::eval::CycleEval]) {
    if rows.is_empty() {
        return;
    }
    ui.separator();
    ui.strong("CycleGAN runs (held-out pictures)");
    let percent = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1}%", 100.0 * v));
    egui::Grid::new("cyclegan-table")
        .striped(true)
        .show(ui, |ui| {
            for (heading, tip) in [
                ("run", "The run and the step evaluated"),
                ("A -> B", "The two domains"),
                ("cycle error A / B", "Mean absolute error on [0, 1] pixels of translating there and back"),
                ("read as target A->B / B->A", "Share of translations a CNN trained on real A vs real B reads as the target domain"),
                ("Fréchet A->B / B->A", "Distance of translations to the target's held-out pictures in that CNN's features"),
                ("target class A->B / B->A", "Class-to-class domains: share the data set's classifier reads as the target class"),
                ("grey / colourised / original", "Grey-to-colour: the data set's classifier's accuracy on the grey inputs, their colourised translations and the colour originals"),
            ] {
                ui.strong(heading).on_hover_text(tip);
            }
            ui.end_row();
            for row in rows {
                ui.label(format!("{} @ {}", row.run, row.step));
                ui.label(format!("{} -> {}", row.domain_a, row.domain_b));
                ui.label(format!(
                    "{:.4} / {:.4}",
                    row.a2b.cycle_error, row.b2a.cycle_error
                ));
                ui.label(format!(
                    "{} / {}",
                    percent(Some(row.a2b.read_as_target)),
                    percent(Some(row.b2a.read_as_target))
                ));
                ui.label(format!("{:.2} / {:.2}", row.a2b.frechet, row.b2a.frechet));
                ui.label(format!(
                    "{} / {}",
                    percent(row.a2b.target_class_share),
                    percent(row.b2a.target_class_share)
                ));
                ui.label(row.colourisation.as_ref().map_or("-".to_string(), |c| {
                    format!(
                        "{:.1}% / {:.1}% / {:.1}%",
                        100.0 * c.grey_accuracy,
                        100.0 * c.colourised_accuracy,
                        100.0 * c.original_accuracy
                    )
                }));
                ui.end_row();
            }
        });
}
