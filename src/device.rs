//! Choosing where tensors live: burn's flex CPU backend or its wgpu backend, at run time.

use std::fmt;

use anyhow::{Context, Result, bail};
use burn::tensor::{Device, DeviceKind};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// What the user asked for on the command line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// burn's flex backend on the CPU.
    Cpu,
    /// burn's wgpu backend on the default adapter (a software one if nothing else exists).
    Wgpu,
    /// wgpu when a real GPU adapter exists, otherwise the CPU. A software Vulkan adapter
    /// (llvmpipe) was measured ~10x slower than flex for training, so it never counts.
    #[default]
    Auto,
}

/// A resolved compute device and a human description of it.
#[derive(Clone, Debug)]
pub struct ComputeDevice {
    pub device: Device,
    pub description: String,
    pub is_gpu: bool,
}

impl fmt::Display for ComputeDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// Keeps Mesa's Vulkan device-select layer from printing
/// `error: XDG_RUNTIME_DIR is invalid or not set in the environment.` twice whenever wgpu lists
/// adapters outside a desktop session (ssh, CI, a cron job). The layer only reorders GPUs for a
/// display server, and it tries a Wayland connection to do so, which libwayland refuses with
/// that line when there is no runtime folder. So: when there is none, and the user has not asked
/// the layer for a device (`MESA_VK_DEVICE_SELECT`, `DRI_PRIME`) or set `NODEVICE_SELECT`
/// themselves, turn the layer off. Returns whether it did.
///
/// # Safety
/// Changes the environment: call it before any other thread starts (first thing in `main`).
pub unsafe fn quiet_headless_vulkan() -> bool {
    let has_runtime_dir =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| std::path::Path::new(&dir).is_dir());
    let chosen = ["NODEVICE_SELECT", "MESA_VK_DEVICE_SELECT", "DRI_PRIME"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if has_runtime_dir || chosen {
        return false;
    }
    // SAFETY: the caller guarantees no other thread reads or writes the environment now.
    unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    true
}

/// A wgpu adapter as wgpu reports it.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub is_software: bool,
}

/// Lists the wgpu adapters on this machine without creating a device on any of them.
pub fn wgpu_adapters() -> Vec<AdapterSummary> {
    use burn::tensor::wgpu::wgpu;
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .iter()
        .map(|adapter| {
            let info = adapter.get_info();
            AdapterSummary {
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                is_software: info.device_type == wgpu::DeviceType::Cpu,
            }
        })
        .collect()
}

impl ComputeDevice {
    /// The flex CPU backend.
    pub fn cpu() -> Self {
        Self {
            device: Device::flex(),
            description: format!("cpu (burn flex, {} threads)", rayon_threads()),
            is_gpu: false,
        }
    }

    /// Resolves a choice into a device. `Wgpu` fails with a clear message when no adapter exists.
    pub fn resolve(choice: DeviceChoice) -> Result<Self> {
        match choice {
            DeviceChoice::Cpu => Ok(Self::cpu()),
            DeviceChoice::Wgpu => {
                let adapters = wgpu_adapters();
                let Some(first) = adapters
                    .iter()
                    .find(|a| !a.is_software)
                    .or(adapters.first())
                else {
                    bail!(
                        "--device wgpu: no wgpu adapter found (install a GPU driver or mesa-vulkan-drivers, or use --device cpu)"
                    );
                };
                Ok(Self::wgpu(first))
            }
            DeviceChoice::Auto => Ok(wgpu_adapters()
                .iter()
                .find(|a| !a.is_software)
                .map(Self::wgpu)
                .unwrap_or_else(Self::cpu)),
        }
    }

    fn wgpu(adapter: &AdapterSummary) -> Self {
        let kind = if adapter.is_software {
            "software"
        } else {
            "gpu"
        };
        Self {
            device: Device::wgpu(DeviceKind::DefaultDevice),
            description: format!("wgpu on {} ({}, {kind})", adapter.name, adapter.backend),
            is_gpu: !adapter.is_software,
        }
    }

    /// The same device with autodiff enabled, for training.
    pub fn autodiff(&self) -> Device {
        self.device.clone().autodiff()
    }

    /// Waits for queued work; a failed kernel surfaces here as an error.
    pub fn sync(&self) -> Result<()> {
        self.device
            .sync()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
            .context("device failed while running queued work")
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
