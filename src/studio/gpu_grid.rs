//! Zero-copy display: generated images go from burn's wgpu buffer into an egui texture through
//! our own compute shader (`shaders/tile_grid.wgsl`), with no read-back to the host. Used when
//! the studio computes on the very wgpu device eframe renders with; everywhere else the host
//! path (`export::grid::grid_image`) runs. Both produce the same bytes (tests/wgpu.rs).

use anyhow::{Context, Result, bail, ensure};
use burn::backend::wgpu::{AutoCompiler, CubeBackend, CubeTensor, WgpuResource, wgpu};
use burn::backend::{BackendTensor, DispatchTensorKind};
use burn::prelude::*;
use burn::tensor::DType;
use cubecl::wgpu::WgpuServer;

use crate::export::grid::GridLayout;

/// copy_buffer_to_texture wants rows of a multiple of 256 bytes: 64 RGBA8 pixels.
const ROW_ALIGN_PIXELS: u32 = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT / 4;
/// The shader's workgroup is 8 x 8 pixels.
const WORKGROUP: u32 = 8;

/// The compiled shader and what it binds, made once per render device.
pub struct GridPipeline {
    device: wgpu::Device,
    queue: wgpu::Queue,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

/// A tile grid in a texture of egui's format (`Rgba8Unorm`, gamma-encoded bytes, as egui's
/// own textures hold them).
pub struct GridTexture {
    pub texture: wgpu::Texture,
    pub view: wgpu::TextureView,
    pub size: [usize; 2],
}

/// Images left on the GPU and the grid texture drawn from them. The tensor is kept so an export
/// can read the values back when (and only when) someone asks for them.
pub struct GpuImages {
    pub texture: GridTexture,
    pub images: Tensor<4>,
}

impl GpuImages {
    /// The images as host floats in [-1, 1] (a read-back: exports only).
    pub fn read_pixels(&self) -> Result<Vec<f32>> {
        crate::sampling::host_pixels(self.images.clone())
    }
}

impl GridPipeline {
    /// Draws `images` in rows of `cols` as the studio's grids are drawn (padding 2, black).
    pub fn draw(&self, images: Tensor<4>, cols: usize) -> Result<GpuImages> {
        let layout = GridLayout {
            cols,
            ..GridLayout::default()
        };
        let texture = self.render(images.clone(), &layout)?;
        Ok(GpuImages { texture, images })
    }

    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("tile_grid.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../shaders/tile_grid.wgsl").into()),
        });
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty,
            count: None,
        };
        let storage = |read_only| wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("tile_grid bindings"),
            entries: &[
                entry(
                    0,
                    wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                ),
                entry(1, storage(true)),
                entry(2, storage(false)),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("tile_grid"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("tile_grid"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Self {
            device: device.clone(),
            queue: queue.clone(),
            layout,
            pipeline,
        }
    }

    /// Lays `images` (N, C, H, W) in [-1, 1], C = 1 or 3, out as `layout` does on the host
    /// (blocks and upscaling are not needed on screen and are refused), reading burn's own
    /// buffer. Errors (a tensor on another device, an unexpected dtype) leave the caller free
    /// to take the host path.
    pub fn render(&self, images: Tensor<4>, layout: &GridLayout) -> Result<GridTexture> {
        ensure!(
            layout.block == 0 && layout.scale == 1,
            "the GPU grid draws unblocked, unscaled grids"
        );
        ensure!(layout.cols > 0, "a grid needs at least one column");
        let tensor = cube_tensor(images)?;
        ensure!(
            tensor.dtype == DType::F32,
            "images are {:?}, not f32",
            tensor.dtype
        );
        ensure!(!tensor.meta.is_tiled(), "tiled tensor storage");
        let shape = tensor.meta.shape().to_vec();
        let strides = tensor.meta.strides().to_vec();
        let [count, channels, height, width] = shape[..] else {
            bail!("expected images (N, C, H, W), got shape {shape:?}");
        };
        ensure!(
            count > 0 && height > 0 && width > 0 && (channels == 1 || channels == 3),
            "cannot draw images of shape {shape:?}"
        );
        let cols = layout.cols.min(count);
        let rows = count.div_ceil(cols);
        let pad = layout.padding;
        let grid_w = pad + cols * (width + pad);
        let grid_h = pad + rows * (height + pad);
        let limit = self.device.limits().max_texture_dimension_2d as usize;
        ensure!(
            grid_w <= limit && grid_h <= limit,
            "a {grid_w}x{grid_h} grid exceeds the GPU's {limit}-pixel textures"
        );
        let row_words = (grid_w as u32).div_ceil(ROW_ALIGN_PIXELS) * ROW_ALIGN_PIXELS;

        // The buffer stays ours (allocation pinned) until this function returns; by then our
        // work is queued after burn's, and queue order keeps later burn writes behind it.
        let managed = tensor
            .client
            .get_resource::<WgpuServer<AutoCompiler>>(tensor.handle.clone())
            .map_err(|e| anyhow::anyhow!("cannot reach the images' wgpu buffer: {e:?}"))?;
        let resource: &WgpuResource = managed.resource();
        ensure!(
            resource.offset.is_multiple_of(4),
            "images not 4-byte aligned"
        );

        let u32_of = |v: usize, what: &str| u32::try_from(v).with_context(|| format!("{what} {v}"));
        let params = [
            u32_of(count, "count")?,
            channels as u32,
            u32_of(height, "height")?,
            u32_of(width, "width")?,
            u32_of(strides[0], "stride")?,
            u32_of(strides[1], "stride")?,
            u32_of(strides[2], "stride")?,
            u32_of(strides[3], "stride")?,
            u32_of(resource.offset as usize / 4, "offset")?,
            cols as u32,
            pad as u32,
            u32::from(layout.background),
            grid_w as u32,
            grid_h as u32,
            row_words,
            0,
        ];
        let params: Vec<u8> = params.iter().flat_map(|v| v.to_le_bytes()).collect();
        let uniform = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tile_grid params"),
            size: params.len() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&uniform, 0, &params);
        let packed = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tile_grid pixels"),
            size: u64::from(row_words) * grid_h as u64 * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("tile_grid"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: resource.buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: packed.as_entire_binding(),
                },
            ],
        });
        let extent = wgpu::Extent3d {
            width: grid_w as u32,
            height: grid_h as u32,
            depth_or_array_layers: 1,
        };
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("tile_grid texture"),
            size: extent,
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });

        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("tile_grid"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("tile_grid"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(
                (grid_w as u32).div_ceil(WORKGROUP),
                (grid_h as u32).div_ceil(WORKGROUP),
                1,
            );
        }
        // A buffer-to-texture copy rather than a storage-texture write: the bytes land exactly
        // as the shader packed them, with no float-to-unorm conversion to differ from the host.
        encoder.copy_buffer_to_texture(
            wgpu::TexelCopyBufferInfo {
                buffer: &packed,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row_words * 4),
                    rows_per_image: Some(grid_h as u32),
                },
            },
            texture.as_image_copy(),
            extent,
        );
        self.queue.submit([encoder.finish()]);
        drop(managed);

        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(GridTexture {
            texture,
            view,
            size: [grid_w, grid_h],
        })
    }

    /// The texture's RGBA bytes, read back (tests and benchmarks only: the display never
    /// needs them).
    pub fn read_back(&self, grid: &GridTexture) -> Result<Vec<u8>> {
        let [w, h] = grid.size;
        let row_bytes = (w as u32).div_ceil(ROW_ALIGN_PIXELS) * ROW_ALIGN_PIXELS * 4;
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tile_grid read-back"),
            size: u64::from(row_bytes) * h as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_texture_to_buffer(
            grid.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row_bytes),
                    rows_per_image: Some(h as u32),
                },
            },
            grid.texture.size(),
        );
        self.queue.submit([encoder.finish()]);
        let slice = buffer.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| anyhow::anyhow!("waiting for the GPU: {e}"))?;
        rx.recv()
            .context("the read-back never finished")?
            .map_err(|e| anyhow::anyhow!("cannot map the read-back buffer: {e}"))?;
        let mapped = slice
            .get_mapped_range()
            .map_err(|e| anyhow::anyhow!("cannot read the read-back buffer: {e:?}"))?;
        let mut out = Vec::with_capacity(w * h * 4);
        for row in mapped.chunks_exact(row_bytes as usize) {
            out.extend_from_slice(&row[..w * 4]);
        }
        Ok(out)
    }
}

/// The cubecl tensor behind a burn tensor on a wgpu device (fusion resolved, so pending fused
/// work is flushed first).
fn cube_tensor(images: Tensor<4>) -> Result<CubeTensor> {
    match images.into_dispatch().kind {
        DispatchTensorKind::Cube(BackendTensor::Float(fused)) => {
            let client = fused.client.clone();
            Ok(client.resolve_tensor_float::<CubeBackend>(fused))
        }
        _ => bail!("the images are not plain tensors on a wgpu device"),
    }
}
