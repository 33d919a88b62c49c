//! The embedding tab: PCA or t-SNE of the classifier's features for real and generated
//! pictures, coloured by class, marker by real/generated; the legend toggles classes and
//! hovering a point shows its picture.

use std::sync::mpsc::Receiver;

use egui::Color32;
use egui_plot::{Legend, MarkerShape, Plot, Points};
use serde::{Deserialize, Serialize};

use super::Shared;
use crate::eval::embedding::Method;
use crate::explore::LoadedGenerator;
use crate::studio::jobs::Outcome;
use crate::studio::jobs::embedding::{self, Embedding, Request};
use crate::studio::widgets::{DigitGrid, PlotExport};

#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingTab {
    pub method: Method,
    pub per_set: usize,
    /// A classifier run to read the pictures with; None uses the bundled classifier.
    pub classifier: Option<String>,
    #[serde(skip)]
    pub result: Option<Embedding>,
    #[serde(skip)]
    job: Option<Receiver<Outcome<Embedding>>>,
    #[serde(skip)]
    hovered: Option<usize>,
    #[serde(skip)]
    hovered_digit: DigitGrid,
    #[serde(skip)]
    export: PlotExport,
    /// Why the last computation failed, shown in the tab.
    #[serde(skip)]
    pub problem: Option<String>,
}

impl Default for EmbeddingTab {
    fn default() -> Self {
        Self {
            method: Method::Pca,
            per_set: 1000,
            classifier: None,
            result: None,
            job: None,
            hovered: None,
            hovered_digit: DigitGrid::default(),
            export: PlotExport::default(),
            problem: None,
        }
    }
}

/// Ten distinct class colours, the same as in exported scatters (`export::plot::class_rgb`):
/// none of them grey, which the legend uses for a hidden class.
pub fn class_colour(class: usize) -> Color32 {
    let (r, g, b) = crate::export::plot::class_rgb(class);
    Color32::from_rgb(r, g, b)
}

impl EmbeddingTab {
    pub fn is_computing(&self) -> bool {
        self.job.is_some()
    }

    pub fn drain(&mut self, shared: &mut Shared<'_>) {
        if let Some(rx) = &self.job
            && let Ok(outcome) = rx.try_recv()
        {
            self.job = None;
            match outcome {
                Ok(result) => {
                    let lowered = match result.perplexity {
                        Some(used) if used < embedding::PERPLEXITY => format!(
                            " (perplexity {used:.1}: too few points for {})",
                            embedding::PERPLEXITY
                        ),
                        _ => String::new(),
                    };
                    shared.notices.info(
                        "embedding",
                        format!(
                            "{} of {} points in {:.1} s{lowered}",
                            result.method.title(),
                            result.points.len(),
                            result.seconds
                        ),
                    );
                    self.result = Some(result);
                    self.hovered = None;
                }
                Err(e) => {
                    shared
                        .notices
                        .error("embedding", format!("embedding failed: {e}"));
                    self.problem = Some(e);
                }
            }
        }
    }

