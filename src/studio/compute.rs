//! Where the studio computes: burn on the very wgpu device eframe renders with, or burn's flex
//! CPU backend. On a software adapter (llvmpipe) flex trains ~10x faster, so "auto" keeps
//! heavy work there and only uses the shared device on a real GPU; the user can override.

use std::sync::Arc;

use anyhow::{Result, anyhow};
use burn::prelude::Device;
use burn::tensor::wgpu::{WgpuSetup, wgpu};
use serde::{Deserialize, Serialize};

use super::gpu_grid::GridPipeline;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preference {
    /// The shared wgpu device on a real GPU, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// The shared wgpu device even on a software adapter.
    Wgpu,
}

/// The devices the studio may compute on, and how to describe them.
pub struct Compute {
    pub preference: Preference,
    pub cpu: Device,
    /// burn on eframe's own wgpu device, when the window renders with wgpu.
    pub shared: Option<Device>,
    /// "llvmpipe (LLVM 15.0.6), Vulkan, software" and the like.
    pub adapter: String,
    pub adapter_is_software: bool,
    /// Why the shared device could not be made, if it could not.
    pub shared_error: Option<String>,
    /// eframe's render state and our grid shader on its device: the zero-copy display
    /// for images computed on the shared device.
    pub render: Option<egui_wgpu::RenderState>,
    pub display: Option<Arc<GridPipeline>>,
}

impl Compute {
    /// CPU only (no window, or a renderer other than wgpu).
    pub fn cpu_only() -> Self {
        Self {
            preference: Preference::Auto,
            cpu: Device::flex(),
            shared: None,
            adapter: "no wgpu renderer".into(),
            adapter_is_software: true,
            shared_error: None,
            render: None,
            display: None,
        }
    }

    /// CPU only, on a render device burn cannot share: `why` becomes the studio's notice.
    pub fn unshared(why: String) -> Self {
        Self {
            adapter: "a device burn cannot share".into(),
            shared_error: Some(why),
            ..Self::cpu_only()
        }
    }

    /// Registers eframe's (or a test harness's) wgpu device with burn.
    pub fn from_render_state(state: &egui_wgpu::RenderState) -> Self {
        let info = state.adapter.get_info();
        let software = info.device_type == wgpu::DeviceType::Cpu;
        let adapter = format!(
            "{}, {:?}{}",
            info.name,
            info.backend,
            if software { ", software" } else { "" }
        );
        let (shared, shared_error) = match share_device(state) {
            Ok(device) => (Some(device), None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        let display = shared
            .is_some()
            .then(|| Arc::new(GridPipeline::new(&state.device, &state.queue)));
        Self {
            preference: Preference::Auto,
            cpu: Device::flex(),
            shared,
            adapter,
            adapter_is_software: software,
            shared_error,
            render: Some(state.clone()),
            display,
        }
    }

    fn pick(&self) -> (Device, String) {
        let want_shared = match self.preference {
            Preference::Cpu => false,
            Preference::Wgpu => true,
            Preference::Auto => !self.adapter_is_software,
        };
        match (&self.shared, want_shared) {
            (Some(device), true) => (device.clone(), format!("wgpu ({})", self.adapter)),
            _ => (self.cpu.clone(), "cpu (burn flex)".to_owned()),
        }
    }

    /// Training and evaluation: heavy work.
    pub fn training(&self) -> (Device, String) {
        self.pick()
    }

    /// The explorer: the shared device on a real GPU, the CPU on a software adapter (a 10x10
    /// grid regenerates faster there; BENCHMARKS.md), unless the user chose otherwise.
    pub fn explorer(&self) -> (Device, String) {
        self.pick()
    }

    /// The zero-copy display for images computed on `device`: our shader, when `device` is
    /// the one eframe renders with; `None` sends images through the host.
    pub fn display_for(&self, device: &Device) -> Option<Arc<GridPipeline>> {
        match (&self.shared, &self.display) {
            (Some(shared), Some(display)) if shared == device => Some(display.clone()),
            _ => None,
        }
    }

    pub fn status(&self) -> String {
        let (_, training) = self.training();
        let shared = match (&self.shared, &self.shared_error) {
            (Some(_), _) => "burn shares the render device".to_owned(),
            (None, Some(e)) => format!("burn cannot share the render device: {e}"),
            (None, None) => "no shared device".to_owned(),
        };
        format!(
            "Rendering: wgpu on {} · {shared} · Compute: {training}",
            self.adapter
        )
    }
}

/// The device descriptor burn needs from eframe: the adapter's own features and limits.
/// cubecl reads capabilities (e.g. subgroups) from the adapter, so a device created with
/// eframe's default descriptor fails burn's matmul kernels ("Shader requires capability
/// SUBGROUP").
pub fn device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    descriptor_for(adapter.features(), adapter.limits())
}

/// The descriptor for an adapter offering `features` and `limits`. Left out:
/// - mappable primary buffers, which slow discrete GPUs down;
/// - wgpu's experimental features (mesh shaders, ray tracing, cooperative matrices). NVIDIA's
///   Vulkan driver offers them, and wgpu refuses a device that asks for them without an unsafe
///   opt-in: on an H100 the studio's device failed to start with
///   `ExperimentalFeaturesNotEnabled`. Nothing here uses them: egui draws triangles, and
///   burn's WGSL kernels read only number types, atomics and subgroups from the adapter.
fn descriptor_for(
    features: wgpu::Features,
    limits: wgpu::Limits,
) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("gan-studio shared device"),
        required_features: features
            - wgpu::Features::MAPPABLE_PRIMARY_BUFFERS
            - wgpu::Features::all_experimental_mask(),
        required_limits: limits,
        ..Default::default()
    }
}

