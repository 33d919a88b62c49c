//! Reusable pieces of the studio's UI.

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
        let spinner = if busy { 28.0 } else { 0.0 };
        ui.add(
            egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
                .desired_width((ui.available_width() - spinner).max(60.0)),
        );
        if busy {
            ui.spinner();
        }
    });
}
