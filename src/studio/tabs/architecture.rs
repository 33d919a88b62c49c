//! The Training tab's architecture panel: the networks the current options build, as a column
//! of layers each, with totals and a step time measured on the training device.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::Shared;
use super::training::TrainingForm;
use crate::export::architecture::{architecture_png, kind_rgb};
use crate::model::summary::{
    ArchitectureSummary, NetworkSummary, format_bytes, format_count, format_shape,
};
use crate::studio::jobs::{Outcome, spawn_once};
use crate::studio::widgets::PlotExport;
use crate::train::TrainConfig;

/// A measurement starts once the options have been still this long, so dragging a value does
/// not start one per frame.
const SETTLE: Duration = Duration::from_millis(600);

/// What decides a step's cost: the architecture and the shape of a step. Learning rates,
/// seeds and schedules do not, and changing them keeps the measurement.
fn timing_key(config: &TrainConfig, device: &str) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{:?}|{device}",
        serde_json::to_string(&config.gan).unwrap_or_default(),
        config.batch_size,
        config.d_updates,
        config.g_updates,
        config.mismatch,
        config.augment,
        config.ema_decay.is_some(),
    )
}

/// A step time measured for one [`timing_key`].
struct Timing {
    key: String,
    median_ms: f64,
    device: String,
    batch_size: usize,
}

#[derive(Default)]
pub struct ArchitecturePanel {
    /// The config the summary was made from, to rebuild only on change.
    summarised: Option<crate::model::GanConfig>,
    summary: Option<ArchitectureSummary>,
    /// When the step-shaping options last changed.
    changed_at: Option<Instant>,
    last_key: String,
    measuring: Option<(String, Receiver<Outcome<f64>>)>,
    timing: Option<Timing>,
    timing_error: Option<String>,
    export: PlotExport,
}

impl ArchitecturePanel {
    /// The panel for `form`'s options. `busy`: a run is training, so a measurement would only
    /// measure the two competing for the cores.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        form: &TrainingForm,
        busy: bool,
        shared: &mut Shared<'_>,
    ) {
        let gan = &form.config.gan;
        if self.summarised.as_ref() != Some(gan) {
            self.summary = gan.validate().is_ok().then(|| gan.summary());
            self.summarised = Some(gan.clone());
        }
        let (device, device_name) = shared.compute.training();
        self.time_ui_update(ui, &form.config, device, &device_name, busy, shared);
        let Some(summary) = self.summary.clone() else {
            ui.weak("These options do not make a network (see the error when you press Start).");
            return;
        };
        let totals = self.totals(&summary, &form.config, &device_name, busy);
        ui.horizontal(|ui| {
            ui.heading("Architecture");
            self.export.button(ui, shared.export, "architecture.png");
        });
        for line in &totals {
            ui.label(line);
        }
        ui.separator();
        network_ui(ui, "Generator", "z", &summary.generator);
        ui.add_space(8.0);
        network_ui(ui, "Discriminator", "image", &summary.discriminator);
        let title = format!(
            "{} {:?}, latent {}",
            gan.model.name(),
            gan.depth,
            gan.latent_dim
        )
        .to_lowercase();
        self.export
            .window(ui.ctx(), "architecture", shared.notices, |path| {
                architecture_png(path, &title, &summary, &totals)
            });
    }

    /// The totals as lines, shared by the panel and its PNG.
    fn totals(
        &self,
        summary: &ArchitectureSummary,
        config: &TrainConfig,
        device: &str,
        busy: bool,
    ) -> Vec<String> {
        let (g, d) = (&summary.generator, &summary.discriminator);
        let params = format!(
            "Parameters: G {} + D {} = {}",
            format_count(g.params() as u64),
            format_count(d.params() as u64),
            format_count(summary.params() as u64)
        );
        let macs = format!(
            "Multiply-adds per image: G {}, D {}",
            format_count(g.macs()),
            format_count(d.macs())
        );
        if !config.gan.model.family().adversarial() {
            return vec![
                params,
                macs,
                "No training steps: fitted in closed form".to_owned(),
            ];
        }
        let step = match (&self.timing, &self.measuring, &self.timing_error) {
            (Some(t), None, _) if t.key == timing_key(config, device) => format!(
                "Time per step: {:.0} ms on {} (measured, batch {})",
                t.median_ms, t.device, t.batch_size
            ),
            (_, Some(_), _) => "Time per step: measuring...".to_owned(),
            (_, _, Some(e)) => format!("Time per step: not measured ({e})"),
            _ if busy => "Time per step: measured when no run is training".to_owned(),
            _ => "Time per step: measuring soon...".to_owned(),
        };
        vec![
            params,
            macs,
            format!(
                "Memory of a batch of {}: about {}",
                config.batch_size,
                format_bytes(summary.training_bytes(config.batch_size))
            ),
            step,
        ]
    }

    /// Starts a measurement once the options have settled, and takes its answer.
    fn time_ui_update(
        &mut self,
        ui: &egui::Ui,
        config: &TrainConfig,
        device: burn::prelude::Device,
        device_name: &str,
        busy: bool,
        shared: &Shared<'_>,
    ) {
        if let Some((key, rx)) = &self.measuring
            && let Ok(outcome) = rx.try_recv()
        {
            match outcome {
                Ok(median_ms) => {
                    self.timing = Some(Timing {
                        key: key.clone(),
                        median_ms,
                        device: device_name.to_owned(),
                        batch_size: config.batch_size,
                    });
                    self.timing_error = None;
                }
                Err(e) => self.timing_error = Some(e),
            }
            self.measuring = None;
        }
        let key = timing_key(config, device_name);
        if key != self.last_key {
            self.last_key = key.clone();
            self.changed_at = Some(Instant::now());
            self.timing_error = None;
        }
        let measured = self.timing.as_ref().is_some_and(|t| t.key == key);
        // A family fitted in closed form has no step to time (timing one fitted PCA on
        // stand-in pictures, at 100% of a core for minutes).
        let steps = config.gan.model.family().adversarial();
        if measured || self.measuring.is_some() || busy || self.summary.is_none() || !steps {
            return;
        }
        let settled_for = self.changed_at.map_or(SETTLE, |t| t.elapsed());
        if settled_for < SETTLE {
            ui.ctx().request_repaint_after(SETTLE - settled_for);
            return;
        }
        let config = config.clone();
        let name = device_name.to_owned();
        let rx = spawn_once("step-timing", shared.waker.clone(), move || {
            measure_step(config, &device, &name)
        });
        self.measuring = Some((key, rx));
    }
}

