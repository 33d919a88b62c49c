//! The Compare tab: 2-6 runs side by side, every one drawing the same latents and the same
//! labels (one row per class), their metric rows under them; new latents and interpolation
//! redraw all of them at once, and the whole comparison exports as one PNG.

use std::sync::mpsc::Receiver;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::{Shared, list_runs};
use crate::data::DatasetKind;
use crate::eval::run_eval::RunEval;
use crate::explore::latent::point;
use crate::explore::pca::PcaModel;
use crate::explore::{GeneratorSource, Interpolation, LoadedGenerator};
use crate::export::compare::{CompareBlock, compare_png};
use crate::sampling::normal_latents_host;
use crate::studio::jobs::render::{Answer, RenderWorker, Request, View};
use crate::studio::jobs::{Outcome, spawn_once};
use crate::studio::tabs::metrics::Measure;
use crate::studio::widgets::{DigitGrid, PlotExport};

pub const MAX_RUNS: usize = 6;
/// Rows of the shared grid: one per class of MNIST-like data.
const ROWS: usize = 10;
/// Seconds for one sweep of the interpolation from the first latents to the second.
const SWEEP_SECS: f32 = 3.0;

/// A run in the comparison: where it comes from and what the studio calls it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    pub name: String,
    pub source: PickSource,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PickSource {
    /// A trained generator (a run, or the bundled one).
    Generator(GeneratorSource),
    /// The PCA baseline, fitted on this data set's training images when picked.
    Pca(DatasetKind),
}

/// Principal components of the PCA baseline; it reads the first this many latent values.
pub const PCA_COMPONENTS: usize = 20;
/// Training images per class the PCA baseline is fitted on.
const PCA_IMAGES_PER_CLASS: usize = 1000;

/// What draws a slot's grid once loaded.
enum Drawer {
    /// A GAN on its render worker.
    Gan(RenderWorker),
    /// The PCA baseline: a few thousand multiply-adds per image, drawn right away.
    Pca(std::sync::Arc<PcaModel>),
}

enum Loaded {
    Gan(LoadedGenerator),
    Pca(PcaModel),
}

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct CompareTab {
    pub picks: Vec<Pick>,
    /// Samples per class (the grid's columns).
    pub per_class: usize,
    /// Seed of the two latent sets the interpolation runs between.
    pub seed: u64,
    /// Where on the path from the first latents to the second the grids are.
    pub t: f32,
    #[serde(skip)]
    pub playing: bool,
    #[serde(skip)]
    runtime: Runtime,
}

impl Default for CompareTab {
    fn default() -> Self {
        Self {
            picks: Vec::new(),
            per_class: 6,
            seed: 1,
            t: 0.0,
            playing: false,
            runtime: Runtime::default(),
        }
    }
}

/// A picked run once loaded: its render worker and what it drew last.
pub struct Slot {
    pub pick: Pick,
    loading: Option<Receiver<Outcome<Loaded>>>,
    drawer: Option<Drawer>,
    pub latent_dim: usize,
    pub conditional: bool,
    /// Classes of a conditional run: it draws rows for these only (a folder of cats and dogs
    /// has two; asked for label 2, its generator cannot answer).
    pub classes: usize,
    /// The family and size, once loaded ("cdcgan shallow").
    pub family: String,
    pub grid: DigitGrid,
    pub metrics: Vec<String>,
    /// How its figures were measured (data set and judge), when it has any.
    pub measure: Option<Measure>,
    pub error: Option<String>,
}

#[derive(Default)]
struct Runtime {
    slots: Vec<Slot>,
    /// The seed and two latent sets of the widest latent size, `ROWS * per_class` rows each.
    ends: Option<(u64, usize, [Vec<f32>; 2])>,
    /// What the grids were last asked for: (seed, t, per_class); redraw when it changes.
    requested: Option<(u64, u32, usize)>,
    played_from: Option<(Instant, f32)>,
    export: PlotExport,
}

