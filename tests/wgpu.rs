//! The wgpu backend (Mesa's lavapipe on CI): same generator output as the CPU backend.

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use gan_studio::device::{ComputeDevice, DeviceChoice, wgpu_adapters};
use gan_studio::model::{Depth, GanConfig, ModelKind};
use gan_studio::sampling::{FixedBatch, generate_pixels};

#[test]
fn generator_on_wgpu_matches_the_cpu_backend() {
    assert!(
        !wgpu_adapters().is_empty(),
        "no wgpu adapter: install mesa-vulkan-drivers (software Vulkan) or a GPU driver"
    );
    let wgpu = ComputeDevice::resolve(DeviceChoice::Wgpu).unwrap();
    let cpu = Device::flex();
    let config = GanConfig::new(ModelKind::Cdcgan).with_depth(Depth::Shallow);
    let on_cpu = config.init_generator(&cpu);
    let bytes = on_cpu.clone().into_record().into_bytes().unwrap();
    let on_gpu = config
        .init_generator(&wgpu.device)
        .load_record(ModuleRecord::from_bytes(bytes).unwrap());

    let batch = FixedBatch::new(5, config.latent_dim, true, 10, 2, 10);
    let a = generate_pixels(
        &on_cpu,
        &config,
        &batch.latents,
        batch.labels.as_deref(),
        &cpu,
    )
    .unwrap();
    let b = generate_pixels(
        &on_gpu,
        &config,
        &batch.latents,
        batch.labels.as_deref(),
        &wgpu.device,
    )
    .unwrap();
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "max difference {worst} on {wgpu}");
}

/// A render state made the way eframe makes it, with the device descriptor burn needs.
fn render_state() -> egui_wgpu::RenderState {
    egui_kittest::wgpu::create_render_state(
        gan_studio::studio::compute::sharing_setup(egui_kittest::wgpu::default_wgpu_setup()),
        egui_wgpu::RendererOptions::default(),
    )
}

/// The studio at 1200x800 on `render_state`, open at the Explorer, computing where
/// `preference` says.
fn explorer_harness(
    render_state: egui_wgpu::RenderState,
    compute: gan_studio::studio::compute::Compute,
    preference: gan_studio::studio::compute::Preference,
) -> egui_kittest::Harness<'static, gan_studio::studio::StudioApp> {
    use gan_studio::studio::{StudioApp, StudioState};
    let state = StudioState {
        preference,
        tab: gan_studio::studio::tabs::Tab::Explorer,
        ..StudioState::default()
    };
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .renderer(egui_kittest::wgpu::WgpuTestRenderer::from_render_state(
            render_state,
        ))
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(state, compute),
        )
}

#[test]
fn auto_never_picks_a_software_adapter() {
    let chosen = ComputeDevice::resolve(DeviceChoice::Auto).unwrap();
    let has_gpu = wgpu_adapters().iter().any(|a| !a.is_software);
    assert_eq!(chosen.is_gpu, has_gpu, "auto chose {chosen}");
}

/// The studio's setup: a render state made the way eframe makes it (with the device
/// descriptor burn needs), burn registered on that very device, and a rendered frame.
#[test]
fn studio_shares_the_render_device_with_burn() {
    use gan_studio::explore::{GeneratorSource, LoadedGenerator};
    use gan_studio::studio::compute::{Compute, Preference};

    let render_state = render_state();
    let compute = Compute::from_render_state(&render_state);
    assert!(compute.shared_error.is_none(), "{:?}", compute.shared_error);
    let shared = compute.shared.clone().expect("burn on the render device");

    // The bundled generator gives the same digits on the shared device as on the CPU.
    let latents: Vec<f32> = (0..300)
        .map(|i| ((i * 37) % 100) as f32 / 50.0 - 1.0)
        .collect();
    let labels = [1u8, 4, 7];
    let on_gpu = LoadedGenerator::load(
        &GeneratorSource::Bundled(gan_studio::data::DatasetKind::Mnist),
        &shared,
    )
    .unwrap();
    let on_cpu = LoadedGenerator::load(
        &GeneratorSource::Bundled(gan_studio::data::DatasetKind::Mnist),
        &Device::flex(),
    )
    .unwrap();
    let a = on_gpu.generate(&latents, Some(&labels)).unwrap();
    let b = on_cpu.generate(&latents, Some(&labels)).unwrap();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "max difference {worst}");

    // The studio renders a frame with burn registered on its device. "auto" computes on the
    // CPU on a software adapter (lavapipe here), which keeps this test quick.
    let mut harness = explorer_harness(render_state, compute, Preference::Auto);
    let started = std::time::Instant::now();
    while harness.state().state.explorer.runtime.grid.is_empty() {
        assert!(started.elapsed().as_secs() < 120, "no explorer grid");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness.step();
    let image = harness.render().expect("a rendered frame");
    assert_eq!((image.width(), image.height()), (1200, 800));
    assert!(
        harness
            .state()
            .compute
            .status()
            .contains("burn shares the render device")
    );
}

