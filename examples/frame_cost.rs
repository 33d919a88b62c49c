//! How long the studio takes to rasterise one frame with wgpu (kittest's adapter choice, a
//! software one where it exists), with no window and no display:
//! separates rendering cost from presentation. Then, on a render device burn shares (the studio's
//! setup), the explorer's 10x10 grid through the zero-copy display against the read-back path,
//! and frames of the explorer computing on that device.
//! `cargo run --release --example frame_cost` (BENCHMARKS.md, "Studio").

use std::time::Instant;

use egui_kittest::Harness;
use egui_wgpu::wgpu;
use gan_studio::studio::compute::{Compute, Preference};
use gan_studio::studio::tabs::Tab;
use gan_studio::studio::{StudioApp, StudioState};

fn main() {
    // `frame_cost render-device` runs only the sections on a device burn shares, `frame_cost
    // plots` only the Training tab's plots.
    match std::env::args().nth(1).as_deref() {
        Some("plots") => return training_tab_with_history(),
        Some("render-device") => {}
        _ => rasterising(),
    }
    zero_copy_against_read_back();
    explorer_on_the_render_device();
}

/// The studio from `state`, `size` (width, height) big, rendered by kittest's wgpu adapter and
/// computing on the CPU.
fn cpu_studio(state: StudioState, (width, height): (f32, f32)) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .wgpu()
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(state, Compute::cpu_only()),
        )
}

fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// A render state made the way eframe makes it (kittest's adapter choice, burn's descriptor).
fn render_state() -> egui_wgpu::RenderState {
    egui_kittest::wgpu::create_render_state(
        gan_studio::studio::compute::sharing_setup(egui_kittest::wgpu::default_wgpu_setup()),
        egui_wgpu::RendererOptions::default(),
    )
}

/// The explorer's 10x10 class grid of the bundled generator, generated on the render device and
/// brought to a texture: through the host (read back, tile, RGBA, upload, as egui uploads) or by
/// `shaders/tile_grid.wgsl` in place. Each time ends when the GPU has finished.
fn zero_copy_against_read_back() {
    use gan_studio::explore::{GeneratorSource, LoadedGenerator};
    use gan_studio::export::grid::{GridLayout, grid_image};
    use gan_studio::studio::gpu_grid::GridPipeline;

    let state = render_state();
    let info = state.adapter.get_info();
    let compute = Compute::from_render_state(&state);
    let Some(shared) = compute.shared.clone() else {
        println!("burn cannot share {}: no zero-copy figures", info.name);
        return;
    };
    let pipeline = GridPipeline::new(&state.device, &state.queue);
    let generator = LoadedGenerator::load(
        &GeneratorSource::Bundled(gan_studio::data::DatasetKind::Mnist),
        &shared,
    )
    .expect("the bundled generator");
    let latents: Vec<f32> = (0..100 * generator.latent_dim())
        .map(|i| ((i * 37) % 100) as f32 / 50.0 - 1.0)
        .collect();
    let labels: Vec<u8> = (0..100).map(|i| (i / 10) as u8).collect();
    let layout = GridLayout {
        cols: 10,
        ..GridLayout::default()
    };
    let wait = || {
        state
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .expect("the GPU finishes");
    };
    let (mut host_ms, mut gpu_ms) = (Vec::new(), Vec::new());
    for i in 0..35 {
        let started = Instant::now();
        let images = generator.generate_images(&latents, Some(&labels));
        let pixels = gan_studio::sampling::host_pixels(images).expect("read back");
        let rgba = grid_image(&pixels, 100, 28, 28, &layout)
            .expect("a grid")
            .to_rgba8();
        let size = wgpu::Extent3d {
            width: rgba.width(),
            height: rgba.height(),
            depth_or_array_layers: 1,
        };
        let texture = state.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("host grid"),
            size,
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        state.queue.write_texture(
            texture.as_image_copy(),
            rgba.as_raw(),
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(4 * rgba.width()),
                rows_per_image: Some(rgba.height()),
            },
            size,
        );
        state.queue.submit([]);
        wait();
        let host = started.elapsed().as_secs_f64() * 1e3;

        let started = Instant::now();
        let images = generator.generate_images(&latents, Some(&labels));
        let drawn = pipeline.draw(images, 10).expect("a GPU grid");
        wait();
        let gpu = started.elapsed().as_secs_f64() * 1e3;
        drop(drawn);
        if i >= 5 {
            host_ms.push(host);
            gpu_ms.push(gpu);
        }
    }
    println!(
        "{} ({:?}): 10x10 grid to a texture, read back + host tiling + upload median {:.2} ms \
         (min {:.2}), zero-copy median {:.2} ms (min {:.2}), 30 runs",
        info.name,
        info.backend,
        median(&mut host_ms),
        host_ms[0],
        median(&mut gpu_ms),
        gpu_ms[0]
    );
}