    pub fn compute(&mut self, generator: &LoadedGenerator, shared: &mut Shared<'_>) {
        let (device, _) = shared.compute.training();
        shared.notices.clear("embedding");
        self.problem = None;
        self.job = Some(embedding::spawn(
            Request {
                generator: generator.clone(),
                classifier: self
                    .classifier
                    .as_ref()
                    .map(|c| crate::eval::classifier::classifier_dir(shared.runs_dir, c)),
                data_dir: shared.data_dir.clone(),
                per_set: self.per_set,
                method: self.method,
                device,
            },
            shared.waker.clone(),
        ));
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        shared: &mut Shared<'_>,
        generator: Option<&LoadedGenerator>,
    ) {
        ui.horizontal(|ui| {
            ui.label("Map");
            ui.radio_value(&mut self.method, Method::Pca, "PCA");
            ui.radio_value(&mut self.method, Method::Tsne, "t-SNE");
            let name = ui.label("Points per set");
            ui.add(egui::DragValue::new(&mut self.per_set).range(100..=5000))
                .labelled_by(name.id);
            let runs = super::list_runs(shared.runs_dir);
            crate::studio::widgets::classifier_choice::classifier_combo(
                ui,
                "embedding-classifier",
                &mut self.classifier,
                super::classifier_names(&runs),
            );
            let ready = generator.is_some() && !self.is_computing();
            if ui
                .add_enabled(ready, egui::Button::new("Compute"))
                .on_hover_text(
                    "Real test pictures and the explorer's generator's, through the chosen \
                     classifier's features",
                )
                .clicked()
                && let Some(generator) = generator
            {
                self.compute(generator, shared);
            }
            if self.is_computing() {
                crate::studio::widgets::spinner(ui);
                ui.label(format!("computing the {} map...", self.method.title()));
            }
            match generator {
                Some(g) => ui.weak(format!("generated by {}", g.source.describe())),
                None => ui.weak("load a generator in the explorer first"),
            };
            if self.result.is_some() {
                self.export.button(ui, shared.export, "embedding.png");
            }
        });
        ui.label("circles: real, crosses: generated · click a class in the legend to hide it · hover a point to see its picture");
        if let Some(problem) = &self.problem {
            ui.add(
                egui::Label::new(egui::RichText::new(problem).color(ui.visuals().error_fg_color))
                    .wrap(),
            );
        }
        let Some(result) = &self.result else {
            if !self.is_computing() && self.problem.is_none() {
                ui.label("Press Compute to map real and generated pictures.");
            }
            return;
        };
        let inputs = &result.inputs;
        let [x_axis, y_axis] = result.method.axes();
        let response = Plot::new("embedding")
            // Classes in label order, not alphabetical.
            .legend(Legend::default().follow_insertion_order(true))
            .data_aspect(1.0)
            .x_axis_label(x_axis)
            .y_axis_label(y_axis)
            .show(ui, |plot| {
                for (class, name) in result.class_names.iter().enumerate() {
                    let class = class as u8;
                    for real in [true, false] {
                        let points: Vec<[f64; 2]> = result
                            .points
                            .iter()
                            .zip(inputs.labels.iter().zip(&inputs.real))
                            .filter(|(_, (l, r))| **l == class && **r == real)
                            .map(|(p, _)| [f64::from(p[0]), f64::from(p[1])])
                            .collect();
                        plot.points(
                            Points::new(name.as_str(), points)
                                .color(class_colour(usize::from(class)))
                                .shape(if real {
                                    MarkerShape::Circle
                                } else {
                                    MarkerShape::Cross
                                })
                                .radius(if real { 2.0 } else { 2.5 }),
                        );
                    }
                }
                plot.pointer_coordinate().map(|c| (c, plot.plot_bounds()))
            });
        let hovered = response.inner.and_then(|(pointer, bounds)| {
            // Nearest point within 2% of the view, measured in view-relative units.
            let (w, h) = (bounds.width().max(1e-9), bounds.height().max(1e-9));
            result
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let dx = (f64::from(p[0]) - pointer.x) / w;
                    let dy = (f64::from(p[1]) - pointer.y) / h;
                    (i, dx * dx + dy * dy)
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|(_, d)| *d < 0.02 * 0.02)
                .map(|(i, _)| i)
        });
        if hovered != self.hovered {
            self.hovered = hovered;
            if let Some(i) = hovered {
                self.hovered_digit
                    .set(inputs.image(i).to_vec(), 1, inputs.side, 1);
            }
        }
        if let Some(i) = self.hovered {
            let text = format!(
                "{} {} · confidence {:.2}",
                if inputs.real[i] { "real" } else { "generated" },
                result
                    .class_names
                    .get(usize::from(inputs.labels[i]))
                    .map_or("?", String::as_str),
                inputs.confidence[i]
            );
            let digit = &mut self.hovered_digit;
            response.response.on_hover_ui_at_pointer(|ui| {
                ui.label(text);
                digit.show(ui, "embedding-hover", egui::vec2(84.0, 84.0));
            });
        }
        let ctx = ui.ctx().clone();
        let Self { export, result, .. } = self;
        if let Some(result) = result {
            export.window(&ctx, "embedding", shared.notices, |path| {
                crate::export::plot::scatter_png(
                    path,
                    &format!("{} of classifier features", result.method.title()),
                    &result.points,
                    &result.inputs.labels,
                    &result.inputs.real,
                    &result.class_names,
                )
            });
        }
    }
}