impl Slot {
    /// Rows of its grid: one per class it has (at most [`ROWS`]); an unconditional run fills
    /// every row.
    fn rows(&self) -> usize {
        if self.conditional {
            self.classes.clamp(1, ROWS)
        } else {
            ROWS
        }
    }
}

impl CompareTab {
    pub fn slots(&self) -> &[Slot] {
        &self.runtime.slots
    }

    /// Whether every picked run has drawn its grid for the current latents.
    pub fn is_drawn(&self) -> bool {
        !self.runtime.slots.is_empty()
            && self
                .runtime
                .slots
                .iter()
                .all(|s| !s.grid.is_empty() || s.error.is_some())
    }

    /// Takes answers from the loaders and render workers.
    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        let mut loaded_any = false;
        for slot in &mut self.runtime.slots {
            if let Some(rx) = &slot.loading
                && let Ok(outcome) = rx.try_recv()
            {
                slot.loading = None;
                match outcome {
                    Ok(Loaded::Gan(generator)) => {
                        slot.family = format!(
                            "{} {:?}",
                            generator.config.model.name(),
                            generator.config.depth
                        )
                        .to_lowercase();
                        slot.latent_dim = generator.latent_dim();
                        slot.conditional = generator.is_conditional();
                        slot.classes = generator.config.num_classes;
                        // Host images: the comparison also scores and exports them.
                        slot.drawer = Some(Drawer::Gan(RenderWorker::spawn(
                            generator,
                            None,
                            shared.waker.clone(),
                        )));
                        loaded_any = true;
                    }
                    Ok(Loaded::Pca(model)) => {
                        slot.family = format!("pca, {} components", model.components);
                        slot.latent_dim = model.components;
                        slot.conditional = true;
                        slot.classes = model.classes();
                        slot.drawer = Some(Drawer::Pca(std::sync::Arc::new(model)));
                        loaded_any = true;
                    }
                    Err(e) => slot.error = Some(e),
                }
            }
            if let Some(Drawer::Gan(worker)) = &slot.drawer {
                while let Ok(answer) = worker.answers.try_recv() {
                    match answer {
                        Answer::Rendered(r) => {
                            slot.grid.set(r.pixels, r.count, r.side, self.per_class)
                        }
                        Answer::Failed(e) => slot.error = Some(e),
                    }
                }
            }
        }
        if loaded_any {
            // A new latent size may be the widest: draw the latents again for everyone.
            self.runtime.ends = None;
            self.runtime.requested = None;
        }
    }

    /// Makes the slots match the picks: new picks load, dropped ones go.
    fn sync_slots(&mut self, shared: &mut Shared<'_>) {
        let runtime = &mut self.runtime;
        runtime
            .slots
            .retain(|slot| self.picks.iter().any(|p| *p == slot.pick));
        for pick in &self.picks {
            if runtime.slots.iter().any(|s| s.pick == *pick) {
                continue;
            }
            let (device, _) = shared.compute.explorer();
            let source = pick.source.clone();
            let data_dir = shared.data_dir.clone();
            let loading = spawn_once("compare-load", shared.waker.clone(), move || {
                Ok(match source {
                    PickSource::Generator(source) => {
                        Loaded::Gan(LoadedGenerator::load(&source, &device)?)
                    }
                    PickSource::Pca(kind) => {
                        let data = crate::studio::jobs::open_dataset(&data_dir, kind)?;
                        Loaded::Pca(PcaModel::fit(
                            &data.train,
                            10,
                            PCA_COMPONENTS,
                            PCA_IMAGES_PER_CLASS,
                        )?)
                    }
                })
            });
            let (metrics, measure) = metric_rows(shared.runs_dir, pick);
            runtime.slots.push(Slot {
                metrics,
                measure,
                pick: pick.clone(),
                loading: Some(loading),
                drawer: None,
                latent_dim: 0,
                conditional: false,
                classes: ROWS,
                family: String::new(),
                grid: DigitGrid::default(),
                error: None,
            });
            runtime.ends = None;
            runtime.requested = None;
        }
        // Keep the picks' order.
        runtime.slots.sort_by_key(|s| {
            self.picks
                .iter()
                .position(|p| *p == s.pick)
                .unwrap_or(usize::MAX)
        });
    }

    /// Posts the current latents (and labels) to every loaded run when they changed.
    fn request(&mut self) {
        let runtime = &mut self.runtime;
        let widest = runtime
            .slots
            .iter()
            .map(|s| s.latent_dim)
            .max()
            .unwrap_or(0);
        if widest == 0 {
            return;
        }
        let rows = ROWS * self.per_class;
        if runtime.ends.as_ref().is_none_or(|(seed, dim, ends)| {
            *seed != self.seed || *dim != widest || ends[0].len() != rows * widest
        }) {
            let mut rng = StdRng::seed_from_u64(self.seed);
            let a = normal_latents_host(&mut rng, rows, widest);
            let b = normal_latents_host(&mut rng, rows, widest);
            runtime.ends = Some((self.seed, widest, [a, b]));
            runtime.requested = None;
        }
        let key = (self.seed, self.t.to_bits(), self.per_class);
        if runtime.requested == Some(key) {
            return;
        }
        let Some((_, dim, [a, b])) = &runtime.ends else {
            return;
        };
        let latents: Vec<f32> = a
            .chunks(*dim)
            .zip(b.chunks(*dim))
            .flat_map(|(a, b)| point(a, b, self.t, Interpolation::Spherical))
            .collect();
        let labels: Vec<u8> = (0..rows).map(|i| (i / self.per_class) as u8).collect();
        let mut all_posted = true;
        for slot in &mut runtime.slots {
            let Some(drawer) = &slot.drawer else {
                all_posted = false;
                continue;
            };
            // Every run takes the first coordinates of the same noise, and the rows of the
            // classes it has.
            let count = slot.rows() * self.per_class;
            let own: Vec<f32> = latents
                .chunks(*dim)
                .take(count)
                .flat_map(|row| row[..slot.latent_dim].iter().copied())
                .collect();
            let labels = &labels[..count];
            match drawer {
                Drawer::Gan(worker) => worker.post(Request {
                    view: View::Grid,
                    latents: own,
                    labels: slot.conditional.then(|| labels.to_vec()),
                    blend: None,
                    sweep: None,
                }),
                Drawer::Pca(model) => {
                    let pixels = model.generate(&own, slot.latent_dim, labels);
                    slot.grid.set(pixels, count, model.side, self.per_class);
                }
            }
        }
        if all_posted {
            runtime.requested = Some(key);
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        egui::Panel::left("compare-picks")
            .frame(crate::studio::widgets::clear_side(ui.style()))
            .resizable(true)
            .default_size(250.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("compare-picks")
                    .show(ui, |ui| self.picks_ui(ui, shared));
            });
        self.sync_slots(shared);
        if self.playing {
            let (since, from) = *self
                .runtime
                .played_from
                .get_or_insert((Instant::now(), self.t));
            // Back and forth between the two latent sets.
            let phase = (from + since.elapsed().as_secs_f32() / SWEEP_SECS) % 2.0;
            self.t = if phase <= 1.0 { phase } else { 2.0 - phase };
            ui.ctx().request_repaint();
        } else {
            self.runtime.played_from = None;
        }
        self.request();
        egui::CentralPanel::default()
            .frame(crate::studio::widgets::clear_central(ui.style()))
            .show(ui, |ui| self.grids_ui(ui, shared));
    }

    fn picks_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        ui.heading("Runs to compare");
        ui.weak(format!("Pick 2 to {MAX_RUNS}: any families."));
        let mut candidates: Vec<(Pick, String)> = crate::explore::bundle::BUNDLES
            .iter()
            .map(|bundle| {
                let source = GeneratorSource::Bundled(bundle.dataset);
                (
                    Pick {
                        name: source.describe(),
                        source: PickSource::Generator(source),
                    },
                    "a model inside the app".to_owned(),
                )
            })
            .collect();
        candidates.push((
            Pick {
                name: "PCA baseline (MNIST)".to_owned(),
                source: PickSource::Pca(DatasetKind::Mnist),
            },
            format!(
                "Per class: the mean digit plus Gaussian coefficients on its first \
                     {PCA_COMPONENTS} principal components, fitted on {PCA_IMAGES_PER_CLASS} \
                     training images when picked. What a GAN has to beat."
            ),
        ));
        candidates.extend(
            list_runs(shared.runs_dir)
                .into_iter()
                .filter(|r| !r.is_classifier && r.has_checkpoint)
                .map(|r| {
                    (
                        Pick {
                            source: PickSource::Generator(GeneratorSource::run(
                                shared.runs_dir,
                                &r.name,
                            )),
                            name: r.name,
                        },
                        format!("{}, step {}", r.model, r.step),
                    )
                }),
        );
        for (candidate, about) in candidates {
            let mut picked = self.picks.contains(&candidate);
            let full = self.picks.len() >= MAX_RUNS;
            let response = ui.add_enabled(
                picked || !full,
                egui::Checkbox::new(&mut picked, candidate.name.as_str()),
            );
            let response = response.on_hover_text(about);
            if response.changed() {
                if picked {
                    self.picks.push(candidate);
                } else {
                    self.picks.retain(|p| *p != candidate);
                }
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Samples per class");
            ui.add(egui::DragValue::new(&mut self.per_class).range(1..=12))
                .labelled_by(label.id);
        });
        if ui
            .button("New latents")
            .on_hover_text("Draw new noise for every run")
            .clicked()
        {
            self.seed = self.seed.wrapping_add(1);
            self.t = 0.0;
        }
        ui.horizontal(|ui| {
            let label = if self.playing { "Pause" } else { "Play" };
            if ui
                .button(label)
                .on_hover_text("Walk every grid from these latents to a second set and back")
                .clicked()
            {
                self.playing = !self.playing;
            }
            let name = ui.label("t");
            ui.add(egui::Slider::new(&mut self.t, 0.0..=1.0))
                .labelled_by(name.id);
        });
    }

    fn notes(&self) -> (Vec<String>, String) {
        let slots = &self.runtime.slots;
        let widest = slots.iter().map(|s| s.latent_dim).max().unwrap_or(0);
        let notes = slots
            .iter()
            .map(|s| {
                let mut parts = vec![s.family.clone(), format!("latent {}", s.latent_dim)];
                if s.latent_dim < widest {
                    parts.push(format!("the first {} coordinates", s.latent_dim));
                }
                if !s.conditional {
                    parts.push("unconditional (rows are not classes)".to_owned());
                }
                parts.join(" · ")
            })
            .collect();
        let measures: Vec<&Measure> = slots.iter().filter_map(|s| s.measure.as_ref()).collect();
        let footer = format!(
            "Same noise for every run (seed {}, t = {:.2}), one row per class 0-9.{}{}{}",
            self.seed,
            self.t,
            if slots.iter().any(|s| s.rows() < ROWS) {
                " Runs with fewer classes draw the first rows only."
            } else {
                ""
            },
            if slots.iter().any(|s| s.latent_dim < widest) {
                " Latent sizes differ: smaller ones take the first coordinates of the same noise."
            } else {
                ""
            },
            if measures.iter().any(|m| *m != measures[0]) {
                " The figures were measured on different data sets or by different classifiers: \
                 they do not compare."
            } else {
                ""
            }
        );
        (notes, footer)
    }

    fn grids_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        if self.picks.len() < 2 {
            ui.add_space(12.0);
            ui.label(
                "Pick two or more runs on the left: each draws the same latents and the same \
                 labels, one row per class, so the grids line up cell by cell.",
            );
        }
        if self.runtime.slots.is_empty() {
            return;
        }
        let (notes, footer) = self.notes();
        ui.horizontal_wrapped(|ui| {
            ui.label(&footer);
            self.runtime
                .export
                .button(ui, shared.export, "comparison.png");
        });
        let count = self.runtime.slots.len() as f32;
        let spacing = ui.spacing().item_spacing.x;
        let block = ((ui.available_width() - spacing * (count - 1.0)) / count).max(120.0);
        egui::ScrollArea::both()
            .id_salt("compare-grids")
            .show(ui, |ui| {
                ui.horizontal_top(|ui| {
                    for (slot, note) in self.runtime.slots.iter_mut().zip(&notes) {
                        ui.vertical(|ui| {
                            ui.set_width(block);
                            // Room for a name and three lines of note in every block, so the
                            // grids start at the same height and line up row by row.
                            let header = 4.0 * ui.text_style_height(&egui::TextStyle::Body) + 8.0;
                            ui.allocate_ui_with_layout(
                                egui::vec2(block, header),
                                egui::Layout::top_down(egui::Align::LEFT),
                                |ui| {
                                    ui.set_min_height(header);
                                    ui.strong(&slot.pick.name);
                                    ui.weak(note);
                                },
                            );
                            if let Some(error) = &slot.error {
                                ui.colored_label(ui.visuals().error_fg_color, error);
                            } else if slot
                                .grid
                                .show(
                                    ui,
                                    &format!("compare-{}", slot.pick.name),
                                    egui::vec2(
                                        block,
                                        block * slot.rows() as f32 / self.per_class as f32,
                                    ),
                                )
                                .is_none()
                            {
                                crate::studio::widgets::spinner(ui);
                            }
                            for line in &slot.metrics {
                                ui.label(line);
                            }
                        });
                    }
                });
            });
        let blocks: Vec<CompareBlock> = self
            .runtime
            .slots
            .iter()
            .zip(&notes)
            .filter(|(s, _)| !s.grid.is_empty())
            .map(|(s, note)| CompareBlock {
                title: s.pick.name.clone(),
                note: note.clone(),
                pixels: s.grid.pixels.clone(),
                count: s.grid.count,
                side: s.grid.side,
                cols: s.grid.cols,
                metrics: s.metrics.clone(),
            })
            .collect();
        self.runtime
            .export
            .window(ui.ctx(), "comparison", shared.notices, |path| {
                compare_png(path, &blocks, &footer)
            });
    }
}

