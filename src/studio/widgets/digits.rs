//! A grid of generated digits shown as one egui texture: uploaded from host floats, or drawn
//! on the GPU straight from burn's buffer (the zero-copy display, `studio::gpu_grid`).

use std::borrow::Cow;

use egui::{ColorImage, TextureHandle, TextureOptions, Vec2};

use crate::export::grid::{GridLayout, grid_image};
use crate::studio::gpu_grid::GpuImages;

/// Images in [-1, 1] laid out in rows of `cols`, and the texture that shows them.
#[derive(Default)]
pub struct DigitGrid {
    pub pixels: Vec<f32>,
    pub count: usize,
    pub side: usize,
    pub cols: usize,
    texture: Option<TextureHandle>,
    stale: bool,
    /// Images still on the GPU and their texture, when drawn by the zero-copy display.
    gpu: Option<GpuImages>,
    /// The egui id of the GPU texture (one per grid, re-pointed at each new texture), and the
    /// renderer it is registered with, which frees it when the grid goes.
    native: Option<(egui::TextureId, egui_wgpu::RenderState)>,
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
        self.gpu = None;
        self.version += 1;
    }

    /// Shows images drawn on the GPU (`pixels` may be empty: they are read back only for an
    /// export). The texture is handed to egui's renderer here, on the UI thread.
    pub fn set_gpu(
        &mut self,
        gpu: GpuImages,
        pixels: Vec<f32>,
        side: usize,
        cols: usize,
        render: &egui_wgpu::RenderState,
    ) {
        let filter = egui_wgpu::wgpu::FilterMode::Nearest;
        let mut renderer = render.renderer.write();
        match &self.native {
            Some((id, _)) => renderer.update_egui_texture_from_wgpu_texture(
                &render.device,
                &gpu.texture.view,
                filter,
                *id,
            ),
            None => {
                let id =
                    renderer.register_native_texture(&render.device, &gpu.texture.view, filter);
                self.native = Some((id, render.clone()));
            }
        }
        self.count = gpu.images.dims()[0];
        self.pixels = pixels;
        self.side = side;
        self.cols = cols.max(1);
        self.stale = false;
        self.gpu = Some(gpu);
        self.version += 1;
    }

    /// The egui id of the GPU-drawn texture, once there is one.
    pub fn native_texture(&self) -> Option<egui::TextureId> {
        self.native.as_ref().map(|(id, _)| *id)
    }

    /// Whether the grid on screen was drawn on the GPU.
    pub fn is_on_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// The images as host floats in [-1, 1]: as set, or read back from the GPU.
    pub fn host_pixels(&self) -> anyhow::Result<Cow<'_, [f32]>> {
        match &self.gpu {
            Some(gpu) if self.pixels.is_empty() => Ok(Cow::Owned(gpu.read_pixels()?)),
            _ => Ok(Cow::Borrowed(&self.pixels)),
        }
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
        if let (Some(gpu), Some((id, _))) = (&self.gpu, &self.native) {
            let id = *id;
            let [w, h] = gpu.texture.size;
            let size = egui::vec2(w as f32, h as f32);
            let scale = (max.x / size.x).min(max.y / size.y).max(0.1);
            return Some(ui.image((id, size * scale)));
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

impl Drop for DigitGrid {
    /// A native texture stays in egui's renderer until freed: a grid that goes (a new run, a
    /// closed comparison) frees its own.
    fn drop(&mut self) {
        if let Some((id, render)) = self.native.take() {
            render.renderer.write().free_texture(&id);
        }
    }
}