/// One warm-up step and the median of two timed ones on stand-in data (random pixels cost
/// what digits cost), in a throwaway run folder.
fn measure_step(
    config: TrainConfig,
    device: &burn::prelude::Device,
    name: &str,
) -> anyhow::Result<f64> {
    config.validate()?;
    let data = crate::bench::synthetic_split(config.batch_size * 2 + 1);
    let throughput = crate::bench::train_throughput(config, data, device, name, 1, 2, 1)?;
    Ok(throughput.median_ms)
}

/// One network as boxes top to bottom: input, then every layer with its output shape.
fn network_ui(ui: &mut egui::Ui, title: &str, input: &str, network: &NetworkSummary) {
    ui.strong(format!(
        "{title}: {} parameters",
        format_count(network.params() as u64)
    ));
    layer_box(ui, input, "", &format_shape(&network.input), 0);
    for layer in &network.layers {
        arrow_ui(ui);
        layer_box(
            ui,
            &layer.name,
            &layer.kind,
            &format_shape(&layer.output),
            layer.params,
        );
    }
}

/// A short downward arrow between two boxes (the default fonts have no arrow glyph).
fn arrow_ui(ui: &mut egui::Ui) {
    let (rect, _) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), 12.0), egui::Sense::hover());
    let stroke = egui::Stroke::new(1.0, ui.visuals().weak_text_color());
    ui.painter()
        .arrow(rect.center_top(), egui::vec2(0.0, rect.height()), stroke);
}

fn layer_box(ui: &mut egui::Ui, name: &str, kind: &str, shape: &str, params: usize) {
    let (r, g, b) = kind_rgb(kind);
    let tint = egui::Color32::from_rgb(r, g, b);
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, tint))
        .fill(tint.gamma_multiply(0.18))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 3))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            // Wrapped, so a narrow panel stacks the words instead of running past its edge.
            ui.horizontal_wrapped(|ui| {
                ui.strong(name);
                if !kind.is_empty() {
                    ui.label(kind);
                }
            });
            ui.horizontal_wrapped(|ui| {
                ui.monospace(shape);
                if params > 0 {
                    ui.weak(format!("{} params", format_count(params as u64)));
                }
            });
        });
}
