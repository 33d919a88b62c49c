//! The studio driven like a user would: egui_kittest clicks tabs, buttons and sliders and
//! reads the window back. Compute runs on the CPU here; tests/wgpu.rs covers the shared
//! wgpu device.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use gan_studio::explore::GeneratorSource;
use gan_studio::model::{Depth, ModelKind};
use gan_studio::studio::compute::Compute;
use gan_studio::studio::tabs::Tab;
use gan_studio::studio::widgets::curves::Smoothing;
use gan_studio::studio::{StudioApp, StudioState};

fn studio(runs: &Path, data: &Path) -> Harness<'static, StudioApp> {
    studio_with(runs, data, |_| {})
}

/// The studio with its saved state adjusted first, as if it had been left that way.
fn studio_with(
    runs: &Path,
    data: &Path,
    adjust: impl FnOnce(&mut StudioState),
) -> Harness<'static, StudioApp> {
    let mut state = StudioState {
        runs_dir: runs.to_owned(),
        data_dir: data.to_owned(),
        ..StudioState::default()
    };
    adjust(&mut state);
    Harness::builder()
        .with_size(egui::vec2(1360.0, 900.0))
        .build_ui_state(
            |ui, app: &mut StudioApp| app.show(ui),
            StudioApp::with_state(state, Compute::cpu_only()),
        )
}

/// Steps the UI (as frames would) until `done` holds; fails after `secs`.
fn wait_for(
    harness: &mut Harness<'_, StudioApp>,
    secs: u64,
    what: &str,
    done: impl Fn(&StudioApp) -> bool,
) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}; notices: {}; training: {}",
            notices(harness.state()),
            harness.state().state.training.live.status
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.step();
}

/// Lets a click, a scroll or an opened list take effect: a fixed 8 frames (2 s of simulated
/// time) rather than `run`, which fails unless the UI settles within its step limit, and the
/// notices and the architecture panel ask for timed repaints that on a loaded machine can fall
/// due inside it.
fn settle(harness: &mut Harness<'_, StudioApp>) {
    harness.run_steps(8);
}

/// Presses the first "Export PNG..." on screen and saves to `path` from its window.
fn export_first(harness: &mut Harness<'_, StudioApp>, path: &Path) {
    harness
        .get_all_by_label("Export PNG...")
        .next()
        .expect("an Export PNG... button")
        .click();
    // A new window lays itself out in its first frame and shows in the next.
    harness.run();
    harness
        .get_by_role_and_label(Role::TextInput, "File")
        .set_text_value_accesskit(&path.display().to_string());
    harness.step();
    harness.get_by_label("Save").click();
    harness.run();
}

fn notices(app: &StudioApp) -> String {
    app.notices
        .items
        .iter()
        .map(|n| n.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn tabs_switch_and_show_their_content() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    // A first launch opens the explorer: the bundled model needs no data.
    assert_eq!(harness.state().state.tab, Tab::Explorer);
    harness.get_by_label("Training").click();
    harness.step();
    harness.get_by_label("Start training");
    harness.get_by_label("Latent explorer").click();
    harness.step();
    assert_eq!(harness.state().state.tab, Tab::Explorer);
    harness.get_by_label("Generator");
    harness.get_by_label("Metrics").click();
    harness.step();
    assert_eq!(harness.state().state.tab, Tab::Metrics);
    harness.get_by_label("Evaluate");
    harness.get_by_label("Embedding").click();
    harness.step();
    assert_eq!(harness.state().state.tab, Tab::Embedding);
    harness.get_by_label("Compute");
}

#[test]
fn model_options_change_the_training_form() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    harness.get_by_label("Training").click();
    harness.step();
    // A new form is the conditional DCGAN's recipe, as `train --model cdcgan`.
    let form = &harness.state().state.training.form;
    assert_eq!(
        (form.max_steps, form.config.gan.depth),
        (4300, Depth::Shallow)
    );
    let before = form.config.mismatch;
    assert!(before);
    // The family's own options come first; a user scrolls down to D's checkbox.
    harness.get_by_label("Matching-aware D").scroll_to_me();
    settle(&mut harness);
    harness.get_by_label("Matching-aware D").click();
    harness.step();
    assert_eq!(harness.state().state.training.form.config.mismatch, !before);
    // The conditional DCGAN may read the label by projection: off in its recipe.
    let projects = |h: &Harness<'_, StudioApp>| {
        h.state()
            .state
            .training
            .form
            .config
            .gan
            .projection_discriminator
    };
    assert!(!projects(&harness));
    harness
        .get_by_label("Projection discriminator")
        .scroll_to_me();
    settle(&mut harness);
    harness.get_by_label("Projection discriminator").click();
    harness.step();
    assert!(projects(&harness));
    // The warp of D's inputs is offered, and off in this family's recipe.
    for label in ["Warp D's inputs", "turn °", "slant", "strokes", "size"] {
        harness.get_by_label(label);
    }
    let form = &harness.state().state.training.form.config;
    assert_eq!(
        (form.warp_degrees, form.warp_shear, form.warp_stroke),
        (0.0, 0.0, 0.0)
    );

    // The model combo box shows the current family; pick another one from its list.
    assert_eq!(
        harness.state().state.training.form.config.gan.model,
        ModelKind::Cdcgan
    );
    harness
        .get_by_role_and_label(Role::ComboBox, "Model")
        .click();
    settle(&mut harness);
    harness.get_by_label("dcgan").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().state.training.form.config.gan.model,
        ModelKind::Dcgan
    );

    // Picking InfoGAN brings its recipe (the paper's G rate and noise size); DCGAN's returns
    // with it.
    // A fixed number of frames rather than `run` (see `settle`).
    let pick = |harness: &mut Harness<'_, StudioApp>, family: &str| {
        harness
            .get_by_role_and_label(Role::ComboBox, "Model")
            .click();
        harness.run_steps(3);
        harness.get_by_label(family).click();
        harness.run_steps(3);
    };
    // The form opened on the conditional DCGAN's recipe: 4,300 shallow steps; DCGAN's is 4,500.
    assert_eq!(harness.state().state.training.form.max_steps, 4500);
    pick(&mut harness, "infogan");
    let form = &harness.state().state.training.form;
    let config = &form.config;
    assert_eq!(config.gan.model, ModelKind::Infogan);
    assert_eq!((config.lr_generator, config.gan.latent_dim), (1e-3, 64));
    assert_eq!((form.max_steps, config.gan.depth), (3000, Depth::Shallow));
    // D's inputs warped, as `train --model infogan`.
    assert_eq!(
        (config.warp_degrees, config.warp_shear, config.warp_stroke),
        (15.0, 0.3, 0.3)
    );
    // InfoGAN's own options include the paper's uniform noise, off until ticked.
    assert!(!config.gan.info_uniform_noise);
    // And the noise scale, a row of its own, at 1 (the noise as drawn) until changed.
    assert_eq!(config.gan.info_noise_scale, 1.0);
    harness.get_by_label("Noise scale");
    // And Q's reading of real images, off (the paper's) until given a weight.
    assert_eq!(config.gan.info_real_weight, 0.0);
    harness.get_by_label("λ real");
    // And the pair term on real images paired with one of their 5 nearest neighbours, on in
    // the recipe, each a row of its own.
    assert_eq!(
        (config.gan.info_pair_weight, config.gan.info_pair_neighbours),
        (1.0, 5)
    );
    harness.get_by_label("λ pair");
    harness.get_by_label("Pair neighbours");
    // Found among deskewed digits, on in the recipe.
    assert!(config.gan.info_pair_deskew);
    harness.get_by_label("Deskewed neighbours");
    harness.get_by_label("Uniform noise").click();
    settle(&mut harness);
    assert!(
        harness
            .state()
            .state
            .training
            .form
            .config
            .gan
            .info_uniform_noise
    );
    pick(&mut harness, "dcgan");
    let config = &harness.state().state.training.form.config;
    assert_eq!((config.lr_generator, config.gan.latent_dim), (2e-4, 100));
    assert!(config.warp().is_none());
    assert_eq!(
        (config.gan.info_pair_weight, config.gan.info_pair_neighbours),
        (0.0, 0)
    );
    // The dense CGAN's recipe brings medium depth; steps typed by hand stay.
    harness.state_mut().state.training.form.max_steps = 1234;
    pick(&mut harness, "cgan");
    let form = &harness.state().state.training.form;
    assert_eq!(
        (form.max_steps, form.config.gan.depth),
        (1234, Depth::Medium)
    );
    pick(&mut harness, "dcgan");
    // A value the user set stays when the family changes.
    harness
        .state_mut()
        .state
        .training
        .form
        .config
        .gan
        .latent_dim = 12;
    pick(&mut harness, "infogan");
    let config = &harness.state().state.training.form.config;
    assert_eq!((config.lr_generator, config.gan.latent_dim), (1e-3, 12));
}

