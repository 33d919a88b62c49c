//! The latent explorer: pick a run (or the bundled model) and a label, drag latent sliders and
//! principal directions, see one row per class, and interpolate between two latents.

use std::sync::mpsc::Receiver;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::{Shared, list_runs};
use crate::explore::latent::point;
use crate::explore::{
    GeneratorSource, Interpolation, LoadedGenerator, interpolate, principal_directions,
};
use crate::sampling::normal_latents_host;
use crate::studio::jobs::render::{
    Answer, GRID_COLS, LabelBlend, RenderWorker, Request, STRIP, View,
};
use crate::studio::jobs::{Outcome, spawn_once};
use crate::studio::widgets::{DigitGrid, ExportDialog};

/// Principal directions of z offered as sliders.
pub const DIRECTIONS: usize = 5;

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct ExplorerTab {
    pub source: GeneratorSource,
    pub label: u8,
    pub latent: Vec<f32>,
    pub locked: Vec<bool>,
    pub offsets: Vec<f32>,
    pub grid_seed: u64,
    pub ends: [Vec<f32>; 2],
    pub interpolation: Interpolation,
    /// Conditional models: interpolate from `label` to `label_to` at the current latent,
    /// instead of between two latents.
    pub between_labels: bool,
    pub label_to: u8,
    pub t: f32,
    /// InfoGAN: the continuous code (0-based) the grid sweeps from -2 to 2.
    pub sweep_code: usize,
    #[serde(skip)]
    pub playing: bool,
    #[serde(skip)]
    pub runtime: ExplorerRuntime,
}

impl Default for ExplorerTab {
    fn default() -> Self {
        Self {
            source: GeneratorSource::Bundled(crate::data::DatasetKind::Mnist),
            label: 3,
            latent: Vec::new(),
            locked: Vec::new(),
            offsets: vec![0.0; DIRECTIONS],
            grid_seed: 1,
            ends: [Vec::new(), Vec::new()],
            interpolation: Interpolation::Spherical,
            between_labels: false,
            label_to: 8,
            t: 0.0,
            sweep_code: 0,
            playing: false,
            runtime: ExplorerRuntime::default(),
        }
    }
}

type Loaded = (LoadedGenerator, Vec<Vec<f32>>);

#[derive(Default)]
pub struct ExplorerRuntime {
    loading: Option<Receiver<Outcome<Loaded>>>,
    worker: Option<RenderWorker>,
    generator: Option<LoadedGenerator>,
    directions: Vec<Vec<f32>>,
    pub digit: DigitGrid,
    pub grid: DigitGrid,
    pub strip: DigitGrid,
    pub frame: DigitGrid,
    /// Views whose inputs changed since they were last requested.
    dirty: Vec<View>,
    /// Generator time of the latest answer per view, in ms.
    pub timings: Vec<(View, f64)>,
    pub error: Option<String>,
    export_digit: ExportDialog,
    export_grid: ExportDialog,
    export_strip: ExportDialog,
    device_label: String,
}

impl ExplorerTab {
    pub fn is_loaded(&self) -> bool {
        self.runtime.generator.is_some()
    }

    pub fn is_loading(&self) -> bool {
        self.runtime.loading.is_some()
    }

    pub fn generator(&self) -> Option<&LoadedGenerator> {
        self.runtime.generator.as_ref()
    }

    /// Loads the generator unless it is loaded, loading, or failed (no retry loop).
    pub fn ensure_loaded(&mut self, shared: &mut Shared<'_>) {
        if !self.is_loaded() && !self.is_loading() && self.runtime.error.is_none() {
            self.load(shared);
        }
    }

    /// Shows `source` (a run picked in another tab), loading it on a worker thread.
    pub fn open(&mut self, source: GeneratorSource, shared: &mut Shared<'_>) {
        if self.source == source && (self.is_loaded() || self.is_loading()) {
            return;
        }
        self.source = source;
        self.runtime.generator = None;
        self.runtime.worker = None;
        self.load(shared);
    }

