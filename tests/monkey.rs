//! A monkey test of the studio: thousands of random clicks, drags, key presses, scrolls, typed
//! text and tab switches across every tab while a small run trains. Nothing may panic, no
//! frame may take the UI over 50 ms to build, and the run must still finish with every step.
//! Alone in its test binary because it moves the process into a scratch folder (whatever the
//! monkey types into a path field lands there, not in the repository).

mod common;

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gan_studio::model::ModelKind;
use gan_studio::studio::compute::Compute;
use gan_studio::studio::tabs::Tab;
use gan_studio::studio::{StudioApp, StudioState};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ACTIONS: usize = 3000;
const STEPS: usize = 600;
/// Buttons the monkey leaves alone: the ones that end the run under test, open the system's
/// file dialog, or reach for the network.
const AVOID: [&str; 4] = ["Stop", "Pause", "Browse...", "Download MNIST"];
const KEYS: [egui::Key; 14] = [
    egui::Key::Tab,
    egui::Key::Enter,
    egui::Key::Escape,
    egui::Key::Space,
    egui::Key::ArrowLeft,
    egui::Key::ArrowRight,
    egui::Key::ArrowUp,
    egui::Key::ArrowDown,
    egui::Key::Backspace,
    egui::Key::Delete,
    egui::Key::Home,
    egui::Key::End,
    egui::Key::A,
    egui::Key::Num7,
];
const TEXTS: [&str; 6] = ["", "0", "-1", "999999999", "runs/../x", "é✓ 名前"];