/// Every family is offered in the Training tab; picking ACGAN (whose D predicts the label, so
/// the matching-aware option does not apply) trains and streams its class-head accuracy.
#[test]
fn a_family_picked_in_the_training_tab_trains_and_shows_its_own_figures() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        let form = &mut state.training.form;
        form.run_name = "acgan".into();
        form.max_steps = 3;
        form.train_limit = 256;
        form.config.batch_size = 16;
    });
    harness
        .get_by_role_and_label(Role::ComboBox, "Model")
        .click();
    harness.run();
    for (_, family) in gan_studio::family::all() {
        harness.get_by_label(family.name());
    }
    harness.get_by_label("acgan").click();
    harness.run();
    // ACGAN's own options appear with it, and nothing of InfoGAN's.
    harness.get_by_label("D class loss on fakes");
    assert!(harness.query_by_label("λ categorical").is_none());
    // ACGAN's D predicts the label: it has nothing to project.
    assert!(harness.query_by_label("Projection discriminator").is_none());
    let form = &harness.state().state.training.form;
    assert_eq!(form.config.gan.model, ModelKind::Acgan);
    // ACGAN's recipe has no matching-aware D: its D predicts the label instead of reading it.
    assert!(!form.config.mismatch);
    assert!(
        harness
            .get_by_label("Matching-aware D")
            .accesskit_node()
            .is_disabled()
    );
    // A form saved by an older version may still ask for it, or for projection ticked under
    // another family: the run leaves both out.
    let stale = &mut harness.state_mut().state.training.form.config;
    stale.mismatch = true;
    stale.gan.projection_discriminator = true;
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 120, "the ACGAN run to finish", |app| {
        let live = &app.state.training.live;
        !live.is_running() && live.history.len() == 3
    });
    let last = harness.state().state.training.live.history.last().cloned();
    let figures = last.map(|m| m.figures).unwrap_or_default();
    assert_eq!(
        figures.keys().collect::<Vec<_>>(),
        ["class accuracy, generated", "class accuracy, real"]
    );
    let saved =
        gan_studio::train::TrainConfig::load_run(&runs.path().join("acgan/config.json")).unwrap();
    assert_eq!(saved.gan.model, ModelKind::Acgan);
    assert!(!saved.mismatch && !saved.gan.projection_discriminator);
}

/// PCA picked in the Training tab is fitted (no steps) and shows its grid; in the explorer its
/// sliders are named as principal components.
#[test]
fn pca_is_fitted_from_the_training_tab_and_explored_by_component() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        let form = &mut state.training.form;
        form.run_name = "pca".into();
        form.train_limit = 2000;
        form.config.gan.latent_dim = 12;
    });
    harness
        .get_by_role_and_label(Role::ComboBox, "Model")
        .click();
    harness.run();
    harness.get_by_label("pca").click();
    harness.run();
    // Only what a fit reads: no optimiser, discriminator or step options.
    assert!(harness.query_by_label("Principal components").is_some());
    for gone in [
        "Learning rate D",
        "Dropout (D)",
        "Steps",
        "Depth",
        "Matching-aware D",
    ] {
        assert!(
            harness.query_by_label(gone).is_none(),
            "{gone} shown for PCA"
        );
    }
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 120, "the PCA fit", |app| {
        let live = &app.state.training.live;
        !live.is_running() && !live.samples.is_empty()
    });
    assert!(runs.path().join("pca/samples/latest.png").is_file());
    assert_eq!(harness.state().state.training.live.samples.count, 100);
    // Not "finished at step 0": it had no steps.
    assert_eq!(harness.state().state.training.live.status, "pca: fitted");
    harness.get_by_label_contains("Fitted in closed form: no training curves");
    // The architecture panel times no step: a PCA has none (timing one fitted PCA instead).
    harness.get_by_label("No training steps: fitted in closed form");
    assert!(harness.query_by_label_contains("Time per step").is_none());

    harness.state_mut().state.explorer.source = GeneratorSource::run(runs.path(), "pca");
    open_explorer(&mut harness);
    assert_eq!(harness.state().state.explorer.latent.len(), 12);
    harness
        .get_by_role_and_label(Role::Slider, "PC12")
        .set_value_accesskit(2.5);
    harness.step();
    assert!((harness.state().state.explorer.latent[11] - 2.5).abs() < 1e-3);
    harness.get_by_role_and_label(Role::Slider, "PC1");
    assert!(harness.query_by_label("z0").is_none());
}

/// An InfoGAN run in the explorer: a category-code picker, its continuous codes as c1 and c2,
/// and the grid is the paper's sweep (one row per code, 10 columns), switchable to c2.
#[test]
fn the_explorer_shows_infogans_code_sweep() {
    use gan_studio::model::{Depth, GanConfig};
    use gan_studio::train::{RunDir, TrainConfig, Trainer};
    let runs = tempfile::tempdir().unwrap();
    let config = TrainConfig::new(GanConfig::new(ModelKind::Infogan).with_depth(Depth::Shallow))
        .with_batch_size(16)
        .with_train_limit(Some(256))
        .with_max_steps(Some(2));
    let run = RunDir::new(runs.path(), "info").unwrap();
    let data = common::mnist().train;
    let mut trainer = Trainer::create(config, run, data, &burn::prelude::Device::flex()).unwrap();
    trainer
        .run(|_| std::ops::ControlFlow::Continue(()))
        .unwrap();
    drop(trainer);

    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.explorer.source = GeneratorSource::run(runs.path(), "info");
    });
    open_explorer(&mut harness);
    harness.get_by_label("Category code");
    // The codes under the category picker, not after the 62 noise sliders.
    harness.get_by_label("Continuous codes");
    harness.get_by_role_and_label(Role::Slider, "c1");
    harness.get_by_role_and_label(Role::Slider, "c2");
    let noise = harness.state().state.explorer.latent.len() - 2;
    harness.get_by_label(&format!("Noise coordinates (all {noise}; scroll for more)"));
    harness.get_by_role_and_label(Role::Slider, &format!("z{}", noise - 1));
    assert!(harness.query_by_label(&format!("z{noise}")).is_none());
    let top = |label: &str| {
        harness
            .get_by_role_and_label(Role::Slider, label)
            .rect()
            .top()
    };
    assert!(top("c2") < top("z0"), "c2 is drawn above the noise");
    assert_eq!(harness.state().state.explorer.runtime.grid.count, 100);
    harness
        .get_by_role_and_label(Role::RadioButton, "c2")
        .click();
    harness.step();
    assert_eq!(harness.state().state.explorer.sweep_code, 1);
    wait_for(&mut harness, 30, "the c2 sweep", |app| {
        app.state.explorer.runtime.grid.count == 100
    });
}