    /// Loads the chosen generator on a worker thread.
    pub fn load(&mut self, shared: &mut Shared<'_>) {
        let source = self.source.clone();
        let (device, label) = shared.compute.explorer();
        self.runtime.device_label = label;
        self.runtime.error = None;
        self.runtime.loading = Some(spawn_once(
            "explorer-load",
            shared.waker.clone(),
            move || {
                let generator = LoadedGenerator::load(&source, &device)?;
                let directions = principal_directions(&generator, 256, DIRECTIONS, 7)?;
                Ok((generator, directions))
            },
        ));
    }

    /// Receives a loaded generator and rendered images.
    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        if let Some(rx) = &self.runtime.loading
            && let Ok(outcome) = rx.try_recv()
        {
            self.runtime.loading = None;
            match outcome {
                Ok((generator, directions)) => self.install(generator, directions, shared),
                Err(e) => {
                    let message = format!("cannot load {}: {e}", self.source.describe());
                    shared.notices.error("explorer", message.clone());
                    self.runtime.error = Some(message);
                }
            }
        }
        if let Some(worker) = &self.runtime.worker {
            while let Ok(answer) = worker.answers.try_recv() {
                match answer {
                    Answer::Rendered(r) => {
                        let cols = r.view.cols();
                        let target = match r.view {
                            View::Digit => &mut self.runtime.digit,
                            View::Grid => &mut self.runtime.grid,
                            View::Strip => &mut self.runtime.strip,
                            View::Frame => &mut self.runtime.frame,
                        };
                        match (r.gpu, &shared.compute.render) {
                            (Some(gpu), Some(render)) => {
                                target.set_gpu(*gpu, r.pixels, r.side, cols, render)
                            }
                            _ => target.set(r.pixels, r.count, r.side, cols),
                        }
                        self.runtime.timings.retain(|(v, _)| *v != r.view);
                        self.runtime.timings.push((r.view, r.millis));
                    }
                    Answer::Failed(e) => shared
                        .notices
                        .error("explorer", format!("generator failed: {e}")),
                }
            }
        }
    }

    fn install(
        &mut self,
        generator: LoadedGenerator,
        directions: Vec<Vec<f32>>,
        shared: &mut Shared<'_>,
    ) {
        let dim = generator.latent_dim();
        if self.latent.len() != dim {
            let mut rng = StdRng::seed_from_u64(self.grid_seed);
            self.latent = normal_latents_host(&mut rng, 1, dim);
            self.locked = vec![false; dim];
            self.ends = [
                normal_latents_host(&mut rng, 1, dim),
                normal_latents_host(&mut rng, 1, dim),
            ];
        }
        self.locked.resize(dim, false);
        self.offsets.resize(DIRECTIONS, 0.0);
        if self.label as usize >= generator.classes() {
            self.label = 0;
        }
        shared.notices.info(
            "explorer",
            format!(
                "explorer: {} on {}",
                self.source.describe(),
                self.runtime.device_label
            ),
        );
        let display = shared.compute.display_for(generator.device());
        self.runtime.worker = Some(RenderWorker::spawn(
            generator.clone(),
            display,
            shared.waker.clone(),
        ));
        self.runtime.generator = Some(generator);
        self.runtime.directions = directions;
        self.runtime.dirty = vec![View::Digit, View::Grid, View::Strip, View::Frame];
    }

    /// The latent the sliders describe: z plus the principal-direction offsets.
    pub fn effective_latent(&self) -> Vec<f32> {
        let mut z = self.latent.clone();
        for (direction, &amount) in self.runtime.directions.iter().zip(&self.offsets) {
            for (v, d) in z.iter_mut().zip(direction) {
                *v += amount * d;
            }
        }
        z
    }

    fn request(&mut self, view: View) {
        let Some(generator) = &self.runtime.generator else {
            return;
        };
        let dim = generator.latent_dim();
        let conditional = generator.is_conditional();
        let classes = generator.classes();
        let z = self.effective_latent();
        if conditional && self.between_labels && matches!(view, View::Strip | View::Frame) {
            let ts: Vec<f32> = match view {
                View::Strip => (0..STRIP).map(|i| i as f32 / (STRIP - 1) as f32).collect(),
                _ => vec![self.t],
            };
            let n = ts.len();
            if let Some(worker) = &self.runtime.worker {
                worker.post(Request {
                    view,
                    latents: z.repeat(n),
                    labels: None,
                    blend: Some(LabelBlend {
                        from: vec![self.label; n],
                        to: vec![self.label_to; n],
                        t: ts,
                    }),
                    sweep: None,
                });
            }
            return;
        }
        // InfoGAN's grid is the paper's figure: category codes down, a continuous code across.
        let codes = generator.continuous_codes();
        if view == View::Grid && codes > 0 {
            if let Some(worker) = &self.runtime.worker {
                worker.post(Request {
                    view,
                    latents: z,
                    labels: None,
                    blend: None,
                    sweep: Some((self.sweep_code.min(codes - 1), GRID_COLS)),
                });
            }
            return;
        }
        let (latents, labels): (Vec<f32>, Option<Vec<u8>>) = match view {
            View::Digit => (z, conditional.then(|| vec![self.label])),
            View::Grid => {
                // Column 0 is the current latent; the other columns are fixed random latents.
                let mut rng = StdRng::seed_from_u64(self.grid_seed);
                let others = normal_latents_host(&mut rng, GRID_COLS - 1, dim);
                let mut row = z;
                row.extend(others);
                let rows = if conditional { classes } else { GRID_COLS };
                let mut latents = Vec::with_capacity(rows * GRID_COLS * dim);
                let mut labels = Vec::with_capacity(rows * GRID_COLS);
                for r in 0..rows {
                    if conditional {
                        latents.extend_from_slice(&row);
                    } else {
                        latents.extend(normal_latents_host(&mut rng, GRID_COLS, dim));
                    }
                    labels.extend(std::iter::repeat_n(r as u8, GRID_COLS));
                }
                if !conditional {
                    latents[..GRID_COLS * dim].copy_from_slice(&row);
                }
                (latents, conditional.then_some(labels))
            }
            View::Strip => (
                interpolate(&self.ends[0], &self.ends[1], STRIP, self.interpolation),
                conditional.then(|| vec![self.label; STRIP]),
            ),
            View::Frame => (
                point(&self.ends[0], &self.ends[1], self.t, self.interpolation),
                conditional.then(|| vec![self.label]),
            ),
        };
        if let Some(worker) = &self.runtime.worker {
            worker.post(Request {
                view,
                latents,
                labels,
                blend: None,
                sweep: None,
            });
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        self.ensure_loaded(shared);
        self.source_ui(ui, shared);
        ui.separator();
        if !self.is_loaded() {
            if self.is_loading() {
                ui.horizontal(|ui| {
                    crate::studio::widgets::spinner(ui);
                    ui.label("loading the generator...");
                });
            } else if let Some(e) = &self.runtime.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            return;
        }
        egui::Panel::left("explorer-sliders")
            .frame(crate::studio::widgets::clear_side(ui.style()))
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.sliders_ui(ui));
            });
        egui::CentralPanel::default()
            .frame(crate::studio::widgets::clear_central(ui.style()))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.images_ui(ui, shared));
            });
        if self.playing {
            let dt = ui.input(|i| i.stable_dt).min(0.1);
            self.t += dt * 0.25;
            if self.t > 1.0 {
                self.t = 0.0;
            }
            self.mark(View::Frame);
            ui.ctx().request_repaint();
        }
        for view in std::mem::take(&mut self.runtime.dirty) {
            self.request(view);
        }
        let ctx = ui.ctx().clone();
        let Self { runtime, .. } = self;
        runtime
            .export_digit
            .window(&ctx, "digit", &runtime.digit, shared.export, shared.notices);
        runtime.export_grid.window(
            &ctx,
            "class grid",
            &runtime.grid,
            shared.export,
            shared.notices,
        );
        runtime.export_strip.window(
            &ctx,
            "interpolation",
            &runtime.strip,
            shared.export,
            shared.notices,
        );
    }

    fn mark(&mut self, view: View) {
        if !self.runtime.dirty.contains(&view) {
            self.runtime.dirty.push(view);
        }
    }

    fn source_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        ui.horizontal(|ui| {
            let name = ui.label("Generator");
            let before = self.source.clone();
            let combo = egui::ComboBox::from_id_salt("explorer-source")
                .selected_text(self.source.describe())
                .show_ui(ui, |ui| {
                    for bundle in &crate::explore::bundle::BUNDLES {
                        let source = GeneratorSource::Bundled(bundle.dataset);
                        let text = source.describe();
                        ui.selectable_value(&mut self.source, source, text);
                    }
                    for run in list_runs(shared.runs_dir) {
                        if !run.is_classifier && run.has_checkpoint {
                            let source = GeneratorSource::run(shared.runs_dir, &run.name);
                            let text =
                                format!("run {} ({}, step {})", run.name, run.model, run.step);
                            ui.selectable_value(&mut self.source, source, text);
                        }
                    }
                });
            combo.response.labelled_by(name.id);
            if (self.source != before || ui.button("Reload").clicked()) && !self.is_loading() {
                self.runtime.generator = None;
                self.runtime.worker = None;
                self.load(shared);
            }
            if let Some(g) = &self.runtime.generator {
                ui.label(format!(
                    "{} {:?} · z of {} · on {}",
                    g.config.model.name(),
                    g.config.depth,
                    g.latent_dim(),
                    self.runtime.device_label
                ));
            }
            let digits = self
                .runtime
                .generator
                .as_ref()
                .is_none_or(LoadedGenerator::draws_digits);
            for (view, ms) in &self.runtime.timings {
                // Named as the panels are: clothes and photos are pictures.
                let name = match view {
                    View::Digit if digits => "Digit",
                    View::Digit => "Picture",
                    View::Grid => "Grid",
                    _ => continue,
                };
                ui.weak(format!("{name} {ms:.1} ms"));
            }
        });
    }

    fn sliders_ui(&mut self, ui: &mut egui::Ui) {
        let (conditional, classes) = match &self.runtime.generator {
            Some(g) => (g.is_conditional(), g.classes()),
            None => (false, 0),
        };
        let mut latent_changed = false;
        let codes = self
            .runtime
            .generator
            .as_ref()
            .map_or(0, LoadedGenerator::continuous_codes);
        let labels_are_classes = self
            .runtime
            .generator
            .as_ref()
            .is_none_or(LoadedGenerator::labels_are_classes);
        if conditional {
            if !labels_are_classes {
                ui.strong("Category code").on_hover_text(
                    "InfoGAN's categorical code: it found its own meaning for each value",
                );
            } else {
                ui.strong("Label");
            }
            let names: Vec<String> = (0..classes as u8)
                .map(|class| match &self.runtime.generator {
                    Some(g) if labels_are_classes => g.class_name(class),
                    _ => class.to_string(),
                })
                .collect();
            ui.horizontal_wrapped(|ui| {
                for (class, name) in (0..classes as u8).zip(names) {
                    if ui.selectable_value(&mut self.label, class, name).changed() {
                        self.mark(View::Digit);
                        self.mark(View::Strip);
                        self.mark(View::Frame);
                    }
                }
            });
        }
        ui.horizontal(|ui| {
            if ui
                .button("Randomise")
                .on_hover_text("New values for every unlocked coordinate")
                .clicked()
            {
                let mut rng = StdRng::seed_from_u64(rand::random());
                let fresh = normal_latents_host(&mut rng, 1, self.latent.len());
                for ((v, f), &locked) in self.latent.iter_mut().zip(fresh).zip(&self.locked) {
                    if !locked {
                        *v = f;
                    }
                }
                latent_changed = true;
            }
            if ui
                .button("New grid")
                .on_hover_text("Other latents for columns 2-10")
                .clicked()
            {
                self.grid_seed += 1;
                self.mark(View::Grid);
            }
        });
        // A PCA model's latent coordinates are its principal components, in standard deviations.
        let pca = self
            .runtime
            .generator
            .as_ref()
            .is_some_and(|g| g.config.model.family().latent_is_principal());
        // Its sliders below are the principal components already.
        if !pca {
            ui.strong("Principal directions")
                .on_hover_text("Directions of z along which the generated images change most");
        }
        let directions = if pca {
            0
        } else {
            self.runtime.directions.len()
        };
        for k in 0..self.offsets.len().min(directions) {
            latent_changed |= ui
                .add(
                    egui::Slider::new(&mut self.offsets[k], -4.0..=4.0)
                        .text(format!("PC{}", k + 1)),
                )
                .changed();
        }
        // InfoGAN's continuous codes sit at the end of z; they are shown first, under the
        // category picker, not after 62 noise sliders.
        let noise = self.latent.len() - codes.min(self.latent.len());
        if codes > 0 {
            ui.strong("Continuous codes").on_hover_text(
                "InfoGAN's continuous codes: it found its own meaning for each (the paper's \
                 digits: slant and width)",
            );
            for i in noise..self.latent.len() {
                latent_changed |= self.latent_row(ui, i, format!("c{}", i - noise + 1), true);
            }
        }
        let (heading, tip, name) = if pca {
            (
                "Principal components of the class",
                "Coefficient on each of the class's principal components, in standard \
                 deviations, largest variance first. Lock one to keep it when randomising",
                "PC",
            )
        } else if codes > 0 {
            (
                "Noise coordinates",
                "Lock a coordinate to keep it when randomising",
                "z",
            )
        } else {
            (
                "Latent coordinates",
                "Lock a coordinate to keep it when randomising",
                "z",
            )
        };
        ui.strong(format!("{heading} (all {noise}; scroll for more)"))
            .on_hover_text(tip);
        for i in 0..noise {
            let label = if pca {
                format!("{name}{}", i + 1)
            } else {
                format!("{name}{i}")
            };
            latent_changed |= self.latent_row(ui, i, label, false);
        }
        if latent_changed {
            self.mark(View::Digit);
            self.mark(View::Grid);
            if self.between_labels {
                self.mark(View::Strip);
                self.mark(View::Frame);
            }
        }
    }

    /// One latent coordinate's lock and slider; whether its value changed.
    fn latent_row(&mut self, ui: &mut egui::Ui, i: usize, label: String, code: bool) -> bool {
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.locked[i], "lock")
                .on_hover_text("Keep this coordinate when randomising");
            let slider = ui.add(egui::Slider::new(&mut self.latent[i], -3.0..=3.0).text(label));
            if code {
                slider.on_hover_text(
                    "Continuous code, set here as z ~ N(0, 1); the generator sees \
                     erf(z / √2), uniform on (-1, 1). The grid sweeps it from -2 to 2.",
                )
            } else {
                slider
            }
            .changed()
        })
        .inner
    }

    fn images_ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        let conditional = self
            .runtime
            .generator
            .as_ref()
            .is_some_and(|g| g.is_conditional());
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    let labels_are_classes = self
                        .runtime
                        .generator
                        .as_ref()
                        .is_none_or(LoadedGenerator::labels_are_classes);
                    let generator = self.runtime.generator.as_ref();
                    // Digits are digits; anything else (clothes, photos) is a picture.
                    let noun = if generator.is_none_or(LoadedGenerator::draws_digits) {
                        "Digit"
                    } else {
                        "Picture"
                    };
                    ui.strong(match generator {
                        Some(g) if conditional && labels_are_classes => {
                            format!("{noun} ({})", g.class_name(self.label))
                        }
                        _ if conditional => format!("{noun} (code {})", self.label),
                        _ => noun.to_owned(),
                    });
                    self.runtime
                        .export_digit
                        .button(ui, shared.export, "digit.png");
                });
                self.runtime
                    .digit
                    .show(ui, "explorer-digit", egui::vec2(224.0, 224.0));
            });
            let codes = self
                .runtime
                .generator
                .as_ref()
                .map_or(0, LoadedGenerator::continuous_codes);
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    if codes > 0 {
                        ui.strong("One row per category code, across: sweep");
                        let before = self.sweep_code;
                        for code in 0..codes {
                            ui.radio_value(&mut self.sweep_code, code, format!("c{}", code + 1));
                        }
                        ui.label("from -2 to 2");
                        if before != self.sweep_code {
                            self.mark(View::Grid);
                        }
                    } else {
                        ui.strong(if conditional {
                            "One row per class (column 1: this latent)"
                        } else {
                            "Samples (first: this latent)"
                        });
                    }
                    let file = if codes > 0 {
                        format!("code-sweep-c{}.png", self.sweep_code + 1)
                    } else {
                        "class-grid.png".to_owned()
                    };
                    self.runtime.export_grid.button(ui, shared.export, &file);
                });
                self.runtime
                    .grid
                    .show(ui, "explorer-grid", egui::vec2(360.0, 360.0));
            });
        });
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.strong("Interpolation");
            for (i, name) in ["A", "B"].iter().enumerate() {
                if ui
                    .button(format!("Set {name}"))
                    .on_hover_text(format!("Use the current latent as end {name}"))
                    .clicked()
                {
                    self.ends[i] = self.effective_latent();
                    self.mark(View::Strip);
                    self.mark(View::Frame);
                }
            }
            let before = (self.interpolation, self.between_labels, self.label_to);
            ui.radio_value(&mut self.interpolation, Interpolation::Linear, "linear");
            ui.radio_value(&mut self.interpolation, Interpolation::Spherical, "spherical");
            if conditional {
                ui.checkbox(&mut self.between_labels, "between labels").on_hover_text(
                    "Keep this latent and blend the label embedding from the chosen label to another",
                );
                if self.between_labels {
                    let name = ui.label("to");
                    let classes = self.runtime.generator.as_ref().map_or(10, |g| g.classes());
                    egui::ComboBox::from_id_salt("label-to")
                        .selected_text(self.label_to.to_string())
                        .width(40.0)
                        .show_ui(ui, |ui| {
                            for class in 0..classes as u8 {
                                ui.selectable_value(&mut self.label_to, class, class.to_string());
                            }
                        })
                        .response
                        .labelled_by(name.id);
                }
            }
            if before != (self.interpolation, self.between_labels, self.label_to) {
                self.mark(View::Strip);
                self.mark(View::Frame);
            }
            if ui
                .button(if self.playing { "Pause" } else { "Play" })
                .clicked()
            {
                self.playing = !self.playing;
            }
            if ui
                .add(egui::Slider::new(&mut self.t, 0.0..=1.0).text("t"))
                .changed()
            {
                self.mark(View::Frame);
            }
            self.runtime
                .export_strip
                .button(ui, shared.export, "interpolation.png");
        });
        ui.horizontal_top(|ui| {
            let width = (ui.available_width() - 110.0).max(100.0);
            let shown = self
                .runtime
                .strip
                .show(ui, "explorer-strip", egui::vec2(width, 90.0));
            // The moving frame is as tall as the strip beside it, never taller.
            let side = shown.map_or(90.0, |r| r.rect.height());
            self.runtime
                .frame
                .show(ui, "explorer-frame", egui::vec2(side, side));
        });
    }
}
