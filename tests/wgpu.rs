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

#[test]
fn auto_never_picks_a_software_adapter() {
    let chosen = ComputeDevice::resolve(DeviceChoice::Auto).unwrap();
    let has_gpu = wgpu_adapters().iter().any(|a| !a.is_software);
    assert_eq!(chosen.is_gpu, has_gpu, "auto chose {chosen}");
}