#[test]
fn training_starts_streams_and_stops_with_a_checkpoint() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        // Its Export PNG... would come first; the loss plot's is the one under test here.
        state.training.hide_architecture = true;
        let form = &mut state.training.form;
        form.run_name = "tiny".into();
        form.max_steps = 400;
        form.train_limit = 512;
        form.config.batch_size = 32;
        form.config.sample_every = 2;
    });
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(
        &mut harness,
        120,
        "three training steps and a sample grid",
        |app| {
            let live = &app.state.training.live;
            live.history.len() >= 3 && !live.samples.is_empty()
        },
    );
    let live = &harness.state().state.training.live;
    assert!(
        live.history
            .iter()
            .all(|m| m.d_loss.is_finite() && m.g_loss.is_finite())
    );
    // One row per class on the live grid.
    assert_eq!(live.samples.count % 10, 0);

    // Steps and sample grids (one every 2 steps here) ask for a frame a gap later, not one each:
    // a frame per step kept a software-rendered window drawing without pause, and training
    // lost the core it drew on (BENCHMARKS.md, "The studio's window").
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = asked.clone();
    harness.ctx.set_repaint_observer(move |info| {
        if let Ok(mut asked) = record.lock() {
            asked.push(info.delay);
        }
    });
    let streamed_from = live.history.len();
    wait_for(&mut harness, 60, "twenty more steps", |app| {
        app.state.training.live.history.len() >= streamed_from + 20
    });
    let asked = std::mem::take(&mut *asked.lock().unwrap());
    let gap = gan_studio::studio::pacing::frame_gap(true);
    let at_once = asked.iter().filter(|delay| delay.is_zero()).count();
    assert!(
        at_once <= 2,
        "{at_once} frames asked for at once while 20 steps streamed: {asked:?}"
    );
    assert!(
        asked.contains(&gap),
        "no frame asked {gap:?} later: {asked:?}"
    );
    harness.ctx.set_repaint_observer(|_| {});

    // Pause holds the worker between steps; Resume lets it go on.
    harness.get_by_label("Pause").click();
    harness.step();
    wait_for(&mut harness, 30, "the run to pause", |app| {
        app.state.training.live.paused
    });
    let paused_at = harness.state().state.training.live.history.len();
    std::thread::sleep(Duration::from_millis(500));
    harness.step();
    assert_eq!(harness.state().state.training.live.history.len(), paused_at);
    harness.get_by_label("Resume").click();
    harness.step();
    wait_for(&mut harness, 60, "steps after resuming", |app| {
        app.state.training.live.history.len() > paused_at
    });

    harness.get_by_label("Stop").click();
    harness.step();
    wait_for(&mut harness, 60, "the run to stop", |app| {
        !app.state.training.live.is_running()
    });
    let live = &harness.state().state.training.live;
    assert!(live.status.contains("stopped"), "status: {}", live.status);
    let steps = live.history.len();
    assert!(steps < 400, "stopped early, after {steps} steps");
    let latest = std::fs::read_to_string(runs.path().join("tiny/checkpoints/latest")).unwrap();
    assert!(
        runs.path()
            .join("tiny/checkpoints")
            .join(latest.trim())
            .is_dir()
    );

    // The loss plot exports as a PNG for slides, drawn as the tab draws it: smoothed by
    // default, raw when the smoothing slider is at 0.
    assert!(harness.get_all_by_label("Smoothing").next().is_some());
    let png = runs.path().join("figures/losses.png");
    export_first(&mut harness, &png);
    let image = image::open(&png).expect("a valid PNG of the losses");
    assert_eq!((image.width(), image.height()), (900, 700));
    harness.state_mut().state.training.smoothing = Smoothing(0.0);
    settle(&mut harness);
    let raw_png = runs.path().join("figures/losses-raw.png");
    export_first(&mut harness, &raw_png);
    let raw = image::open(&raw_png).expect("a valid PNG of the raw losses");
    assert_ne!(
        raw.to_rgb8().into_raw(),
        image.to_rgb8().into_raw(),
        "the export ignores the smoothing"
    );

    // "Continue" in the runs list resumes from the checkpoint written at Stop, and the
    // curves keep the run's history.
    let stopped_at = steps;
    harness.get_by_label("Continue").click();
    harness.step();
    wait_for(&mut harness, 60, "the resumed run's first steps", |app| {
        let live = &app.state.training.live;
        live.first_step > 0 && live.history.len() > stopped_at
    });
    let live = &harness.state().state.training.live;
    assert_eq!(live.first_step, stopped_at, "resumed where it stopped");
    let logged: Vec<usize> = live.history.iter().map(|m| m.step).collect();
    assert_eq!(
        logged,
        (1..=logged.len()).collect::<Vec<_>>(),
        "every step once"
    );
    harness.get_by_label("Stop").click();
    harness.step();
    wait_for(&mut harness, 60, "the resumed run to stop", |app| {
        !app.state.training.live.is_running()
    });
    let shown = harness.state().state.training.live.history.len();

    // A later launch reopens the run with its whole history and its sample grid.
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        state.training.last_run = Some("tiny".into());
        let form = &mut state.training.form;
        form.run_name = "tiny".into();
        form.max_steps = 400;
        form.train_limit = 512;
        form.config.batch_size = 32;
    });
    wait_for(&mut harness, 60, "the last run to reopen", |app| {
        let live = &app.state.training.live;
        live.history.len() == shown && !live.samples.is_empty()
    });

    // Starting a new run under the same name offers to continue it or to take a free name,
    // and keeps what is shown.
    harness.get_by_label("Start training").click();
    harness.run();
    assert!(harness.state().state.training.conflict.is_some());
    assert_eq!(harness.state().state.training.live.history.len(), shown);
    harness.get_by_label("Start as \"tiny-2\"").click();
    harness.step();
    wait_for(&mut harness, 60, "the new run's first step", |app| {
        let live = &app.state.training.live;
        live.run == "tiny-2" && !live.history.is_empty()
    });
    assert_eq!(harness.state().state.training.live.history[0].step, 1);
    harness.get_by_label("Stop").click();
    harness.step();
    wait_for(&mut harness, 60, "the new run to stop", |app| {
        !app.state.training.live.is_running()
    });
}

fn open_explorer(harness: &mut Harness<'_, StudioApp>) {
    harness.get_by_label("Latent explorer").click();
    harness.step();
    wait_for(
        harness,
        60,
        "the bundled generator's first digit and grid",
        |app| {
            let rt = &app.state.explorer.runtime;
            !rt.digit.is_empty() && !rt.grid.is_empty()
        },
    );
}

#[test]
fn a_latent_slider_changes_the_digit() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    open_explorer(&mut harness);
    let explorer = &harness.state().state.explorer.runtime;
    assert_eq!(explorer.digit.count, 1);
    assert_eq!(explorer.grid.count, 100, "10 classes x 10 latents");
    let (before, version) = (explorer.digit.pixels.clone(), explorer.digit.version);

    let z0 = harness.state().state.explorer.latent[0];
    let target = if z0 > 0.0 { -2.5 } else { 2.5 };
    harness
        .get_by_role_and_label(Role::Slider, "z0")
        .set_value_accesskit(f64::from(target));
    harness.step();
    assert!((harness.state().state.explorer.latent[0] - target).abs() < 1e-3);
    wait_for(&mut harness, 30, "the digit for the new latent", |app| {
        app.state.explorer.runtime.digit.version > version
    });
    let after = &harness.state().state.explorer.runtime.digit.pixels;
    let change = before
        .iter()
        .zip(after)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / before.len() as f32;
    assert!(change > 0.01, "mean pixel change {change}");
}

#[test]
fn export_writes_a_png_and_reports_an_unwritable_folder() {
    let runs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    open_explorer(&mut harness);

    let export = |harness: &mut Harness<'_, StudioApp>, path: &str| {
        export_first(harness, Path::new(path));
    };

    let png = out.path().join("slides/digit.png");
    export(&mut harness, png.to_str().unwrap());
    let image = image::open(&png).expect("a valid PNG").into_luma8();
    // One 28x28 digit, scale 4, padding 2 (scaled too) around it.
    assert!(image.width() >= 4 * 28, "width {}", image.width());
    assert!(notices(harness.state()).contains("exported"));

    export(&mut harness, "/proc/no-such-folder/digit.png");
    let text = notices(harness.state());
    assert!(text.contains("export failed"), "notices: {text}");
    assert!(harness.get_all_by_label_contains("export failed").count() >= 1);
}

#[test]
fn a_missing_checkpoint_is_reported_in_the_window() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        state.explorer.source = GeneratorSource::run(runs.path(), "gone");
    });
    harness.get_by_label("Latent explorer").click();
    harness.step();
    wait_for(&mut harness, 30, "the load to fail", |app| {
        !app.state.explorer.is_loading()
    });
    let text = notices(harness.state());
    assert!(text.contains("cannot load run gone"), "notices: {text}");
    assert!(
        harness
            .get_all_by_label_contains("cannot load run gone")
            .count()
            >= 1
    );
}

#[test]
fn corrupt_data_is_reported_and_training_does_not_start() {
    let runs = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        std::fs::write(data.path().join(name), b"not an idx file").unwrap();
    }
    let mut harness = studio(runs.path(), data.path());
    harness.get_by_label("Training").click();
    harness.step();
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 30, "the failure", |app| {
        !app.state.training.live.is_running()
    });
    let text = notices(harness.state());
    assert!(
        text.contains("training failed") && text.contains("train-images"),
        "notices: {text}"
    );
    assert!(harness.get_all_by_label_contains("training failed").count() >= 1);
    assert!(
        !runs.path().join("studio-run").exists(),
        "no run folder for a failed start"
    );
}

