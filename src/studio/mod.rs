//! The studio: an eframe window over the same library the CLI uses. Heavy work runs in
//! [`jobs`]; tabs only draw and send requests.

pub mod app;
pub mod compute;
pub mod jobs;
pub mod tabs;
pub mod widgets;

pub use app::{StudioApp, StudioState};

/// Opens the studio window and returns when it closes.
pub fn run() -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        wgpu_options: compute::wgpu_configuration(),
        viewport: egui::ViewportBuilder::default()
            .with_title("GAN Studio")
            .with_app_id("gan-studio")
            .with_inner_size([1360.0, 860.0])
            .with_min_inner_size([900.0, 600.0]),
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "GAN Studio",
        options,
        Box::new(|cc| Ok(Box::new(StudioApp::new(cc)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the studio window: {e}"))
}
