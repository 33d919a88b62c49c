//! The Translate tab: a CycleGAN run translates a held-out picture (browse them) or your own
//! (open or drop one) there and back, either way; the slides' grid of held-out pictures shows
//! below and exports as PNG.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use serde::{Deserialize, Serialize};

use super::Shared;
use crate::cyclegan::Direction;
use crate::cyclegan::run::GRID_COLUMNS;
use crate::studio::jobs::Outcome;
use crate::studio::jobs::translate::{self, LoadedCycleGan};
use crate::studio::widgets::{DigitGrid, ExportDialog};

/// Where the translated picture comes from.
#[derive(Clone, Debug, PartialEq)]
enum Source {
    HeldOut(usize),
    File(PathBuf),
}

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct TranslateTab {
    /// The run last chosen (loaded again when the tab opens).
    pub run: Option<String>,
    #[serde(skip)]
    pub direction: Direction,
    #[serde(skip)]
    source: Source,
    #[serde(skip)]
    pub loaded: Option<LoadedCycleGan>,
    #[serde(skip)]
    loading: Option<Receiver<Outcome<LoadedCycleGan>>>,
    #[serde(skip)]
    translating: Option<Receiver<Outcome<Vec<f32>>>>,
    /// What is shown (direction, source) and whether it needs translating again.
    #[serde(skip)]
    shown: Option<(Direction, Source)>,
    /// Input, translated, back.
    #[serde(skip)]
    pub triple: DigitGrid,
    #[serde(skip)]
    pub grid: DigitGrid,
    #[serde(skip)]
    export: ExportDialog,
    #[serde(skip)]
    pub problem: Option<String>,
}

impl Default for TranslateTab {
    fn default() -> Self {
        Self {
            run: None,
            direction: Direction::A2b,
            source: Source::HeldOut(0),
            loaded: None,
            loading: None,
            translating: None,
            shown: None,
            triple: DigitGrid::default(),
            grid: DigitGrid::default(),
            export: ExportDialog::default(),
            problem: None,
        }
    }
}