#[test]
fn interpolating_between_labels_starts_at_the_shown_digit() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    open_explorer(&mut harness);
    wait_for(&mut harness, 30, "the interpolation strip", |app| {
        !app.state.explorer.runtime.strip.is_empty()
    });
    let version = harness.state().state.explorer.runtime.strip.version;
    harness.get_by_label("between labels").click();
    harness.step();
    wait_for(&mut harness, 30, "the strip between labels", |app| {
        app.state.explorer.runtime.strip.version > version
    });
    let explorer = &harness.state().state.explorer;
    assert!(explorer.between_labels);
    assert_ne!(explorer.label, explorer.label_to);
    let (digit, strip) = (
        &explorer.runtime.digit.pixels,
        &explorer.runtime.strip.pixels,
    );
    let per = digit.len();
    let gap = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
    };
    assert!(
        gap(&strip[..per], digit) < 1e-4,
        "the strip starts at the shown digit"
    );
    assert!(
        gap(&strip[strip.len() - per..], digit) > 0.01,
        "and ends at another label"
    );
}

#[test]
fn settings_fields_take_typed_paths() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
    });
    harness.get_by_label("Settings").click();
    harness.run();
    let elsewhere = runs.path().join("elsewhere");
    let field = harness.get_by_role_and_label(Role::TextInput, "Runs folder");
    field.click();
    harness.run();
    // Clicking into the field left the menu open: the other field is still there.
    harness.get_by_role_and_label(Role::TextInput, "Data folder");
    harness
        .get_by_role_and_label(Role::TextInput, "Runs folder")
        .set_text_value_accesskit(elsewhere.to_str().unwrap());
    harness.run();
    assert_eq!(harness.state().state.runs_dir, elsewhere);
    harness
        .get_by_role_and_label(Role::TextInput, "Data folder")
        .set_text_value_accesskit("/somewhere/data");
    harness.run();
    assert_eq!(
        harness.state().state.data_dir,
        std::path::PathBuf::from("/somewhere/data")
    );
}

#[test]
fn a_data_set_of_the_wrong_kind_is_refused_in_the_window() {
    let runs = tempfile::tempdir().unwrap();
    // The data folder holds MNIST's files; the form asks for Fashion-MNIST.
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        state.training.form.config.dataset = gan_studio::data::DatasetKind::Fashion;
    });
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 60, "the refusal", |app| {
        app.state.training.problem.is_some()
    });
    let problem = harness.state().state.training.problem.clone().unwrap();
    assert!(
        problem.contains("holds MNIST, not Fashion-MNIST"),
        "{problem}"
    );
    assert!(
        harness
            .get_all_by_label_contains("holds MNIST, not Fashion-MNIST")
            .count()
            >= 1
    );
    assert!(!runs.path().join("studio-run").exists());
}

#[test]
fn missing_data_is_explained_for_the_window_and_the_error_goes_once_fixed() {
    let runs = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), empty.path(), |state| {
        state.tab = Tab::Training;
        let form = &mut state.training.form;
        form.max_steps = 400;
        form.train_limit = 256;
        form.config.batch_size = 32;
    });
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 30, "the failure", |app| {
        !app.state.training.live.is_running() && app.state.training.problem.is_some()
    });
    let problem = harness.state().state.training.problem.clone().unwrap();
    assert!(
        problem.contains("MNIST is not in the data folder") && problem.contains("Settings"),
        "{problem}"
    );
    assert!(!problem.contains("gan-studio data fetch"), "{problem}");
    assert_eq!(harness.state().notices.errors().len(), 1);

    // With the data folder set, the next start clears the old error from the bottom bar.
    harness.state_mut().state.data_dir = common::data_dir();
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 60, "the first step", |app| {
        !app.state.training.live.history.is_empty()
    });
    assert!(harness.state().notices.errors().is_empty());
    assert!(harness.state().state.training.problem.is_none());
    harness.get_by_label("Stop").click();
    harness.step();
    wait_for(&mut harness, 60, "the run to stop", |app| {
        !app.state.training.live.is_running()
    });
}

#[test]
fn every_latent_dimension_has_a_slider() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    open_explorer(&mut harness);
    let dims = harness.state().state.explorer.latent.len();
    assert_eq!(dims, 100);
    let last = format!("z{}", dims - 1);
    harness
        .get_by_role_and_label(Role::Slider, &last)
        .set_value_accesskit(1.75);
    harness.step();
    assert!((harness.state().state.explorer.latent[dims - 1] - 1.75).abs() < 1e-3);
}

#[test]
fn the_bundled_model_can_be_evaluated_on_a_first_launch() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Metrics;
        state.metrics.samples = 500;
    });
    harness.run();
    pick_metrics_run(&mut harness, "bundled cDCGAN, MNIST");
    harness.get_by_label("Evaluate").click();
    harness.step();
    wait_for(&mut harness, 120, "the evaluation", |app| {
        !app.state.metrics.is_evaluating() && !app.state.metrics.rows.is_empty()
    });
    let row = &harness.state().state.metrics.rows[0];
    assert_eq!(row.run, "bundled-cdcgan");
    assert!(
        row.report.success_rate.unwrap() > 0.9,
        "{:?}",
        row.report.success_rate
    );
    assert_eq!(row.report.memorised_per_class.len(), 10);
    let real = gan_studio::studio::tabs::metrics::real_eval_path(
        runs.path(),
        gan_studio::data::DatasetKind::Mnist,
        &row.report.classifier_sha256,
    );
    assert!(real.is_file(), "{}", real.display());

    // The quick retraining shows its classifier steps within seconds of the click.
    harness.get_by_label("Retrain classifier (quick)").click();
    harness.step();
    wait_for(&mut harness, 30, "the first retraining steps", |app| {
        app.state
            .metrics
            .retraining_progress
            .as_ref()
            .is_some_and(|(text, share)| text.contains("step") && *share > 0.0)
    });
}

/// Runs of two data sets, each scored by its own set's judge: the table shows one group at a
/// time, with that group's real row, and says the other exists.
#[test]
fn the_metrics_table_compares_only_runs_measured_alike() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::fixtures_root(), |state| {
        state.tab = Tab::Metrics;
        state.metrics.samples = 200;
    });
    harness.run();
    for bundle in ["bundled cDCGAN, MNIST", "bundled cDCGAN, Fashion-MNIST"] {
        pick_metrics_run(&mut harness, bundle);
        let before = harness.state().state.metrics.rows.len();
        harness.get_by_label("Evaluate").click();
        harness.step();
        wait_for(&mut harness, 180, bundle, |app| {
            !app.state.metrics.is_evaluating() && app.state.metrics.rows.len() > before
        });
        harness.run();
    }
    let reals = std::fs::read_dir(
        runs.path()
            .join(gan_studio::studio::tabs::metrics::REAL_EVALS),
    )
    .unwrap()
    .count();
    assert_eq!(reals, 2, "one real row per data set and judge");
    // The Fashion-MNIST run, just evaluated, is selected: its group alone is shown.
    harness.get_by_label_contains("Measured on Fashion-MNIST, judge sha256");
    harness.get_by_label_contains("1 more evaluated run(s)");
    assert!(harness.query_by_label("bundled-cdcgan").is_none());
    // Its per-class plots number the classes; a key says which garment each number is.
    let rows = &harness.state().state.metrics.rows;
    let fashion = rows
        .iter()
        .find(|r| r.run == "bundled-fashion-mnist-cdcgan")
        .unwrap();
    assert_eq!(fashion.report.class_names[0], "T-shirt/top");
    harness.get_by_label_contains("0 T-shirt/top · 1 trouser · 2 pullover");
    // Clicking its row's name in the table would select it; the Run list does the same.
    pick_metrics_run(&mut harness, "bundled-cdcgan");
    harness.get_by_label_contains("Measured on MNIST, judge sha256");
    // Digits are their own names: no key.
    assert!(harness.query_by_label_contains("T-shirt/top").is_none());
    assert!(
        harness
            .query_by_label("bundled-fashion-mnist-cdcgan")
            .is_none()
    );

    // Side by side in Compare, each block says how it was measured and the footer that the
    // figures do not compare.
    harness.get_by_label("Compare").click();
    harness.run();
    compare_runs(
        &mut harness,
        &["bundled-cdcgan", "bundled-fashion-mnist-cdcgan"],
    );
    let measured: Vec<String> = harness
        .state()
        .state
        .compare
        .slots()
        .iter()
        .map(|s| s.metrics.last().cloned().unwrap_or_default())
        .collect();
    assert!(
        measured[0].starts_with("measured on MNIST, judge"),
        "{measured:?}"
    );
    assert!(
        measured[1].starts_with("measured on Fashion-MNIST, judge"),
        "{measured:?}"
    );
    harness.get_by_label_contains("they do not compare");
}