/// Frames of the studio whose explorer computes on the render device (Settings -> "the window's
/// wgpu device"), animating its interpolation, so each frame may bring a new GPU-drawn image.
fn explorer_on_the_render_device() {
    let state = render_state();
    let name = state.adapter.get_info().name;
    let compute = Compute::from_render_state(&state);
    if compute.shared.is_none() {
        return;
    }
    let studio = StudioState {
        preference: Preference::Wgpu,
        tab: Tab::Explorer,
        ..StudioState::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .renderer(egui_kittest::wgpu::WgpuTestRenderer::from_render_state(
            state,
        ))
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(studio, compute),
        );
    let ready = |h: &Harness<'_, StudioApp>| {
        let e = &h.state().state.explorer.runtime;
        !e.grid.is_empty() && !e.digit.is_empty() && !e.frame.is_empty()
    };
    let started = Instant::now();
    while !ready(&harness) {
        assert!(started.elapsed().as_secs() < 600, "no explorer grid");
        std::thread::sleep(std::time::Duration::from_millis(5));
        harness.step();
    }
    let on_gpu = harness.state().state.explorer.runtime.grid.is_on_gpu();
    harness.state_mut().state.explorer.playing = true;
    let (mut step_ms, mut render_ms) = (Vec::new(), Vec::new());
    let mut versions = std::collections::BTreeSet::new();
    for i in 0..65 {
        let started = Instant::now();
        harness.step();
        let stepped = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        harness.render().expect("a frame");
        if i >= 5 {
            step_ms.push(stepped);
            render_ms.push(started.elapsed().as_secs_f64() * 1e3);
            versions.insert(harness.state().state.explorer.runtime.frame.version);
        }
    }
    println!(
        "{name}: explorer on the render device (grids drawn on the GPU: {on_gpu}), playing, \
         1400x900: UI step median {:.2} ms (max {:.2}), render + read back median {:.2} ms \
         (max {:.2}), {} new animation frames in 60 frames",
        median(&mut step_ms),
        step_ms[step_ms.len() - 1],
        median(&mut render_ms),
        render_ms[render_ms.len() - 1],
        versions.len()
    );
}