impl TranslateTab {
    pub fn is_busy(&self) -> bool {
        self.loading.is_some() || self.translating.is_some()
    }

    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        if let Some(rx) = &self.loading
            && let Ok(outcome) = rx.try_recv()
        {
            self.loading = None;
            match outcome {
                Ok(loaded) => {
                    let side = loaded.config.image_size;
                    let (tiles, rows) = &loaded.grid;
                    self.grid.set(
                        tiles.clone(),
                        rows * GRID_COLUMNS.len(),
                        side,
                        GRID_COLUMNS.len(),
                    );
                    shared.notices.clear("translate");
                    self.source = Source::HeldOut(0);
                    self.shown = None;
                    self.loaded = Some(loaded);
                }
                Err(e) => {
                    shared
                        .notices
                        .error("translate", format!("cannot open the run: {e}"));
                    self.problem = Some(e);
                }
            }
        }
        if let Some(rx) = &self.translating
            && let Ok(outcome) = rx.try_recv()
        {
            self.translating = None;
            match (outcome, &self.loaded) {
                (Ok(tiles), Some(loaded)) => {
                    self.triple.set(tiles, 3, loaded.config.image_size, 3);
                }
                (Err(e), _) => self.problem = Some(e),
                _ => {}
            }
        }
    }

    fn start_loading(&mut self, name: String, shared: &mut Shared<'_>) {
        let (device, _) = shared.compute.explorer();
        self.problem = None;
        self.loaded = None;
        self.triple = DigitGrid::default();
        self.grid = DigitGrid::default();
        self.run = Some(name.clone());
        self.loading = Some(translate::load(
            shared.runs_dir.clone(),
            name,
            shared.data_dir.clone(),
            device,
            shared.waker.clone(),
        ));
    }

    /// The picture to translate now, in [-1, 1].
    fn picture(&self, loaded: &LoadedCycleGan) -> anyhow::Result<Vec<f32>> {
        match &self.source {
            Source::HeldOut(i) => {
                let split = match self.direction {
                    Direction::A2b => &loaded.held_a,
                    Direction::B2a => &loaded.held_b,
                };
                let i = (*i).min(split.len().saturating_sub(1));
                Ok(split.batch_pixels(&[i], None))
            }
            Source::File(path) => translate::read_picture(path, &loaded.config),
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, shared: &mut Shared<'_>) {
        let runs = translate::list(shared.runs_dir);
        ui.horizontal(|ui| {
            let label = ui.label("CycleGAN run");
            let mut chosen = self.run.clone();
            egui::ComboBox::from_id_salt("translate-run")
                .selected_text(chosen.as_deref().unwrap_or("choose a run"))
                .show_ui(ui, |ui| {
                    for name in &runs {
                        ui.selectable_value(&mut chosen, Some(name.clone()), name);
                    }
                })
                .response
                .labelled_by(label.id);
            let loaded_name = self.loaded.as_ref().map(|l| l.name.clone());
            if let Some(name) = chosen
                && self.loading.is_none()
                && (loaded_name.as_ref() != Some(&name) || ui.button("Reload").clicked())
                && (self.problem.is_none() || self.run.as_ref() != Some(&name))
            {
                self.start_loading(name, shared);
            }
            if self.loading.is_some() {
                crate::studio::widgets::spinner(ui);
                ui.label("reading the run and its held-out pictures...");
            }
        });
        if runs.is_empty() {
            ui.label(
                "No CycleGAN runs in the runs folder yet. Train one in Training > CycleGAN, or: \
                 gan-studio train --model cyclegan --domain-a cifar10:grey --domain-b cifar10 \
                 --run grey2colour",
            );
        } else if self.run.is_none() {
            ui.weak(
                "Choose a run: it translates its held-out pictures, or a picture you open, from \
                 one of its domains to the other and back. A whole folder: gan-studio \
                 translate --run NAME --input DIR --output DIR",
            );
        }
        if let Some(problem) = &self.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        let Some(loaded) = self.loaded.clone() else {
            return;
        };
        let (a, b) = (&loaded.config.domain_a.spec, &loaded.config.domain_b.spec);
        ui.horizontal(|ui| {
            ui.label("Direction");
            ui.radio_value(
                &mut self.direction,
                Direction::A2b,
                format!("A -> B ({a} -> {b})"),
            );
            ui.radio_value(
                &mut self.direction,
                Direction::B2a,
                format!("B -> A ({b} -> {a})"),
            );
        });
        let held = match self.direction {
            Direction::A2b => loaded.held_a.len(),
            Direction::B2a => loaded.held_b.len(),
        };
        ui.horizontal(|ui| {
            let mut index = match self.source {
                Source::HeldOut(i) => i.min(held.saturating_sub(1)),
                Source::File(_) => 0,
            };
            let slider = ui.add(
                egui::Slider::new(&mut index, 0..=held.saturating_sub(1)).text("Held-out picture"),
            );
            let previous = ui.button("<").clicked();
            let next = ui.button(">").clicked();
            if previous {
                index = index.saturating_sub(1);
            }
            if next {
                index = (index + 1).min(held.saturating_sub(1));
            }
            if slider.changed() || previous || next {
                self.source = Source::HeldOut(index);
            }
            ui.weak(format!("of {held} never trained on"));
            ui.separator();
            if ui
                .button("Open picture...")
                .on_hover_text("Translate a PNG or JPEG of your own (or drop one on the window)")
                .clicked()
                && let Some(path) = rfd::FileDialog::new()
                    .add_filter("pictures", &["png", "jpg", "jpeg"])
                    .pick_file()
            {
                self.source = Source::File(path);
            }
        });
        if let Some(path) = ui
            .ctx()
            .input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()))
            .filter(|path| !path.as_os_str().is_empty())
        {
            self.source = Source::File(path);
        }
        let wanted = (self.direction, self.source.clone());
        if self.translating.is_none() && self.shown.as_ref() != Some(&wanted) {
            match self.picture(&loaded) {
                Ok(picture) => {
                    self.problem = None;
                    self.translating = Some(translate::there_and_back(
                        &loaded,
                        picture,
                        self.direction,
                        shared.waker.clone(),
                    ));
                }
                Err(e) => self.problem = Some(format!("{e:#}")),
            }
            self.shown = Some(wanted);
        }
        ui.separator();
        let (from, to) = match self.direction {
            Direction::A2b => (a, b),
            Direction::B2a => (b, a),
        };
        ui.label(format!(
            "Input ({from})  |  Translated ({to})  |  Translated back ({from})"
        ));
        if let Source::File(path) = &self.source {
            ui.weak(path.display().to_string());
        }
        self.triple.show(
            ui,
            "translate-triple",
            egui::vec2(ui.available_width().min(600.0), 220.0),
        );
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(format!(
                "Held-out pictures, columns: {}",
                GRID_COLUMNS.join(", ")
            ));
            self.export.button(
                ui,
                shared.export,
                &format!("{}-translations.png", loaded.name),
            );
        });
        self.grid.show(
            ui,
            "translate-grid",
            egui::vec2(ui.available_width(), ui.available_height().max(100.0)),
        );
        self.export.window(
            ui.ctx(),
            "translations",
            &self.grid,
            shared.export,
            shared.notices,
        );
    }
}