#[test]
fn a_run_exports_as_safetensors_from_the_runs_list() {
    let runs = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    gan_studio::explore::bundle::unpack_run(runs.path(), "bundled-cdcgan").unwrap();
    let folder = exports.path().to_owned();
    let mut harness = studio_with(runs.path(), &common::data_dir(), move |state| {
        state.tab = Tab::Training;
        state.export.folder = folder;
    });
    harness.run();
    harness.get_by_label("Export").click();
    harness.step();
    wait_for(&mut harness, 60, "the export", |app| {
        app.state.training.exporting.is_none() && notices(app).contains("exported")
    });
    let out = exports.path().join("bundled-cdcgan-safetensors");
    assert!(out.join("generator.safetensors").is_file());
    assert!(out.join("config.json").is_file());
}

#[test]
fn the_architecture_panel_follows_the_depth_and_measures_a_step() {
    let runs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    harness.get_by_label("Training").click();
    harness.run();
    // The default is a shallow cDCGAN: z (100) and the one-hot label (10) project to (64, 7, 7).
    assert!(harness.query_by_label("Linear(110, 3136)").is_some());
    assert!(harness.query_by_label("extra.conv").is_none());
    let params_before = harness
        .get_by_label_contains("Parameters: G")
        .value()
        .unwrap_or_default();

    harness
        .get_by_role_and_label(Role::ComboBox, "Depth")
        .click();
    harness.run();
    harness.get_by_label("deep").click();
    harness.run();
    // Deep doubles the width and adds a 3x3 block at 7x7 in both networks.
    assert!(harness.query_by_label("Linear(110, 6272)").is_some());
    assert!(harness.query_all_by_label("(128, 7, 7)").count() >= 2);
    assert_eq!(harness.get_all_by_label("extra.conv").count(), 2);
    let params_after = harness
        .get_by_label_contains("Parameters: G")
        .value()
        .unwrap_or_default();
    assert_ne!(params_before, params_after);

    // The step time is measured on a worker thread once the options settle.
    let started = Instant::now();
    while harness.query_by_label_contains(" ms on ").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no step time measured; notices: {}",
            notices(harness.state())
        );
        std::thread::sleep(Duration::from_millis(50));
        harness.step();
    }
    let timing = harness
        .get_by_label_contains(" ms on ")
        .value()
        .unwrap_or_default();
    assert!(timing.contains("batch 64"), "{timing}");

    // No run has drawn anything yet, so the only Export PNG... is the architecture's.
    let png = out.path().join("architecture.png");
    export_first(&mut harness, &png);
    let image = image::open(&png).expect("a valid PNG");
    assert_eq!(image.width(), 1160, "two columns of 540 px and margins");
    assert!(image.height() > 600, "deep has a dozen rows");
}

/// Opens the Metrics tab's Run list and picks the first entry whose text holds `entry`.
fn pick_metrics_run(harness: &mut Harness<'static, StudioApp>, entry: &str) {
    harness.get_by_role_and_label(Role::ComboBox, "Run").click();
    harness.run();
    harness.get_by_label_contains(entry).click();
    harness.run();
}

/// Ticks `picks` in the Compare tab's list and waits until every grid is drawn.
fn compare_runs(harness: &mut Harness<'static, StudioApp>, picks: &[&str]) {
    for pick in picks {
        harness.get_by_label(pick).click();
        harness.step();
    }
    wait_for(harness, 120, "every grid", |app| {
        app.state.compare.is_drawn() && app.state.compare.slots().len() == picks.len()
    });
}

/// A run of two classes beside one of ten: it draws its two rows (asked for label 2, its
/// generator panicked in the render thread and the grid's spinner turned for ever).
#[test]
fn compare_draws_only_the_classes_a_run_has() {
    let dir = tempfile::tempdir().unwrap();
    let pictures = dir.path().join("pets");
    common::write_pets(&pictures);
    let runs = dir.path().join("runs");
    common::succeeded(&common::gan_studio(
        &[
            "train",
            "--model",
            "cdcgan",
            "--depth",
            "shallow",
            "--run",
            "pets",
            "--dataset",
            "folder",
            "--data",
            &pictures.display().to_string(),
            "--max-steps",
            "1",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--quiet",
            "--runs-dir",
            &runs.display().to_string(),
        ],
        dir.path(),
    ));
    let mut harness = studio(&runs, &common::data_dir());
    harness.get_by_label("Compare").click();
    harness.run();
    compare_runs(&mut harness, &["bundled cDCGAN (MNIST)", "pets"]);
    let slots = harness.state().state.compare.slots();
    assert!(slots.iter().all(|s| s.error.is_none()));
    assert_eq!(slots[0].grid.count, 60, "10 classes x 6");
    assert_eq!(slots[1].grid.count, 12, "2 classes x 6");
    assert!(
        harness
            .query_by_label_contains("Runs with fewer classes draw the first rows only")
            .is_some()
    );
}

#[test]
fn compare_draws_the_same_latents_in_every_run_plays_and_exports() {
    let runs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut harness = studio(runs.path(), &common::data_dir());
    harness.get_by_label("Compare").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Pick two or more runs")
            .is_some()
    );
    // A GAN (latent 100) and the PCA baseline (20 components, fitted on the spot).
    compare_runs(
        &mut harness,
        &["bundled cDCGAN (MNIST)", "PCA baseline (MNIST)"],
    );
    let slots = harness.state().state.compare.slots();
    assert!(slots.iter().all(|s| s.error.is_none()));
    assert!(slots.iter().all(|s| s.grid.count == 60), "10 classes x 6");
    assert_eq!(slots[1].latent_dim, 20);
    assert!(
        harness
            .query_by_label_contains("the first 20 coordinates")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("Latent sizes differ")
            .is_some()
    );

    let pixels = |app: &StudioApp| -> Vec<Vec<f32>> {
        app.state
            .compare
            .slots()
            .iter()
            .map(|s| s.grid.pixels.clone())
            .collect()
    };
    let changed_from = |before: Vec<Vec<f32>>| {
        move |app: &StudioApp| {
            let now = pixels(app);
            now.len() == before.len() && now.iter().zip(&before).all(|(a, b)| a != b)
        }
    };
    // New latents redraws every run.
    let before = pixels(harness.state());
    harness.get_by_label("New latents").click();
    wait_for(
        &mut harness,
        60,
        "new latents in every grid",
        changed_from(before),
    );

    // Play walks all grids along the interpolation at once.
    let before = pixels(harness.state());
    harness.get_by_label("Play").click();
    wait_for(
        &mut harness,
        60,
        "the interpolation to move every grid",
        changed_from(before),
    );
    assert!(harness.state().state.compare.t > 0.0);
    harness.get_by_label("Pause").click();
    harness.step();
    assert!(!harness.state().state.compare.playing);

    // The whole comparison as one PNG.
    let png = out.path().join("comparison.png");
    export_first(&mut harness, &png);
    let image = image::open(&png).expect("a valid PNG");
    // Two blocks of 6 tiles of 56 px side by side, 10 rows of tiles high.
    assert!(image.width() >= 2 * 6 * 56, "width {}", image.width());
    assert!(image.height() >= 10 * 56, "height {}", image.height());
    assert!(notices(harness.state()).contains("exported"));
}

#[test]
fn a_run_another_trainer_holds_is_refused_in_the_window() {
    let runs = tempfile::tempdir().unwrap();
    // Another trainer (here: this process, through another handle) holds the run.
    let run = gan_studio::train::RunDir::new(runs.path(), "studio-run").unwrap();
    let held = gan_studio::train::lock::RunLock::acquire(&run).unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        state.training.form.max_steps = 2;
        state.training.form.train_limit = 256;
    });
    harness.run();
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 30, "the refusal", |app| {
        !app.state.training.live.is_running()
    });
    let text = notices(harness.state());
    assert!(
        text.contains("being trained by another process"),
        "notices: {text}"
    );
    drop(held);
    assert!(!run.config().exists(), "nothing written into the held run");
}