/// The zero-copy display: images drawn from burn's wgpu buffer by shaders/tile_grid.wgsl into a
/// texture hold exactly the bytes the host path (read back, `grid_image`, RGBA) makes: grey and
/// colour, a grid with empty cells, a non-contiguous tensor, values past [-1, 1], NaN, values a
/// hair either side of a rounding boundary, and a real generator's digits.
#[test]
fn gpu_grid_texture_equals_the_read_back_path() {
    use gan_studio::explore::{GeneratorSource, LoadedGenerator};
    use gan_studio::export::grid::{GridLayout, grid_image};
    use gan_studio::studio::compute::Compute;
    use gan_studio::studio::gpu_grid::GridPipeline;

    let render_state = render_state();
    let compute = Compute::from_render_state(&render_state);
    let shared = compute.shared.clone().expect("burn on the render device");
    let pipeline = GridPipeline::new(&render_state.device, &render_state.queue);

    let check = |images: Tensor<4>, layout: &GridLayout, what: &str| {
        let [n, _, h, w] = images.dims();
        let host: Vec<f32> = images.clone().into_data().try_to_vec::<f32>().unwrap();
        let expected = grid_image(&host, n, h, w, layout)
            .unwrap()
            .to_rgba8()
            .into_raw();
        let texture = pipeline.render(images, layout).unwrap();
        let got = pipeline.read_back(&texture).unwrap();
        assert_eq!(got.len(), expected.len(), "{what}: size");
        let differing = got.iter().zip(&expected).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{what}: {differing} bytes differ");
        // Not a blank texture that happens to match a blank grid.
        assert!(got.chunks(4).any(|p| p[0] > 40) && got.chunks(4).any(|p| p[0] < 200));
    };

    // Every rounding case: 256 levels' midpoints and a hair either side, out-of-range, NaN.
    let mut values: Vec<f32> = Vec::new();
    for k in 0..256 {
        let mid = (k as f32 + 0.5) / 127.5 - 1.0;
        values.extend([
            mid,
            f32::from_bits(mid.to_bits() + 1),
            f32::from_bits(mid.to_bits() - 1),
        ]);
    }
    values.extend([
        -1.0,
        1.0,
        0.0,
        -3.0,
        7.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ]);
    values.resize(7 * 3 * 6 * 5, 0.25);
    let colour = Tensor::<4>::from_data(TensorData::new(values.clone(), [7, 3, 6, 5]), &shared);
    let layout = GridLayout {
        cols: 3,
        padding: 2,
        background: 17,
        ..GridLayout::default()
    };
    check(colour.clone(), &layout, "colour, 7 images in rows of 3");
    let grey = Tensor::<4>::from_data(
        TensorData::new(values[..7 * 30].to_vec(), [7, 1, 6, 5]),
        &shared,
    );
    check(grey, &GridLayout::default(), "grey, one row");
    // A transposed view: burn hands over strides, not a copy.
    check(colour.swap_dims(2, 3), &layout, "colour, transposed view");

    // The bundled generator's digits, as the explorer draws them.
    let generator = LoadedGenerator::load(
        &GeneratorSource::Bundled(gan_studio::data::DatasetKind::Mnist),
        &shared,
    )
    .unwrap();
    let latents: Vec<f32> = (0..10 * generator.latent_dim())
        .map(|i| ((i * 37) % 100) as f32 / 50.0 - 1.0)
        .collect();
    let labels: Vec<u8> = (0..10).collect();
    let digits = generator.generate_images(&latents, Some(&labels));

    // The studio's grid widget hands the texture to egui's renderer, re-points its one id at
    // each new texture, and frees it when the widget goes (no texture left behind per run).
    let mut grid = gan_studio::studio::widgets::DigitGrid::default();
    for _ in 0..2 {
        let gpu = pipeline.draw(digits.clone(), 5).unwrap();
        grid.set_gpu(gpu, Vec::new(), 28, 5, &render_state);
    }
    let id = grid.native_texture().expect("a native texture");
    assert!(grid.is_on_gpu() && grid.count == 10);
    assert_eq!(grid.host_pixels().unwrap().len(), 10 * 28 * 28);
    assert!(render_state.renderer.read().texture(&id).is_some());
    drop(grid);
    assert!(render_state.renderer.read().texture(&id).is_none());

    check(
        digits,
        &GridLayout {
            cols: 5,
            ..GridLayout::default()
        },
        "generated digits",
    );
}

