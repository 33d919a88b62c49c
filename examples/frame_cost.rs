//! How long the studio takes to rasterise one frame with wgpu (kittest's adapter choice, a
//! software one where it exists), with no window and no display:
//! separates rendering cost from presentation. `cargo run --release --example frame_cost`
//! (BENCHMARKS.md, "Studio").

use std::time::Instant;

use egui_kittest::Harness;
use gan_studio::studio::compute::Compute;
use gan_studio::studio::tabs::Tab;
use gan_studio::studio::{StudioApp, StudioState};

fn main() {
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
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1400.0, 900.0))
            .wgpu()
            .build_ui_state(
                |ui, app: &mut StudioApp| app.show(ui),
                StudioApp::with_state(state, Compute::cpu_only()),
            );
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
    for (width, height) in [(1400.0, 900.0), (1000.0, 700.0), (700.0, 500.0)] {
        let state = StudioState {
            tab: Tab::Explorer,
            ..StudioState::default()
        };
        let mut harness = Harness::builder()
            .with_size(egui::vec2(width, height))
            .wgpu()
            .build_ui_state(
                |ui, app: &mut StudioApp| app.show(ui),
                StudioApp::with_state(state, Compute::cpu_only()),
            );
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