#[test]
fn damaged_runs_are_listed_as_unreadable_and_the_others_still_open() {
    let runs = tempfile::tempdir().unwrap();
    gan_studio::explore::bundle::unpack_run(runs.path(), "good").unwrap();
    for name in ["edited-config", "damaged-state"] {
        gan_studio::explore::bundle::unpack_run(runs.path(), name).unwrap();
    }
    let edited = runs.path().join("edited-config/config.json");
    let text = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, &text[..text.len() / 2]).unwrap();
    let checkpoint = std::fs::read_dir(runs.path().join("damaged-state/checkpoints"))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    std::fs::write(checkpoint.join("state.json"), "{\"step\": ").unwrap();

    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
    });
    harness.run();
    assert_eq!(harness.get_all_by_label("unreadable").count(), 2);
    assert!(harness.query_by_label("edited-config").is_some());
    assert!(harness.query_by_label("damaged-state").is_some());
    // The good run opens as before.
    harness.get_by_label("good").click();
    wait_for(&mut harness, 30, "the good run to open", |app| {
        app.state.training.live.run == "good"
    });
    // The Explorer offers only runs it can draw.
    harness.get_by_label("Latent explorer").click();
    harness.run_steps(4);
    harness
        .get_by_role_and_label(Role::ComboBox, "Generator")
        .click();
    harness.run_steps(4);
    assert!(harness.query_by_label_contains("run good").is_some());
    assert!(harness.query_by_label_contains("edited-config").is_none());
}

/// A loopback HTTP server for `files` (name, bytes), answering until the test ends.
fn serve(files: Vec<(String, Vec<u8>)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/");
            let mut stream = stream;
            match files.iter().find(|(name, _)| path == format!("/{name}")) {
                Some((_, body)) => {
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                }
                None => {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            }
        }
    });
    base
}

/// A first launch without MNIST offers the download in the window itself. With the official
/// files to serve (GAN_STUDIO_DATA, as in CI) it completes and the offer goes; with only the
/// repository's slices, whose checksums are not the official ones, it fails naming the
/// checksum and keeps nothing.
#[test]
fn missing_mnist_is_downloaded_from_the_window_with_checksums() {
    let runs = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let source = common::data_dir();
    let names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    let files = names
        .iter()
        .map(|n| (n.to_string(), std::fs::read(source.join(n)).unwrap()))
        .collect();
    let base = serve(files);
    let data_root = empty.path().to_owned();
    let mut harness = studio_with(runs.path(), &data_root, |state| {
        state.tab = Tab::Training;
        state.training.mirrors = Some(vec![base]);
    });
    harness.run();
    assert!(
        harness
            .query_by_label_contains("MNIST is not in the data folder")
            .is_some()
    );
    harness.get_by_label("Download MNIST").click();
    harness.step();
    wait_for(&mut harness, 60, "the download", |app| {
        app.state.training.fetching.is_none()
    });
    harness.run();
    let target = data_root.join("mnist");
    if common::has_full_mnist() {
        assert_eq!(harness.state().state.training.fetch_error, None);
        assert!(notices(harness.state()).contains("downloaded MNIST"));
        assert!(
            harness.query_by_label("Download MNIST").is_none(),
            "offer gone"
        );
        for name in names {
            assert!(target.join(name).is_file(), "{name}");
        }
    } else {
        let error = harness.state().state.training.fetch_error.clone();
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("checksum mismatch")),
            "{error:?}"
        );
        assert!(harness.query_by_label_contains("Download failed").is_some());
        let kept: Vec<_> = std::fs::read_dir(&target)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(kept.is_empty(), "kept {kept:?}");
    }
}

/// The child process of `the_studio_killed_while_training_continues_its_run`: the studio
/// training a run in `$GAN_STUDIO_CHILD_RUNS` until it is killed. Does nothing without it.
#[test]
#[ignore = "run as a child process by the_studio_killed_while_training_continues_its_run"]
fn child_studio_trains_until_killed() {
    let Some(runs) = std::env::var_os("GAN_STUDIO_CHILD_RUNS") else {
        return;
    };
    let mut harness = studio_with(Path::new(&runs), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        let form = &mut state.training.form;
        form.run_name = "killed".into();
        form.max_steps = 5000;
        form.train_limit = 512;
        form.config.batch_size = 32;
        form.config.checkpoint_every = 4;
    });
    harness.get_by_label("Start training").click();
    loop {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// kill -9 of the studio while its worker trains (checkpoints every 4 steps): reopened, the
/// runs list offers the run, Continue resumes it from its last checkpoint, and its log holds
/// every step once.
#[test]
fn the_studio_killed_while_training_continues_its_run() {
    let runs = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_studio_trains_until_killed", "--ignored"])
        .env("GAN_STUDIO_CHILD_RUNS", runs.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the child studio starts");
    let latest = runs.path().join("killed/checkpoints/latest");
    let step_of =
        |text: String| -> Option<usize> { text.trim().strip_prefix("step-")?.parse().ok() };
    let started = Instant::now();
    // Past two checkpoints, then at an arbitrary moment of the third.
    while std::fs::read_to_string(&latest)
        .ok()
        .and_then(step_of)
        .is_none_or(|step| step < 8)
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the child studio wrote no second checkpoint in 120 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child studio exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150));
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let saved = std::fs::read_to_string(&latest)
        .ok()
        .and_then(step_of)
        .expect("a checkpoint survives the kill");

    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
    });
    let started = Instant::now();
    while harness.query_by_label("Continue").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no run to continue"
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.get_by_label("Continue").click();
    harness.step();
    wait_for(&mut harness, 120, "the continued run's steps", |app| {
        let live = &app.state.training.live;
        live.run == "killed" && live.first_step > 0 && live.history.len() > saved + 3
    });
    assert_eq!(harness.state().state.training.live.first_step, saved);
    harness.get_by_label("Stop").click();
    harness.step();

    wait_for(&mut harness, 60, "the continued run to stop", |app| {
        !app.state.training.live.is_running()
    });
    let logged: Vec<usize> =
        gan_studio::train::metrics::read_log(&runs.path().join("killed/metrics.jsonl"))
            .unwrap()
            .iter()
            .map(|m| m.step)
            .collect();
    assert_eq!(
        logged,
        (1..=logged.len()).collect::<Vec<_>>(),
        "every step once"
    );
    assert!(logged.len() > saved + 3);
}

#[test]
fn cifar10_trains_in_colour_from_the_window_and_the_explorer_names_its_classes() {
    let runs = tempfile::tempdir().unwrap();
    // The data folder holds the repository's CIFAR-10 slice (and MNIST's, unused here).
    let mut harness = studio_with(runs.path(), &common::fixtures_root(), |state| {
        state.tab = Tab::Training;
        let form = &mut state.training.form;
        form.config.dataset = gan_studio::data::DatasetKind::Cifar10;
        form.max_steps = 3;
        form.config.batch_size = 8;
        form.config.sample_every = 3;
    });
    harness.run();
    // The data is there: no download is offered.
    assert!(harness.query_by_label("Download CIFAR-10").is_none());
    harness.get_by_label("Start training").click();
    harness.step();
    wait_for(&mut harness, 120, "the run to finish", |app| {
        let live = &app.state.training.live;
        !live.is_running() && live.samples_step == 3
    });
    let run = runs.path().join("studio-run");
    let saved = gan_studio::train::TrainConfig::load_run(&run.join("config.json")).unwrap();
    assert_eq!((saved.gan.channels, saved.gan.image_size), (3, 32));
    // The live grid is the colour one: 3 planes of 32x32 per sample.
    let samples = &harness.state().state.training.live.samples;
    assert_eq!(samples.pixels.len(), samples.count * 3 * 32 * 32);

    harness.state_mut().state.explorer.source =
        gan_studio::explore::GeneratorSource::run(runs.path(), "studio-run");
    harness.get_by_label("Latent explorer").click();
    harness.step();
    wait_for(&mut harness, 60, "the run's first picture", |app| {
        app.state.explorer.runtime.digit.pixels.len() == 3 * 32 * 32
    });
    harness.run();
    assert!(harness.query_by_label("airplane").is_some());
    harness.get_by_label("truck").click();
    // A fixed number of frames: an information notice's timed repaint may keep the UI from
    // settling within `run`'s limit, which is not what this test checks.
    harness.run_steps(6);
    assert_eq!(harness.state().state.explorer.label, 9);
    assert!(harness.query_by_label_contains("Picture (truck)").is_some());
}