/// A run's headline figures from its eval.json and how they were measured, or why there are
/// none.
fn metric_rows(runs_dir: &std::path::Path, pick: &Pick) -> (Vec<String>, Option<Measure>) {
    let path = match &pick.source {
        PickSource::Generator(GeneratorSource::Run { name, .. }) => {
            runs_dir.join(name).join("eval.json")
        }
        PickSource::Generator(GeneratorSource::Bundled(_)) => {
            return (vec!["not evaluated here (bundle --unpack)".into()], None);
        }
        PickSource::Pca(_) => return (vec!["a baseline: no eval.json".into()], None),
    };
    if !path.exists() {
        return (vec!["not evaluated yet (Metrics tab)".into()], None);
    }
    let eval = match RunEval::read(&path) {
        Ok(eval) => eval,
        Err(e) => return (vec![format!("eval.json unreadable: {e:#}")], None),
    };
    let measure = Measure::of(&eval.report);
    let mut rows = headline(&eval);
    rows.push(format!("measured on {}", measure.describe()));
    (rows, Some(measure))
}

/// IS, success, FID, precision and recall, and the step they describe.
fn headline(eval: &RunEval) -> Vec<String> {
    let r = &eval.report;
    let mut rows = vec![format!(
        "IS {:.2} ± {:.2}",
        r.inception_score, r.inception_score_std
    )];
    if let Some(success) = r.success_rate {
        rows.push(format!("success {:.1}%", 100.0 * success));
    }
    rows.push(format!("FID {:.2}", r.fid));
    rows.push(format!(
        "precision {:.3} · recall {:.3}",
        r.precision, r.recall
    ));
    rows.push(format!("step {}", eval.step));
    rows
}