/// The studio's explorer computing on the render device draws its grids with the zero-copy
/// display, and the frame on screen matches the one drawn from host pixels on the CPU.
#[test]
fn explorer_on_the_render_device_shows_gpu_drawn_grids() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use gan_studio::studio::StudioApp;
    use gan_studio::studio::compute::{Compute, Preference};

    let frame = |preference: Preference| {
        let render_state = render_state();
        let compute = Compute::from_render_state(&render_state);
        let mut harness = explorer_harness(render_state, compute, preference);
        let started = std::time::Instant::now();
        let ready = |h: &Harness<'_, StudioApp>| {
            let e = &h.state().state.explorer.runtime;
            !e.grid.is_empty() && !e.digit.is_empty() && !e.strip.is_empty() && !e.frame.is_empty()
        };
        while !ready(&harness) {
            assert!(started.elapsed().as_secs() < 600, "no explorer grid");
            std::thread::sleep(std::time::Duration::from_millis(20));
            harness.step();
        }
        for _ in 0..3 {
            harness.step();
        }
        let runtime = &harness.state().state.explorer.runtime;
        let on_gpu = [
            &runtime.grid,
            &runtime.digit,
            &runtime.strip,
            &runtime.frame,
        ]
        .map(|g| g.is_on_gpu());
        if preference == Preference::Wgpu {
            // The label-blend strip takes the same path, and back.
            for _ in 0..2 {
                let before = harness.state().state.explorer.runtime.strip.version;
                harness.get_by_label("between labels").click();
                let started = std::time::Instant::now();
                while harness.state().state.explorer.runtime.strip.version == before {
                    assert!(started.elapsed().as_secs() < 300, "no new strip");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    harness.step();
                }
                assert!(harness.state().state.explorer.runtime.strip.is_on_gpu());
            }
            for _ in 0..3 {
                harness.step();
            }
        }
        let runtime = &harness.state().state.explorer.runtime;
        // An export reads the GPU's images back: as many values as the grid shows, in range.
        let pixels = runtime.grid.host_pixels().unwrap().into_owned();
        assert_eq!(pixels.len(), runtime.grid.count * 28 * 28);
        assert!(pixels.iter().all(|v| (-1.0..=1.0).contains(v)));
        (on_gpu, harness.render().expect("a rendered frame"))
    };

    let (gpu_flags, gpu_frame) = frame(Preference::Wgpu);
    assert_eq!(gpu_flags, [true; 4], "the explorer did not draw on the GPU");
    let (cpu_flags, cpu_frame) = frame(Preference::Cpu);
    assert_eq!(cpu_flags, [false; 4]);
    // Same latents, same generator: the digit and grid panes (below the header, whose text
    // names the device and timings) differ only where GPU and CPU arithmetic round a pixel to
    // the next grey level.
    let pane =
        |img: &image::RgbaImage| image::imageops::crop_imm(img, 280, 100, 900, 370).to_image();
    let (gpu_pane, cpu_pane) = (pane(&gpu_frame), pane(&cpu_frame));
    let differing = gpu_pane
        .pixels()
        .zip(cpu_pane.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0.iter()).any(|(x, y)| x.abs_diff(*y) > 8))
        .count();
    let total = (gpu_pane.width() * gpu_pane.height()) as usize;
    let out = std::env::temp_dir().join("gan-studio-explorer-frames");
    let _ = std::fs::create_dir_all(&out);
    let _ = gpu_frame.save(out.join("gpu.png"));
    let _ = cpu_frame.save(out.join("cpu.png"));
    assert!(
        differing * 500 < total,
        "{differing} of {total} pixels differ between the GPU- and host-drawn explorer (frames in {})",
        out.display()
    );
    // And the grids are really there: plenty of bright digit pixels in both.
    let bright = |img: &image::RgbaImage| img.pixels().filter(|p| p.0[0] > 200).count();
    assert!(bright(&gpu_pane) > 5_000 && bright(&cpu_pane) > 5_000);
}