#[test]
fn a_missing_cifar10_is_offered_for_download_and_your_pictures_ask_for_a_path() {
    let runs = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), empty.path(), |state| {
        state.tab = Tab::Training;
        state.training.form.config.dataset = gan_studio::data::DatasetKind::Cifar10;
    });
    harness.run();
    assert!(harness.query_by_label("Download CIFAR-10").is_some());
    // The architecture panel already draws the networks for CIFAR-10's 3x32x32 pictures.
    let gan = &harness.state().state.training.form.config.gan;
    assert_eq!((gan.channels, gan.image_size), (3, 32));
    assert!(harness.query_all_by_label_contains("(3, 32, 32)").count() >= 2);
    harness.state_mut().state.training.form.config.dataset = gan_studio::data::DatasetKind::Folder;
    harness.run();
    assert!(harness.query_by_label("Folder…").is_some());
    assert!(
        harness
            .query_by_label("Choose where your pictures are.")
            .is_some()
    );
    harness.state_mut().state.training.form.config.data_path = Some(empty.path().to_owned());
    harness.run();
    assert!(
        harness
            .query_by_label_contains("is not a tarball or a folder with train/")
            .is_some()
    );

    // A folder of pictures is read at once: what it holds, and networks drawn for it.
    let pets = empty.path().join("pets");
    common::write_pets(&pets);
    harness.state_mut().state.training.form.config.data_path = Some(pets);
    harness.step();
    wait_for(&mut harness, 30, "the folder's summary", |app| {
        app.state.training.folder_summary.is_some()
    });
    harness.run();
    harness.get_by_label("22 training and 2 test pictures, colour 32x32, 2 classes: cats, dogs");
    let gan = &harness.state().state.training.form.config.gan;
    assert_eq!((gan.channels, gan.image_size, gan.num_classes), (3, 32, 2));
    assert!(
        harness
            .query_by_label_contains("Embedding(2, 50)")
            .is_some()
    );
    // 22 pictures cannot fill a batch of 64: the form says so, until the batch fits.
    harness.get_by_label_contains("set Batch size to at most 22");
    harness.state_mut().state.training.form.config.batch_size = 16;
    harness.run();
    assert!(harness.query_by_label_contains("set Batch size").is_none());
}

#[test]
fn a_study_started_in_its_tab_fills_the_matrix_and_opens_a_run_in_the_explorer() {
    let runs = tempfile::tempdir().unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Studies;
        state.studies.text = r#"
name = "tab"
datasets = ["mnist"]
families = ["cdcgan"]
seeds = 1
steps = 20
eval_samples = 200
common = { depth = "shallow" }

[[option_set]]
name = "default"

[[option_set]]
name = "smoothing"
flags = { real-target = 0.9 }
"#
        .into();
    });
    harness.run();
    assert!(
        harness
            .query_by_label_contains("2 runs of 20 steps")
            .is_some()
    );
    harness.get_by_label("Start study").click();
    harness.step();
    wait_for(&mut harness, 300, "the study", |app| {
        !app.state.studies.is_running() && app.state.studies.progress() == (2, 2)
    });
    assert!(
        harness
            .state()
            .state
            .studies
            .runtime
            .report
            .as_ref()
            .unwrap()
            .is_file()
    );
    assert!(harness.query_by_label("2 of 2 runs done").is_some());
    harness.get_by_label("smoothing, seed 1").click();
    harness.step();
    let app = harness.state();
    assert_eq!(app.state.tab, Tab::Explorer);
    match &app.state.explorer.source {
        gan_studio::explore::GeneratorSource::Run { name, .. } => {
            assert!(name.contains("smoothing"), "{name}")
        }
        other => panic!("the explorer shows {other:?}"),
    }
}

/// A study on one's own pictures from the tab: the editor says what a folder study needs,
/// and a classifier named as one of the studio's runs judges it (copied into the study).
#[test]
fn a_study_on_a_picture_folder_runs_from_its_tab_judged_by_a_studio_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let pictures = dir.path().join("pets");
    common::write_pets(&pictures);
    let runs = dir.path().join("runs");
    common::train_folder_judge(&pictures, &runs, "judge");
    let folder = pictures.display().to_string();
    let study = format!(
        "name = \"pets\"\ndatasets = [\"folder\"]\npictures = \"{folder}\"\n\
         families = [\"pca\"]\nseeds = 1\nsteps = 1\nbatch_size = 8\neval_samples = 100\n"
    );
    let text = study.clone();
    let mut harness = studio_with(&runs, &common::data_dir(), move |state| {
        state.tab = Tab::Studies;
        state.studies.text = text;
    });
    harness.run();
    harness.get_by_label_contains("no classifier ships for your own pictures");
    harness.state_mut().state.studies.text = format!("{study}classifier = \"judge\"\n");
    harness.run();
    assert!(
        harness
            .query_by_label_contains("1 runs of 1 steps")
            .is_some()
    );
    harness.get_by_label("Start study").click();
    harness.step();
    wait_for(&mut harness, 120, "the study", |app| {
        !app.state.studies.is_running() && app.state.studies.progress() == (1, 1)
    });
    assert!(harness.query_by_label("1 of 1 runs done").is_some());
    let copied = runs.join("studies/pets/runs/judge/classifier.bpk");
    assert_eq!(
        std::fs::read(copied).unwrap(),
        std::fs::read(runs.join("judge/classifier.bpk")).unwrap()
    );
    let report = std::fs::read_to_string(runs.join("studies/pets/report.md")).unwrap();
    assert!(
        report.contains("scored by the judge classifier"),
        "{report}"
    );
}

#[test]
fn the_guided_family_offers_its_guide_classifier_and_weight() {
    let runs = tempfile::tempdir().unwrap();
    gan_studio::explore::bundle::unpack_classifier(runs.path(), "my-lenet").unwrap();
    let mut harness = studio_with(runs.path(), &common::data_dir(), |state| {
        state.tab = Tab::Training;
        state.training.form.config.gan.model = gan_studio::model::ModelKind::Guided;
    });
    harness.run();
    assert!(harness.query_by_label("Guide weight λ").is_some());
    harness
        .get_by_role_and_label(Role::ComboBox, "Guide classifier")
        .click();
    harness.run();
    harness.get_by_label("my-lenet").click();
    harness.run();
    assert_eq!(
        harness.state().state.training.form.config.guide_classifier,
        Some(runs.path().join("my-lenet"))
    );
}

#[test]
fn the_translate_tab_translates_held_out_pictures_both_ways_and_exports_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    common::tiny_cyclegan(dir.path(), &runs, "blobs", 2);
    let mut harness = studio_with(&runs, &common::fixtures_root(), |state| {
        state.tab = Tab::Translate;
    });
    harness.run();
    // Before a run is chosen, what the tab does and where whole folders are translated.
    harness.get_by_label_contains("Choose a run: it translates its held-out pictures");
    harness
        .get_by_role_and_label(Role::ComboBox, "CycleGAN run")
        .click();
    harness.run();
    harness.get_by_label("blobs").click();
    wait_for(&mut harness, 60, "the run to load and translate", |app| {
        let tab = &app.state.translate;
        tab.loaded.is_some() && tab.triple.count == 3 && !tab.is_busy()
    });
    let tab = &harness.state().state.translate;
    assert_eq!(tab.grid.count, 6, "one held-out row of six tiles");
    let a2b = tab.triple.pixels.clone();
    let version = tab.triple.version;
    harness.get_by_label_contains("B -> A").click();
    wait_for(&mut harness, 60, "the other direction", |app| {
        app.state.translate.triple.version > version && !app.state.translate.is_busy()
    });
    let tab = &harness.state().state.translate;
    assert_eq!(tab.direction, gan_studio::cyclegan::Direction::B2a);
    // The input is now a held-out picture of domain B (cool), not A's (warm).
    assert_ne!(tab.triple.pixels, a2b);
    let png = dir.path().join("out/translations.png");
    export_first(&mut harness, &png);
    let written = image::open(&png).unwrap();
    assert!(written.width() > written.height(), "a row of six tiles");
}

#[test]
fn an_evaluated_cyclegan_run_has_a_row_in_the_metrics_tab() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    common::tiny_cyclegan(dir.path(), &runs, "blobs", 2);
    let device = gan_studio::device::ComputeDevice::cpu().device;
    let run = gan_studio::cyclegan::run::find(&runs, "blobs").unwrap();
    let trained = gan_studio::cyclegan::run::open(run, &device).unwrap();
    let eval =
        gan_studio::cyclegan::eval::evaluate_run(&trained, 5, None, None, &device, &mut |_| {})
            .unwrap();
    let mut harness = studio_with(&runs, &common::fixtures_root(), |state| {
        state.tab = Tab::Metrics;
    });
    harness.run();
    // The tab reads eval.json: compare with the figures as JSON holds them (serde_json's
    // default float parsing may land one ulp away from the value written).
    let as_saved: gan_studio::cyclegan::eval::CycleEval =
        serde_json::from_str(&serde_json::to_string(&eval).unwrap()).unwrap();
    assert_eq!(harness.state().state.metrics.cyclegan_rows, vec![as_saved]);
    harness.get_by_label("CycleGAN runs (held-out pictures)");
    harness.get_by_label("blobs @ 2");
    harness.get_by_label(&format!(
        "{:.4} / {:.4}",
        eval.a2b.cycle_error, eval.b2a.cycle_error
    ));
}