/// `setup` creating its device with [`device_descriptor`], so burn can share it (the window's
/// setup, and test harnesses'); a setup that brings an existing device is left as it is.
pub fn sharing_setup(setup: egui_wgpu::WgpuSetup) -> egui_wgpu::WgpuSetup {
    match setup {
        egui_wgpu::WgpuSetup::CreateNew(mut new) => {
            new.device_descriptor = Arc::new(device_descriptor);
            egui_wgpu::WgpuSetup::CreateNew(new)
        }
        existing => existing,
    }
}

/// eframe's wgpu options with [`device_descriptor`].
pub fn wgpu_configuration() -> egui_wgpu::WgpuConfiguration {
    let mut config = egui_wgpu::WgpuConfiguration {
        wgpu_setup: sharing_setup(egui_wgpu::WgpuSetup::CreateNew(
            egui_wgpu::WgpuSetupCreateNew::without_display_handle(),
        )),
        ..Default::default()
    };
    // For measuring frame pacing: GAN_STUDIO_PRESENT_MODE=fifo|mailbox|immediate.
    if let Ok(mode) = std::env::var("GAN_STUDIO_PRESENT_MODE") {
        config.surface.present_mode = match mode.as_str() {
            "fifo" => wgpu::PresentMode::Fifo,
            "mailbox" => wgpu::PresentMode::Mailbox,
            "immediate" => wgpu::PresentMode::Immediate,
            _ => wgpu::PresentMode::AutoNoVsync,
        };
    }
    config
}

fn share_device(state: &egui_wgpu::RenderState) -> Result<Device> {
    let setup = WgpuSetup {
        instance: state.instance.clone(),
        adapter: state.adapter.clone(),
        device: state.device.clone(),
        queue: state.queue.clone(),
        backend: state.adapter.get_info().backend,
    };
    Device::wgpu_options()
        .setup(setup)
        .init()
        .map_err(|e| anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What NVIDIA's Vulkan adapter offered on an H100 (driver 580): subgroups and f16 as
    /// burn wants them, mappable primary buffers, and experimental features.
    fn nvidia_like() -> wgpu::Features {
        wgpu::Features::SUBGROUP
            | wgpu::Features::SHADER_F16
            | wgpu::Features::SHADER_INT64
            | wgpu::Features::MAPPABLE_PRIMARY_BUFFERS
            | wgpu::Features::EXPERIMENTAL_MESH_SHADER
            | wgpu::Features::EXPERIMENTAL_COOPERATIVE_MATRIX
            | wgpu::Features::EXPERIMENTAL_RAY_TRACING_PIPELINES
    }

    #[test]
    fn the_shared_device_passes_wgpus_experimental_feature_check() {
        let descriptor = descriptor_for(nvidia_like(), wgpu::Limits::default());
        // wgpu-core's own rule (Adapter::create_device_and_queue): experimental features need
        // the unsafe opt-in, or the device is refused.
        let asks_experimental = descriptor
            .required_features
            .intersects(wgpu::Features::all_experimental_mask());
        assert!(
            !asks_experimental || descriptor.experimental_features.is_enabled(),
            "asks for {:?} without the opt-in",
            descriptor.required_features & wgpu::Features::all_experimental_mask()
        );
    }

    #[test]
    fn an_unshared_render_device_computes_on_the_cpu_and_says_why() {
        let mut compute = Compute::unshared("the GPU refused the device".into());
        // Even when the user asks for the window's device.
        compute.preference = Preference::Wgpu;
        let (device, label) = compute.training();
        assert!(device == Device::flex(), "computes on {label}");
        assert!(compute.display_for(&device).is_none());
        assert!(
            compute.status().contains("the GPU refused the device"),
            "{}",
            compute.status()
        );
    }

    #[test]
    fn the_shared_device_keeps_what_burn_reads_and_drops_mappable_primary_buffers() {
        let descriptor = descriptor_for(nvidia_like(), wgpu::Limits::default());
        let kept =
            wgpu::Features::SUBGROUP | wgpu::Features::SHADER_F16 | wgpu::Features::SHADER_INT64;
        assert!(descriptor.required_features.contains(kept));
        assert!(
            !descriptor
                .required_features
                .contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS)
        );
    }
}
