//! Reusable pieces of the studio's UI.

pub mod classifier_choice;
pub mod curves;
pub mod digits;
pub mod export;
pub mod notices;

pub use digits::DigitGrid;
pub use export::{ExportDialog, ExportSettings, PlotExport};
pub use notices::Notices;

/// Panel frames without a background fill. On a software rasteriser every full-window fill costs
/// tens of milliseconds (examples/frame_cost.rs), so the window is cleared to the panel colour
/// once (`App::clear_color`) and panels only draw their contents.
pub fn clear_central(style: &egui::Style) -> egui::Frame {
    egui::Frame::central_panel(style).fill(egui::Color32::TRANSPARENT)
}

/// Side panel frame without a fill; see [`clear_central`].
pub fn clear_side(style: &egui::Style) -> egui::Frame {
    egui::Frame::side_top_panel(style).fill(egui::Color32::TRANSPARENT)
}

/// A progress bar with its text beside it, where nothing can cover it: egui draws a short
/// bar's fill as a disc, and its animated bar a spinner, over text inside the bar.
pub fn progress_ui(ui: &mut egui::Ui, fraction: f32, text: &str, busy: bool) {
    ui.horizontal(|ui| {
        ui.label(text);
        let spinner_width = if busy { 28.0 } else { 0.0 };
        ui.add(
            egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
                .desired_width((ui.available_width() - spinner_width).max(60.0)),
        );
        if busy {
            spinner(ui);
        }
    });
}

/// A spinner drawn a [`crate::studio::pacing::gap`] apart. egui's own asks for the next frame every
/// frame, so the UI thread draws without pause for as long as a job runs: on a software
/// rasteriser that is a core, taken from the job (BENCHMARKS.md, "The studio's window").
pub fn spinner(ui: &mut egui::Ui) {
    let side = ui.spacing().interact_size.y;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    ui.ctx()
        .request_repaint_after(crate::studio::pacing::gap(ui.ctx()));
    // A 270-degree arc turning once a second.
    let start = ui.input(|i| i.time) * std::f64::consts::TAU;
    let radius = rect.height() * 0.5 - 2.0;
    let points: Vec<egui::Pos2> = (0..=24)
        .map(|i| {
            let angle = (start + f64::from(i) / 24.0 * 1.5 * std::f64::consts::PI) as f32;
            rect.center() + radius * egui::vec2(angle.cos(), angle.sin())
        })
        .collect();
    let stroke = egui::Stroke::new(3.0, ui.visuals().strong_text_color());
    ui.painter().add(egui::Shape::line(points, stroke));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn the_spinner_and_a_busy_progress_bar_ask_for_their_next_frame_a_gap_later() {
        let ctx = egui::Context::default();
        let gap = Duration::from_millis(500);
        crate::studio::pacing::set_gap(&ctx, gap);
        let frame = || {
            ctx.run_ui(egui::RawInput::default(), |ui| {
                super::spinner(ui);
                super::progress_ui(ui, 0.5, "evaluating", true);
            })
            .drop_without_applying_deltas();
        };
        // egui asks for a second pass after the first frame of a context; watch from then on.
        frame();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let record = asked.clone();
        ctx.set_repaint_observer(move |info| record.lock().unwrap().push(info.delay));
        for _ in 0..3 {
            frame();
        }
        let asked = asked.lock().unwrap();
        // Two spinners a frame, three frames; egui's own spinner asked with no delay.
        assert_eq!(*asked, vec![gap; 6]);
    }
}