#[test]
fn cyclegan_trains_from_the_training_tab_with_live_curves_and_grid() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    common::write_picture_domain(&dir.path().join("warm"), 12, true);
    common::write_picture_domain(&dir.path().join("cool"), 12, false);
    let (warm, cool) = (dir.path().join("warm"), dir.path().join("cool"));
    let mut harness = studio_with(&runs, &common::fixtures_root(), |state| {
        state.tab = Tab::Training;
        state.training.cyclegan_mode = true;
        let panel = &mut state.training.cyclegan;
        panel.run_name = "blobs".into();
        panel.domain_a = warm.display().to_string();
        panel.domain_b = cool.display().to_string();
        (panel.steps, panel.width, panel.residual_blocks) = (4, 8, 1);
    });
    harness.run();
    assert!(!harness.state().state.training.cyclegan.residual_output);
    harness.get_by_label("Residual output").click();
    harness.run();
    harness.get_by_label("Start").click();
    wait_for(&mut harness, 120, "four CycleGAN steps", |app| {
        let panel = &app.state.training.cyclegan;
        !panel.is_running() && panel.history.len() == 4
    });
    let panel = &harness.state().state.training.cyclegan;
    assert!(
        panel.status.starts_with("finished at step 4"),
        "{}",
        panel.status
    );
    assert_eq!(panel.grid.count, 6, "one held-out row of six tiles");
    assert!(
        panel
            .history
            .iter()
            .all(|m| m.cycle_a > 0.0 && m.identity > 0.0)
    );
    let saved = std::fs::read_to_string(runs.join("blobs/cyclegan.json")).unwrap();
    assert!(
        saved.contains("\"residual_output\": true"),
        "the ticked box reaches the run's config"
    );
    // The run is there to continue, and the Translate tab lists it.
    assert!(gan_studio::studio::jobs::translate::list(&runs).contains(&"blobs".to_string()));
}

/// A run on the user's own pictures has no bundled judge: the Embedding tab offers the
/// classifier runs, maps the folder's classes through the chosen one and names them.
#[test]
fn the_embedding_maps_a_picture_folder_through_a_chosen_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    let pictures = dir.path().join("pets");
    common::write_picture_domain(&pictures.join("train/cats"), 24, true);
    common::write_picture_domain(&pictures.join("train/dogs"), 24, false);
    let folder = pictures.to_str().unwrap();
    let runs_arg = runs.to_str().unwrap();
    let common_args = ["--dataset", "folder", "--data", folder, "--device", "cpu"];
    let mut train = vec![
        "train",
        "--run",
        "pets",
        "--model",
        "cdcgan",
        "--max-steps",
        "2",
    ];
    train.extend(["--batch-size", "8", "--quiet", "--runs-dir", runs_arg]);
    train.extend(common_args);
    common::succeeded(&common::gan_studio(&train, dir.path()));
    let mut judge = vec![
        "classifier",
        "train",
        "--run",
        "pets-judge",
        "--epochs",
        "1",
    ];
    judge.extend(["--batch-size", "8", "--runs-dir", runs_arg]);
    judge.extend(common_args);
    common::succeeded(&common::gan_studio(&judge, dir.path()));

    let source = GeneratorSource::run(&runs, "pets");
    let mut harness = studio_with(&runs, &common::data_dir(), move |state| {
        state.tab = Tab::Explorer;
        state.explorer.source = source;
        state.embedding.per_set = 100;
    });
    harness.step();
    // Colour pictures: the folder's run, not the bundled MNIST model of a first launch.
    wait_for(&mut harness, 60, "the run's first picture", |app| {
        app.state.explorer.runtime.digit.pixels.len() == 3 * 32 * 32
    });
    harness.get_by_label("Embedding").click();
    harness.run();
    // The bundled choice cannot read a folder, and says what to do.
    harness.get_by_label("Compute").click();
    harness.step();
    wait_for(&mut harness, 60, "the refusal", |app| {
        !app.state.embedding.is_computing() && app.state.embedding.problem.is_some()
    });
    let problem = harness.state().state.embedding.problem.clone().unwrap();
    assert!(problem.contains("classifier train"), "{problem}");
    harness
        .get_by_role_and_label(Role::ComboBox, "Classifier")
        .click();
    harness.run();
    harness.get_by_label("pets-judge").click();
    harness.run();
    assert_eq!(
        harness.state().state.embedding.classifier.as_deref(),
        Some("pets-judge")
    );
    harness.get_by_label("Compute").click();
    harness.step();
    wait_for(&mut harness, 120, "the map", |app| {
        !app.state.embedding.is_computing() && app.state.embedding.result.is_some()
    });
    let result = harness.state().state.embedding.result.as_ref().unwrap();
    assert_eq!(result.class_names, ["cats", "dogs"]);
    // Real (the 6 held-out pictures at most) and generated points, of both classes.
    let inputs = &result.inputs;
    for real in [true, false] {
        for class in 0..2u8 {
            assert!(
                inputs
                    .labels
                    .iter()
                    .zip(&inputs.real)
                    .any(|(&l, &r)| l == class && r == real),
                "class {class}, real {real}: {:?} {:?}",
                inputs.labels,
                inputs.real
            );
        }
    }
    assert!(inputs.labels.iter().all(|&l| l < 2));
    // A t-SNE of so few points uses the perplexity they allow, and says so.
    harness.state_mut().state.embedding.method = gan_studio::eval::embedding::Method::Tsne;
    harness.get_by_label("Compute").click();
    harness.step();
    wait_for(&mut harness, 120, "the t-SNE map", |app| {
        !app.state.embedding.is_computing()
            && app
                .state
                .embedding
                .result
                .as_ref()
                .is_some_and(|r| r.perplexity.is_some())
    });
    let used = harness
        .state()
        .state
        .embedding
        .result
        .as_ref()
        .unwrap()
        .perplexity;
    assert!(used.unwrap() < 30.0, "{used:?}");
    assert!(notices(harness.state()).contains("too few points for 30"));
}

/// The retraining plot shows the newest results: a quick retraining pressed in the tab, not an
/// older `augment` of the CLI beside it (which hid what the button had just computed).
#[test]
fn the_retraining_plot_shows_the_newest_results() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    gan_studio::explore::bundle::unpack_run(&runs, "bundled-cdcgan").unwrap();
    gan_studio::explore::bundle::unpack_classifier(&runs, "lenet").unwrap();
    let data = common::data_dir();
    let common_args = [
        "--run",
        "bundled-cdcgan",
        "--classifier",
        "lenet",
        "--runs-dir",
        runs.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--device",
        "cpu",
    ];
    let mut eval = vec!["eval", "--samples", "200", "--memorisation-samples", "20"];
    eval.extend(common_args);
    common::succeeded(&common::gan_studio(&eval, dir.path()));
    let mut augment = vec!["augment", "--per-class", "5", "--ratios", "0,0.5"];
    augment.extend([
        "--strategies",
        "mix",
        "--steps",
        "2",
        "--seeds",
        "1",
        "--quiet",
    ]);
    augment.extend(common_args);
    common::succeeded(&common::gan_studio(&augment, dir.path()));
    let run = runs.join("bundled-cdcgan");
    // A later quick retraining (same figures, another file).
    std::thread::sleep(Duration::from_millis(20));
    std::fs::copy(run.join("augment.json"), run.join("augment-quick.json")).unwrap();

    let mut harness = studio_with(&runs, &data, |state| {
        state.tab = Tab::Metrics;
    });
    harness.run();
    // The only evaluated run: selected from the start.
    assert_eq!(
        harness.state().state.metrics.selected.as_deref(),
        Some("bundled-cdcgan")
    );
    harness.get_by_label("from augment-quick.json");
    // A newer CLI study takes the plot back.
    std::thread::sleep(Duration::from_millis(20));
    let text = std::fs::read(run.join("augment.json")).unwrap();
    std::fs::write(run.join("augment.json"), text).unwrap();
    harness.get_by_label("Refresh").click();
    harness.run();
    harness.get_by_label("from augment.json");
}
