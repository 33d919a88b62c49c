//! "Export PNG...": grid layout options, a path (typed, or from the native save dialog), and
//! the one grid export function the CLI uses too.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{DigitGrid, Notices};
use crate::export::grid::{GridLayout, save_grid_png};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportSettings {
    /// Images per row; 0 keeps the layout shown on screen.
    pub cols: usize,
    pub padding: usize,
    pub scale: usize,
    pub folder: PathBuf,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            cols: 0,
            padding: 2,
            scale: 4,
            folder: default_export_folder(),
        }
    }
}

/// Where exports go first: the user's pictures folder (else home), never the folder the app
/// happened to start from.
pub fn default_export_folder() -> PathBuf {
    dirs::picture_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gan-studio")
}

/// `path` made absolute against the current folder, for showing to people.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// "Export PNG...": opens the export window, its path starting as `file_name` in the folder
/// last exported to.
fn export_button(
    ui: &mut egui::Ui,
    tip: &str,
    settings: &ExportSettings,
    file_name: &str,
    open: &mut bool,
    path: &mut String,
) {
    if ui.button("Export PNG...").on_hover_text(tip).clicked() {
        *open = true;
        if path.is_empty() {
            *path = absolute(&settings.folder.join(file_name))
                .display()
                .to_string();
        }
    }
}

/// Writes the grid as a PNG with the chosen layout.
pub fn export_grid(grid: &DigitGrid, settings: &ExportSettings, path: &Path) -> Result<()> {
    anyhow::ensure!(!grid.is_empty(), "nothing to export yet");
    let layout = GridLayout {
        cols: if settings.cols == 0 {
            grid.cols
        } else {
            settings.cols
        },
        padding: settings.padding,
        scale: settings.scale.max(1),
        ..GridLayout::default()
    };
    save_grid_png(
        path,
        &grid.host_pixels()?,
        grid.count,
        grid.side,
        grid.side,
        &layout,
    )
}

/// A file path typed by the user or picked in the native save dialog. rfd's dialogs block until
/// closed, so the dialog runs on its own thread and the answer arrives over a channel.
#[derive(Default)]
pub struct SavePath {
    pub path: String,
    /// The dialog's answer channel and when it was opened.
    browsing: Option<(Receiver<Option<PathBuf>>, std::time::Instant)>,
    /// Said when no system dialog could be shown.
    pub note: Option<String>,
}

/// A dialog that answers "nothing chosen" faster than this never reached a person: rfd returns
/// the same `None` for a cancelled dialog and for one it could not show (no desktop portal, no
/// zenity), and only the time tells them apart.
const NO_DIALOG_WITHIN: std::time::Duration = std::time::Duration::from_millis(400);

impl SavePath {
    /// The "File" row: the path, and "Browse..." for the native save dialog.
    fn ui(&mut self, ui: &mut egui::Ui) {
        if let Some((rx, opened)) = &self.browsing
            && let Ok(answer) = rx.try_recv()
        {
            let quick = opened.elapsed() < NO_DIALOG_WITHIN;
            self.browsing = None;
            match answer {
                Some(path) => self.path = path.display().to_string(),
                None if quick => {
                    self.note = Some(
                        "No system file dialog is available here (no desktop portal or \
                         zenity): type the path above."
                            .into(),
                    )
                }
                None => {}
            }
        }
        ui.horizontal(|ui| {
            let name = ui.label("File");
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(320.0))
                .labelled_by(name.id);
            if ui
                .add_enabled(self.browsing.is_none(), egui::Button::new("Browse..."))
                .on_hover_text("Choose the file in the system's save dialog")
                .clicked()
            {
                self.note = None;
                self.browse(ui.ctx());
            }
        });
        if let Some(note) = &self.note {
            ui.add(egui::Label::new(egui::RichText::new(note).weak()).wrap());
        }
    }

    fn browse(&mut self, ctx: &egui::Context) {
        let (tx, rx) = channel();
        let start = PathBuf::from(&self.path);
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("save-dialog".into())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new().add_filter("PNG image", &["png"]);
                if let Some(dir) = start.parent().filter(|d| d.is_dir()) {
                    dialog = dialog.set_directory(dir);
                }
                if let Some(name) = start.file_name() {
                    dialog = dialog.set_file_name(name.to_string_lossy());
                }
                let _ = tx.send(dialog.save_file());
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.browsing = Some((rx, std::time::Instant::now()));
        }
    }

    /// The path to write, with its folder created.
    fn prepare(&self) -> Result<PathBuf> {
        let path = PathBuf::from(self.path.trim());
        anyhow::ensure!(!self.path.trim().is_empty(), "no file name given");
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create folder {}: {e}", parent.display()))?;
        }
        Ok(path)
    }
}

