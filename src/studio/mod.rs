//! The studio: an eframe window over the same library the CLI uses. Heavy work runs in
//! [`jobs`]; tabs only draw and send requests.

pub mod app;
pub mod compute;
pub mod gpu_grid;
pub mod jobs;
pub mod pacing;
pub mod saved_state;
pub mod tabs;
pub mod widgets;

pub use app::{StudioApp, StudioState};

/// The application icon: generated digits 1-9 from the bundled model on a rounded tile.
pub const ICON: &[u8] = include_bytes!("../../assets/icon/gan-studio.png");

/// Opens the studio window and returns when it closes.
pub fn run() -> anyhow::Result<()> {
    match open(compute::wgpu_configuration(), None) {
        // A driver may refuse the device burn needs (all the adapter's features and limits):
        // the window still opens, on eframe's default device, and computes on the CPU.
        Err(eframe::Error::Wgpu(egui_wgpu::WgpuError::RequestDeviceError(e))) => {
            let why = format!("the GPU refused the device burn needs ({e})");
            eprintln!("{why}; opening the window on a default device, computing on the CPU");
            open(egui_wgpu::WgpuConfiguration::default(), Some(why))
        }
        other => other,
    }
    .map_err(|e| anyhow::anyhow!("cannot open the studio window: {e}"))
}

/// Runs the window on `wgpu_options`; `unshared` says why burn must not use its device.
fn open(
    wgpu_options: egui_wgpu::WgpuConfiguration,
    unshared: Option<String>,
) -> Result<(), eframe::Error> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("GAN Studio")
        .with_app_id("gan-studio")
        .with_inner_size([1360.0, 860.0])
        .with_min_inner_size([900.0, 600.0]);
    // The same picture as the desktop entry's icon (assets/gan-studio.desktop).
    match eframe::icon_data::from_png_bytes(ICON) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("the window icon is not a valid PNG: {e}"),
    }
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Wgpu,
        wgpu_options,
        viewport,
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "GAN Studio",
        options,
        Box::new(move |cc| {
            Ok(Box::new(match unshared {
                None => StudioApp::new(cc),
                Some(why) => StudioApp::new_unshared(cc, why),
            }))
        }),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_icon_decodes() {
        let icon = eframe::icon_data::from_png_bytes(super::ICON).expect("a valid PNG");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