/// Rasterising cost on kittest's adapter, the explorer computing on the CPU.
fn rasterising() {
    // Baseline: an empty window of the largest size, to separate the rasteriser's fixed cost.
    let mut empty = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .wgpu()
        .build_ui(|ui| {
            ui.label("empty");
        });
    let mut times = Vec::new();
    for _ in 0..20 {
        empty.step();
        let started = Instant::now();
        empty.render().expect("a frame");
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "1400x900 empty window: median {:.1} ms",
        times[times.len() / 2]
    );
    for tab in [Tab::Training, Tab::Metrics, Tab::Embedding] {
        let state = StudioState {
            tab,
            runs_dir: std::path::PathBuf::from("/nonexistent"),
            ..StudioState::default()
        };
        let mut harness = cpu_studio(state, (1400.0, 900.0));
        let mut times = Vec::new();
        for _ in 0..15 {
            harness.step();
            let started = Instant::now();
            harness.render().expect("a frame");
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "1400x900 {tab:?} tab: median {:.1} ms",
            times[times.len() / 2]
        );
    }
    training_tab_with_history();
    for (width, height) in [(1400.0, 900.0), (1000.0, 700.0), (700.0, 500.0)] {
        let state = StudioState {
            tab: Tab::Explorer,
            ..StudioState::default()
        };
        let mut harness = cpu_studio(state, (width, height));
        while harness.state().state.explorer.runtime.grid.is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(20));
            harness.step();
        }
        harness.state_mut().state.explorer.playing = true;
        let mut times = Vec::new();
        for i in 0..25 {
            harness.step();
            let started = Instant::now();
            harness.render().expect("a frame");
            if i >= 5 {
                times.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{width}x{height}: render + read back median {:.1} ms (min {:.1}, max {:.1})",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}

/// A run's history as the Training tab holds it after `steps` steps: noisy losses with a few
/// spikes, and a gradient norm for each of 9 layers per network (18 curves, as a medium
/// conditional DCGAN logs).
fn synthetic_history(steps: usize) -> Vec<gan_studio::train::metrics::StepMetrics> {
    use gan_studio::train::metrics::{LayerNorm, StepMetrics};
    // A fixed pseudo-random sequence: the figures must not depend on a seed's luck.
    let noise = |i: usize, k: usize| ((i * 7919 + k * 104_729) % 1000) as f32 / 1000.0 - 0.5;
    let norms = |net: &str, i: usize| -> Vec<LayerNorm> {
        (0..9)
            .map(|k| LayerNorm {
                layer: format!("{net}.layer{k}.weight"),
                norm: 0.1 * (k + 1) as f32 * (1.0 + 0.3 * noise(i, k)),
            })
            .collect()
    };
    (1..=steps)
        .map(|step| StepMetrics {
            step,
            epoch: 0,
            d_loss: 1.2 + 0.2 * noise(step, 1) + if step % 997 == 0 { 3.0 } else { 0.0 },
            g_loss: 0.9 + 0.2 * noise(step, 2),
            d_real: 0.6 + 0.1 * noise(step, 3),
            d_fake: 0.4 + 0.1 * noise(step, 4),
            figures: Default::default(),
            grad_norms_g: norms("G", step),
            grad_norms_d: norms("D", step),
            elapsed_secs: step as f64 * 0.04,
        })
        .collect()
}

/// The Training tab of a run 4,300 steps in (the default recipe's length) and of one at the
/// history's cap (8,192 steps kept): its three plots (18 gradient-norm curves among them), in
/// frames where the curves are cached and in frames where a step has just arrived, as in
/// training, so they are worked out again. Each figure is the UI build (layout and
/// tessellation included) and the render, timed together.
fn training_tab_with_history() {
    let cases = [
        (4300, false, 0.9),
        (4300, true, 0.9),
        (8192, false, 0.9),
        (8192, true, 0.9),
    ];
    // The same with the raw curves alone, to price the smoothed ones drawn over them.
    let raw = [(4300, false, 0.0), (8192, true, 0.0)];
    for (steps, new_step_each_frame, smoothing) in cases.into_iter().chain(raw) {
        {
            let mut state = StudioState {
                tab: Tab::Training,
                runs_dir: std::path::PathBuf::from("/nonexistent"),
                ..StudioState::default()
            };
            state.training.smoothing = gan_studio::studio::widgets::curves::Smoothing(smoothing);
            let mut harness = cpu_studio(state, (1400.0, 900.0));
            let mut history = synthetic_history(steps + 20);
            let mut arriving = history.split_off(steps).into_iter();
            harness.state_mut().state.training.live.run = "frame-cost".into();
            harness.state_mut().state.training.live.history = history;
            let (mut builds, mut frames) = (Vec::new(), Vec::new());
            for i in 0..20 {
                if new_step_each_frame && let Some(step) = arriving.next() {
                    harness.state_mut().state.training.live.history.push(step);
                }
                let started = Instant::now();
                harness.step();
                let built = started.elapsed().as_secs_f64() * 1e3;
                harness.render().expect("a frame");
                if i >= 5 {
                    builds.push(built);
                    frames.push(started.elapsed().as_secs_f64() * 1e3);
                }
            }
            println!(
                "1400x900 Training tab, {steps} steps of history, smoothing {smoothing}, {}: UI build median {:.1} ms, build + render median {:.1} ms",
                if new_step_each_frame {
                    "a new step every frame"
                } else {
                    "no new step"
                },
                median(&mut builds),
                median(&mut frames)
            );
        }
    }
}