/// The export window of one grid: layout options and where to save.
#[derive(Default)]
pub struct ExportDialog {
    pub open: bool,
    pub file: SavePath,
}

impl ExportDialog {
    /// The "Export PNG..." button.
    pub fn button(&mut self, ui: &mut egui::Ui, settings: &ExportSettings, file_name: &str) {
        let tip = "Save this grid as a PNG, with rows, padding and scale of your choice";
        export_button(
            ui,
            tip,
            settings,
            file_name,
            &mut self.open,
            &mut self.file.path,
        );
    }

    /// The window, when open. Returns the path written, if any.
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        title: &str,
        grid: &DigitGrid,
        settings: &mut ExportSettings,
        notices: &mut Notices,
    ) -> Option<PathBuf> {
        let written = export_window(
            ctx,
            title,
            &mut self.open,
            &mut self.file,
            notices,
            settings,
            |ui, settings| {
                egui::Grid::new("export-options")
                    .num_columns(2)
                    .show(ui, |ui| {
                        use crate::studio::tabs::training::row;
                        row(
                            ui,
                            "Images per row",
                            "0 keeps the layout shown on screen",
                            |ui| ui.add(egui::DragValue::new(&mut settings.cols).range(0..=100)),
                        );
                        row(ui, "Padding (px)", "", |ui| {
                            ui.add(egui::DragValue::new(&mut settings.padding).range(0..=32))
                        });
                        row(
                            ui,
                            "Scale",
                            "Each pixel becomes scale x scale pixels, for crisp slides",
                            |ui| ui.add(egui::DragValue::new(&mut settings.scale).range(1..=16)),
                        );
                    });
            },
            |path, settings| export_grid(grid, settings, path),
        );
        if let Some(parent) = written.as_deref().and_then(Path::parent) {
            settings.folder = parent.to_owned();
        }
        written
    }
}

/// The body every export window shares: `options` draws extra fields over `data`, then the
/// file row and Save, which calls `write` and reports in `notices`. Closes once written.
#[allow(clippy::too_many_arguments)]
fn export_window<T>(
    ctx: &egui::Context,
    title: &str,
    open: &mut bool,
    file: &mut SavePath,
    notices: &mut Notices,
    data: &mut T,
    options: impl FnOnce(&mut egui::Ui, &mut T),
    write: impl FnOnce(&Path, &T) -> Result<()>,
) -> Option<PathBuf> {
    if !*open {
        return None;
    }
    let mut written = None;
    let mut still_open = true;
    // Anchored at the bottom right, clear of the tab bar and the training controls it would
    // otherwise cover.
    egui::Window::new(format!("Export {title}"))
        .open(&mut still_open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -56.0))
        .show(ctx, |ui| {
            options(ui, data);
            file.ui(ui);
            if ui.button("Save").clicked() {
                match file
                    .prepare()
                    .and_then(|path| write(&path, data).map(|()| path))
                {
                    Ok(path) => {
                        notices.info("export", format!("exported {}", absolute(&path).display()));
                        written = Some(path);
                    }
                    Err(e) => notices.error("export", format!("export failed: {e:#}")),
                }
            }
        });
    *open = still_open && written.is_none();
    written
}

/// "Export PNG..." for a plot: where to save, and a writer the caller supplies (a plotters
/// rendering on white, for slides).
#[derive(Default)]
pub struct PlotExport {
    pub open: bool,
    pub file: SavePath,
}

impl PlotExport {
    pub fn button(&mut self, ui: &mut egui::Ui, settings: &ExportSettings, file_name: &str) {
        let tip = "Save this plot as a PNG";
        export_button(
            ui,
            tip,
            settings,
            file_name,
            &mut self.open,
            &mut self.file.path,
        );
    }

    pub fn window(
        &mut self,
        ctx: &egui::Context,
        title: &str,
        notices: &mut Notices,
        write: impl FnOnce(&Path) -> Result<()>,
    ) {
        export_window(
            ctx,
            title,
            &mut self.open,
            &mut self.file,
            notices,
            &mut (),
            |_, _| {},
            |path, _| write(path),
        );
    }
}