#[test]
fn thousands_of_random_inputs_on_every_tab_while_a_run_trains() {
    let scratch = tempfile::tempdir().unwrap();
    let data = common::data_dir().canonicalize().unwrap();
    std::env::set_current_dir(scratch.path()).unwrap();
    let runs = scratch.path().join("runs");
    gan_studio::explore::bundle::unpack_run(&runs, "bundled-cdcgan").unwrap();
    let mut state = StudioState {
        runs_dir: runs.clone(),
        data_dir: data,
        tab: Tab::Training,
        ..StudioState::default()
    };
    state.export.folder = scratch.path().join("exports");
    let form = &mut state.training.form;
    form.run_name = "monkey".into();
    form.max_steps = STEPS;
    form.train_limit = 512;
    form.config.gan.model = ModelKind::Dcgan;
    form.config.batch_size = 16;
    form.config.sample_every = 20;
    form.config.checkpoint_every = 100;
    // Typed text may hold characters no bundled font has: the studio draws a box for them
    // (egui's default), where kittest would panic.
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1360.0, 860.0))
        .allow_missing_glyphs()
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(state, Compute::cpu_only()),
        );
    harness.get_by_label("Start training").click();
    harness.step();

    let mut rng = StdRng::seed_from_u64(0x6d6f6e6b6579);
    let mut build_ms: Vec<f64> = Vec::with_capacity(ACTIONS * 2);
    let mut cpu_ms: Vec<f64> = Vec::with_capacity(ACTIONS * 2);
    let mut frame = |harness: &mut Harness<'_, StudioApp>, build_ms: &mut Vec<f64>| {
        let cpu_before = thread_cpu_ns();
        harness.step();
        if let (Some(before), Some(after)) = (cpu_before, thread_cpu_ns()) {
            cpu_ms.push((after - before) as f64 / 1e6);
        }
        if let Some(built) = harness.state().frames.build_times.last() {
            build_ms.push(built.as_secs_f64() * 1e3);
        }
    };
    let size = egui::vec2(1360.0, 860.0);
    let random_pos =
        |rng: &mut StdRng| egui::pos2(rng.random_range(0.0..size.x), rng.random_range(0.0..size.y));
    let started = Instant::now();
    let mut counts = [0usize; 8];
    for _ in 0..ACTIONS {
        let action = rng.random_range(0..8);
        counts[action] += 1;
        match action {
            0 => {
                let tab = Tab::ALL[rng.random_range(0..Tab::ALL.len())];
                if let Some(node) = harness.query_by_label(tab.title()) {
                    node.click();
                }
            }
            1 | 2 => {
                // Any button, check box, radio button, combo box or tab on screen.
                let clickable: Vec<_> = harness
                    .query_all_by(|node| {
                        matches!(
                            node.role(),
                            Role::Button
                                | Role::CheckBox
                                | Role::RadioButton
                                | Role::ComboBox
                                | Role::Tab
                                | Role::Link
                        ) && !node
                            .label()
                            .is_some_and(|label| AVOID.contains(&label.as_str()))
                    })
                    .collect();
                if !clickable.is_empty() {
                    clickable[rng.random_range(0..clickable.len())].click();
                }
            }
            3 => {
                let sliders: Vec<_> = harness.query_all_by_role(Role::Slider).collect();
                if !sliders.is_empty() {
                    let slider = &sliders[rng.random_range(0..sliders.len())];
                    let rect = slider.rect();
                    let from = rect.center();
                    let to = egui::pos2(
                        rng.random_range(rect.left() - 40.0..rect.right() + 40.0),
                        from.y,
                    );
                    drag(&harness, from, to);
                    frame(&mut harness, &mut build_ms);
                    release(&harness, to);
                }
            }
            4 => {
                let (from, to) = (random_pos(&mut rng), random_pos(&mut rng));
                drag(&harness, from, to);
                frame(&mut harness, &mut build_ms);
                release(&harness, to);
            }
            5 => harness.key_press(KEYS[rng.random_range(0..KEYS.len())]),
            6 => {
                let inputs: Vec<_> = harness.query_all_by_role(Role::TextInput).collect();
                if !inputs.is_empty() {
                    let input = &inputs[rng.random_range(0..inputs.len())];
                    input.focus();
                    input.type_text(TEXTS[rng.random_range(0..TEXTS.len())]);
                }
            }
            _ => {
                let pos = random_pos(&mut rng);
                harness.hover_at(pos);
                harness.event(egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: egui::vec2(0.0, rng.random_range(-300.0..300.0)),
                    phase: egui::TouchPhase::Move,
                    modifiers: egui::Modifiers::NONE,
                    source: egui::MouseWheelSource::Wheel,
                });
            }
        }
        frame(&mut harness, &mut build_ms);
    }
    let monkey_secs = started.elapsed().as_secs_f64();

    // The run goes on to its last step; anything the monkey started after it is waited for.
    let run = scratch.path().join("runs/monkey");
    let waited = Instant::now();
    while harness.state().state.training.live.is_running() {
        assert!(
            waited.elapsed() < Duration::from_secs(600),
            "the runs did not finish within 10 minutes after the monkey"
        );
        std::thread::sleep(Duration::from_millis(50));
        frame(&mut harness, &mut build_ms);
    }
    let logged: Vec<usize> = gan_studio::train::metrics::read_log(&run.join("metrics.jsonl"))
        .unwrap()
        .iter()
        .map(|m| m.step)
        .collect();
    assert_eq!(logged, (1..=STEPS).collect::<Vec<_>>(), "the run finished");

    drop(frame);
    let quantiles = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q) as usize];
        (at(0.5), at(0.99), at(1.0))
    };
    let (median, p99, max) = quantiles(&mut build_ms);
    eprintln!(
        "{ACTIONS} actions {counts:?} in {monkey_secs:.0} s, {} frames: UI build (wall) median \
         {median:.2} ms, p99 {p99:.2} ms, max {max:.2} ms",
        build_ms.len()
    );
    if cpu_ms.is_empty() {
        // No per-thread CPU clock here: the wall-clock build time is all there is.
        assert!(max <= 50.0, "a frame took {max:.1} ms to build");
    } else {
        // The UI thread's own CPU time per frame (kittest's work included) is what the UI code
        // costs, whatever else the machine runs; wall time also counts waiting for a core,
        // which another process on a loaded 2-core machine can stretch past 50 ms.
        let (cpu_median, cpu_p99, cpu_max) = quantiles(&mut cpu_ms);
        eprintln!(
            "UI thread CPU per frame: median {cpu_median:.2} ms, p99 {cpu_p99:.2} ms, max \
             {cpu_max:.2} ms"
        );
        assert!(
            cpu_max <= 50.0,
            "a frame took {cpu_max:.1} ms of CPU to build"
        );
        assert!(p99 <= 50.0, "1% of frames took over {p99:.1} ms to build");
    }
}

/// CPU time this thread has run, from the kernel's scheduler statistics (Linux).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn drag(harness: &Harness<'_, StudioApp>, from: egui::Pos2, to: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(from));
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    harness.event(egui::Event::PointerMoved(to));
}

fn release(harness: &Harness<'_, StudioApp>, at: egui::Pos2) {
    harness.event(egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
}
