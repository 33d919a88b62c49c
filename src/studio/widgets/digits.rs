//! A grid of generated digits shown as one egui texture.

use egui::{ColorImage, TextureHandle, TextureOptions, Vec2};

use crate::export::grid::{GridLayout, grid_image};

/// Images in [-1, 1] laid out in rows of `cols`, and the texture that shows them.
#[derive(Default)]
pub struct DigitGrid {
    pub pixels: Vec<f32>,
    pub count: usize,
    pub side: usize,
    pub cols: usize,
    texture: Option<TextureHandle>,
    stale: bool,
    /// Bumped whenever new images arrive (tests and benchmarks watch it).
    pub version: u64,
}

impl DigitGrid {
    pub fn set(&mut self, pixels: Vec<f32>, count: usize, side: usize, cols: usize) {
        self.pixels = pixels;
        self.count = count;
        self.side = side;
        self.cols = cols.max(1);
        self.stale = true;
        self.version += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn layout(&self) -> GridLayout {
        GridLayout {
            cols: self.cols,
            ..GridLayout::default()
        }
    }

    /// Shows the grid scaled to fit `max` (nearest-neighbour, so pixels stay crisp).
    pub fn show(&mut self, ui: &mut egui::Ui, name: &str, max: Vec2) -> Option<egui::Response> {
        if self.is_empty() {
            return None;
        }
        if self.stale || self.texture.is_none() {
            self.stale = false;
            match grid_image(
                &self.pixels,
                self.count,
                self.side,
                self.side,
                &self.layout(),
            ) {
                Ok(image) => {
                    let rgba = image.to_rgba8();
                    let (w, h) = rgba.dimensions();
                    let color =
                        ColorImage::from_rgba_unmultiplied([w as usize, h as usize], rgba.as_raw());
                    match &mut self.texture {
                        Some(texture) => texture.set(color, TextureOptions::NEAREST),
                        None => {
                            self.texture =
                                Some(ui.ctx().load_texture(name, color, TextureOptions::NEAREST))
                        }
                    }
                }
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("{e:#}"));
                    return None;
                }
            }
        }
        let texture = self.texture.as_ref()?;
        let size = texture.size_vec2();
        let scale = (max.x / size.x).min(max.y / size.y).max(0.1);
        Some(ui.image((texture.id(), size * scale)))
    }
}
