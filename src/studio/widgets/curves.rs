//! Training curves as the Training and CycleGAN tabs draw them ([`crate::export::curves`]
//! makes them): the smoothing slider, and the plot with its legend or key and "Export PNG...".

use egui_plot::{ColorConflictHandling, HoverPosition, Legend, Line, Plot, PlotPoints};

use super::PlotExport;
use crate::export::curves::{Curves, DEFAULT_SMOOTHING, MAX_SMOOTHING};
use crate::export::plot::series_rgb;
use crate::studio::tabs::Shared;

/// A tab's smoothing weight as saved with the studio's state: 0 to [`MAX_SMOOTHING`] once
/// read through [`crate::export::curves::clamp_smoothing`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Smoothing(pub f32);

impl Default for Smoothing {
    fn default() -> Self {
        Self(DEFAULT_SMOOTHING)
    }
}

/// The smoothing slider; the plots read the weight when they are next worked out.
pub fn smoothing_ui(ui: &mut egui::Ui, smoothing: &mut Smoothing) {
    if !smoothing.0.is_finite() {
        smoothing.0 = 0.0;
    }
    let smoothing = &mut smoothing.0;
    ui.add(
        egui::Slider::new(smoothing, 0.0..=MAX_SMOOTHING)
            .fixed_decimals(2)
            .text("Smoothing"),
    )
    .on_hover_text(
        "Each curve is drawn as a moving average of its past values (TensorBoard's smoothing: \
         0.9 weighs about the last 10 steps), with every step's raw value faint behind it. 0 \
         draws the raw values alone. Exports draw the same.",
    );
}

/// The colour of curve `index`, the same as in the exported PNG.
pub fn series_colour(index: usize) -> egui::Color32 {
    let (r, g, b) = series_rgb(index);
    egui::Color32::from_rgb(r, g, b)
}

/// Draws `curves` `width` wide, with its title and "Export PNG...". More than four curves get
/// a key below the plot, where a legend would cover it. `include_y` widens the y range (e.g.
/// to [0, 1] for D's outputs).
pub fn show(
    ui: &mut egui::Ui,
    curves: &Curves,
    width: f32,
    include_y: &[f64],
    export: &mut PlotExport,
    shared: &mut Shared<'_>,
) {
    ui.horizontal(|ui| {
        ui.strong(curves.title);
        export.button(ui, shared.export, curves.file);
    });
    let many = curves.lines.len() > 4;
    let y_label = curves.y_label;
    let mut plot = Plot::new(curves.title)
        // The wheel scrolls the page these plots sit in, not the plot.
        .allow_scroll(false)
        .height(if many { 220.0 } else { 150.0 })
        .width(width)
        .x_axis_label("step")
        .y_axis_label(y_label)
        .label_formatter(move |position| match position {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!(
                "{plot_name}\nstep {:.0}\n{y_label} {:.4}",
                position.x, position.y
            )),
            HoverPosition::Elsewhere { position } => Some(format!(
                "step {:.0}\n{y_label} {:.4}",
                position.x, position.y
            )),
        });
    if !many {
        // A curve's raw and smoothed lines share its name, so one entry toggles both; the
        // entry takes the smoothed line's full colour.
        plot = plot.legend(
            Legend::default()
                .text_style(egui::TextStyle::Small)
                // In the order the curves are drawn, as the exported PNG lists them.
                .follow_insertion_order(true)
                .color_conflict_handling(ColorConflictHandling::PickLast),
        );
    }
    for &y in include_y {
        plot = plot.include_y(y);
    }
    plot.show(ui, |plot| {
        for (i, curve) in curves.lines.iter().enumerate() {
            let colour = series_colour(i);
            let raw = Line::new(curve.name.clone(), PlotPoints::from(curve.points.clone()));
            match &curve.smoothed {
                Some(smoothed) => {
                    plot.line(raw.color(colour.gamma_multiply(0.3)).width(1.0));
                    plot.line(
                        Line::new(curve.name.clone(), PlotPoints::from(smoothed.clone()))
                            .color(colour)
                            .width(1.5),
                    );
                }
                None => plot.line(raw.color(colour)),
            }
        }
    });
    if many {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 10.0;
            for (i, curve) in curves.lines.iter().enumerate() {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("— {}", curve.name))
                            .small()
                            .color(series_colour(i)),
                    )
                    .wrap_mode(egui::TextWrapMode::Extend),
                );
            }
        });
    }
    export.window(ui.ctx(), curves.title, shared.notices, |path| {
        curves.write_png(path)
    });
}
